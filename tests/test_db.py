"""elecost's own connection class: transactions, rows, and databases written through sqlite-utils."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from elecost.db import SQLiteDatabase, is_url
from elecost.migrations import migrations
from elecost.store import open_db

from postgres_server import Server

# What sqlite-utils 4 wrote for its bookkeeping, verbatim (every elecost database before the seam).
SQLITE_UTILS_TABLE = """CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
)"""
SQLITE_UTILS_INDEX = """CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name")"""


@pytest.mark.sqlite_only
def test_a_database_migrated_by_sqlite_utils_keeps_opening_and_migrating(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = SQLiteDatabase(path)
    old.execute(SQLITE_UTILS_TABLE)
    old.execute(SQLITE_UTILS_INDEX)
    old.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('other', '001_theirs', '2026-01-01 00:00:00.000000+00:00')"
    )
    migrations.apply(old, stop_before="009_cost_days")
    old.close()
    db = open_db(path)
    names = [m.name for m in migrations.applied(db)]
    assert names[:8] == [m.name for m in migrations._migrations][:8]
    assert names == [m.name for m in migrations._migrations]
    assert db.execute("SELECT count(*) FROM _sqlite_migrations WHERE migration_set = 'other'").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM cost_days").fetchone()[0] == 0  # 009 ran
    db.close()
    assert migrations.pending(open_db(path)) == []


def test_writes_outside_a_transaction_commit_at_once(elecost_db: Path) -> None:
    db = open_db(elecost_db)
    db.execute("INSERT INTO budgets (location, monthly_usd, updated_at) VALUES ('', 5, 't')")
    assert not db.in_transaction
    with open_db(elecost_db) as other:
        assert other.execute("SELECT monthly_usd FROM budgets").fetchall() == [(5.0,)]


def test_a_failed_write_transaction_leaves_nothing_and_a_nested_one_is_a_savepoint(elecost_db: Path) -> None:
    db = open_db(elecost_db)
    with db.write_transaction():
        db.execute("INSERT INTO budgets (location, monthly_usd, updated_at) VALUES ('a', 1, 't')")
        with pytest.raises(ZeroDivisionError), db.write_transaction():
            db.execute("INSERT INTO budgets (location, monthly_usd, updated_at) VALUES ('b', 2, 't')")
            _ = 1 / 0
        assert db.in_transaction
    with pytest.raises(ZeroDivisionError), db.write_transaction():
        db.execute("INSERT INTO budgets (location, monthly_usd, updated_at) VALUES ('c', 3, 't')")
        _ = 1 / 0
    assert list(db.query("SELECT location, monthly_usd FROM budgets")) == [{"location": "a", "monthly_usd": 1.0}]


def test_numbered_placeholders_repeat_a_value_and_sums_of_integers_stay_integers(elecost_db: Path) -> None:
    db = open_db(elecost_db)
    db.execute("INSERT INTO pruned (location, before_s) VALUES (?, ?)", ["a%b", 3_000_000_000])
    db.execute("INSERT INTO pruned (location, before_s) VALUES (?, ?)", ["c'?", 5])
    row = db.execute(
        "SELECT coalesce(sum(before_s), 0), count(*) FROM pruned WHERE location IN (?2, ?1, 'x?y%')", ["a%b", "c'?"]
    ).fetchone()
    assert tuple(row) == (3_000_000_005, 2)
    assert type(row[0]) is int


