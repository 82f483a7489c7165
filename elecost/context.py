"""What pricing a stored billing period needs beyond its own readings: ratchets' history.

A demand charge with a ratchet bills at least a share of the highest peak of the previous
billing periods; those peaks come from the stored readings of those periods.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from elecost.store import stored_milli_loads
from elecost.tariffs.engine import NO_CONTEXT, Context, demand_peaks_of_period
from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import billing_periods


def pricing_context(db: Database, tariff: Tariff, period_start_s: int, period_end_s: int) -> Context:
    """The ratchet history of a billing period (empty when no demand charge has a ratchet)."""
    charges = tariff.all_demand_charges
    lookback = max((c.ratchet.periods for c in charges if c.ratchet is not None), default=0)
    if not lookback:
        return NO_CONTEXT
    zone = ZoneInfo(tariff.timezone)
    earliest = period_start_s - lookback * 32 * 86_400
    previous = [
        p for p in billing_periods(zone, tariff.billing_cycle_day, earliest, period_start_s) if p[1] <= period_start_s
    ]
    peaks = [
        demand_peaks_of_period(tariff, stored_milli_loads(db, tariff.location, start, end), start, end)
        for start, end in previous
    ]
    ratchet: dict[int, Decimal] = {}
    for index, charge in enumerate(charges):
        if charge.ratchet is not None:
            recent = [p[index] for p in peaks[-charge.ratchet.periods :]]
            ratchet[index] = max(recent, default=Decimal(0))
    return Context(ratchet_kw=ratchet)
