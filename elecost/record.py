"""Stored readings -> hourly cost rows per meter and per miner: what `elecost record` does.

Cron-safe by construction: each run recomputes whole billing periods (tiers and demand depend
on the whole period) and replaces their rows, inside one write transaction. Re-running changes
nothing; late or replaced readings mark their span dirty at import, so the next run redoes the
periods they touch; two runs at once queue on the write lock, and the second finds no work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from elecost.store import (
    active_rates,
    cost_row,
    rate_ids,
    reading_locations,
    reading_span,
    replace_cost_rows,
    stored_milli_loads,
    take_dirty,
    write_transaction,
)
from elecost.tariffs.hourly import price_hours
from elecost.tariffs.periods import billing_periods


@dataclass
class RecordResult:
    """Billing periods recomputed, cost rows written, and locations left for want of an active rate."""

    periods: int = 0
    rows: int = 0
    without_rate: list[str] = field(default_factory=list)


def record_costs(db: Database, since_s: int | None = None, until_s: int | None = None) -> RecordResult:
    """Bring cost rows up to date with stored readings.

    With neither bound, only the spans changed since the last run are redone; with `since_s`
    and/or `until_s`, every billing period overlapping that range is redone as well.
    """
    result = RecordResult()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with write_transaction(db):
        targets = take_dirty(db)
        if since_s is not None or until_s is not None:
            for location in reading_locations(db):
                span = reading_span(db, location)
                if span is None:
                    continue
                low = since_s if since_s is not None else span[0]
                high = until_s if until_s is not None else span[1] + 1
                old = targets.get(location)
                targets[location] = (min(low, old[0]), max(high, old[1])) if old else (low, high)
        rates = active_rates(db)
        ids = rate_ids(db)
        for location, (low, high) in sorted(targets.items()):
            tariff = rates.get(location)
            if tariff is None:
                result.without_rate.append(location)
                db.execute("INSERT INTO dirty (location, start_s, end_s) VALUES (?, ?, ?)", [location, low, high])
                continue
            zone = ZoneInfo(tariff.timezone)
            for period_start, period_end in billing_periods(zone, tariff.billing_cycle_day, low, high):
                loads = stored_milli_loads(db, location, period_start, period_end)
                records = price_hours(tariff, loads, period_start, period_end)
                rows = [cost_row(r, period_start, ids.get(tariff.name), now) for r in records]
                replace_cost_rows(db, location, period_start, period_end, rows)
                result.periods += bool(rows)
                result.rows += len(rows)
    return result