@pytest.mark.sqlite_only
def test_a_write_transaction_takes_the_write_lock_at_its_start(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    open_db(path).close()
    first = SQLiteDatabase(path, timeout_s=0.05)
    second = SQLiteDatabase(path, timeout_s=0.05)
    held = first.write_transaction()
    held.__enter__()
    try:
        # BEGIN IMMEDIATE waits for the lock at once, where a deferred BEGIN would start and fail later.
        with pytest.raises(sqlite3.OperationalError, match="locked"), second.write_transaction():
            pass
    finally:
        held.__exit__(None, None, None)
    with second.write_transaction():
        pass


def test_on_postgresql_a_write_transaction_takes_the_write_lock_at_its_start(elecost_db: Path) -> None:
    if not is_url(elecost_db):
        return  # the SQLite form is the test above
    first, second = open_db(elecost_db), open_db(elecost_db)
    second.execute("SET lock_timeout = '50ms'")
    held = first.write_transaction()
    held.__enter__()
    try:
        # The advisory lock makes the second writer wait before its first statement, as BEGIN IMMEDIATE.
        with pytest.raises(Exception, match="lock timeout"), second.write_transaction():
            pass
    finally:
        held.__exit__(None, None, None)
    with second.write_transaction():
        pass


@pytest.mark.sqlite_only
def test_sqlite_placeholders_become_psycopg_ones_once_per_statement() -> None:
    from elecost.db_postgres import translate

    assert translate("SELECT a FROM t WHERE +b = ?1 AND c = ?2 AND d = ?1") == (
        "SELECT a FROM t WHERE b = %s AND c = %s AND d = %s",
        (0, 1, 0),
    )
    assert translate("SELECT '?%' || ?, \"x?\" FROM t NOT INDEXED WHERE a + b = ? AND 1+c > 0") == (
        "SELECT '?%%' || %s, \"x?\" FROM t WHERE a + b = %s AND 1+c > 0",
        None,
    )
    assert translate("SELECT 100 % 7") == ("SELECT 100 %% 7", None)


@pytest.mark.sqlite_only
def test_a_postgresql_url_that_cannot_be_opened_is_said_in_the_servers_words(postgres_server: Server) -> None:
    from typer.testing import CliRunner

    from elecost.cli import app

    url = postgres_server.url("no_such_db")
    result = CliRunner().invoke(app, ["--db", url, "rate", "list"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the PostgreSQL database: connection failed: ")
    assert result.stderr.endswith('FATAL:  database "no_such_db" does not exist\n')


@pytest.mark.sqlite_only
def test_a_postgresql_url_given_as_db_opens_that_database(postgres_server: Server) -> None:
    from typer.testing import CliRunner

    from elecost.cli import app

    name = postgres_server.new_database()
    try:
        url = postgres_server.url(name)
        runner = CliRunner()
        assert runner.invoke(app, ["--db", url, "rate", "init"]).exit_code == 0
        listed = runner.invoke(app, ["rate", "list", "--json", "--db", url])
        assert [rate["name"] for rate in json.loads(listed.stdout)] == ["Example Flat", "Example TOU"]
        facts = json.loads(runner.invoke(app, ["--db", url, "info", "--json"]).stdout)
        assert (facts["database"], facts["schema"]) == (url, migrations._migrations[-1].name)
    finally:
        postgres_server.drop(name)


@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("chunk", [3, 50_000])
def test_readings_conflicts_are_found_alike_within_a_batch_and_against_stored_rows(
    elecost_db: Path, monkeypatch: pytest.MonkeyPatch, replace: bool, chunk: int
) -> None:
    from elecost import store

    monkeypatch.setattr(store, "STAGE_ROWS", chunk)  # PostgreSQL's staged chunks: a key met again within or across
    db = open_db(elecost_db)
    with db.write_transaction():
        miner = store.new_miner_id(db, "Site", "a")
        assert (
            store.write_readings(db, [(miner, 0, 100.0, None), (miner, 60, 100.0, None)], replace=False, conflicts=[])
            == 2
        )
    conflicts: list[tuple[int, int]] = []
    rows = [
        (miner, 0, 100.0, None),  # as stored: nothing
        (miner, 60, 150.0, None),  # stored with 100 W: a conflict
        (miner, 120, 100.0, None),  # new
        (miner, 120, 100.0, None),  # the same again: nothing
        (miner, 120, 130.0, 60),  # the new row with other values: a conflict
        (miner, 180, 100.0, None),  # new
    ]
    with db.write_transaction():
        written = store.write_readings(db, rows, replace=replace, conflicts=conflicts)
    assert conflicts == [(miner, 60), (miner, 120)]
    stored = db.execute("SELECT timestamp_s, power_w, duration_s FROM readings ORDER BY timestamp_s").fetchall()
    if replace:
        assert written == 4
        assert [tuple(row) for row in stored] == [
            (0, 100.0, None),
            (60, 150.0, None),
            (120, 130.0, 60),
            (180, 100.0, None),
        ]
    else:
        assert written == 2
        assert [tuple(row) for row in stored] == [
            (0, 100.0, None),
            (60, 100.0, None),
            (120, 100.0, None),
            (180, 100.0, None),
        ]


@pytest.mark.sqlite_only
def test_a_sql_ascii_postgresql_database_works_as_a_utf8_one(postgres_server: Server) -> None:
    """`createdb` without `--encoding` on a cluster made with the C locale gives a SQL_ASCII
    database, where psycopg would hand text back as bytes (and migrations read as unknown ones):
    elecost talks UTF-8 to it, so it works as any other, names with accents included."""
    from typer.testing import CliRunner

    from elecost.cli import app

    name = f"ascii{os.getpid()}"
    postgres_server.admin(f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    try:
        url = postgres_server.url(name)
        runner = CliRunner()
        assert runner.invoke(app, ["--db", url, "rate", "init"]).exit_code == 0
        added = runner.invoke(app, ["--db", url, "miner", "add", "Grüne Halle", "--location", "Main Facility"])
        assert added.exit_code == 0, added.output
        listed = runner.invoke(app, ["--db", url, "rate", "list", "--json"])
        assert listed.exit_code == 0, listed.output
        assert [rate["name"] for rate in json.loads(listed.stdout)] == ["Example Flat", "Example TOU"]
        miners = runner.invoke(app, ["--db", url, "miner", "list", "--json"])
        assert [m["name"] for m in json.loads(miners.stdout)] == ["Grüne Halle"]
    finally:
        postgres_server.drop(name)
