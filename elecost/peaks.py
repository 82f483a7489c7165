"""System coincident peaks (e.g. ERCOT's 4CP): peak files, the site's load in each peak, and its charge.

A coincident-peak charge bills, each month, `usd_per_kw` times the mean over a year's peaks of the
site's average kW in each peak interval (contract section 7). So each peak adds
`usd_per_kw x site_kw / peaks in its year` to every month's bill: what one missed curtailment costs.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.db import Database
from elecost.errors import InputError, Problem
from elecost.instants import parse_instant
from elecost.price_store import PeakRow, peak_intervals
from elecost.store import stored_milli_loads

DEFAULT_INTERVAL_MINUTES = 15


def read_peaks(source: str, lines: Iterable[str], zone: ZoneInfo | None = None) -> list[PeakRow]:
    """Parse a peaks CSV: `timestamp` or `interval_start` (each a peak interval's start) and an
    optional `interval_minutes` (default 15). InputError with every bad row."""
    reader = csv.DictReader(line.removeprefix("\ufeff") for line in lines)
    fields = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = fields
    column = "interval_start" if "interval_start" in fields else "timestamp" if "timestamp" in fields else None
    if column is None:
        raise InputError([Problem(source, 1, "header", f"needs a timestamp or interval_start column, got {fields}")])
    rows, problems = [], []
    for line, values in enumerate(reader, start=2):
        text = (values.get(column) or "").strip()
        if not text:
            continue
        try:
            start = parse_instant(text, zone)
        except ValueError as exc:
            problems.append(Problem(source, line, column, str(exc)))
            continue
        minutes_text = (values.get("interval_minutes") or "").strip()
        minutes = int(minutes_text) if minutes_text.isdigit() else DEFAULT_INTERVAL_MINUTES if not minutes_text else 0
        if minutes <= 0:
            problems.append(Problem(source, line, "interval_minutes", f"must be a whole number > 0: {minutes_text!r}"))
            continue
        rows.append(PeakRow(source, line, start, start + minutes * 60))
    if problems:
        raise InputError(problems)
    return rows


@dataclass(frozen=True)
class PeakLoad:
    """A peak interval and the site's average power in it; `no_readings` when nothing was read there
    (the site then counts as 0 kW, which the report flags)."""

    name: str
    start_s: int
    end_s: int
    site_kw: Decimal
    no_readings: bool


def site_kw(db: Database, location: str, start_s: int, end_s: int) -> tuple[Decimal, bool]:
    """The site's average power [kW] over [start_s, end_s), and whether no reading covers any of it.

    The site is its meter (miner '') where the meter has readings in the span, else the sum of its
    miners. Time no reading covers counts as 0 kW.
    """
    loads = stored_milli_loads(db, location, start_s, end_s)
    used: dict[str, int] = {}  # miner -> milliwatt-seconds inside the span, for those with any
    for miner, intervals in loads.items():
        for start, end, power_mw in intervals:
            overlap = min(end, end_s) - max(start, start_s)
            if overlap > 0:
                used[miner] = used.get(miner, 0) + power_mw * overlap
    milli_ws = used[""] if "" in used else sum(used.values())
    return Decimal(milli_ws) / (end_s - start_s) / 1_000_000, not used


def peak_loads(db: Database, location: str, name: str | None = None) -> list[PeakLoad]:
    """Each stored peak (of one named set, or all) with the site's average kW in it."""
    return [
        PeakLoad(peak, start, end, *site_kw(db, location, start, end)) for peak, start, end in peak_intervals(db, name)
    ]


def peak_year(start_s: int, zone: ZoneInfo) -> int:
    """The calendar year (local) a peak belongs to."""
    return datetime.fromtimestamp(start_s, UTC).astimezone(zone).year


def usd_per_month(peaks: Sequence[PeakLoad], usd_per_kw: Decimal | None, zone: ZoneInfo) -> list[Decimal | None]:
    """What each peak adds to every monthly bill of the coming year [USD]: usd_per_kw x site_kw /
    the number of peaks of its set in its year (the charge bills their mean). None without a rate."""
    if usd_per_kw is None:
        return [None] * len(peaks)
    counts = Counter((peak.name, peak_year(peak.start_s, zone)) for peak in peaks)
    return [usd_per_kw * peak.site_kw / counts[(peak.name, peak_year(peak.start_s, zone))] for peak in peaks]


@dataclass(frozen=True)
class CoincidentDemand:
    """What a coincident-peak charge bills in a period: the mean site kW over one year's peaks."""

    year: int
    peaks: tuple[PeakLoad, ...]

    @property
    def mean_kw(self) -> Decimal:
        return sum((peak.site_kw for peak in self.peaks), Decimal(0)) / len(self.peaks)


def billing_year_peaks(peaks: Sequence[PeakLoad], period_start_s: int, zone: ZoneInfo) -> CoincidentDemand | None:
    """The peaks a billing period starting at `period_start_s` is billed on: those of the latest
    calendar year (local) whose peaks all end by then (contract section 7); None if no year has."""
    by_year: dict[int, list[PeakLoad]] = {}
    for peak in peaks:
        by_year.setdefault(peak_year(peak.start_s, zone), []).append(peak)
    done = [year for year, members in by_year.items() if all(p.end_s <= period_start_s for p in members)]
    if not done:
        return None
    year = max(done)
    return CoincidentDemand(year, tuple(sorted(by_year[year], key=lambda p: p.start_s)))


def coincident_demand(
    db: Database, location: str, name: str, period_start_s: int, zone: ZoneInfo
) -> CoincidentDemand | None:
    """The site's coincident-peak demand for a billing period starting at `period_start_s`: the
    named set's peaks of the latest complete year, each with the site's kW from stored readings."""
    chosen = billing_year_peaks(
        [PeakLoad(peak, start, end, Decimal(0), True) for peak, start, end in peak_intervals(db, name)],
        period_start_s,
        zone,
    )
    if chosen is None:
        return None
    loads = tuple(
        PeakLoad(p.name, p.start_s, p.end_s, *site_kw(db, location, p.start_s, p.end_s)) for p in chosen.peaks
    )
    return CoincidentDemand(chosen.year, loads)
