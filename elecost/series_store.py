"""Interval series in SQLite (prices per market, carbon intensity per zone): one import rule for both.

A series is a set of non-overlapping intervals [start_s, end_s) keyed by (series name, start_s),
each with an exact integer value (millionths of its unit). An import is all or nothing: a row
stored exactly as given changes nothing; a row overlapping a stored interval that differs is a
conflict, refused unless `replace`. Table and column names come from the `SeriesTable` constants
of the callers, never from input.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from elecost.db import Database
from elecost.errors import InputError, Problem
from elecost.instants import iso
from elecost.store import write_transaction

if TYPE_CHECKING:
    from elecost.prices import IntervalRow

UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class SeriesTable:
    """Where a kind of series lives, and how a conflict names its value.

    `describe(value_micro, name)` words a stored value for the conflict message, e.g.
    "172.25 $/MWh of 'default'"; `field` is the field a conflict is reported on.
    """

    table: str
    name_column: str
    value_column: str
    field: str
    describe: Callable[[int, str], str]


@dataclass(frozen=True)
class ImportCounts:
    """What an import did: rows new, rows already stored as they are, rows that overwrote others."""

    added: int
    unchanged: int
    replaced: int


def import_intervals(
    db: Database, kind: SeriesTable, name: str, rows: Sequence[IntervalRow], *, replace: bool
) -> ImportCounts:
    """Store a series' intervals under `name`, all or none.

    A row stored exactly as given changes nothing. A row overlapping a stored interval that is not
    the same (start, end, value) is a conflict: InputError naming its file and line, unless
    `replace`, which deletes the stored intervals it overlaps. Two rows of the import for the same
    time are refused too, unless one is an exact copy of the other (a file given twice).
    """
    ordered: list[IntervalRow] = []
    copies = 0
    problems: list[Problem] = []
    for row in sorted(rows, key=lambda row: row.start_s):  # stable: files in the order given
        before = ordered[-1] if ordered else None
        if before is None or row.start_s >= before.end_s:
            ordered.append(row)
        elif (row.start_s, row.end_s, row.value_micro) == (before.start_s, before.end_s, before.value_micro):
            copies += 1  # the same value twice (a file given twice): stored once
        else:
            problems.append(
                Problem(row.path, row.line, "timestamp", f"overlaps the interval of {before.path}:{before.line}")
            )
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.path, p.line or 0)))
    if not ordered:
        return ImportCounts(0, 0, 0)
    with write_transaction(db):
        stored = overlapping(db, kind, name, ordered[0].start_s, max(row.end_s for row in ordered))
        ends = [row[1] for row in stored]
        new: list[tuple[str, int, int, int]] = []
        stale: set[int] = set()
        unchanged = replaced = 0
        for row in ordered:
            index = bisect_right(ends, row.start_s)
            hits = []
            while index < len(stored) and stored[index][0] < row.end_s:
                hits.append(stored[index])
                index += 1
            if hits == [(row.start_s, row.end_s, row.value_micro)]:
                unchanged += 1
                continue
            if hits:
                if not replace:
                    start, end, value = hits[0]
                    problems.append(
                        Problem(
                            row.path,
                            row.line,
                            kind.field,
                            f"conflicts with the stored {kind.describe(value, name)} for "
                            f"{iso(start, UTC_ZONE)} to {iso(end, UTC_ZONE)}; --replace overwrites it",
                        )
                    )
                    continue
                stale.update(hit[0] for hit in hits)
                replaced += 1
            new.append((name, row.start_s, row.end_s, row.value_micro))
        if problems:
            raise InputError(problems)
        db.executemany(
            f"DELETE FROM {kind.table} WHERE {kind.name_column} = ? AND start_s = ?", [(name, s) for s in stale]
        )
        db.executemany(
            f"INSERT INTO {kind.table} ({kind.name_column}, start_s, end_s, {kind.value_column}) VALUES (?, ?, ?, ?)",
            new,
        )
    return ImportCounts(len(new) - replaced, unchanged + copies, replaced)


def overlapping(db: Database, kind: SeriesTable, name: str, start_s: int, end_s: int) -> list[tuple[int, int, int]]:
    """The stored (start_s, end_s, value) of a series overlapping [start_s, end_s), by start.

    Intervals never overlap, so the only one starting before the span that can reach into it is the
    last to start at or before the span's start: seek there along the key instead of scanning the
    series' history for `end_s > start`.
    """
    sql = (
        f"SELECT start_s, end_s, {kind.value_column} FROM {kind.table} WHERE {kind.name_column} = ? AND start_s >= "
        f"coalesce((SELECT max(start_s) FROM {kind.table} WHERE {kind.name_column} = ? AND start_s <= ?), ?) "
        "AND start_s < ? AND end_s > ? ORDER BY start_s"
    )
    rows = db.execute(sql, [name, name, start_s, start_s, end_s, start_s])
    return [(int(row[0]), int(row[1]), int(row[2])) for row in rows]


def series_summaries(db: Database, kind: SeriesTable) -> list[tuple[str, int, int, int, int, int, Decimal]]:
    """Per stored series, by name: (name, intervals, first start_s, last end_s, lowest value, highest
    value, time-weighted mean value), values in millionths of their unit as stored."""
    value = kind.value_column
    rows = db.execute(
        f"SELECT {kind.name_column}, count(*), min(start_s), max(end_s), min({value}), max({value}), "
        f"sum({value} * (end_s - start_s)), sum(end_s - start_s) FROM {kind.table} "
        f"GROUP BY {kind.name_column} ORDER BY {kind.name_column}"
    ).fetchall()
    return [
        (name, count, first, last, low, high, Decimal(weighted) / seconds)
        for name, count, first, last, low, high, weighted, seconds in rows
    ]
