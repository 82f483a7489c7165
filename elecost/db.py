"""elecost's own thin database connection: the little the core asks of a database.

The store needs statements with parameters, rows as tuples or dicts, batches, and write
transactions that take the write lock at once, so two cron jobs queue instead of deadlocking or
double counting. That is all this module gives, behind one class (`Database`): `SQLiteDatabase`
here, `elecost.db_postgres.PostgresDatabase` (imported only for a postgresql:// URL) beside it.
It replaces sqlite-utils, of which elecost used only that wrapper and whose import cost every
command ~0.1 s (issue 15).

SQL reaching a `Database` is written once for both back ends: `?` placeholders (numbered `?1`
where a value repeats), `ON CONFLICT` upserts, no SQLite-only functions. Where a statement truly
differs (PRAGMAs, old migrations' DDL, the readings upsert), the caller branches on `db.dialect`.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

Params = Sequence[Any] | Mapping[str, Any]
URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(target: str | Path) -> bool:
    """Whether a --db / ELECOST_DB value names a PostgreSQL server rather than a SQLite file."""
    return str(target).startswith(URL_SCHEMES)


class Cursor(Protocol):
    """What a statement returns on every back end: rows as tuples, and the rows it changed."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(ABC):
    """One open connection to an elecost database.

    Outside a transaction each statement commits on its own; `write_transaction()` groups
    statements into one atomic write (nested blocks are savepoints).
    """

    dialect: str  # "sqlite" or "postgresql": for the few statements that truly differ

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> Cursor:
        """Run one statement; its rows (if any) are read from the cursor as tuples."""

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Params]) -> Cursor:
        """Run one statement per row of parameters; `rowcount` is the rows changed in all."""

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Append rows to a table the fastest way the back end has (PostgreSQL: COPY)."""
        marks = ", ".join("?" * len(columns))
        self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    @property
    @abstractmethod
    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection."""

    @abstractmethod
    def write_transaction(self, *, trusted_keys: bool = False) -> AbstractContextManager[Database]:
        """One atomic write holding the database's write lock from its start: commits on success,
        rolls back on any error. Inside an open transaction it is a savepoint of it.

        `trusted_keys`: the caller writes only ids it read in this transaction, so a back end may
        skip checking each row's foreign keys (SQLite's check was a tenth of a fleet import).
        Only the outermost transaction can: a savepoint keeps the checks its transaction has."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection (an open transaction is rolled back)."""

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def query(self, sql: str, params: Params = ()) -> Iterator[dict[str, Any]]:
        """Run one statement and return its rows as dicts keyed by column name."""
        cursor = self.execute(sql, params)
        keys = [column[0] for column in cursor.description]
        return (dict(zip(keys, row, strict=True)) for row in cursor)

    def table_exists(self, name: str) -> bool:
        """Whether a table of this name exists (the migration runner asks before reading its own)."""
        row = self.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone()
        return row is not None


class SQLiteDatabase(Database):
    """A SQLite file through the standard library's sqlite3, in autocommit mode with explicit
    transactions (sqlite3's implicit BEGIN would otherwise hold a transaction open after a write)."""

    dialect = "sqlite"

    def __init__(self, path: str | Path, *, timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self.conn = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None)
        self._savepoints = 0

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> sqlite3.Cursor:
        return self.conn.executemany(sql, rows)

    def create_function(self, name: str, arity: int, function: Callable[..., Any]) -> None:
        """A Python function callable from this connection's SQL (SQLite only)."""
        self.conn.create_function(name, arity, function)

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    @contextmanager
    def write_transaction(self, *, trusted_keys: bool = False) -> Iterator[Database]:
        if self.conn.in_transaction:
            self._savepoints += 1
            name = f"elecost_{self._savepoints}"
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                if self.conn.in_transaction:  # an error may have ended the whole transaction already
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    self.conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            finally:
                self._savepoints -= 1
            self.conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        if trusted_keys:  # a no-op inside a transaction, so set before BEGIN
            self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
                self.conn.execute("COMMIT")
            except BaseException:  # the block's error, or the commit's (a full disk): nothing stays open
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        finally:
            if trusted_keys:
                self.conn.execute("PRAGMA foreign_keys = ON")

    def close(self) -> None:
        self.conn.close()


# --- migrations ------------------------------------------------------------------------------


MigrationFunction = Callable[[Database], None]


@dataclass(frozen=True)
class Migration:
    name: str
    fn: MigrationFunction


@dataclass(frozen=True)
class AppliedMigration:
    name: str
    applied_at: str


class Migrations:
    """Numbered, append-only schema migrations, each applied once in its own transaction.

    The bookkeeping is sqlite-utils' own (table `_sqlite_migrations`: migration_set, name,
    applied_at), so databases made by earlier elecost versions keep opening and migrating.
    """

    table = "_sqlite_migrations"

    def __init__(self, name: str) -> None:
        self.name = name
        self._migrations: list[Migration] = []

    def __call__(self, *, name: str) -> Callable[[MigrationFunction], MigrationFunction]:
        def register(fn: MigrationFunction) -> MigrationFunction:
            if any(m.name == name for m in self._migrations):
                raise ValueError(f"migration {name!r} is already registered in set {self.name!r}")
            self._migrations.append(Migration(name, fn))
            return fn

        return register

    def applied(self, db: Database) -> list[AppliedMigration]:
        """The migrations this database has had, in the order they were applied (read-only)."""
        if not db.table_exists(self.table):
            return []
        order = "rowid" if db.dialect == "sqlite" else "id"
        rows = db.execute(
            f"SELECT name, applied_at FROM {self.table} WHERE migration_set = ? ORDER BY {order}", [self.name]
        )
        return [AppliedMigration(str(name), str(applied_at)) for name, applied_at in rows]

    def pending(self, db: Database) -> list[Migration]:
        """The registered migrations this database has not had yet, in order (read-only)."""
        done = {m.name for m in self.applied(db)}
        return [m for m in self._migrations if m.name not in done]

    def apply(self, db: Database, *, stop_before: str | None = None) -> None:
        """Apply the pending migrations in order, each with its record in one transaction;
        `stop_before` (a name) leaves that one and the later ones pending (tests build old schemas)."""
        self._ensure_table(db)
        for migration in self.pending(db):
            if migration.name == stop_before:
                return
            with db.write_transaction():
                migration.fn(db)
                db.execute(
                    f"INSERT INTO {self.table} (migration_set, name, applied_at) VALUES (?, ?, ?)",
                    [self.name, migration.name, str(datetime.now(UTC))],
                )

    def _ensure_table(self, db: Database) -> None:
        if db.table_exists(self.table):
            return
        key = "INTEGER PRIMARY KEY" if db.dialect == "sqlite" else "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
        with db.write_transaction():
            db.execute(f"CREATE TABLE {self.table} (id {key}, migration_set TEXT, name TEXT, applied_at TEXT)")
            db.execute(f"CREATE UNIQUE INDEX idx_{self.table}_migration_set_name ON {self.table} (migration_set, name)")
