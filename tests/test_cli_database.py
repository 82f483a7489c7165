"""Which database a command opens, and every way opening or writing it can fail: `error: ...`, exit 2."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elecost import store
from elecost.cli import app
from elecost.cli.common import database_fault
from elecost.store import open_db

from conftest import EXAMPLES

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_db_before_the_subcommand_is_used(tmp_path: Path) -> None:
    path = tmp_path / "before.db"
    assert run("--db", str(path), "rate", "init")[0] == 0
    code, out, _ = run("--db", str(path), "rate", "list", "--json")
    assert code == 0
    assert {r["name"] for r in json.loads(out)} == {"Example Flat", "Example TOU"}


def test_db_after_the_subcommand_wins_over_the_one_before(tmp_path: Path) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    assert run("--db", str(first), "rate", "init", "--db", str(second))[0] == 0
    assert second.exists()
    assert not first.exists()


def test_elecost_db_is_used_without_db(elecost_db: Path) -> None:
    assert run("rate", "init")[0] == 0
    assert elecost_db.exists()


def test_a_mistyped_db_for_a_read_only_command_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "x.db"
    code, _, err = run("--db", str(path), "summary")
    assert (code, err) == (
        2,
        f"error: no database at {path}; check --db and ELECOST_DB "
        "(`elecost rate init` or `elecost readings import` creates one)\n",
    )
    assert not (tmp_path / "typo").exists()


def test_db_a_folder(tmp_path: Path) -> None:
    code, _, err = run("--db", str(tmp_path), "rate", "list")
    assert (code, err) == (
        2,
        f"error: --db: {tmp_path} is a folder; give a database file, e.g. {tmp_path}/elecost.db\n",
    )


def test_db_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a database\n" * 10, encoding="utf-8")
    code, _, err = run("--db", str(path), "rate", "list")
    assert (code, err) == (
        2,
        f"error: the database {path} is not an elecost database, or is damaged (file is not a database)\n",
    )
    assert path.read_text(encoding="utf-8").startswith("hello")


def test_db_truncated(tmp_path: Path) -> None:
    good = tmp_path / "good.db"
    assert run("--db", str(good), "rate", "init")[0] == 0
    open_db(good).execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cut = tmp_path / "cut.db"
    cut.write_bytes(good.read_bytes()[:5000])
    code, _, err = run("--db", str(cut), "rate", "list")
    assert code == 2
    assert err == (
        f"error: the database {cut} is not an elecost database, or is damaged (database disk image is malformed)\n"
    )


def test_db_from_a_newer_elecost(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    db = open_db(path)
    db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('elecost', '999_future', 'x')")
    code, _, err = run("--db", str(path), "rate", "list")
    assert (code, err) == (
        2,
        f"error: {path} was written by a newer elecost (schema '999_future'); upgrade elecost to use it\n",
    )


def test_a_lock_held_past_the_busy_timeout_says_another_run_holds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "busy.db"
    assert run("--db", str(path), "rate", "init")[0] == 0
    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 100)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, _, err = run("--db", str(path), "readings", "import", str(EXAMPLES / "readings.csv"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (code, err) == (
        2,
        f"error: another elecost run holds the database {path} (waited 0 s); try again when it has finished\n",
    )


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("attempt to write a readonly database", "cannot write the database x.db: the file or its folder is read-only"),
        ("database or disk is full", "the disk holding the database x.db is full; nothing was written"),
        ("unable to open database file", "cannot open the database x.db: check that it is a file you may read and"),
    ],
)
def test_sqlite_faults_become_messages(fault: str, message: str) -> None:
    assert database_fault(sqlite3.OperationalError(fault), Path("x.db")).startswith(message)


def test_disk_full_during_a_write_is_an_error_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "full.db"
    assert run("--db", str(path), "rate", "init")[0] == 0

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "write_readings", full)
    monkeypatch.setattr("elecost.importer.write_readings", full)
    code, _, err = run("--db", str(path), "readings", "import", "--location", "x", str(EXAMPLES / "readings.csv"))
    assert (code, err) == (2, f"error: the disk holding the database {path} is full; nothing was written\n")


def test_demo_uses_the_db_given_before_the_command(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    code, _, err = run("--db", str(path), "demo")
    assert code == 0
    assert err.startswith(f"demo database: {path}\n")
    assert run("--db", str(path), "summary", "--by", "miner")[0] == 0
