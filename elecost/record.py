"""Stored readings -> hourly cost rows per meter and per miner: what `elecost record` does.

Cron-safe by construction: everything happens in one write transaction, and rows are replaced,
never added to, so re-running changes nothing and two runs at once queue on the write lock (the
second finds no work). Imports note the span of the readings they changed; `record` redoes the
hours from just before that span to the end of its billing period, continuing tier blocks and
the period's peak from the rows already stored (a new peak rescales the earlier hours' share of
the demand charge). So a cron run after five more minutes of readings redoes an hour or so, not
the month. `--since/--until` redo whole billing periods from scratch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from elecost.store import (
    active_rates,
    cost_row,
    meter_peak,
    meter_so_far,
    rate_ids,
    reading_locations,
    reading_span,
    redo_from,
    replace_cost_rows,
    scale_demand,
    stored_milli_loads,
    take_dirty,
    take_repriced,
    write_transaction,
)
from elecost.tariffs.calc import clock_phase_s
from elecost.tariffs.hourly import HOUR_S, price_hours
from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import billing_periods

# A load can run past its reading by the miner's spacing: look that far into the next period.
SPILL_S = 86_400


@dataclass
class RecordResult:
    """Billing periods (re)computed, cost rows written, and locations left for want of an active rate."""

    periods: int = 0
    rows: int = 0
    without_rate: list[str] = field(default_factory=list)
    repriced: dict[str, str] = field(default_factory=dict)  # location -> why (its tariff changed)


def record_costs(db: Database, since_s: int | None = None, until_s: int | None = None) -> RecordResult:
    """Bring cost rows up to date with stored readings.

    With neither bound, only what changed since the last run is redone; with `since_s` and/or
    `until_s`, every billing period overlapping that range is redone from scratch as well.
    """
    result = RecordResult()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with write_transaction(db):
        result.repriced = take_repriced(db)  # their whole readings span is in `dirty` too
        work = {
            location: (redo_from(db, location, low, high), high) for location, (low, high) in take_dirty(db).items()
        }
        whole: dict[str, tuple[int, int]] = {}
        if since_s is not None or until_s is not None:
            for location in reading_locations(db):
                span = reading_span(db, location)
                if span is not None:
                    whole[location] = (
                        since_s if since_s is not None else span[0],
                        until_s if until_s is not None else span[1] + 1,
                    )
        rates = active_rates(db)
        ids = rate_ids(db)
        for location in sorted(work.keys() | whole.keys()):
            tariff = rates.get(location)
            if tariff is None:
                low, high = work.get(location) or whole[location]
                result.without_rate.append(location)
                db.execute("INSERT INTO dirty (location, start_s, end_s) VALUES (?, ?, ?)", [location, low, high])
                continue
            redo = _periods_to_redo(tariff, work.get(location), whole.get(location))
            for (period_start, period_end), from_s in sorted(redo.items()):
                rows = _record_period(db, tariff, period_start, period_end, from_s, ids.get(tariff.name), now)
                result.periods += bool(rows)
                result.rows += rows
    return result


def _periods_to_redo(
    tariff: Tariff, changed: tuple[int, int] | None, whole: tuple[int, int] | None
) -> dict[tuple[int, int], int]:
    """Billing period -> where in it to start redoing (its start: from scratch)."""
    zone = ZoneInfo(tariff.timezone)
    redo: dict[tuple[int, int], int] = {}
    if changed is not None:
        low, high = changed
        for period in billing_periods(zone, tariff.billing_cycle_day, low, high + SPILL_S):
            redo[period] = max(low, period[0])
    if whole is not None:
        for period in billing_periods(zone, tariff.billing_cycle_day, *whole):
            redo[period] = period[0]
    return redo


def _record_period(
    db: Database, tariff: Tariff, period_start: int, period_end: int, from_s: int, rate_id: int | None, now: str
) -> int:
    """Redo a billing period's rows from the local hour holding `from_s`; the number of rows written."""
    location = tariff.location
    zone = ZoneInfo(tariff.timezone)
    hour = from_s - (from_s + clock_phase_s(zone, from_s, HOUR_S)) % HOUR_S
    prior = meter_so_far(db, location, period_start, hour) if hour > period_start else None
    old_peak = meter_peak(db, location, period_start, period_end)
    if prior is None or (old_peak == 0 and tariff.demand_charge_usd_per_kw):
        hour, prior = period_start, None  # nothing to build on: the whole period
    loads = stored_milli_loads(db, location, hour, period_end)
    records = price_hours(tariff, loads, period_start, period_end, within=(hour, period_end), prior=prior)
    if prior is not None:
        new_peak = max([prior.peak_kw, *(r.peak_power_kw for r in records if r.miner_ip is None)])
        if new_peak != old_peak and tariff.demand_charge_usd_per_kw:
            scale_demand(db, location, period_start, hour, new_peak / old_peak)
    rows = [cost_row(r, period_start, rate_id, now) for r in records]
    replace_cost_rows(db, location, hour, period_end, rows)
    return len(rows)
