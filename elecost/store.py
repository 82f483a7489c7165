"""The SQLite store: one function opens it; writes are transactions; queries return plain data.

Concurrency: WAL lets readers run beside one writer, a busy timeout makes a second writer wait
instead of failing, and every write takes the write lock up front (BEGIN IMMEDIATE), so two cron
jobs at once queue instead of deadlocking. Money is stored as REAL USD at full float precision
(about 1e-9 USD on a row's amount), never rounded; cents exist only in what is shown.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from elecost.db import Database, SQLiteDatabase, is_url
from elecost.errors import InputError, Problem, UsageError
from elecost.migrations import migrations
from elecost.tariffs.charges import KindKey, Line, kind_key
from elecost.tariffs.load import TOP_KEYS, tariff_from_mapping, tariff_to_mapping

if TYPE_CHECKING:
    # The engine and the readings module are imported where used: listing rates needs neither (issue 15).
    from elecost.readings import StoreRow
    from elecost.tariffs.engine import FloatRow, Prior
    from elecost.tariffs.model import Tariff
    from elecost.tariffs.records import CostRecord
    from elecost.tariffs.usage import PackedLoads

BUSY_TIMEOUT_MS = 60_000
CACHE_KIB = 65_536  # a fleet's readings insert at one B-tree spot per miner: keep those pages cached


def open_db(path: str | Path) -> Database:
    """Open (creating if need be) an elecost database and bring its schema up to date: a SQLite
    file, or a PostgreSQL database named by a `postgresql://` URL (which must exist)."""
    if is_url(path):
        from elecost.db_postgres import PostgresDatabase

        db: Database = PostgresDatabase(str(path))
    else:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = SQLiteDatabase(path, timeout_s=BUSY_TIMEOUT_MS / 1000)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = wal")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    known = {migration.name for migration in migrations._migrations}
    newer = [m.name for m in migrations.applied(db) if m.name not in known]
    if newer:
        raise UsageError(f"{path} was written by a newer elecost (schema {newer[-1]!r}); upgrade elecost to use it")
    if migrations.pending(db):
        with write_transaction(db):
            if migrations.pending(db):  # another run may have migrated it while this one waited
                migrations.apply(db)
    return db


def write_transaction(db: Database, *, trusted_keys: bool = False) -> AbstractContextManager[Database]:
    """One atomic write: takes the write lock at once, commits on success, rolls back on any error
    (a savepoint when a transaction is already open). `trusted_keys`: see Database.write_transaction."""
    return db.write_transaction(trusted_keys=trusted_keys)


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- rates ---------------------------------------------------------------------------------


def _rate_row(tariff: Tariff) -> dict[str, Any]:
    mapping = tariff_to_mapping(tariff)
    row = {key: mapping.get(key) for key in TOP_KEYS}
    row["tou_schedule"] = json.dumps(mapping["tou_schedule"]) if "tou_schedule" in mapping else None
    row["tiered_rates"] = json.dumps(mapping["tiered_rates"]) if "tiered_rates" in mapping else None
    row["rate_type"] = tariff.rate_type
    row["active"] = int(tariff.active)
    row["spec"] = json.dumps(mapping)
    return row


def _column_values(row: dict[str, Any]) -> list[Any]:
    """A rate row's values as stored: a Decimal as REAL, a list or mapping as JSON (as sqlite-utils
    stored them before; the row's column names are the constants of `_rate_row`)."""
    return [
        float(value) if isinstance(value, Decimal) else json.dumps(value) if isinstance(value, list | dict) else value
        for value in row.values()
    ]


def _tariff_from_row(row: dict[str, Any]) -> Tariff:
    if row.get("spec"):
        spec = json.loads(row["spec"])
        spec["active"] = bool(row["active"])
        return tariff_from_mapping(spec, f"rate {row['name']!r}")
    data = {key: row[key] for key in TOP_KEYS if row.get(key) is not None}
    for key in ("tou_schedule", "tiered_rates"):
        if key in data:
            data[key] = json.loads(data[key])
    data["active"] = bool(row["active"])
    return tariff_from_mapping(data, f"rate {row['name']!r}")


def add_rates(db: Database, tariffs: Sequence[Tariff]) -> None:
    """Store new tariffs; a name already stored (or given twice) refuses the whole batch."""
    names = [t.name for t in tariffs]
    with write_transaction(db):
        problems = [
            Problem(t.source, None, "name", f"a rate named {t.name!r} already exists; use `rate update`")
            for t in tariffs
            if _rate_id(db, t.name) is not None or names.count(t.name) > 1
        ]
        if problems:
            raise InputError(problems)
        for tariff in tariffs:
            now = _now_text()
            row = {**_rate_row(tariff), "created_at": now, "updated_at": now}
            db.execute(
                f"INSERT INTO rates ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", _column_values(row)
            )
            if tariff.active:
                _make_only_active(db, tariff.name, tariff.location)
                _mark_reprice(db, tariff.location, f"rate {tariff.name!r} was added as its active rate")


def update_rate(db: Database, name: str, tariff: Tariff, active: bool | None = None) -> None:
    """Replace a stored tariff by a new version (which may rename it). It stays active if it
    was, unless the file says `active:` (`active`, None where the file does not say)."""
    with write_transaction(db):
        rate_id = _require_rate_id(db, name)
        if tariff.name != name and _rate_id(db, tariff.name) is not None:
            raise UsageError(f"a rate named {tariff.name!r} already exists")
        was_active, old_location = db.execute("SELECT active, location FROM rates WHERE id = ?", [rate_id]).fetchone()
        row = {**_rate_row(tariff), "updated_at": _now_text()}
        row["active"] = int(tariff.active or was_active) if active is None else int(active)
        db.execute(
            f"UPDATE rates SET {', '.join(f'{key} = ?' for key in row)} WHERE id = ?", [*_column_values(row), rate_id]
        )
        if row["active"]:
            _make_only_active(db, tariff.name, tariff.location)
            _mark_reprice(db, tariff.location, f"rate {tariff.name!r} was updated")
            if old_location != tariff.location:
                _mark_reprice(db, old_location, f"rate {tariff.name!r} moved to {tariff.location!r}")


def remove_rate(db: Database, name: str) -> None:
    """Delete a stored tariff; cost rows keep the rate's name."""
    with write_transaction(db):
        rate_id = _require_rate_id(db, name)
        db.execute("UPDATE costs SET rate_id = NULL WHERE rate_id = ?", [rate_id])
        db.execute("DELETE FROM rates WHERE id = ?", [rate_id])


