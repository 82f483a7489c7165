"""The PostgreSQL back end of `elecost.db.Database`, through psycopg 3 (`pip install 'elecost[postgres]'`).

Imported only when a `postgresql://` URL is opened, so SQLite users never load the driver.
The store's SQL is written once, with SQLite's `?` and `?N` placeholders; each statement string
is translated once to psycopg's `%s` (cached) with the order in which to pass its parameters.
Two writers queue as on SQLite: every outermost write transaction first takes one
transaction-level advisory lock, released by its COMMIT or ROLLBACK.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.adapt import Loader

from elecost.db import Database, Params

# The advisory lock every elecost write takes ("elec" in ASCII): one writer at a time per database.
WRITE_LOCK_KEY = 0x656C6563
CONNECT_TIMEOUT_S = 10

_TOKENS = re.compile(
    r"'(?:[^']|'')*'"  # a quoted text: its ? is no placeholder
    r'|"(?:[^"]|"")*"'  # a quoted name
    r"|\?(\d*)"  # a placeholder
    r"|%"  # psycopg's own placeholder sign, doubled
    r"|(?:(?<=WHERE )|(?<=AND )|(?<=OR )|(?<=ON )|(?<== )|(?<=\())\+(?=[A-Za-z_])"  # SQLite's index hint +column
    r"| NOT INDEXED\b"  # SQLite's NOT INDEXED hint
)


@lru_cache(maxsize=512)
def translate(sql: str) -> tuple[str, tuple[int, ...] | None]:
    """SQLite-style SQL -> (psycopg SQL, the 0-based parameter index of each placeholder in order,
    or None where the parameters pass as given).

    `?` and `?N` become `%s`; a literal `%` is doubled; a `?` in quotes is left alone; SQLite's
    planner hints `+column` (a no-op unary plus, which PostgreSQL refuses on text) and
    `NOT INDEXED` are dropped: PostgreSQL's planner chooses for itself.
    """
    order: list[int] = []
    numbered = False
    out: list[str] = []
    at = 0
    for match in _TOKENS.finditer(sql):
        token = match.group(0)
        out.append(sql[at : match.start()])
        at = match.end()
        if token.startswith(("'", '"')):
            out.append(token.replace("%", "%%"))  # psycopg reads % even inside quotes
        elif token == "%":  # noqa: S105
            out.append("%%")
        elif token in ("+", " NOT INDEXED"):
            pass
        else:
            number = match.group(1)
            if number:
                numbered = True
                order.append(int(number) - 1)
            else:
                order.append(len(order))
            out.append("%s")
    out.append(sql[at:])
    return "".join(out), tuple(order) if numbered else None


def _arrange(order: tuple[int, ...] | None, params: Params) -> Params:
    if order is None or isinstance(params, dict):
        return params
    values = list(params)
    return [values[index] for index in order]


class _WholeNumericLoader(Loader):
    """NUMERIC as SQLite would give it: elecost stores no NUMERIC column, so one comes only from
    sum() over BIGINT columns, which SQLite returns as an int (a fraction, never seen, as float)."""

    def load(self, data: Any) -> int | float:
        text = bytes(data)
        return float(text) if b"." in text or b"e" in text.lower() or b"N" in text else int(text)


class PostgresDatabase(Database):
    """One psycopg connection in autocommit mode; `write_transaction()` is BEGIN + the write lock."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: psycopg.Connection[tuple[Any, ...]] = psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            # A SQL_ASCII database (createdb without --encoding on a C-locale cluster) would hand
            # text back as bytes: elecost always talks UTF-8, whatever the database's encoding.
            client_encoding="UTF8",
        )
        self.conn.adapters.register_loader("numeric", _WholeNumericLoader)

    def execute(self, sql: str, params: Params = ()) -> psycopg.Cursor[tuple[Any, ...]]:
        text, order = translate(sql)
        return self.conn.execute(text, _arrange(order, params))

    def executemany(self, sql: str, rows: Iterable[Params]) -> psycopg.Cursor[tuple[Any, ...]]:
        text, order = translate(sql)
        cursor = self.conn.cursor()
        cursor.executemany(text, (_arrange(order, row) for row in rows))
        return cursor

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    @property
    def in_transaction(self) -> bool:
        return self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    @contextmanager
    def write_transaction(self, *, trusted_keys: bool = False) -> Iterator[Database]:
        outermost = not self.in_transaction
        with self.conn.transaction():
            if outermost:
                self.conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
            yield self

    def close(self) -> None:
        self.conn.close()

    def __del__(self) -> None:
        # As sqlite3 does: a connection dropped unclosed closes quietly (psycopg would warn).
        conn = getattr(self, "conn", None)  # None where connecting failed
        if conn is not None and not conn.closed:
            conn.close()

    def table_exists(self, name: str) -> bool:
        row = self.execute("SELECT to_regclass(?)", [name]).fetchone()
        return row is not None and row[0] is not None
