"""The cost record: what one span of a meter or miner cost, with its line items, and how records
add up (hours into a bill, days into a summary).

Apart from the engine that prices loads into records (`elecost.tariffs.engine`): reports read and
add up stored records without loading the pricing machinery (a summary's start-up, issue 16).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from elecost.tariffs.charges import DEMAND_KINDS, ENERGY_KINDS, SERVICE_KINDS, ZERO, Line

KIND_ORDER = (*ENERGY_KINDS, *DEMAND_KINDS, *SERVICE_KINDS)
# Enough digits that sums of exact products never round; divisions happen once per amount.
DECIMAL_CONTEXT = decimal.Context(prec=60)


@dataclass(slots=True)
class CostRecord:
    """What one span of one meter (or miner) cost; the contract's cost record, unrounded.

    The section 4 amounts are the sums of `lines` by kind (`of_lines` makes a record so); a record
    read back from stored sums may carry no lines. Not frozen: a fleet-month makes 700,000 of them.
    """

    rate_name: str
    location: str
    miner_ip: str | None
    period_start_s: int
    period_end_s: int
    energy_kwh: Decimal
    peak_power_kw: Decimal
    energy_cost_usd: Decimal
    demand_charge_usd: Decimal
    service_charge_usd: Decimal
    lines: list[Line] = field(default_factory=list)
    partial: bool = False

    @property
    def duration_hours(self) -> Decimal:
        return Decimal(self.period_end_s - self.period_start_s) / 3600

    @property
    def avg_power_kw(self) -> Decimal:
        hours = self.duration_hours
        return self.energy_kwh / hours if hours else ZERO

    @property
    def avg_rate_usd_per_kwh(self) -> Decimal:
        return self.energy_cost_usd / self.energy_kwh if self.energy_kwh else ZERO

    @property
    def total_cost_usd(self) -> Decimal:
        with decimal.localcontext(DECIMAL_CONTEXT):
            return self.energy_cost_usd + self.demand_charge_usd + self.service_charge_usd

    @property
    def tou_breakdown_usd(self) -> dict[str, Decimal]:
        """Energy cost by TOU period name (time-of-use tariffs only)."""
        return _sum_by(self.lines, "period", "usd")

    @property
    def tou_energy_kwh(self) -> dict[str, Decimal]:
        """kWh by TOU period name (time-of-use tariffs only)."""
        return _sum_by(self.lines, "period", "quantity")

    @property
    def tier_breakdown_usd(self) -> dict[str, Decimal]:
        """Energy cost by tier (tariffs with tiers only)."""
        return _sum_by(self.lines, "tier", "usd")


def _sum_by(lines: Iterable[Line], key: str, amount: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for line in lines:
        name = getattr(line, key)
        if name and line.charge == "energy":
            out[name] = out.get(name, ZERO) + getattr(line, amount)
    return out


def of_lines(
    rate_name: str,
    location: str,
    miner_ip: str | None,
    start_s: int,
    end_s: int,
    energy_kwh: Decimal,
    peak_kw: Decimal,
    lines: list[Line],
    partial: bool = False,
) -> CostRecord:
    """A cost record whose amounts are the sums of its lines."""
    energy = demand = service = ZERO
    with decimal.localcontext(DECIMAL_CONTEXT):
        for line in lines:
            if line.charge in ENERGY_KINDS:
                energy += line.usd
            elif line.charge in DEMAND_KINDS:
                demand += line.usd
            else:
                assert line.charge in SERVICE_KINDS, line.charge
                service += line.usd
    return CostRecord(
        rate_name, location, miner_ip, start_s, end_s, energy_kwh, peak_kw, energy, demand, service, lines, partial
    )


def combine(records: Sequence[CostRecord]) -> CostRecord:
    """One record for several consecutive ones (hours into a bill, bills into a span).

    Lines of the same charge and label are merged: quantities add up, except kW (the highest).
    """
    first = records[0]
    merged: dict[tuple[str, str, str, str, str], Line] = {}
    with decimal.localcontext(DECIMAL_CONTEXT):
        for record in records:
            for line in record.lines:
                key = (line.charge, line.label, line.unit, line.period, line.tier)
                held = merged.get(key)
                if held is None:
                    merged[key] = line
                else:
                    kw = line.unit == "kW"
                    quantity = max(held.quantity, line.quantity) if kw else held.quantity + line.quantity
                    merged[key] = held._replace(quantity=quantity, usd=held.usd + line.usd)
        return replace(
            first,
            period_start_s=min(r.period_start_s for r in records),
            period_end_s=max(r.period_end_s for r in records),
            energy_kwh=sum((r.energy_kwh for r in records), ZERO),
            peak_power_kw=max(r.peak_power_kw for r in records),
            energy_cost_usd=sum((r.energy_cost_usd for r in records), ZERO),
            demand_charge_usd=sum((r.demand_charge_usd for r in records), ZERO),
            service_charge_usd=sum((r.service_charge_usd for r in records), ZERO),
            lines=sorted(merged.values(), key=lambda line: KIND_ORDER.index(line.charge)),
            partial=any(r.partial for r in records),
        )
