"""Bills from stored readings: one cost record per billing period and location, as the utility bills.

Works from readings directly (no `record` needed). A period is partial when `--from/--to` cut
it or the readings cover only part of it: it then runs from the first reading to the end of the
last, and pays the time-prorated share of the demand and service charges (contract section 4).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlite_utils import Database

from elecost.errors import UsageError
from elecost.pricing import bill_periods
from elecost.store import active_rate, active_rates, reading_span, stored_milli_loads
from elecost.tariffs.calc import CostRecord
from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import billing_periods


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
        low = from_s if from_s is not None else span[0]
        high = to_s if to_s is not None else span[1] + 1
        zone = ZoneInfo(tariff.timezone)
        for period_start, period_end in billing_periods(zone, tariff.billing_cycle_day, low, high):
            loads = stored_milli_loads(db, tariff.location, period_start, period_end)
            cut_start = period_start if from_s is None else max(from_s, period_start)
            cut_end = period_end if to_s is None else min(to_s, period_end)
            out.extend((tariff, record) for record in bill_periods(tariff, loads, cut_start, cut_end))
    return out
