"""elecost's own connection class: transactions, rows, and databases written through sqlite-utils."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from elecost.db import SQLiteDatabase
from elecost.migrations import migrations
from elecost.store import open_db

# What sqlite-utils 4 wrote for its bookkeeping, verbatim (every elecost database before the seam).
SQLITE_UTILS_TABLE = """CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
)"""
SQLITE_UTILS_INDEX = """CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name")"""


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


def test_writes_outside_a_transaction_commit_at_once(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    db.execute("INSERT INTO budgets (location, monthly_usd, updated_at) VALUES ('', 5, 't')")
    assert not db.in_transaction
    other = sqlite3.connect(tmp_path / "a.db")
    assert other.execute("SELECT monthly_usd FROM budgets").fetchall() == [(5.0,)]


def test_a_failed_write_transaction_leaves_nothing_and_a_nested_one_is_a_savepoint(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
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
