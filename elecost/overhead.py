"""The miners' own costs at a location whose overhead `record --allocate-overhead` folds into their
rows: priced again from the stored readings, without the allocation.

With allocation on, a miner's stored row is its own cost plus its share of the site's overhead,
so the stored rows no longer say what the miners alone cost. `reconcile` compares exactly that
(the meter against the miners), so it asks here instead of reading the miner rows.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.context import pricing_context
from elecost.db import Database
from elecost.rownames import SITE_OVERHEAD
from elecost.settings_store import allocating_locations
from elecost.store import stored_milli_loads
from elecost.tariffs.charges import KindKey
from elecost.tariffs.engine import Unpriced, price_hours_for_store
from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import billing_periods


def allocates_overhead(db: Database, location: str) -> bool:
    """Whether `record` shares the site overhead of `location` among its miners' rows."""
    return bool(allocating_locations(db, [location]))


def own_miner_usd(db: Database, tariff: Tariff, start_s: int, end_s: int) -> list[tuple[int, Decimal]]:
    """(hour start, USD) of each miner's own hourly cost starting in [start_s, end_s): its row as
    `record` makes it without allocation (whole billing periods priced, as `record --since` does;
    an index tariff up to its market's last price, as `record` stops there)."""
    zone = ZoneInfo(tariff.timezone)
    kinds: dict[KindKey, int] = {}

    def kind_id(key: KindKey) -> int:
        return kinds.setdefault(key, len(kinds))

    out: list[tuple[int, Decimal]] = []
    for period_start, period_end in billing_periods(zone, tariff.billing_cycle_day, start_s, end_s):
        loads = stored_milli_loads(db, tariff.location, period_start, period_end)
        context = pricing_context(db, tariff, period_start, period_end)
        up_to = period_end
        while up_to > period_start:
            try:
                _, rows = price_hours_for_store(
                    tariff, loads, period_start, period_end, (period_start, up_to), kind_id, context=context
                )
            except Unpriced as unpriced:
                up_to = unpriced.at_s
                continue
            out.extend(
                (row[1], Decimal(repr(row[5] + row[6] + row[7])))
                for row in rows
                if row[0] != SITE_OVERHEAD and start_s <= row[1] < end_s
            )
            break
    return out
