"""A reference calculator, kept as a test oracle beside PySAM: the short form's charges, priced
straight from the contract's words over whole billing periods, with none of the engine's machinery.

Instants are integer UTC epoch seconds; power is Decimal watts. Energy is summed exactly as
watt-seconds (joules) and turned into kWh and money once per billing period and price period, so
splitting a span into pieces never changes its cost. Money stays Decimal at full precision;
rounding to cents happens only where it is shown (elecost.report_data).

Charges, per billing period (see docs/tariffs.md):
- energy: each price period's kWh x its rate; tiered tariffs price the period's kWh by block,
  the blocks starting afresh with each billing period;
- demand: the highest average power over any clock-aligned demand window, x the $/kW rate,
  times the share of the billing period the span covers (a whole period pays in full);
- service: the daily charge for each local day, times the share of that day the span covers.
"""

from __future__ import annotations

import decimal
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import billing_periods, local_days
from elecost.tariffs.schedule import Schedule
from elecost.tariffs.usage import Load

JOULES_PER_KWH = Decimal(3_600_000)
ZERO = Decimal(0)
# Enough digits that sums of exact products never round; divisions happen once per total.
DECIMAL_CONTEXT = decimal.Context(prec=60)
K = TypeVar("K")


@dataclass(slots=True)
class CostRecord:
    """What one span of one meter (or miner) cost; the contract's cost record, unrounded.

    Not frozen: a fleet-month makes 700,000 of them, and a frozen dataclass is five times slower
    to build. Nothing changes one after it is made; `dataclasses.replace` makes new ones.
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
    tou_breakdown_usd: dict[str, Decimal] = field(default_factory=dict)
    tier_breakdown_usd: dict[str, Decimal] = field(default_factory=dict)
    tou_energy_kwh: dict[str, Decimal] = field(default_factory=dict)
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
        return self.energy_cost_usd + self.demand_charge_usd + self.service_charge_usd


def sum_loads(loads: Iterable[Load]) -> list[Load]:
    """Add several loads (miners on one meter) into one piecewise-constant meter load.

    Time covered by no load is a gap and stays out of the result; a 0 W load is kept.
    """
    deltas: dict[int, Decimal] = defaultdict(Decimal)
    counts: dict[int, int] = defaultdict(int)
    for load in loads:
        if load.end_s <= load.start_s:
            continue
        deltas[load.start_s] += load.power_w
        deltas[load.end_s] -= load.power_w
        counts[load.start_s] += 1
        counts[load.end_s] -= 1
    out: list[Load] = []
    power, active = ZERO, 0
    times = sorted(deltas)
    for at, following in itertools.pairwise(times):
        power += deltas[at]
        active += counts[at]
        if active:
            if out and out[-1].end_s == at and out[-1].power_w == power:
                out[-1] = replace(out[-1], end_s=following)
            else:
                out.append(Load(at, following, power))
    return out


def price_loads(
    tariff: Tariff,
    loads: Sequence[Load],
    start_s: int,
    end_s: int,
    *,
    miner_ip: str | None = None,
) -> list[CostRecord]:
    """Cost of one meter's loads over [start_s, end_s): one record per billing period it touches.

    `loads` must be sorted and must not overlap (use `sum_loads` for several miners). The span
    may be wider than the loads: time without a load is a gap, billed no energy but still paying
    its share of the service and demand charges.
    """
    if end_s <= start_s:
        return []
    zone = ZoneInfo(tariff.timezone)
    schedule = Schedule(tariff)
    records = []
    for period_start, period_end in billing_periods(zone, tariff.billing_cycle_day, start_s, end_s):
        low, high = max(start_s, period_start), min(end_s, period_end)
        inside = _clip(loads, low, high)
        with decimal.localcontext(DECIMAL_CONTEXT):
            records.append(
                _price_period(tariff, schedule, zone, inside, low, high, period_end - period_start, miner_ip)
            )
    return records


def combine(records: Sequence[CostRecord]) -> CostRecord:
    """One record for several consecutive ones (a span over several billing periods)."""
    first = records[0]
    with decimal.localcontext(DECIMAL_CONTEXT):
        return replace(
            first,
            period_start_s=min(r.period_start_s for r in records),
            period_end_s=max(r.period_end_s for r in records),
            energy_kwh=sum((r.energy_kwh for r in records), ZERO),
            peak_power_kw=max(r.peak_power_kw for r in records),
            energy_cost_usd=sum((r.energy_cost_usd for r in records), ZERO),
            demand_charge_usd=sum((r.demand_charge_usd for r in records), ZERO),
            service_charge_usd=sum((r.service_charge_usd for r in records), ZERO),
            tou_breakdown_usd=_add_maps(r.tou_breakdown_usd for r in records),
            tier_breakdown_usd=_add_maps(r.tier_breakdown_usd for r in records),
            tou_energy_kwh=_add_maps(r.tou_energy_kwh for r in records),
            partial=any(r.partial for r in records),
        )


def _add_maps(maps: Iterable[dict[str, Decimal]]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = {}
    for mapping in maps:
        for key, value in mapping.items():
            total[key] = total.get(key, ZERO) + value
    return total


def _clip(loads: Sequence[Load], low: int, high: int) -> list[Load]:
    return [
        Load(max(load.start_s, low), min(load.end_s, high), load.power_w)
        for load in loads
        if load.end_s > low and load.start_s < high
    ]


def _price_period(
    tariff: Tariff,
    schedule: Schedule,
    zone: ZoneInfo,
    loads: list[Load],
    low: int,
    high: int,
    period_s: int,
    miner_ip: str | None,
) -> CostRecord:
    segments = list(schedule.segments(low, high)) if loads else []
    joules_by_period = joules_by_piece(segments, loads)
    total_joules = sum(joules_by_period.values(), ZERO)
    tiers: dict[str, Decimal] = {}
    energy_cost, tou, tou_kwh = energy_costs(
        tariff, {period: joules / JOULES_PER_KWH for period, joules in joules_by_period.items()}
    )
    if tariff.rate_type == "tiered":
        tiers = tier_costs(tariff, total_joules / JOULES_PER_KWH)
        energy_cost = sum(tiers.values(), ZERO)
    window_s = tariff.demand_interval_minutes * 60
    averages = window_averages(loads, window_s, clock_phase_s(zone, low, window_s), low, high)
    peak_kw = max(averages.values(), default=ZERO) / 1000
    share = Decimal(high - low) / period_s
    return CostRecord(
        rate_name=tariff.name,
        location=tariff.location,
        miner_ip=miner_ip,
        period_start_s=low,
        period_end_s=high,
        energy_kwh=total_joules / JOULES_PER_KWH,
        peak_power_kw=peak_kw,
        energy_cost_usd=energy_cost,
        demand_charge_usd=tariff.demand_charge_usd_per_kw * peak_kw * share,
        service_charge_usd=service_charge(tariff, zone, low, high),
        tou_breakdown_usd=tou,
        tier_breakdown_usd=tiers,
        tou_energy_kwh=tou_kwh,
        partial=high - low != period_s,
    )


def energy_costs(
    tariff: Tariff, kwh_by_period: Mapping[int, Decimal]
) -> tuple[Decimal, dict[str, Decimal], dict[str, Decimal]]:
    """Energy cost at each period's rate, with cost and kWh by period name (TOU tariffs only).

    For a tiered tariff the cost here is 0: blocks price a billing period's total (`tier_costs`).
    """
    names, rates = tariff.period_names, tariff.period_rates_usd_per_kwh
    if len(kwh_by_period) == 1:  # most hours lie in one price period
        ((index, kwh),) = kwh_by_period.items()
        cost = kwh * rates[index]
        if tariff.rate_type != "tou":
            return cost, {}, {}
        return cost, {names[index]: cost}, {names[index]: kwh}
    costs: dict[str, Decimal] = {}
    kwhs: dict[str, Decimal] = {}
    for index, kwh in kwh_by_period.items():
        name = names[index]
        costs[name] = costs.get(name, ZERO) + kwh * rates[index]
        kwhs[name] = kwhs.get(name, ZERO) + kwh
    total = sum(costs.values(), ZERO)
    if tariff.rate_type != "tou":
        return total, {}, {}
    return total, costs, kwhs


def service_charge(tariff: Tariff, zone: ZoneInfo, low: int, high: int) -> Decimal:
    """The daily service charge for [low, high): each local day's charge times the share covered."""
    service = ZERO
    if tariff.daily_service_charge_usd:
        for day_start, day_end in local_days(zone, low, high):
            covered = min(high, day_end) - max(low, day_start)
            service += tariff.daily_service_charge_usd * covered / (day_end - day_start)
    return service


