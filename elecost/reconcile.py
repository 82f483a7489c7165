"""The utility's meter against the miners: where the kWh (and the money) go that no miner reports.

An operator's bill is computed from the meter; the miners' own power figures miss PSU losses,
fans, transformers, cooling and lights. With whole-meter readings stored beside the miners', this
compares them per local day and per billing period (kWh, % and USD: the site's overhead), names
the days they diverge most and the spans where only one side has readings, and compares a
utility bill's own figures with what elecost computes from the meter data.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from elecost.bills import bills
from elecost.db import Database
from elecost.errors import InputError, Problem, UsageError
from elecost.overhead import allocates_overhead, own_miner_usd
from elecost.rownames import SITE_OVERHEAD
from elecost.store import active_rate, query_cost_rows, stored_milli_loads
from elecost.tariffs.periods import billing_periods, local_date, local_days
from elecost.tariffs.usage import MILLIWATT_SECONDS_PER_KWH, MilliLoad

ZERO = Decimal(0)
DIVERGING_DAYS = 5


@dataclass(frozen=True)
class Split:
    """One span's meter against its miners: kWh and USD (the overhead is the difference)."""

    label: str
    meter_kwh: Decimal
    miners_kwh: Decimal
    meter_usd: Decimal
    miners_usd: Decimal

    @property
    def overhead_kwh(self) -> Decimal:
        return self.meter_kwh - self.miners_kwh

    @property
    def overhead_usd(self) -> Decimal:
        return self.meter_usd - self.miners_usd

    @property
    def overhead_pct(self) -> Decimal | None:
        """The overhead as a share of the meter's kWh [%]; None where the meter read nothing."""
        return self.overhead_kwh / self.meter_kwh * 100 if self.meter_kwh else None


@dataclass(frozen=True)
class BillCheck:
    """A utility bill's own figures against what elecost computes for its period from the meter."""

    start_s: int
    end_s: int
    bill_kwh: Decimal | None
    bill_usd: Decimal | None
    computed_kwh: Decimal
    computed_usd: Decimal

    @property
    def usd_apart_pct(self) -> Decimal | None:
        return (self.computed_usd - self.bill_usd) / self.bill_usd * 100 if self.bill_usd else None

    @property
    def kwh_apart_pct(self) -> Decimal | None:
        return (self.computed_kwh - self.bill_kwh) / self.bill_kwh * 100 if self.bill_kwh else None


@dataclass(frozen=True)
class Reconciliation:
    """A location's meter against its miners over [start_s, end_s)."""

    location: str
    zone: ZoneInfo
    start_s: int
    end_s: int
    days: list[Split]
    periods: list[Split]
    meter_only: list[tuple[int, int]]  # spans with meter readings and none from any miner
    miners_only: list[tuple[int, int]]  # spans with miners' readings and none from the meter
    bills: list[BillCheck] = field(default_factory=list)

    @property
    def total(self) -> Split:
        return _add("total", self.days)

    @property
    def diverging(self) -> list[Split]:
        """The days whose overhead share is furthest from the span's, most first."""
        usual = self.total.overhead_pct or ZERO
        measured = [d for d in self.days if d.overhead_pct is not None]
        return sorted(measured, key=lambda d: -abs((d.overhead_pct or ZERO) - usual))[:DIVERGING_DAYS]


def reconcile(
    db: Database,
    start_s: int,
    end_s: int,
    location: str | None = None,
    bill_figures: Sequence[tuple[int, int, Decimal | None, Decimal | None]] = (),
) -> Reconciliation:
    """The meter against the miners over [start_s, end_s), and each given bill (start, end, kWh, USD)
    against elecost's bill of its period. Needs whole-meter readings (miner '') beside the miners'."""
    if end_s <= start_s:
        raise UsageError("--to must be after --from")
    tariff = active_rate(db, location)
    zone = ZoneInfo(tariff.timezone)
    loads = stored_milli_loads(db, tariff.location, start_s, end_s)
    if not any(loads.get("", [])) or not any(rows for name, rows in loads.items() if name):
        raise UsageError(
            f"reconciling {tariff.location!r} needs the meter's readings (miner '': utility data, "
            "`readings import` of Green Button or interval CSVs) and the miners' readings over the span"
        )
    end_s = min(end_s, max(rows[-1][1] for rows in loads.values() if rows))  # to the end of the readings
    meter = _clip(loads[""], start_s, end_s)
    miners = [_clip(rows, start_s, end_s) for name, rows in loads.items() if name]
    usd = _usd_by_row(query_cost_rows(db, start_s, end_s, location=tariff.location))
    if allocates_overhead(db, tariff.location):  # the miners' rows hold the overhead: their own cost, priced again
        usd = [row for row in usd if row[1]] + [
            (at, False, amount) for at, amount in own_miner_usd(db, tariff, start_s, end_s)
        ]
    if not usd:
        raise UsageError(f"no cost rows at {tariff.location!r} in that span; run `elecost record` first")
    days = [
        _split(day_start, day_end, local_date(zone, day_start).isoformat(), meter, miners, usd)
        for day_start, day_end in local_days(zone, start_s, end_s)
    ]
    periods = [
        _split(max(low, start_s), min(high, end_s), local_date(zone, low).isoformat(), meter, miners, usd)
        for low, high in billing_periods(zone, tariff.billing_cycle_day, start_s, end_s)
    ]
    meter_spans = _union([(a, b) for a, b, _ in meter])
    miner_spans = _union([(a, b) for rows in miners for a, b, _ in rows])
    checks = [_check(db, tariff.location, figures) for figures in bill_figures]
    return Reconciliation(
        tariff.location,
        zone,
        start_s,
        end_s,
        days,
        periods,
        _minus(meter_spans, miner_spans),
        _minus(miner_spans, meter_spans),
        checks,
    )