def activate_rate(db: Database, name: str) -> Tariff:
    """Make a tariff the active one of its location (any other there is deactivated)."""
    with write_transaction(db):
        _require_rate_id(db, name)
        tariff = get_rate(db, name)
        _make_only_active(db, name, tariff.location)
        if not tariff.active:
            _mark_reprice(db, tariff.location, f"rate {name!r} was activated")
    return get_rate(db, name)


def deactivate_rate(db: Database, name: str) -> Tariff:
    """Leave a tariff stored but active nowhere; its location's cost rows stay as recorded."""
    with write_transaction(db):
        rate_id = _require_rate_id(db, name)
        db.execute("UPDATE rates SET active = 0 WHERE id = ?", [rate_id])
    return get_rate(db, name)


def _mark_reprice(db: Database, location: str, reason: str) -> None:
    """A location's tariff changed: its whole readings span must be priced again by `record`."""
    span = reading_span(db, location)
    if span is None:
        return
    db.execute("INSERT INTO dirty (location, start_s, end_s) VALUES (?, ?, ?)", [location, span[0], span[1]])
    db.execute(
        "INSERT INTO reprice (location, reason) VALUES (?, ?) "
        "ON CONFLICT (location) DO UPDATE SET reason = excluded.reason",
        [location, reason],
    )


def take_repriced(db: Database) -> dict[str, str]:
    """Locations priced again after a tariff change, and why; cleared (caller's transaction). A location
    with no cost rows yet is not named: nothing recorded is redone there, it is recorded for the first time."""
    rows = db.execute(
        "SELECT r.location, r.reason FROM reprice r "
        "WHERE EXISTS (SELECT 1 FROM costs c WHERE c.location = r.location) ORDER BY r.location"
    ).fetchall()
    db.execute("DELETE FROM reprice")
    return {str(location): str(reason) for location, reason in rows}


def _make_only_active(db: Database, name: str, location: str) -> None:
    db.execute(
        "UPDATE rates SET active = CASE WHEN name = ? THEN 1 ELSE 0 END WHERE location = ? OR name = ?",
        [name, location, name],
    )


def _rate_id(db: Database, name: str) -> int | None:
    row = db.execute("SELECT id FROM rates WHERE name = ?", [name]).fetchone()
    return int(row[0]) if row else None


def _require_rate_id(db: Database, name: str) -> int:
    rate_id = _rate_id(db, name)
    if rate_id is None:
        known = ", ".join(t.name for t in list_rates(db)) or "none yet; `elecost rate init` adds examples"
        raise UsageError(f"no rate named {name!r} (rates: {known})")
    return rate_id


def list_rates(db: Database) -> list[Tariff]:
    """Every stored tariff, by location then name."""
    rows = db.query("SELECT * FROM rates ORDER BY location, name")
    return [_tariff_from_row(row) for row in rows]


def get_rate(db: Database, name: str) -> Tariff:
    """A stored tariff by name; UsageError naming the known rates if there is none."""
    rows = list(db.query("SELECT * FROM rates WHERE name = ?", [name]))
    if not rows:
        _require_rate_id(db, name)
    return _tariff_from_row(rows[0])


def rate_ids(db: Database) -> dict[str, int]:
    """Rate name -> id."""
    return {row["name"]: row["id"] for row in db.query("SELECT id, name FROM rates")}


def active_rate(db: Database, location: str | None = None) -> Tariff:
    """The active tariff of a location, or the only active one when no location is named."""
    if location is not None:
        rows = list(db.query("SELECT * FROM rates WHERE active <> 0 AND location = ?", [location]))
        if not rows:
            places = ", ".join(repr(str(row[0])) for row in db.execute("SELECT location FROM rates WHERE active <> 0"))
            raise UsageError(
                f"no active rate for location {location!r}; use `elecost rate activate NAME`"
                + (f" (locations with an active rate: {places})" if places else "")
            )
        return _tariff_from_row(rows[0])
    rows = list(db.query("SELECT * FROM rates WHERE active <> 0 ORDER BY location"))
    if not rows:
        raise UsageError("no active rate; add one with `elecost rate add FILE` and `elecost rate activate NAME`")
    if len(rows) > 1:
        places = ", ".join(row["location"] for row in rows)
        raise UsageError(f"several locations have active rates ({places}); name one with --location")
    return _tariff_from_row(rows[0])


def active_rates(db: Database) -> dict[str, Tariff]:
    """Location -> its active tariff."""
    return {row["location"]: _tariff_from_row(row) for row in db.query("SELECT * FROM rates WHERE active <> 0")}


# --- readings ------------------------------------------------------------------------------


def miner_ids(db: Database) -> dict[tuple[str, str], int]:
    """(location, miner) -> id of every miner the store knows."""
    return {
        (location, name): miner_id for miner_id, location, name in db.execute("SELECT id, location, name FROM miners")
    }


def new_miner_id(db: Database, location: str, name: str) -> int:
    """Create a (location, miner) row and return its id (inside the caller's transaction)."""
    db.execute(
        "INSERT INTO miners (location, name) VALUES (?, ?) ON CONFLICT (location, name) DO NOTHING", [location, name]
    )
    return int(db.execute("SELECT id FROM miners WHERE location = ? AND name = ?", [location, name]).fetchone()[0])


# A stored key with other values is a conflict. On SQLite the UPSERT's WHERE calls
# elecost_conflict() for those rows only, which notes the key and says whether to overwrite
# (--replace) or keep: one pass, the fastest import (the staged form below, run on SQLite, took
# ~20% longer: 2.09 s against 1.72 s for 431,736 new rows, 2.03 s against 1.61 s for them again).
# PostgreSQL has no per-connection Python functions: there a chunk of rows is copied to a staging
# table and inserted where new; only a chunk that met stored keys is compared with them (below).
def _differs(stored: str, given: str) -> str:
    """SQL: the stored reading `stored` has other values than the given one `given` (a conflict)."""
    return (
        f"({stored}.power_w IS DISTINCT FROM {given}.power_w "
        f"OR {stored}.duration_s IS DISTINCT FROM {given}.duration_s)"
    )


