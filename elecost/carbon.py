"""Carbon intensity: series files -> intervals, and the kg CO2 of the recorded energy.

A carbon series is the generic series CSV `timestamp,gco2_per_kwh[,duration_s]` (the rules of a
generic price file: one parser, `prices.read_series`), stored per grid zone. A location's energy
is weighed with the zone it was bound to on import (`--location`); a location without a binding
uses the only zone when exactly one is stored, and none otherwise.

The CO2 of a cost row is its energy times the intensity of the interval(s) it covers, the row's
energy taken as spread evenly over its time (a row is an hour or less). The part of a row's
energy that no interval covers is not guessed: it is reported as kWh without intensity.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.carbon_store import carbon_zones, energy_rows, intensity_intervals, location_zones, period_energy_rows
from elecost.db import Database
from elecost.mining import ProfitRow
from elecost.prices import SeriesRow, parse_micro, read_series
from elecost.rownames import miner_labels

DAY_S = 86_400
ZERO = Decimal(0)


def parse_intensity(text: str) -> int:
    """gCO2 per kWh text -> integer micrograms per kWh; an intensity is never negative."""
    value = parse_micro(text)
    if value < 0:
        raise ValueError(f"must not be negative: {text.strip()!r}")
    return value


def read_carbon(source: str, lines: Iterable[str], zone: ZoneInfo | None = None) -> list[SeriesRow]:
    """Parse one carbon series file; InputError with every bad row (`path:line: field: message`)."""
    return read_series(source, lines, "gco2_per_kwh", zone, parse_intensity, "intensity")


@dataclass(frozen=True)
class Carbon:
    """The CO2 of some energy: grams from the energy an intensity covers, and the kWh it does not.

    `covered_s` is the time (summed over rows) that an intensity covers: what a rate per day of the
    covered energy divides by.
    """

    co2_g: Decimal = ZERO
    covered_kwh: Decimal = ZERO
    uncovered_kwh: Decimal = ZERO
    covered_s: int = 0

    @property
    def co2_kg(self) -> Decimal:
        return self.co2_g / 1000


class _Sums:
    """A group's running sums. Floats, as the kWh of the stored rows are (a fleet's month is most
    of a million rows); each group's sums become Decimals once, at the end."""

    __slots__ = ("covered_kwh", "covered_s", "grams", "uncovered_kwh")

    def __init__(self) -> None:
        self.grams = self.covered_kwh = self.uncovered_kwh = 0.0
        self.covered_s = 0

    def carbon(self) -> Carbon:
        grams, covered, uncovered = (
            Decimal(repr(value)) for value in (self.grams, self.covered_kwh, self.uncovered_kwh)
        )
        return Carbon(grams, covered, uncovered, self.covered_s)


class _Weights:
    """A zone's intervals over a span, and per row span (start, end) what one kWh of the row emits
    [g], the share of the row an intensity covers, and the seconds it covers: the rows of many
    miners share a span, so each span is worked out once."""

    def __init__(self, intervals: list[tuple[int, int, int]]) -> None:
        self.intervals = intervals
        self.starts = [start for start, _, _ in intervals]
        self.cache: dict[tuple[int, int], tuple[float, float, int]] = {}

    def of(self, start_s: int, end_s: int) -> tuple[float, float, int]:
        key = (start_s, end_s)
        found = self.cache.get(key)
        if found is None:
            micrograms = covered = 0  # exact integers: splitting an interval in two changes neither
            index = max(bisect_right(self.starts, start_s) - 1, 0)
            while index < len(self.intervals) and self.intervals[index][0] < end_s:
                begin, end, ug_per_kwh = self.intervals[index]
                overlap = min(end, end_s) - max(begin, start_s)
                if overlap > 0:
                    micrograms += ug_per_kwh * overlap
                    covered += overlap
                index += 1
            length = end_s - start_s
            found = (micrograms / 1e6 / length, covered / length, covered) if length > 0 else (0.0, 0.0, 0)
            self.cache[key] = found
        return found


def _tally(sums: _Sums, weights: _Weights | None, start_s: int, end_s: int, kwh: float) -> None:
    """Add a row's CO2 to a group's sums: its energy spread evenly over its time."""
    if weights is None:
        sums.uncovered_kwh += kwh
        return
    g_per_kwh, share, seconds = weights.of(start_s, end_s)
    covered = kwh * share
    sums.grams += kwh * g_per_kwh
    sums.covered_kwh += covered
    sums.uncovered_kwh += kwh - covered
    sums.covered_s += seconds


def co2_of_rows(rows: Iterable[tuple[int, int, float]], intervals: list[tuple[int, int, int]]) -> Carbon:
    """The CO2 of energy rows (start_s, end_s, kWh) under intensity intervals (start_s, end_s,
    micrograms CO2 per kWh; sorted, not overlapping). Pure: the calculation the reports use."""
    weights = _Weights(intervals)
    sums = _Sums()
    for start, end, kwh in rows:
        _tally(sums, weights, start, end, kwh)
    return sums.carbon()


def zone_of(location: str, bindings: dict[str, str], zones: Sequence[str]) -> str | None:
    """The zone whose intensity a location's energy has: its binding, else the only zone stored."""
    if location in bindings:
        return bindings[location]
    return zones[0] if len(zones) == 1 else None


