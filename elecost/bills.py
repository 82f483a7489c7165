"""Bills from stored readings: one cost record per billing period and location, as the utility bills.

Works from readings directly (no `record` needed). A period is partial when `--from/--to` cut
it or the readings cover only part of it: it then runs from the first reading to the end of the
last, and pays the time-prorated share of the demand and service charges (contract section 4).

Where `record` has already priced a whole period with the active tariff and no readings have
changed since, the bill adds up the meter's hourly rows instead of pricing the readings again:
the same money (the rows add up to the bill by construction), without reading a fleet's month.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from elecost.context import pricing_context
from elecost.db import Database
from elecost.errors import UsageError
from elecost.store import (
    active_rate,
    active_rates,
    first_cost_row_s,
    reading_span,
    rows_are_current,
    stored_milli_loads,
)
from elecost.summary import meter_records
from elecost.tariffs.engine import bill_from_hours, bill_periods
from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import billing_periods
from elecost.tariffs.records import CostRecord


def bills(
    db: Database, from_s: int | None = None, to_s: int | None = None, location: str | None = None
) -> list[tuple[Tariff, CostRecord]]:
    """Each billing period's bill in [from_s, to_s), per location with an active rate and readings."""
    if from_s is not None and to_s is not None and to_s <= from_s:
        raise UsageError("--to must be after --from")
    tariffs = [active_rate(db, location)] if location is not None else list(active_rates(db).values())
    out: list[tuple[Tariff, CostRecord]] = []
    for tariff in sorted(tariffs, key=lambda t: t.location):
        span = reading_span(db, tariff.location)
        if span is None:
            continue
        first_row = first_cost_row_s(db, tariff.location)  # pruned periods keep their cost rows
        low = from_s if from_s is not None else min(span[0], first_row if first_row is not None else span[0])
        high = to_s if to_s is not None else span[1] + 1
        zone = ZoneInfo(tariff.timezone)
        for period_start, period_end in billing_periods(zone, tariff.billing_cycle_day, low, high):
            cut_start = period_start if from_s is None else max(from_s, period_start)
            cut_end = period_end if to_s is None else min(to_s, period_end)
            recorded = None
            if (cut_start, cut_end) == (period_start, period_end):
                recorded = _from_cost_rows(db, tariff, period_start, period_end)
            if recorded is not None:
                out.append((tariff, recorded))
                continue
            loads = stored_milli_loads(db, tariff.location, period_start, period_end)
            context = pricing_context(db, tariff, period_start, period_end)
            out.extend((tariff, record) for record in bill_periods(tariff, loads, cut_start, cut_end, context=context))
    return out


def _from_cost_rows(db: Database, tariff: Tariff, period_start: int, period_end: int) -> CostRecord | None:
    """The period's bill from its meter rows, if they are current: else None."""
    if not rows_are_current(db, tariff, period_start, period_end):
        return None
    rows, _ = meter_records(db, period_start, period_end, tariff.location)  # whole days from the rollups
    return bill_from_hours(tariff, rows, period_start, period_end)