_CHANGED = _differs("readings", "excluded")
_UPSERT = (
    "INSERT INTO readings (miner_id, timestamp_s, power_w, duration_s) VALUES (?, ?, ?, {duration}) "
    "ON CONFLICT (miner_id, timestamp_s) DO UPDATE SET power_w = excluded.power_w, duration_s = excluded.duration_s "
    f"WHERE {_CHANGED} AND elecost_conflict(excluded.miner_id, excluded.timestamp_s)"
)
# Rows without a duration (a plain CSV's) are written by a statement with NULL in its text:
# sqlite3 binds a None parameter only after looking for an adapter for it, which cost a third
# of a fleet import (2.42 s against 1.57 s to insert 1.7 M rows).
_UPSERT_TIMED, _UPSERT_UNTIMED = _UPSERT.format(duration="?"), _UPSERT.format(duration="NULL")
_STAGE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS readings_in (seq BIGINT NOT NULL, miner_id BIGINT NOT NULL, "
    "timestamp_s BIGINT NOT NULL, power_w DOUBLE PRECISION NOT NULL, duration_s BIGINT) ON COMMIT DELETE ROWS"
)
# New rows first (a fleet's import is nearly all new rows): then only a chunk some of whose keys
# were stored already is compared with the stored rows, and the new rows, now stored with their
# own values, never show as conflicts. Comparing every chunk first, and upserting, took 0.59 s a
# chunk of 50,000 rows on a 200-miner month; inserting new rows alone 0.36 s.
_STAGED_INSERT = (
    "INSERT INTO readings (miner_id, timestamp_s, power_w, duration_s) "
    "SELECT miner_id, timestamp_s, power_w, duration_s FROM readings_in ORDER BY miner_id, timestamp_s "
    "ON CONFLICT (miner_id, timestamp_s) DO NOTHING"
)
_STAGED_DIFFERENT = (
    "FROM readings_in s JOIN readings r ON r.miner_id = s.miner_id AND r.timestamp_s = s.timestamp_s "
    f"WHERE {_differs('r', 's')}"
)
_STAGED_CONFLICTS = f"SELECT s.seq, s.miner_id, s.timestamp_s {_STAGED_DIFFERENT}"
_STAGED_REPLACE = (
    "UPDATE readings SET power_w = s.power_w, duration_s = s.duration_s FROM readings_in s "
    "WHERE readings.miner_id = s.miner_id AND readings.timestamp_s = s.timestamp_s "
    f"AND {_differs('readings', 's')}"
)
STAGE_ROWS = 50_000
# Rows of an import sorted by miner at a time (SQLite): enough for tens of rows per miner at
# 10,000 miners (a 10,000-miner month: 305 s with 100,000, 240 s with 500,000; peak RSS 113 -> 199 MB).
SORTED_ROWS = 500_000
_MINER = operator.itemgetter(0)


def write_readings(
    db: Database,
    rows: Iterable[StoreRow],
    *,
    replace: bool,
    conflicts: list[tuple[int, int]],
) -> int:
    """Insert (miner_id, timestamp_s, power_w[, duration_s]) rows in the caller's transaction;
    a row of three values has no duration (the fastest form: see _UPSERT).

    Identical rows already stored change nothing. Each row whose key is stored with other
    values is appended to `conflicts` as (miner_id, timestamp_s), and overwrites only with
    `replace`. Returns the number of rows inserted or overwritten.
    """
    if not isinstance(db, SQLiteDatabase):
        return _write_staged_readings(db, rows, replace=replace, conflicts=conflicts)

    def conflict(miner_id: int, timestamp_s: int) -> int:
        conflicts.append((miner_id, timestamp_s))
        return int(replace)

    db.create_function("elecost_conflict", 2, conflict)
    written = 0
    iterator = iter(rows)
    while chunk := list(islice(iterator, SORTED_ROWS)):
        # A fleet's file comes a step at a time, one row per miner, so each row would go to another
        # miner's part of the (miner, timestamp) key. Sorted by miner, a batch of rows goes in miner
        # by miner: a 1,000-miner month was stored in 10.4 s instead of 14.7 s, the sort taking 0.5 s.
        # The sort is stable: a miner's rows keep their order, so a repeated key is met as given.
        chunk.sort(key=_MINER)
        if max(map(len, chunk)) == 3:
            written += db.executemany(_UPSERT_UNTIMED, chunk).rowcount  # the upserts' own changes, summed
        else:
            written += db.executemany(_UPSERT_TIMED, map(_timed, chunk)).rowcount
    return written


def _timed(row: StoreRow) -> tuple[int, int, float, int | None]:
    """A reading row with its duration, None where it has none."""
    return row if len(row) == 4 else (*row, None)


def _write_staged_readings(
    db: Database,
    rows: Iterable[StoreRow],
    *,
    replace: bool,
    conflicts: list[tuple[int, int]],
) -> int:
    """`write_readings` without a SQL-callable Python function, chunk by chunk, with the UPSERT's
    row-by-row outcome: the keys given once in a chunk are staged and inserted where new, and
    where some were stored, those stored with other values selected (and with `replace`
    overwritten) in SQL; a key given more than once in a chunk (rare) is settled here, each
    row against the one before it, starting from the stored row."""
    db.execute(_STAGE)
    written = 0
    iterator = iter(rows)
    while chunk := list(map(_timed, islice(iterator, STAGE_ROWS))):
        first: dict[tuple[int, int], int] = {}
        repeated: dict[tuple[int, int], list[int]] = {}
        for seq, row in enumerate(chunk):
            key = (row[0], row[1])
            if key in first:
                repeated.setdefault(key, [first[key]]).append(seq)
            else:
                first[key] = seq
        db.execute("TRUNCATE readings_in")
        db.copy_rows(
            "readings_in",
            ("seq", "miner_id", "timestamp_s", "power_w", "duration_s"),
            ((seq, *chunk[seq]) for key, seq in first.items() if key not in repeated),
        )
        inserted = db.execute(_STAGED_INSERT).rowcount
        written += inserted
        found: list[tuple[int, int, int]] = []
        if inserted < len(first) - len(repeated):  # some keys were stored already
            found = db.execute(_STAGED_CONFLICTS).fetchall()
            if replace and found:
                written += db.execute(_STAGED_REPLACE).rowcount
        for key, seqs in repeated.items():
            stored = db.execute(
                "SELECT power_w, duration_s FROM readings WHERE miner_id = ? AND timestamp_s = ?", key
            ).fetchone()
            current = None if stored is None else (stored[0], stored[1])
            final = current
            for seq in seqs:
                values = (chunk[seq][2], chunk[seq][3])
                if final is None:
                    final = values
                    written += 1
                elif values != final:
                    found.append((seq, *key))
                    if replace:
                        final = values
                        written += 1
            if final is not None and final != current:
                db.execute(
                    "INSERT INTO readings (miner_id, timestamp_s, power_w, duration_s) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (miner_id, timestamp_s) DO UPDATE "
                    "SET power_w = excluded.power_w, duration_s = excluded.duration_s",
                    [*key, *final],
                )
        conflicts.extend((miner_id, timestamp_s) for _, miner_id, timestamp_s in sorted(found))
    return written


