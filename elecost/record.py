"""Stored readings -> hourly cost rows per meter and per miner: what `elecost record` does.

Cron-safe by construction: everything happens in one write transaction, and rows are replaced,
never added to, so re-running changes nothing and two runs at once queue on the write lock (the
second finds no work). Imports note the span of the readings they changed; `record` redoes the
hours from just before that span to the end of its billing period, continuing tiers and each
demand charge's billed kW from the rows already stored (a higher one rescales the earlier hours'
share of that charge). So a cron run after five more minutes of readings redoes an hour or so,
not the month. `--since/--until` redo whole billing periods from scratch, and so does a tariff
with a minimum bill (its shortfall is known only over the whole period).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.context import pricing_context
from elecost.db import Database
from elecost.price_store import first_unpriced
from elecost.retention import pruned_before
from elecost.rollups import days_redone, rows_end
from elecost.settings_store import allocating_locations
from elecost.store import (
    active_rates,
    billed_demand_kw,
    line_kind_ids,
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
from elecost.tariffs.allocation import allocate_overhead
from elecost.tariffs.engine import price_hours_for_store
from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import billing_periods, local_days
from elecost.tariffs.records import CostRecord
from elecost.tariffs.usage import HOUR_S, clock_phase_s

# A load can run past its reading by the miner's spacing: look that far into the next period.
SPILL_S = 86_400
# A demand charge's billed kW read back from the store (REAL) is the same kW when within this share:
# rescaling the whole period's lines (and rebuilding its days' rollups) for it changes nothing.
SAME_KW = Decimal("1e-12")


@dataclass
class RecordResult:
    """Billing periods (re)computed, cost rows written, and locations left for want of an active rate."""

    periods: int = 0
    rows: int = 0
    without_rate: list[str] = field(default_factory=list)
    awaiting_prices: dict[str, tuple[int, int]] = field(default_factory=dict)  # location -> unpriced span
    repriced: dict[str, str] = field(default_factory=dict)  # location -> why (its tariff changed)


def record_costs(db: Database, since_s: int | None = None, until_s: int | None = None) -> RecordResult:
    """Bring cost rows up to date with stored readings.

    With neither bound, only what changed since the last run is redone; with `since_s` and/or
    `until_s`, every billing period overlapping that range is redone from scratch as well.
    """
    result = RecordResult()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    # Trusted keys: every line kind id written is read or made in this transaction (line_kind_ids).
    with _without_cycle_collection(), write_transaction(db, trusted_keys=True):
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
        final = pruned_before(db)
        allocating = allocating_locations(db, work.keys() | whole.keys())
        for location in sorted(work.keys() | whole.keys()):
            tariff = rates.get(location)
            if tariff is None:
                low, high = work.get(location) or whole[location]
                result.without_rate.append(location)
                db.execute("INSERT INTO dirty (location, start_s, end_s) VALUES (?, ?, ?)", [location, low, high])
                continue
            redo = _periods_to_redo(tariff, work.get(location), whole.get(location))
            floor = final.get(location)
            if floor is not None:  # readings pruned before it: those periods' rows stay as they are
                redo = {period: from_s for period, from_s in redo.items() if period[0] >= floor}
            high = max(span[1] for span in (work.get(location), whole.get(location)) if span is not None)
            if not redo:
                continue
            priced_to = _priced_to(db, tariff, min(redo.values(), default=high), high)
            for (period_start, period_end), from_s in sorted(redo.items()):
                if priced_to is not None and from_s >= priced_to:
                    continue
                end = period_end if priced_to is None else min(period_end, priced_to)
                rows = _record_period(
                    db, tariff, period_start, end, from_s, ids.get(tariff.name), now, period_end, location in allocating
                )
                result.periods += bool(rows)
                result.rows += rows
            if priced_to is not None and priced_to <= high:  # readings beyond the prices: left for a later run
                result.awaiting_prices[location] = (priced_to, high)
                db.execute("INSERT INTO dirty (location, start_s, end_s) VALUES (?, ?, ?)", [location, priced_to, high])
    return result


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off while pricing: a fleet-month holds millions of live tuples and
    lists (none in cycles), which every full collection walks again; a 1,000-miner month took 34 s
    with it and 27 s without."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


def _priced_to(db: Database, tariff: Tariff, from_s: int, last_reading_s: int) -> int | None:
    """For an index tariff, the first instant from `from_s` that its market has no price for (rows
    are made up to there); None when all is priced, or for other tariffs."""
    if tariff.index is None:
        return None
    return first_unpriced(db, tariff.index.market, from_s, last_reading_s + SPILL_S)


def _record_period(
    db: Database,
    tariff: Tariff,
    period_start: int,
    up_to: int,
    from_s: int,
    rate_id: int | None,
    now: str,
    period_end: int,
    allocate: bool = False,
) -> int:
    """Redo a billing period's rows from the local hour holding `from_s` up to `up_to` (its end, or
    where its prices end); the number of rows written. With `allocate`, each hour's site overhead
    is shared among its miners' rows (`record --allocate-overhead`)."""
    location = tariff.location
    zone = ZoneInfo(tariff.timezone)
    hour = from_s - (from_s + clock_phase_s(zone, from_s, HOUR_S)) % HOUR_S
    prior = None
    if hour > period_start and not tariff.minimum_bill_usd:
        prior = meter_so_far(db, location, period_start, hour)
    if prior is None:
        hour = period_start  # nothing to build on: the whole period
    context = pricing_context(db, tariff, period_start, period_end)
    loads = stored_milli_loads(db, location, hour, up_to)
    records, miner_rows = price_hours_for_store(
        tariff, loads, period_start, period_end, (hour, up_to), line_kind_ids(db), prior=prior, context=context
    )
    del loads  # a fleet-month's millions of loads are freed before the rows to store are built beside them
    if allocate:
        miner_rows = allocate_overhead(miner_rows)
    changed_from = hour
    if prior is not None:
        carried = _carry_demand(db, tariff, period_start, hour, records)
        if carried is None:
            return _record_period(db, tariff, period_start, up_to, period_start, rate_id, now, period_end, allocate)
        changed_from = carried
    # The days to rebuild end with the later of the rows replaced and the new ones, not at `up_to`
    # (the billing period's end): a cron run touches one day, not the rest of the month.
    last = max([rows_end(db, location, hour, up_to) or hour, *(record.period_end_s for record in records[-1:])])
    days = local_days(zone, changed_from, last)
    count = len(records) + len(miner_rows)  # the miner rows are let go as they are written
    with days_redone(db, location, days, changed_from, last, (hour, up_to)) as written:
        written.append(
            replace_cost_rows(db, location, hour, up_to, records, period_start, rate_id, now, miner_rows, tariff.name)
        )
    return count


def _carry_demand(db: Database, tariff: Tariff, period_start: int, hour: int, records: list[CostRecord]) -> int | None:
    """Where a demand charge's billed kW rose in the new hours, rescale its earlier lines; the first
    instant whose stored rows changed (`hour`, or the period's start when lines were rescaled).

    None when an earlier amount was zero (nothing to scale): the period must be redone.
    """
    new_kw: dict[int, Decimal] = {}
    for record in records:
        if record.miner_ip is None:
            for line in record.lines:
                if line.charge == "demand":
                    new_kw[line.part] = line.quantity
    stored = billed_demand_kw(db, tariff.location, period_start, hour)
    charges = tariff.all_demand_charges
    changed = hour
    for part, kw in new_kw.items():
        before = stored.get(part, Decimal(0))
        if abs(kw - before) <= before * SAME_KW:  # the stored kW is a float: equal but for its rounding
            continue
        old_usd, new_usd = charges[part].usd(before), charges[part].usd(kw)
        if not old_usd or not before:
            return None
        scale_demand(db, tariff.location, period_start, hour, part, new_usd / old_usd, kw / before)
        changed = period_start
    return changed