def joules_by_piece(pieces: Sequence[tuple[int, int, K]], loads: Sequence[Load]) -> dict[K, Decimal]:
    """Energy [W*s] of sorted, non-overlapping loads in sorted, non-overlapping keyed pieces of time.

    Walks both lists in step; the pieces are price segments (keyed by period) or segments cut
    at hours (keyed by hour and period).
    """
    joules: dict[K, Decimal] = defaultdict(Decimal)
    position = 0
    for load in loads:
        while position < len(pieces) and pieces[position][1] <= load.start_s:
            position += 1
        scan = position
        while scan < len(pieces) and pieces[scan][0] < load.end_s:
            piece_start, piece_end, key = pieces[scan]
            overlap = min(piece_end, load.end_s) - max(piece_start, load.start_s)
            if overlap > 0:
                joules[key] += load.power_w * overlap
            scan += 1
    return joules


def tier_costs(tariff: Tariff, energy_kwh: Decimal) -> dict[str, Decimal]:
    """Cost of a billing period's first `energy_kwh` in each block, labelled by the block's range."""
    costs: dict[str, Decimal] = {}
    floor_kwh = ZERO
    for tier in tariff.tiered_rates:
        if tier.up_to_kwh is None:
            label = f"over {floor_kwh:f} kWh"
            in_block = max(energy_kwh - floor_kwh, ZERO)
        else:
            label = f"{floor_kwh:f}-{tier.up_to_kwh:f} kWh"
            in_block = min(max(energy_kwh - floor_kwh, ZERO), tier.up_to_kwh - floor_kwh)
            floor_kwh = tier.up_to_kwh
        costs[label] = in_block * tier.rate_usd_per_kwh
    return costs


def window_averages(loads: Sequence[Load], window_s: int, phase_s: int, low: int, high: int) -> dict[int, Decimal]:
    """Average power [W] in each clock-aligned window the loads touch, by window start (epoch s).

    Windows align with the local wall clock (:00, :15, ... for 15 minutes): `phase_s` is the UTC
    offset modulo the window. The average is the window's energy over the part of the window
    inside the span [low, high): a gap inside the span counts as no power, as the meter sees it;
    a window cut by the span's ends averages over the part inside.
    """
    joules: dict[int, Decimal] = {}
    for load in loads:
        window = load.start_s - (load.start_s + phase_s) % window_s
        while window < load.end_s:
            seconds = min(load.end_s, window + window_s) - max(load.start_s, window)
            joules[window] = joules.get(window, ZERO) + load.power_w * seconds
            window += window_s
    return {window: energy / (min(high, window + window_s) - max(low, window)) for window, energy in joules.items()}


def clock_phase_s(zone: ZoneInfo, instant_s: int, window_s: int) -> int:
    """The local UTC offset modulo a window length, to align windows with the wall clock."""
    offset = datetime.fromtimestamp(instant_s, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) % window_s if offset else 0