def mark_dirty(db: Database, spans: dict[str, tuple[int, int]]) -> None:
    """Note the first and last timestamp of each location's changed readings, for `record`."""
    db.executemany(
        "INSERT INTO dirty (location, start_s, end_s) VALUES (?, ?, ?)",
        [(location, low, high) for location, (low, high) in spans.items()],
    )


def redo_from(db: Database, location: str, first_s: int, last_s: int) -> int:
    """Where cost rows must be redone from after readings in [first_s, last_s] changed: the
    earliest reading before them of any miner that got one (its load may now run longer)."""
    row = db.execute(
        "SELECT min(coalesce((SELECT max(r.timestamp_s) FROM readings r "
        "WHERE r.miner_id = m.id AND r.timestamp_s < ?1), ?1)) FROM miners m WHERE m.location = ?3 "
        "AND EXISTS (SELECT 1 FROM readings r WHERE r.miner_id = m.id AND r.timestamp_s BETWEEN ?1 AND ?2)",
        [first_s, last_s, location],
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else first_s


# A reading's power [mW] as an integer, half away from zero on both back ends (PostgreSQL rounds
# a float half to even, a NUMERIC away from zero as SQLite does).
_MILLIWATTS = {
    "sqlite": "CAST(round(power_w * 1000) AS INTEGER)",
    "postgresql": "CAST(round(CAST(power_w * 1000 AS NUMERIC)) AS BIGINT)",
}


def stored_milli_loads(db: Database, location: str, start_s: int, end_s: int) -> dict[str, PackedLoads]:
    """Each miner's loads over [start_s, end_s) as (start_s, end_s, power [mW]) integers, packed.

    Read miner by miner along the primary key, from each miner's reading before `start_s` (it
    may run into the span) to its first one after `end_s` (it ends the last inside), without an
    object per reading. The semantics are a readings file's (`readings.reading_ends`), with the
    miner's median spacing over all its readings (kept by `update_spacings`; a miner with one
    reading takes the median of its location's miners, as in a file), so a long gap is never billed.
    """
    from elecost.readings import reading_ends
    from elecost.tariffs.usage import PackedLoads

    loads: dict[str, PackedLoads] = {}
    miners = db.execute("SELECT id, name, spacing_s FROM miners WHERE location = ? ORDER BY id", [location]).fetchall()
    known = sorted(spacing for _, _, spacing in miners if spacing)
    fallback = known[len(known) // 2] if known else None
    for miner_id, name, spacing in miners:
        rows = db.execute(
            f"SELECT timestamp_s, {_MILLIWATTS[db.dialect]}, duration_s FROM readings "
            "WHERE miner_id = ?1 AND timestamp_s BETWEEN "
            "coalesce((SELECT max(timestamp_s) FROM readings WHERE miner_id = ?1 AND timestamp_s < ?2), ?2) AND "
            "coalesce((SELECT min(timestamp_s) FROM readings WHERE miner_id = ?1 AND timestamp_s >= ?3), ?3) "
            "ORDER BY timestamp_s",
            [miner_id, start_s, end_s],
        ).fetchall()
        if not rows:
            continue
        # Columns by comprehension: zip(*rows) over thousands of rows is far slower.
        times = [row[0] for row in rows]
        powers = [row[1] for row in rows]
        durations = [row[2] for row in rows]
        ends, _ = reading_ends(times, durations, spacing or fallback)
        if durations.count(None) != len(durations) or not (spacing or fallback):
            kept = [i for i, end in enumerate(ends) if end is not None and end > times[i]]
            times, ends, powers = [times[i] for i in kept], [ends[i] for i in kept], [powers[i] for i in kept]
        # else every reading lasts until the next, or for the spacing: no end is unknown, no load empty
        loads[name] = PackedLoads(times, ends, powers)  # type: ignore[arg-type]
    return loads


# Readings a miner's median spacing is taken over: its latest, a day of 5-minute readings. Every
# import reads them again for each miner it touched, so a 10,000-miner site's cron run read ten
# million rows with 1,000 (3-4 s); the median of a day's spacings is as steady.
SPACING_SAMPLE = 288


def update_spacings(db: Database, miner_ids: Iterable[int]) -> None:
    """Keep each miner's median reading spacing (of its latest readings) up to date (caller's transaction)."""
    from elecost.readings import median_spacing_s

    for miner_id in miner_ids:
        times = [
            row[0]
            for row in db.execute(
                "SELECT timestamp_s FROM readings WHERE miner_id = ? ORDER BY timestamp_s DESC LIMIT ?",
                [miner_id, SPACING_SAMPLE],
            )
        ]
        db.execute(
            "UPDATE miners SET spacing_s = ?1 WHERE id = ?2 AND spacing_s IS DISTINCT FROM ?1",
            [median_spacing_s(times), miner_id],
        )


def meter_so_far(db: Database, location: str, period_start_s: int, before_s: int) -> Prior | None:
    """What a location's stored meter rows in [period_start_s, before_s) came to: kWh per energy
    period and the billed kW of each demand charge (None when there are no such rows)."""
    (count,) = db.execute(
        "SELECT count(*) FROM costs WHERE location = ? AND miner_ip = '' "
        "AND period_start_s >= ? AND period_start_s < ?",
        [location, period_start_s, before_s],
    ).fetchone()
    if not count:
        return None
    energy: dict[int, Decimal] = {}
    billed: dict[int, Decimal] = {}
    for charge, part, quantity_sum, quantity_max in db.execute(
        "SELECT k.charge, k.part, coalesce(sum(l.quantity), 0), max(l.quantity) FROM costs c "
        "JOIN cost_lines l ON l.cost_id = c.id JOIN line_kinds k ON k.id = l.kind_id "
        "WHERE c.location = ? AND c.miner_ip = '' AND c.period_start_s >= ? AND c.period_start_s < ? "
        "AND k.charge IN ('energy', 'demand') GROUP BY k.charge, k.part",
        [location, period_start_s, before_s],
    ):
        if charge == "energy":
            energy[part] = energy.get(part, Decimal(0)) + Decimal(repr(quantity_sum))
        else:
            billed[part] = Decimal(repr(quantity_max))
    from elecost.tariffs.engine import Prior

    return Prior(energy, billed)


def billed_demand_kw(db: Database, location: str, start_s: int, end_s: int) -> dict[int, Decimal]:
    """The billed kW of each demand charge on a location's stored meter rows in [start_s, end_s)."""
    return {
        part: Decimal(repr(kw))
        for part, kw in db.execute(
            "SELECT k.part, max(l.quantity) FROM costs c JOIN cost_lines l ON l.cost_id = c.id "
            "JOIN line_kinds k ON k.id = l.kind_id WHERE c.location = ? AND c.miner_ip = '' "
            "AND c.period_start_s >= ? AND c.period_start_s < ? AND k.charge = 'demand' GROUP BY k.part",
            [location, start_s, end_s],
        )
    }


def scale_demand(
    db: Database, location: str, start_s: int, end_s: int, part: int, factor: Decimal, kw_factor: Decimal
) -> None:
    """A demand charge billed at a new kW: scale its lines on a location's rows in [start_s, end_s)
    (money by `factor`, the new amount over the old; kW by `kw_factor`), and the rows' sums with them."""
    rows = f"SELECT c.id FROM place_miners m JOIN costs c ON {SPAN_OF_EACH}"
    kinds = "SELECT id FROM line_kinds WHERE charge = 'demand' AND part = ?5"
    args = [location, start_s, end_s, float(factor) - 1, part]
    db.execute(
        f"{MINERS_AT}UPDATE costs SET demand_charge_usd = demand_charge_usd + ?4 * (SELECT coalesce(sum(usd), 0) "
        f"FROM cost_lines l WHERE l.cost_id = costs.id AND l.kind_id IN ({kinds})) WHERE id IN ({rows})",
        args,
    )
    db.execute(
        f"{MINERS_AT}UPDATE costs SET total_cost_usd = energy_cost_usd + demand_charge_usd + service_charge_usd "
        f"WHERE id IN ({rows})",
        args[:3],
    )
    db.execute(
        f"{MINERS_AT}UPDATE cost_lines SET usd = usd * ?4, quantity = quantity * ?6 WHERE kind_id IN ({kinds}) "
        f"AND cost_id IN ({rows})",
        [location, start_s, end_s, float(factor), part, float(kw_factor)],
    )


def reading_span(db: Database, location: str) -> tuple[int, int] | None:
    """First and last stored reading time of a location: each miner's by two seeks along the readings'
    (miner_id, timestamp_s) key (a join read a fleet-month's 8.6 million readings: 2-4 s per `bill`)."""
    row = db.execute(
        "SELECT min(first_s), max(last_s) FROM (SELECT "
        "(SELECT min(r.timestamp_s) FROM readings r WHERE r.miner_id = m.id) AS first_s, "
        "(SELECT max(r.timestamp_s) FROM readings r WHERE r.miner_id = m.id) AS last_s "
        "FROM miners m WHERE m.location = ?) AS spans",
        [location],
    ).fetchone()
    return (int(row[0]), int(row[1])) if row and row[0] is not None else None


def first_cost_row_s(db: Database, location: str) -> int | None:
    """Where a location's cost rows start (before its readings, where old readings were pruned).

    The meter's row of an hour is written with its miners' rows, so the first is a meter row: one seek
    along the (location, miner_ip, period_start_s) key instead of the location's every row."""
    row = db.execute(
        "SELECT min(period_start_s) FROM costs WHERE location = ? AND miner_ip = ''", [location]
    ).fetchone()
    if row[0] is None:  # no meter rows (none at all, as a rule)
        row = db.execute(
            f"{MINERS_AT}SELECT min((SELECT min(period_start_s) FROM costs c "
            "WHERE c.location = m.place AND c.miner_ip = m.ip)) FROM place_miners m",
            [location],
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def reading_locations(db: Database) -> list[str]:
    """Locations that have stored readings."""
    return [row[0] for row in db.execute("SELECT DISTINCT location FROM miners ORDER BY location")]


# --- cost rows -----------------------------------------------------------------------------

# Cost rows have one index, their key (location, miner_ip, period_start_s) (migration 014):
# `record` writes a miner's hours in a run, so the key grows in order, where an index by time had
# each row inserted at a scattered place (over a second of a fleet-month's `record`). A statement
# reading a span's rows without naming both the location and the miner walks the key instead: a
# seek finds each next location or miner, one more its rows in the span. `walk_keys` is its
# `WITH RECURSIVE` clause: `places(place)`, the locations that have cost rows (or one, parameter
# ?1), and `place_miners(place, ip)`, each one's miners ('' the meter; `ip` is NULL on a last row
# per location, which joins no row). A few thousand seeks take milliseconds.
_PLACES = (
    "places(place) AS (SELECT min(location) FROM costs UNION ALL SELECT (SELECT min(location) FROM costs "
    "WHERE location > places.place) FROM places WHERE places.place IS NOT NULL)"
)
_ONE_PLACE = "places(place) AS (SELECT CAST(?1 AS TEXT))"


def _place_miners(table: str) -> str:
    """`place_miners(place, ip)` walked along `table`'s (location, miner_ip, ...) key or index."""
    return (
        f"place_miners(place, ip) AS (SELECT place, (SELECT min(miner_ip) FROM {table} WHERE location = places.place) "
        f"FROM places WHERE places.place IS NOT NULL UNION ALL SELECT place, (SELECT min(miner_ip) FROM {table} "
        "WHERE location = place_miners.place AND miner_ip > place_miners.ip) FROM place_miners "
        "WHERE place_miners.ip IS NOT NULL)"
    )


PLACE_MINERS = _place_miners("costs")
# One location's (parameter ?1) miners, to join as `place_miners m` to their rows `c` in a span [?2, ?3).
MINERS_AT = f"WITH RECURSIVE {_ONE_PLACE}, {PLACE_MINERS} "
# The same walk along the daily rollups' index by miner (`elecost.rollups`; SQLite's migration 015).
DAY_MINERS_AT = f"WITH RECURSIVE {_ONE_PLACE}, {_place_miners('cost_days')} "
SPAN_OF_EACH = "c.location = m.place AND c.miner_ip = m.ip AND c.period_start_s >= ?2 AND c.period_start_s < ?3"


def walk_keys(location: str | None) -> str:
    """The `WITH RECURSIVE` clause naming `places` and `place_miners` (see above); with a location,
    the statement passes it as parameter ?1."""
    return MINERS_AT if location is not None else f"WITH RECURSIVE {_PLACES}, {PLACE_MINERS} "


def span_of_rows(
    start_s: int, end_s: int, *, location: str | None = None, miner: str | None = None
) -> tuple[str, str, list[Any]]:
    """How a statement reads the cost rows `c` starting in [start_s, end_s), of one location or every
    one, of one miner ('' the meter) or every one, along their key: (its `WITH` clause, its `FROM ...`
    clause, their parameters). The caller writes `{with}SELECT ... {from}` and may go on with joins
    and conditions without parameters."""
    params: list[Any] = [] if location is None else [location]
    if miner is not None:  # that miner at each location
        params.append(miner)
        who, keys = f"c.location = p.place AND c.miner_ip = ?{len(params)}", "places p"
    else:
        who, keys = "c.location = m.place AND c.miner_ip = m.ip", "place_miners m"
    params += [start_s, end_s]
    span = f"c.period_start_s >= ?{len(params) - 1} AND c.period_start_s < ?{len(params)}"
    return walk_keys(location), f"FROM {keys} JOIN costs c ON {who} AND {span}", params


COST_COLUMNS = (
    "id",
    "timestamp",
    "location",
    "miner_ip",
    "period_start_s",
    "period_end_s",
    "billing_period_start_s",
    "duration_hours",
    "total_kwh",
    "avg_power_kw",
    "peak_power_kw",
    "rate_id",
    "rate_name",
    "avg_rate_usd_per_kwh",
    "energy_cost_usd",
    "demand_charge_usd",
    "service_charge_usd",
    "total_cost_usd",
    "tou_breakdown_usd",
)
LINE_COLUMNS = ("cost_id", "position", "kind_id", "quantity", "usd")


class WrittenRows(NamedTuple):
    """Cost rows as `replace_cost_rows` wrote them (values in `COST_COLUMNS` order) and their lines
    (`LINE_COLUMNS`): the rollups of the days they fill are worked out from them."""

    rows: list[tuple[Any, ...]]
    lines: list[tuple[int, int, int, float, float]]


def line_kinds(db: Database) -> dict[int, KindKey]:
    """Every line kind by id: (charge, label, unit, part, period, tier)."""
    rows = db.execute("SELECT id, charge, label, unit, part, period, tier FROM line_kinds")
    return {kind: (charge, label, unit, part, period, tier) for kind, charge, label, unit, part, period, tier in rows}


def _kind_ids(db: Database) -> dict[KindKey, int]:
    return {key: kind for kind, key in line_kinds(db).items()}


def line_kind_ids(db: Database) -> Callable[[KindKey], int]:
    """A line kind's id, stored on first use (caller's transaction): for rows priced straight to ids."""
    kinds = _kind_ids(db)

    def kind_id(key: KindKey) -> int:
        found = kinds.get(key)
        if found is None:
            insert = "INSERT INTO line_kinds (charge, label, unit, part, period, tier) VALUES (?, ?, ?, ?, ?, ?)"
            found = kinds[key] = int(db.execute(f"{insert} RETURNING id", key).fetchone()[0])
        return found

    return kind_id


def replace_cost_rows(
    db: Database,
    location: str,
    start_s: int,
    end_s: int,
    records: Sequence[CostRecord],
    billing_period_start_s: int,
    rate_id: int | None,
    now: str,
    float_rows: list[FloatRow] | None = None,
    rate_name: str = "",
) -> WrittenRows:
    """Replace a location's cost rows in [start_s, end_s) by `records`, lines and all (caller's transaction),
    then `float_rows` (rows already in floats with their kinds' ids, of rate `rate_name`); the rows written.

    Amounts are stored as REAL (about 1e-9 USD on a row); the derived averages are worked out in
    floats from them. Ids are given here, so each row's lines can be written in the same pass.
    `float_rows` is emptied as its rows become the rows written: a fleet-month's 720,000 would
    otherwise be held twice (~0.3 GB at 1,000 miners, 3 GB at 10,000).
    """
    old = f"SELECT c.id FROM place_miners m JOIN costs c ON {SPAN_OF_EACH}"
    for table, id_column in (("cost_lines", "cost_id"), ("costs", "id")):
        db.execute(f"{MINERS_AT}DELETE FROM {table} WHERE {id_column} IN ({old})", [location, start_s, end_s])
    kinds = _kind_ids(db)
    next_id = int(db.execute("SELECT coalesce(max(id), 0) FROM costs").fetchone()[0]) + 1
    cost_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[int, int, int, float, float]] = []
    add_row, add_line, kind_of = cost_rows.append, line_rows.append, kinds.get
    for cost_id, record in enumerate(records, start=next_id):
        hours = (record.period_end_s - record.period_start_s) / 3600
        kwh = float(record.energy_kwh)
        energy = float(record.energy_cost_usd)
        demand = float(record.demand_charge_usd)
        service = float(record.service_charge_usd)
        add_row(
            (
                cost_id,
                now,
                record.location,
                record.miner_ip or "",
                record.period_start_s,
                record.period_end_s,
                billing_period_start_s,
                hours,
                kwh,
                kwh / hours if hours else 0.0,
                float(record.peak_power_kw),
                rate_id,
                record.rate_name,
                energy / kwh if kwh else 0.0,
                energy,
                demand,
                service,
                energy + demand + service,
                "{}",
            )
        )
        for position, line in enumerate(record.lines):
            key = kind_key(line)
            kind = kind_of(key)
            if kind is None:
                insert = "INSERT INTO line_kinds (charge, label, unit, part, period, tier) VALUES (?, ?, ?, ?, ?, ?)"
                kind = kinds[key] = int(db.execute(f"{insert} RETURNING id", key).fetchone()[0])
            add_line((cost_id, position, kind, float(line.quantity), float(line.usd)))
    cost_id = next_id + len(records) - 1
    pending = float_rows if float_rows is not None else []
    pending.reverse()  # taken from the end, so each row is let go once written, in the order given
    while pending:
        miner, start, end, kwh, peak, energy, demand, service, lines = pending.pop()
        cost_id += 1
        hours = (end - start) / 3600
        add_row(
            (
                cost_id,
                now,
                location,
                miner,
                start,
                end,
                billing_period_start_s,
                hours,
                kwh,
                kwh / hours if hours else 0.0,
                peak,
                rate_id,
                rate_name,
                energy / kwh if kwh else 0.0,
                energy,
                demand,
                service,
                energy + demand + service,
                "{}",
            )
        )
        for position, (kind, quantity, usd) in enumerate(lines):
            add_line((cost_id, position, kind, quantity, usd))
    db.copy_rows("costs", COST_COLUMNS, cost_rows)  # SQLite: an executemany INSERT; PostgreSQL: COPY
    db.copy_rows("cost_lines", LINE_COLUMNS, line_rows)
    return WrittenRows(cost_rows, line_rows)


def stored_decimal(value: float) -> Decimal:
    """A REAL read back from the store as the Decimal it is exactly (its shortest repr)."""
    return Decimal(repr(float(value)))


def record_from_row(row: dict[str, Any], lines: list[Line] | None = None) -> CostRecord:
    """A `costs` row (and its lines) as a cost record (amounts back to Decimal through their shortest text)."""
    from elecost.tariffs.records import CostRecord

    return CostRecord(
        rate_name=row["rate_name"],
        location=row["location"],
        miner_ip=row["miner_ip"] or None,
        period_start_s=row["period_start_s"],
        period_end_s=row["period_end_s"],
        energy_kwh=stored_decimal(row["total_kwh"]),
        peak_power_kw=stored_decimal(row["peak_power_kw"]),
        energy_cost_usd=stored_decimal(row["energy_cost_usd"]),
        demand_charge_usd=stored_decimal(row["demand_charge_usd"]),
        service_charge_usd=stored_decimal(row["service_charge_usd"]),
        lines=lines or [],
    )


def lines_of(db: Database, cost_ids: Sequence[int]) -> dict[int, list[Line]]:
    """The lines of the given cost rows, in order."""
    out: dict[int, list[Line]] = {}
    for chunk in range(0, len(cost_ids), 500):
        ids = list(cost_ids[chunk : chunk + 500])
        for cost_id, charge, label, unit, part, period, tier, quantity, usd in db.execute(
            "SELECT l.cost_id, k.charge, k.label, k.unit, k.part, k.period, k.tier, l.quantity, l.usd "
            "FROM cost_lines l JOIN line_kinds k ON k.id = l.kind_id "
            f"WHERE l.cost_id IN ({', '.join('?' * len(ids))}) ORDER BY l.cost_id, l.position",
            ids,
        ):
            out.setdefault(cost_id, []).append(
                Line(charge, label, stored_decimal(quantity), unit, stored_decimal(usd), part, period, tier)
            )
    return out


def cost_records(db: Database, rows: Sequence[dict[str, Any]]) -> list[CostRecord]:
    """Cost rows as records with their lines."""
    lines = lines_of(db, [row["id"] for row in rows])
    return [record_from_row(row, lines.get(row["id"])) for row in rows]


def query_cost_rows(
    db: Database,
    start_s: int,
    end_s: int,
    *,
    miner: str | None = None,
    location: str | None = None,
    meter_only: bool = False,
) -> list[dict[str, Any]]:
    """Cost rows starting in [start_s, end_s), oldest first, optionally for one miner or location."""
    who = "" if miner is None and meter_only else miner
    walk, rows, params = span_of_rows(start_s, end_s, location=location, miner=who)
    sql = f"{walk}SELECT c.* {rows} ORDER BY c.period_start_s, c.location, c.miner_ip"
    return list(db.query(sql, params))


def rows_are_current(db: Database, tariff: Tariff, period_start_s: int, period_end_s: int) -> bool:
    """Whether a period's stored meter rows price every stored reading with this tariff as it is:
    no readings changed since `record`, and every row recorded with it after its last change."""
    if db.execute("SELECT 1 FROM dirty WHERE location = ? LIMIT 1", [tariff.location]).fetchone():
        return False
    count, first_name, last_name, first_recorded = db.execute(
        "SELECT count(*), min(rate_name), max(rate_name), min(timestamp) FROM costs "
        "WHERE location = ? AND miner_ip = '' AND period_start_s >= ? AND period_start_s < ?",
        [tariff.location, period_start_s, period_end_s],
    ).fetchone()
    updated = db.execute("SELECT updated_at FROM rates WHERE name = ?", [tariff.name]).fetchone()
    same_tariff = first_name == last_name == tariff.name
    return bool(count and same_tariff and updated is not None and first_recorded >= updated[0])


def take_dirty(db: Database) -> dict[str, tuple[int, int]]:
    """Each location's span of changed readings since the last `record`, cleared (caller's transaction)."""
    rows = db.execute("SELECT location, min(start_s), max(end_s) FROM dirty GROUP BY location").fetchall()
    db.execute("DELETE FROM dirty")
    return {location: (int(start), int(end)) for location, start, end in rows}


# --- miner inventory and budgets -----------------------------------------------------------


@dataclass(frozen=True)
class Miner:
    """A miner in the inventory: nameplate hashrate and power (None where not given), and where
    its API listens when that is not its name on port 4028 (None = the default)."""

    name: str
    location: str
    hashrate_th: float | None
    power_w: float | None
    model: str | None
    host: str | None = None
    port: int | None = None
    client: str | None = None  # the hosting client it belongs to; '' in an update clears it


def add_miners(db: Database, miners: Sequence[Miner], *, keep_listed: bool = False) -> int:
    """Add miners to the inventory in one transaction, or update them; how many were written.

    An update changes what is given and keeps the rest (nameplate power added after a scan keeps
    the model the scan found). With `keep_listed`, a miner already listed is left as it is (a
    scan does not overwrite what someone entered).
    """
    written = 0
    with write_transaction(db):
        listed = (
            {(loc, name) for loc, name in db.execute("SELECT location, name FROM miners WHERE listed <> 0")}
            if keep_listed
            else set()
        )
        for miner in miners:
            if (miner.location, miner.name) in listed:
                continue
            miner_id = new_miner_id(db, miner.location, miner.name)
            db.execute(
                "UPDATE miners SET listed = 1, hashrate_th = coalesce(?, hashrate_th), power_w = coalesce(?, power_w), "
                "model = coalesce(?, model), host = coalesce(?, host), port = coalesce(?, port), "
                "client = CASE WHEN CAST(?6 AS TEXT) IS NULL THEN client ELSE nullif(CAST(?6 AS TEXT), '') END "
                "WHERE id = ?7",
                [miner.hashrate_th, miner.power_w, miner.model, miner.host, miner.port, miner.client, miner_id],
            )
            written += 1
    return written


def remove_miner(db: Database, name: str, location: str | None) -> int:
    """Take a miner off the inventory (its readings and cost rows stay); how many were removed."""
    where, params = "name = ? AND listed <> 0", [name]
    if location is not None:
        where += " AND location = ?"
        params.append(location)
    with write_transaction(db):
        cursor = db.execute(
            "UPDATE miners SET listed = 0, hashrate_th = NULL, power_w = NULL, model = NULL, host = NULL, port = NULL "
            f"WHERE {where}",
            params,
        )
    return cursor.rowcount


def list_miners(db: Database, location: str | None = None) -> list[Miner]:
    """The inventory, by location and name."""
    where, params = "listed <> 0", []
    if location is not None:
        where += " AND location = ?"
        params.append(location)
    rows = db.execute(
        f"SELECT name, location, hashrate_th, power_w, model, host, port, client FROM miners WHERE {where} "
        "ORDER BY location, name",
        params,
    )
    return [Miner(*row) for row in rows]


def miner_clients(db: Database) -> dict[tuple[str, str], str]:
    """(location, miner name) -> hosting client, for the miners that have one."""
    rows = db.execute("SELECT location, name, client FROM miners WHERE client IS NOT NULL")
    return {(location, name): client for location, name, client in rows}


def set_budget(db: Database, location: str, monthly_usd: Decimal) -> None:
    """Set the monthly budget of a location ('' = the whole operation)."""
    with write_transaction(db):
        db.execute(
            "INSERT INTO budgets (location, monthly_usd, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (location) DO UPDATE SET monthly_usd = excluded.monthly_usd, updated_at = excluded.updated_at",
            [location, float(monthly_usd), _now_text()],
        )


def budgets(db: Database) -> dict[str, Decimal]:
    """Location ('' = the whole operation) -> monthly budget [USD]."""
    return {row[0]: Decimal(repr(row[1])) for row in db.execute("SELECT location, monthly_usd FROM budgets")}


def cost_totals(
    db: Database, start_s: int, end_s: int, *, location: str | None = None, miner: str | None = None
) -> tuple[Decimal, int]:
    """Sum of total cost [USD] and covered seconds of the cost rows starting in [start_s, end_s)."""
    walk, rows, params = span_of_rows(start_s, end_s, location=location, miner=miner or "")
    row = db.execute(
        f"{walk}SELECT coalesce(sum(c.total_cost_usd), 0), coalesce(sum(c.period_end_s - c.period_start_s), 0) {rows}",
        params,
    ).fetchone()
    return Decimal(repr(row[0])), int(row[1])


def miner_cost_totals(
    db: Database, start_s: int, end_s: int, location: str | None = None
) -> list[tuple[str, str, Decimal, Decimal, int]]:
    """(miner, location, kWh, cost [USD], covered seconds) of each miner's rows starting in [start_s, end_s).

    One pass in SQLite, without the breakdowns: what a per-miner listing of a fleet needs. NOT
    INDEXED on purpose, as in `summary.miner_totals`: a month of rows is most of the table.
    """
    where = "miner_ip != '' AND period_start_s >= ? AND period_start_s < ?" + (" AND location = ?" if location else "")
    params: list[Any] = [start_s, end_s, *([location] if location else [])]
    rows = db.execute(
        "SELECT miner_ip, location, coalesce(sum(total_kwh), 0), coalesce(sum(total_cost_usd), 0), "
        "coalesce(sum(period_end_s - period_start_s), 0) "
        f"FROM costs NOT INDEXED WHERE {where} GROUP BY location, miner_ip ORDER BY location, miner_ip",
        params,
    )
    return [
        (miner, place, Decimal(repr(kwh)), Decimal(repr(usd)), int(seconds)) for miner, place, kwh, usd, seconds in rows
    ]


def cost_names(db: Database, kind: str) -> list[str]:
    """The miners (or locations) that have cost rows, sorted."""
    names = {
        "miners": "SELECT DISTINCT ip FROM place_miners WHERE ip != ''",
        "locations": "SELECT place FROM places WHERE place != ''",
    }[kind]
    return [row[0] for row in db.execute(f"{walk_keys(None)}{names} ORDER BY 1")]


def has_carbon(db: Database) -> bool:
    """Whether any carbon series is stored: what `summary` and `profit` ask before loading the carbon
    modules and arithmetic (without a series they print what they printed before). Here, not in
    `elecost.carbon_store`, whose import (and the series store's) costs a summary 2-3 ms."""
    return db.execute("SELECT 1 FROM carbon LIMIT 1").fetchone() is not None


def database_size_bytes(db: Database) -> int:
    """A PostgreSQL database's size on its server [bytes] (a SQLite file's is its files')."""
    return int(db.execute("SELECT pg_database_size(current_database())").fetchone()[0])


def database_facts(db: Database) -> dict[str, Any]:
    """What is in a database, for `elecost info`: counts, spans and the last `record`."""

    def one(sql: str) -> Any:
        return db.execute(sql).fetchone()

    rates = one("SELECT count(*) FROM rates")[0]
    readings, first, last = one("SELECT count(*), min(timestamp_s), max(timestamp_s) FROM readings")
    costs, recorded = one("SELECT count(*), max(timestamp) FROM costs")
    return {
        "rates": int(rates),
        "active_rates": {str(k): str(v) for k, v in db.execute("SELECT location, name FROM rates WHERE active <> 0")},
        "miners": int(one("SELECT count(*) FROM miners WHERE name != ''")[0]),
        "readings": int(readings),
        "first_reading_s": first,
        "last_reading_s": last,
        "cost_rows": int(costs),
        "last_record": recorded,
        "waiting_for_record": bool(one("SELECT count(*) FROM dirty")[0]),
        "schema": [m.name for m in migrations.applied(db)][-1:],
    }