class _Weigher:
    """Rows of the store -> each group's sums, each location's zone intervals read once."""

    def __init__(self, db: Database, start_s: int, end_s: int) -> None:
        self.db = db
        self.zones = carbon_zones(db)
        self.bindings = location_zones(db)
        self.span = (start_s, end_s)
        self.weights: dict[str, _Weights | None] = {}
        self.groups: dict[object, _Sums] = defaultdict(_Sums)

    def add(self, group: object, location: str, start_s: int, end_s: int, kwh: float) -> None:
        if location in self.weights:
            weights = self.weights[location]
        else:
            zone = zone_of(location, self.bindings, self.zones)
            # rows start in the span but may end after it: read up to a day past its end
            begin, end = self.span[0], self.span[1] + DAY_S
            weights = None if zone is None else _Weights(intensity_intervals(self.db, zone, begin, end))
            self.weights[location] = weights
        _tally(self.groups[group], weights, start_s, end_s, kwh)

    def carbon(self, group: object) -> Carbon:
        return self.groups[group].carbon()


@dataclass(frozen=True)
class CarbonSummary:
    """The CO2 of a summary's total and of each of its groups (by the summary's group labels)."""

    total: Carbon
    groups: dict[str, Carbon]


def summary_carbon(
    db: Database,
    start_s: int,
    end_s: int,
    *,
    by: str,
    miner: str | None = None,
    location: str | None = None,
    zone: ZoneInfo | None = None,
) -> CarbonSummary | None:
    """The CO2 of `summary`'s rows, grouped as `summary.cost_summary` groups them; None when no
    carbon series is stored (the summary then stays as it was, key for key).

    The total weighs the meters' rows (or one miner's); `by="miner"` each miner's rows (the whole
    meter when no miner has rows); `by="period"` the energy lines of each TOU period.
    """
    weigher = _Weigher(db, start_s, end_s)
    if not weigher.zones:
        return None
    zone = zone or ZoneInfo("UTC")
    total = ("total",)  # a key no group label can be
    rows = energy_rows(db, start_s, end_s, miners=False, miner=miner, location=location)
    for place, _, start, end, kwh in rows:
        weigher.add(total, place, start, end, kwh)
    if by == "period":
        for place, period, start, end, kwh in period_energy_rows(db, start_s, end_s, miner=miner, location=location):
            weigher.add(period, place, start, end, kwh)
    else:
        key: Callable[[str, str, int], str]
        if by == "miner":
            miner_rows = energy_rows(db, start_s, end_s, miners=True, location=location)
            labels = miner_labels((place, who) for place, who, *_ in miner_rows)
            rows, key = (
                (miner_rows, lambda place, who, _: labels[(place, who)])
                if miner_rows
                else (rows, lambda *_: "(whole meter)")
            )
        elif by == "location":
            key = lambda place, _, __: place  # noqa: E731
        else:
            key = lambda _, __, start: datetime.fromtimestamp(start, UTC).astimezone(zone).date().isoformat()  # noqa: E731
        for place, who, start, end, kwh in rows:
            weigher.add(key(place, who, start), place, start, end, kwh)
    groups = {label: weigher.carbon(label) for label in weigher.groups if isinstance(label, str)}
    return CarbonSummary(weigher.carbon(total), groups)


@dataclass(frozen=True)
class ProfitCarbon:
    """A profit row's CO2: kg a day (over the time an intensity covers its recorded energy), and kg
    per BTC mined (after the pool's fee), each None where it cannot be known."""

    co2_kg_per_day: Decimal | None
    co2_kg_per_btc: Decimal | None


def profit_carbon(
    db: Database, rows: Sequence[ProfitRow], start_s: int, end_s: int, btc_price_usd: Decimal | None
) -> dict[tuple[str | None, str], ProfitCarbon] | None:
    """Per profit row (by miner and location; miner None the location's row): its CO2 per day and
    per BTC; None when no carbon series is stored.

    A miner's kg a day come from its cost rows in [start_s, end_s) where an intensity covers them;
    a miner priced at nameplate (no rows) has none: its CO2 is not guessed. BTC mined a day is the
    revenue over the BTC price, so per BTC needs `--btc-price-usd`. A location's row adds up the
    miners that have a figure, and its kg per BTC is over those miners' BTC.
    """
    weigher = _Weigher(db, start_s, end_s)
    if not weigher.zones:
        return None
    for place, who, start, end, kwh in energy_rows(db, start_s, end_s, miners=True):
        weigher.add((who, place), place, start, end, kwh)
    by_miner = {key: weigher.carbon(key) for key in weigher.groups}
    out: dict[tuple[str | None, str], ProfitCarbon] = {}
    sums: dict[str, tuple[Decimal, Decimal]] = {}  # location -> kg a day, revenue a day of the miners with a figure
    for row in rows:
        if row.miner_ip is None:
            continue
        carbon = by_miner.get((row.miner_ip, row.location))
        if row.cost_source != "recorded" or carbon is None or not carbon.covered_s:
            out[(row.miner_ip, row.location)] = ProfitCarbon(None, None)
            continue
        per_day = carbon.co2_kg * DAY_S / carbon.covered_s
        out[(row.miner_ip, row.location)] = ProfitCarbon(
            per_day, _per_btc(per_day, row.revenue_usd_per_day, btc_price_usd)
        )
        kg, revenue = sums.get(row.location, (ZERO, ZERO))
        sums[row.location] = (kg + per_day, revenue + row.revenue_usd_per_day)
    for row in rows:
        if row.miner_ip is None:
            kg_revenue = sums.get(row.location)
            out[(None, row.location)] = (
                ProfitCarbon(kg_revenue[0], _per_btc(kg_revenue[0], kg_revenue[1], btc_price_usd))
                if kg_revenue
                else ProfitCarbon(None, None)
            )
    return out


def _per_btc(kg_per_day: Decimal, revenue_usd_per_day: Decimal, btc_price_usd: Decimal | None) -> Decimal | None:
    if btc_price_usd is None or not revenue_usd_per_day:
        return None
    return kg_per_day / (revenue_usd_per_day / btc_price_usd)
