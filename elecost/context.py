"""What pricing a stored billing period needs beyond its own readings.

- Ratchets: a demand charge with a ratchet bills at least a share of the highest peak of the
  previous billing periods; those peaks come from the stored readings of those periods.
- Coincident peak: the site's mean kW in the named system peaks of the latest complete year
  (contract section 7), from the stored peaks and readings.
- Index prices: the market's stored price intervals over the period.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.db import Database
from elecost.store import stored_milli_loads
from elecost.tariffs.engine import Context, demand_peaks_of_period
from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import billing_periods


def pricing_context(db: Database, tariff: Tariff, period_start_s: int, period_end_s: int) -> Context:
    """The ratchet history, coincident-peak demand and market prices of a billing period."""
    # Peaks and prices are imported where a tariff bills them: `calc --power` on a flat rate
    # asks `needs_store` and should not load the market modules to hear no (issue 15).
    from elecost.peaks import coincident_demand
    from elecost.price_store import price_intervals

    zone = ZoneInfo(tariff.timezone)
    coincident = None
    if tariff.coincident_peak is not None:
        demand = coincident_demand(db, tariff.location, tariff.coincident_peak.peaks, period_start_s, zone)
        coincident = demand.mean_kw if demand is not None else None
    prices = price_intervals(db, tariff.index.market, period_start_s, period_end_s) if tariff.index else []
    return Context(_ratchet_history(db, tariff, zone, period_start_s), coincident, prices)


def span_context(db: Database, tariff: Tariff, start_s: int, end_s: int) -> Context:
    """What pricing a span of a file's readings (or a steady load) needs from the store: the
    market's prices over the span, and the first billing period's coincident-peak demand."""
    from elecost.price_store import price_intervals

    zone = ZoneInfo(tariff.timezone)
    first, _ = next(billing_periods(zone, tariff.billing_cycle_day, start_s, start_s + 1))
    context = pricing_context(db, tariff, first, first + 1)
    prices = price_intervals(db, tariff.index.market, start_s, end_s) if tariff.index else []
    return Context(context.ratchet_kw, context.coincident_kw, prices)


def needs_store(tariff: Tariff) -> bool:
    """Whether pricing this tariff needs data kept in the store (market prices, coincident peaks)."""
    return tariff.index is not None or tariff.coincident_peak is not None


def _ratchet_history(db: Database, tariff: Tariff, zone: ZoneInfo, period_start_s: int) -> dict[int, Decimal]:
    """Per demand charge with a ratchet: the highest peak of its previous billing periods."""
    charges = tariff.all_demand_charges
    lookback = max((c.ratchet.periods for c in charges if c.ratchet is not None), default=0)
    if not lookback:
        return {}
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
    return ratchet
