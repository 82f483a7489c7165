"""Cost rows -> listings and summaries (totals, groups, run rate). Data only; the CLI renders it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.db import Database
from elecost.errors import UsageError
from elecost.rollups import meter_days, miner_line_sums, miner_sums
from elecost.rownames import miner_labels
from elecost.store import cost_records, cost_totals, query_cost_rows, stored_decimal
from elecost.tariffs.charges import Line
from elecost.tariffs.records import CostRecord, combine

GROUPINGS = ("day", "miner", "location", "period")
RUN_RATE_S = 7 * 86_400  # the run rate is the cost per hour over the last 7 days of rows


@dataclass(frozen=True)
class Summary:
    """Totals over a span, groups by the chosen key, and the cost per day at the current run rate."""

    total: CostRecord
    groups: list[CostRecord]
    group_labels: list[str]
    daily_cost_usd: Decimal
    monthly_cost_usd: Decimal


def cost_rows(
    db: Database, start_s: int, end_s: int, *, miner: str | None = None, location: str | None = None
) -> list[CostRecord]:
    """Cost rows in [start_s, end_s): the meter's, or one miner's."""
    rows = query_cost_rows(db, start_s, end_s, miner=miner, location=location, meter_only=miner is None)
    return cost_records(db, rows)


def cost_summary(
    db: Database,
    start_s: int,
    end_s: int,
    *,
    by: str = "day",
    miner: str | None = None,
    location: str | None = None,
    zone: ZoneInfo | None = None,
    group_lines: bool = True,
) -> Summary:
    """Totals of the cost rows in [start_s, end_s), grouped by day, miner, location or TOU period.

    Totals come from the meter rows (or one miner's rows); `by="miner"` groups the miner rows.
    Days are local days in `zone` (UTC if none). Without `group_lines`, the miners' groups come
    without their lines (a table shows none; a fleet's are most of the summary's reading).
    """
    if by not in GROUPINGS:
        raise UsageError(f"--by: must be one of {', '.join(GROUPINGS)}, client, got {by!r}")  # client: elecost.clients
    zone = zone or ZoneInfo("UTC")
    covered: dict[int, tuple[int, int]] = {}
    if miner is None:
        records, covered = meter_records(db, start_s, end_s, location, zone if by == "day" else None)
    else:
        records = cost_rows(db, start_s, end_s, miner=miner, location=location)
    if not records:
        raise UsageError("no cost rows in that span; import readings and run `elecost record` first")
    total = replace(combine(records), miner_ip=miner)  # spans the rows: the time costs were recorded
    if len({r.location for r in records}) > 1:
        total = replace(total, location="(all)", rate_name="(several)")
    if by == "miner":
        groups = miner_totals(db, start_s, end_s, location, group_lines) or _group(records, lambda r: "(whole meter)")
    elif by == "location":
        groups = _group(records, lambda r: r.location)
    elif by == "day":
        groups = _group(
            records, lambda r: datetime.fromtimestamp(r.period_start_s, UTC).astimezone(zone).date().isoformat()
        )
    else:
        groups = _by_period(total)
    daily = _daily_run_rate(db, records, covered)
    return Summary(total, [g for _, g in groups], [label for label, _ in groups], daily, daily * 30)


def _group(records: Sequence[CostRecord], key: Callable[[CostRecord], str]) -> list[tuple[str, CostRecord]]:
    buckets: dict[str, list[CostRecord]] = defaultdict(list)
    for record in records:
        buckets[key(record)].append(record)
    return [(label, replace(combine(rows), miner_ip=rows[0].miner_ip)) for label, rows in sorted(buckets.items())]


def _by_period(total: CostRecord) -> list[tuple[str, CostRecord]]:
    """One record per TOU period name: its energy lines (charges other than energy stay with the total)."""
    zero = Decimal(0)
    out = []
    for name, cost in total.tou_breakdown_usd.items():
        lines = [line for line in total.lines if line.charge == "energy" and line.period == name]
        kwh = sum((line.quantity for line in lines), zero)
        out.append(
            (
                name,
                replace(
                    total,
                    energy_kwh=kwh,
                    energy_cost_usd=cost,
                    demand_charge_usd=zero,
                    service_charge_usd=zero,
                    lines=lines,
                ),
            )
        )
    if not out:
        raise UsageError("--by period needs a time-of-use rate: these cost rows have no TOU periods")
    return out


def _daily_run_rate(db: Database, records: Sequence[CostRecord], covered: dict[int, tuple[int, int]]) -> Decimal:
    """Cost per day at the rate of the last 7 days of rows (by their covered hours).

    `covered`: for the records that are whole days of rollups (by index), the day's end and covered
    seconds; a day the 7 days start inside is read from its rows from there."""
    newest = max(r.period_end_s for r in records)
    since = newest - RUN_RATE_S
    usd, seconds = Decimal(0), 0
    for index, record in enumerate(records):
        day = covered.get(index)
        if record.period_start_s >= since:
            usd += record.total_cost_usd
            seconds += day[1] if day else record.period_end_s - record.period_start_s
        elif day is not None and record.period_end_s > since:
            part_usd, part_s = cost_totals(db, since, day[0], location=record.location)
            usd, seconds = usd + part_usd, seconds + part_s
    if not seconds:
        return Decimal(0)
    return usd * 86_400 / seconds


def meter_records(
    db: Database, start_s: int, end_s: int, location: str | None, zone: ZoneInfo | None = None
) -> tuple[list[CostRecord], dict[int, tuple[int, int]]]:
    """The meters' records over [start_s, end_s), oldest first: one per whole local day from the daily
    rollups, the hours at the span's edges from the cost rows, so a month's summary reads 30 days,
    not 720 rows and their lines. With `zone`, only when every rolled-up day is a day of that zone
    (a summary by date must group as the rows would); else the rows.

    Also, by index of a day's record, its end and covered seconds (for the run rate)."""
    days, day_lines, edges = meter_days(db, start_s, end_s, location)
    if zone is not None and any(not _is_local_day(zone, row[1], row[2]) for row in days):
        return cost_rows(db, start_s, end_s, location=location), {}
    records: list[tuple[tuple[int, str], CostRecord, tuple[int, int] | None]] = []
    for place, low, high in edges:
        for record in cost_rows(db, low, high, location=place):
            records.append(((record.period_start_s, place), record, None))
    for place, day_start, day_end, rate_name, first, last, kwh, peak, energy, demand, service, seconds in days:
        lines = [
            Line(charge, label, stored_decimal(quantity), unit, stored_decimal(usd), part, period, tier)
            for charge, label, unit, part, period, tier, quantity, usd in day_lines.get((place, day_start), [])
        ]
        record = _summed(rate_name, place, None, first, last, (kwh, peak, energy, demand, service), lines)
        records.append(((first, place), record, (day_end, seconds)))
    records.sort(key=lambda item: item[0])
    covered = {index: day for index, (_, _, day) in enumerate(records) if day is not None}
    return [record for _, record, _ in records], covered


def _summed(
    rate_name: str,
    location: str,
    miner_ip: str | None,
    first_s: int,
    last_s: int,
    amounts: tuple[float, float, float, float, float],
    lines: list[Line],
) -> CostRecord:
    """A cost record of sums the store added up in floats (rollups, a miner's totals): kWh, peak kW,
    energy, demand and service USD, each exact as the float it is."""
    kwh, peak, energy, demand, service = (stored_decimal(amount) for amount in amounts)
    return CostRecord(
        rate_name=rate_name,
        location=location,
        miner_ip=miner_ip,
        period_start_s=first_s,
        period_end_s=last_s,
        energy_kwh=kwh,
        peak_power_kw=peak,
        energy_cost_usd=energy,
        demand_charge_usd=demand,
        service_charge_usd=service,
        lines=lines,
    )


def _is_local_day(zone: ZoneInfo, start_s: int, end_s: int) -> bool:
    start = datetime.fromtimestamp(start_s, UTC).astimezone(zone)
    end = datetime.fromtimestamp(end_s, UTC).astimezone(zone)
    return start.time() == end.time() == time(0) and (end.date() - start.date()).days == 1


def export_rows(db: Database, start_s: int | None, end_s: int | None) -> list[CostRecord]:
    """Every cost row (meters and miners) starting in [start_s, end_s), oldest first."""
    rows = query_cost_rows(db, start_s if start_s is not None else -(2**62), end_s if end_s is not None else 2**62)
    return cost_records(db, rows)


def miner_totals(
    db: Database, start_s: int, end_s: int, location: str | None, with_lines: bool = True
) -> list[tuple[str, CostRecord]]:
    """Each miner's totals over [start_s, end_s), added up by SQLite: a fleet has many rows. A name
    found at several locations is a miner at each (`rownames.miner_labels`); the groups come
    location by location.

    Whole local days come from the daily rollups `record` keeps, only the hours at the span's
    edges from the rows: a month's summary reads a day per miner, not 24 rows and their lines.
    """
    lines: dict[tuple[str, str], list[Line]] = {}
    sums = miner_line_sums(db, start_s, end_s, location) if with_lines else []
    for place, name, charge, label, unit, part, period, tier, quantity, usd in sums:
        line = Line(charge, label, stored_decimal(quantity), unit, stored_decimal(usd), part, period, tier)
        lines.setdefault((place, name), []).append(line)
    rows = miner_sums(db, start_s, end_s, location)
    labels = miner_labels((row[2], row[0]) for row in rows)
    groups = []
    for miner_ip, rate_name, place, first, last, kwh, peak, energy, demand, service in rows:
        amounts = (kwh, peak, energy, demand, service)
        record = _summed(rate_name, place, miner_ip, first, last, amounts, lines.get((place, miner_ip), []))
        groups.append((labels[(place, miner_ip)], record))
    return groups
