"""Wholesale prices and coincident peaks in SQLite: writes in one transaction, queries returning plain data.

A market's price series is a set of non-overlapping intervals [start_s, end_s) keyed by
(market, start_s), each at an exact price in integer micro-USD per MWh. The engine asks for the
prices over a span (`price_intervals`) and, before it bills, for the first instant of the span that
no price covers (`first_unpriced`), so an unpriced span is an error and never priced at zero.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.db import Database
from elecost.errors import InputError, Problem
from elecost.instants import iso
from elecost.prices import PriceRow, usd_per_mwh
from elecost.series_store import ImportCounts, SeriesTable, import_intervals, series_summaries
from elecost.store import write_transaction

UTC_ZONE = ZoneInfo("UTC")


def _describe_price(price_uusd_per_mwh: int, market: str) -> str:
    return f"{usd_per_mwh(price_uusd_per_mwh).normalize():f} $/MWh of {market!r}"


PRICES = SeriesTable("prices", "market", "price_uusd_per_mwh", "price", _describe_price)


def import_prices(db: Database, market: str, rows: Sequence[PriceRow], *, replace: bool) -> ImportCounts:
    """Store a market's price intervals, all or none (the rules of `series_store.import_intervals`):
    re-imports change nothing, a conflicting price is refused unless `replace`."""
    return import_intervals(db, PRICES, market, rows, replace=replace)


def price_intervals(db: Database, market: str, start_s: int, end_s: int) -> list[tuple[int, int, Decimal]]:
    """The market's prices over [start_s, end_s): (start_s, end_s, USD per MWh) sorted, clipped to
    the span; an instant no price covers is simply absent (see `first_unpriced`)."""
    rows = _overlapping(db, market, start_s, end_s)
    return [(max(start, start_s), min(end, end_s), usd_per_mwh(price)) for start, end, price in rows]


# Intervals never overlap, so the only one starting before the span that can reach into it is the
# last to start at or before the span's start: seek there along the key instead of scanning the
# market's history for `end_s > start`.
_OVERLAPPING = (
    "SELECT start_s, end_s, price_uusd_per_mwh FROM prices WHERE market = ?1 AND start_s >= "
    "coalesce((SELECT max(start_s) FROM prices WHERE market = ?1 AND start_s <= ?2), ?2) "
    "AND start_s < ?3 AND end_s > ?2 ORDER BY start_s"
)


def _overlapping(db: Database, market: str, start_s: int, end_s: int) -> list[tuple[int, int, int]]:
    """The stored (start_s, end_s, price [micro-USD per MWh]) of a market overlapping [start_s, end_s)."""
    return [(row[0], row[1], row[2]) for row in db.execute(_OVERLAPPING, [market, start_s, end_s])]


def first_unpriced(db: Database, market: str, start_s: int, end_s: int) -> int | None:
    """The first instant of [start_s, end_s) that no price of the market covers; None if all are."""
    covered_to = start_s
    for start, end, _ in price_intervals(db, market, start_s, end_s):
        if start > covered_to:
            return covered_to
        covered_to = max(covered_to, end)
    return covered_to if covered_to < end_s else None


def latest_price(db: Database, market: str, at_s: int) -> tuple[int, int, Decimal] | None:
    """The market's price interval in force at `at_s`, else the latest one starting before it."""
    row = db.execute(
        "SELECT start_s, end_s, price_uusd_per_mwh FROM prices WHERE market = ? AND start_s <= ? "
        "ORDER BY start_s DESC LIMIT 1",
        [market, at_s],
    ).fetchone()
    return (int(row[0]), int(row[1]), Decimal(row[2]) / 1_000_000) if row else None


def priced_until(db: Database, market: str) -> int | None:
    """The end of the market's last price: `record` can price up to here and no further."""
    row = db.execute("SELECT max(end_s) FROM prices WHERE market = ?", [market]).fetchone()
    return None if row[0] is None else int(row[0])


def markets(db: Database) -> list[str]:
    """The names of the stored markets."""
    return [row[0] for row in db.execute("SELECT DISTINCT market FROM prices ORDER BY market")]


@dataclass(frozen=True)
class MarketSummary:
    """A stored series at a glance: how many intervals, the time they span, and the price range."""

    market: str
    intervals: int
    first_s: int
    last_s: int
    min_usd_per_mwh: Decimal
    avg_usd_per_mwh: Decimal  # time-weighted
    max_usd_per_mwh: Decimal


def market_summaries(db: Database) -> list[MarketSummary]:
    """One summary per stored market, by name."""
    return [
        MarketSummary(market, count, first, last, usd_per_mwh(low), mean.scaleb(-6), usd_per_mwh(high))
        for market, count, first, last, low, high, mean in series_summaries(db, PRICES)
    ]


# --- coincident peaks ------------------------------------------------------------------------


@dataclass(frozen=True)
class PeakRow:
    """One peak interval of a peaks file."""

    path: str
    line: int
    start_s: int
    end_s: int


def import_peaks(db: Database, name: str, rows: Sequence[PeakRow], *, replace: bool = False) -> ImportCounts:
    """Store a named set of peak intervals, all or none; a peak stored as given changes nothing,
    one that overlaps a stored peak otherwise is refused, unless `replace`, which deletes those."""
    problems: list[Problem] = []
    ordered = sorted(rows, key=lambda row: (row.start_s, row.line))
    for before, after in itertools.pairwise(ordered):
        if after.start_s < before.end_s:
            problems.append(Problem(after.path, after.line, "timestamp", f"overlaps the peak of line {before.line}"))
    with write_transaction(db):
        stored = db.execute("SELECT start_s, end_s FROM peaks WHERE name = ? ORDER BY start_s", [name]).fetchall()
        new = []
        stale: set[int] = set()
        unchanged = replaced = 0
        for row in ordered:
            hits = [(start, end) for start, end in stored if start < row.end_s and end > row.start_s]
            if hits == [(row.start_s, row.end_s)]:
                unchanged += 1
            elif hits and replace:
                stale.update(start for start, _ in hits)
                replaced += 1
                new.append((name, row.start_s, row.end_s))
            elif hits:
                start, end = hits[0]
                problems.append(
                    Problem(
                        row.path,
                        row.line,
                        "timestamp",
                        f"overlaps the stored peak {iso(start, UTC_ZONE)} to {iso(end, UTC_ZONE)} of {name!r}; "
                        "--replace overwrites it",
                    )
                )
            else:
                new.append((name, row.start_s, row.end_s))
        if problems:
            raise InputError(problems)
        db.executemany("DELETE FROM peaks WHERE name = ? AND start_s = ?", [(name, start) for start in stale])
        db.executemany("INSERT INTO peaks (name, start_s, end_s) VALUES (?, ?, ?)", new)
    return ImportCounts(len(new) - replaced, unchanged, replaced)


def peak_intervals(db: Database, name: str | None = None) -> list[tuple[str, int, int]]:
    """(name, start_s, end_s) of the stored peaks (of one set, or all), by name and time."""
    if name is None:
        rows = db.execute("SELECT name, start_s, end_s FROM peaks ORDER BY name, start_s")
    else:
        rows = db.execute("SELECT name, start_s, end_s FROM peaks WHERE name = ? ORDER BY start_s", [name])
    return [(row[0], row[1], row[2]) for row in rows]


def reading_locations(db: Database) -> list[str]:
    """The locations that have readings or miners."""
    return [row[0] for row in db.execute("SELECT DISTINCT location FROM miners ORDER BY location")]