def _clip(rows: Sequence[MilliLoad], low: int, high: int) -> list[MilliLoad]:
    return [(max(a, low), min(b, high), p) for a, b, p in rows if b > low and a < high]


def _kwh(rows: Iterable[MilliLoad], low: int, high: int) -> Decimal:
    energy = sum(p * (min(b, high) - max(a, low)) for a, b, p in rows if b > low and a < high)
    return Decimal(energy) / MILLIWATT_SECONDS_PER_KWH


def _usd_by_row(rows: Iterable[dict[str, object]]) -> list[tuple[int, bool, Decimal]]:
    """(hour start, is the meter's row, USD) of each cost row, overhead rows left out."""
    return [
        (int(str(row["period_start_s"])), row["miner_ip"] == "", Decimal(repr(row["total_cost_usd"])))
        for row in rows
        if row["miner_ip"] != SITE_OVERHEAD
    ]


def _split(
    low: int,
    high: int,
    label: str,
    meter: Sequence[MilliLoad],
    miners: Sequence[Sequence[MilliLoad]],
    usd: Sequence[tuple[int, bool, Decimal]],
) -> Split:
    meter_usd = sum((amount for at, is_meter, amount in usd if is_meter and low <= at < high), ZERO)
    miners_usd = sum((amount for at, is_meter, amount in usd if not is_meter and low <= at < high), ZERO)
    miners_kwh = sum((_kwh(rows, low, high) for rows in miners), ZERO)
    return Split(label, _kwh(meter, low, high), miners_kwh, meter_usd, miners_usd)


def _add(label: str, parts: Sequence[Split]) -> Split:
    return Split(
        label,
        sum((p.meter_kwh for p in parts), ZERO),
        sum((p.miners_kwh for p in parts), ZERO),
        sum((p.meter_usd for p in parts), ZERO),
        sum((p.miners_usd for p in parts), ZERO),
    )


def _union(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for low, high in sorted(spans):
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def _minus(spans: Sequence[tuple[int, int]], holes: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of sorted, disjoint `spans` outside sorted, disjoint `holes`."""
    out = []
    for low, high in spans:
        at = low
        for hole_low, hole_high in holes:
            if hole_high <= at or hole_low >= high:
                continue
            if hole_low > at:
                out.append((at, hole_low))
            at = max(at, hole_high)
        if at < high:
            out.append((at, high))
    return out


def _check(db: Database, location: str, figures: tuple[int, int, Decimal | None, Decimal | None]) -> BillCheck:
    start, end, bill_kwh, bill_usd = figures
    ours = [record for _, record in bills(db, start, end, location)]
    kwh = sum((r.energy_kwh for r in ours), ZERO)
    usd = sum((r.total_cost_usd for r in ours), ZERO)
    return BillCheck(start, end, bill_kwh, bill_usd, kwh, usd)


def read_bill_figures(path: Path, zone: ZoneInfo) -> list[tuple[int, int, Decimal | None, Decimal | None]]:
    """Past utility bills from a CSV (`period_start,period_end,kwh,usd`; dates are local midnight,
    the end excluded; kwh or usd may be empty). Every bad row is a problem; InputError lists them."""
    from elecost.instants import parse_instant

    source, out, problems = str(path), [], []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"period_start", "period_end", "kwh", "usd"} - set(reader.fieldnames or [])
            if missing:
                raise InputError([Problem(source, 1, "", f"the header must name {', '.join(sorted(missing))}")])
            for row in reader:
                line = reader.line_num
                try:
                    start = parse_instant(row["period_start"], zone)
                    end = parse_instant(row["period_end"], zone)
                except ValueError as exc:
                    problems.append(Problem(source, line, "period_start/period_end", str(exc)))
                    continue
                figures = []
                for key in ("kwh", "usd"):
                    text = (row[key] or "").strip()
                    try:
                        figures.append(Decimal(text) if text else None)
                    except ArithmeticError:
                        problems.append(Problem(source, line, key, f"not a number: {text!r}"))
                        figures.append(None)
                if end <= start:
                    problems.append(Problem(source, line, "period_end", "must be after period_start"))
                out.append((start, end, figures[0], figures[1]))
    except OSError as exc:
        raise InputError([Problem(source, None, "", f"cannot read: {exc}")]) from exc
    if problems:
        raise InputError(problems)
    return out
