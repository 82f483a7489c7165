"""One billing period's cost split into hourly rows, for the meter and for each miner on it.

This is what `elecost record` stores. It is built so that the rows add up exactly:
- the meter's hourly rows over a billing period sum to the period's bill (`price_loads`):
  energy per hour and price period is summed exactly; tiered energy is priced at the margin
  (the cost of the period's energy up to the end of the hour minus up to its start); the
  demand charge of the period is spread over its hours by time; the service charge is each
  hour's share of its local day;
- each miner's row is its own energy at the prices in force (flat and TOU), and its share of the
  meter's hour by energy for what only exists at the meter: tier blocks, demand and service.
  A meter hour with no energy is shared equally by the miners reporting in it.
"""

from __future__ import annotations

import decimal
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.tariffs.calc import (
    DECIMAL_CONTEXT,
    JOULES_PER_KWH,
    ZERO,
    CostRecord,
    Load,
    clip_loads,
    clock_phase_s,
    energy_costs,
    joules_by_piece,
    service_charge,
    sum_loads,
    tier_costs,
    window_averages,
)
from elecost.tariffs.model import Tariff
from elecost.tariffs.schedule import Schedule

HOUR_S = 3600
Piece = tuple[int, int, tuple[int, int]]  # start, end, (hour index, price period index)


def price_hours(
    tariff: Tariff, loads: Mapping[str, Sequence[Load]], period_start_s: int, period_end_s: int
) -> list[CostRecord]:
    """Hourly records of one billing period: the meter's (miner_ip None) and each miner's.

    `loads` maps miner name to sorted loads; the key '' holds whole-meter readings, which, when
    present, are the meter's load (else the meter is the sum of its miners). The rows cover the
    billing period from the first load to the end of the last one.
    """
    zone = ZoneInfo(tariff.timezone)
    miners = {name: clip_loads(rows, period_start_s, period_end_s) for name, rows in loads.items() if name}
    given_meter = loads.get("")
    meter = (
        clip_loads(given_meter, period_start_s, period_end_s)
        if given_meter
        else sum_loads(load for rows in miners.values() for load in rows)
    )
    if not meter:
        return []
    low, high = meter[0].start_s, meter[-1].end_s
    hours = _hours(zone, low, high)
    pieces = _pieces(Schedule(tariff).segments(low, high), hours)
    with decimal.localcontext(DECIMAL_CONTEXT):
        meter_rows = _meter_rows(tariff, zone, meter, hours, pieces, low, high, period_end_s - period_start_s)
        miner_joules = {name: _by_hour(joules_by_piece(pieces, rows)) for name, rows in sorted(miners.items())}
        reporting = Counter(hour for by_hour in miner_joules.values() for hour in by_hour)
        rows = list(meter_rows)
        for name, by_hour in miner_joules.items():
            peaks = _hourly_peaks_kw(zone, tariff, miners[name], low)
            rows.extend(_miner_rows(tariff, name, by_hour, peaks, hours, meter_rows, reporting))
    return rows


def _hours(zone: ZoneInfo, low: int, high: int) -> list[tuple[int, int]]:
    """The local clock hours overlapping [low, high), clipped to it."""
    phase = clock_phase_s(zone, low, HOUR_S)
    start = low - (low + phase) % HOUR_S
    return [(max(h, low), min(h + HOUR_S, high)) for h in range(start, high, HOUR_S)]


def _pieces(segments: Iterable[tuple[int, int, int]], hours: list[tuple[int, int]]) -> list[Piece]:
    """Price segments cut at hour edges, keyed by (hour index, period index)."""
    pieces: list[Piece] = []
    hour = 0
    for seg_start, seg_end, period in segments:
        at = seg_start
        while at < seg_end:
            while hours[hour][1] <= at:
                hour += 1
            end = min(seg_end, hours[hour][1])
            pieces.append((at, end, (hour, period)))
            at = end
    return pieces


def _by_hour(joules: Mapping[tuple[int, int], Decimal]) -> dict[int, dict[int, Decimal]]:
    out: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for (hour, period), amount in joules.items():
        out[hour][period] = out[hour].get(period, ZERO) + amount
    return out


def _hourly_peaks_kw(zone: ZoneInfo, tariff: Tariff, loads: Sequence[Load], low: int) -> dict[int, Decimal]:
    """Highest demand-window average [kW] in each local hour, by hour index from `low`'s hour.

    Demand windows divide the hour and share its alignment, so each lies inside one hour.
    """
    window_s = tariff.demand_interval_minutes * 60
    first_hour = low - (low + clock_phase_s(zone, low, HOUR_S)) % HOUR_S
    peaks: dict[int, Decimal] = {}
    for window, average in window_averages(loads, window_s, clock_phase_s(zone, low, window_s)).items():
        index = (window - first_hour) // HOUR_S
        peaks[index] = max(peaks.get(index, ZERO), average / 1000)
    return peaks


def _meter_rows(
    tariff: Tariff,
    zone: ZoneInfo,
    meter: Sequence[Load],
    hours: list[tuple[int, int]],
    pieces: list[Piece],
    low: int,
    high: int,
    period_s: int,
) -> list[CostRecord]:
    joules = _by_hour(joules_by_piece(pieces, meter))
    peaks = _hourly_peaks_kw(zone, tariff, meter, low)
    peak_kw = max(peaks.values(), default=ZERO)
    demand = tariff.demand_charge_usd_per_kw * peak_kw * Decimal(high - low) / period_s
    cumulative_kwh = ZERO
    rows = []
    for index, (start, end) in enumerate(hours):
        by_period = joules.get(index, {})
        energy_kwh = sum(by_period.values(), ZERO) / JOULES_PER_KWH
        tiers: dict[str, Decimal] = {}
        if tariff.rate_type == "tiered":
            before = tier_costs(tariff, cumulative_kwh)
            cumulative_kwh += energy_kwh
            after = tier_costs(tariff, cumulative_kwh)
            tiers = {label: after[label] - before[label] for label in after if after[label] != before[label]}
        energy_cost, tou, tou_kwh = energy_costs(tariff, by_period)
        if tariff.rate_type == "tiered":
            energy_cost = sum(tiers.values(), ZERO)
        rows.append(
            CostRecord(
                rate_name=tariff.name,
                location=tariff.location,
                miner_ip=None,
                period_start_s=start,
                period_end_s=end,
                energy_kwh=energy_kwh,
                peak_power_kw=peaks.get(index, ZERO),
                energy_cost_usd=energy_cost,
                demand_charge_usd=demand * (end - start) / (high - low),
                service_charge_usd=service_charge(tariff, zone, start, end),
                tou_breakdown_usd=tou,
                tier_breakdown_usd=tiers,
                tou_energy_kwh=tou_kwh,
            )
        )
    return rows


def _miner_rows(
    tariff: Tariff,
    name: str,
    joules: Mapping[int, Mapping[int, Decimal]],
    peaks: Mapping[int, Decimal],
    hours: list[tuple[int, int]],
    meter_rows: Sequence[CostRecord],
    reporting: Mapping[int, int],
) -> list[CostRecord]:
    rows = []
    for index, by_period in sorted(joules.items()):
        meter = meter_rows[index]
        energy_kwh = sum(by_period.values(), ZERO) / JOULES_PER_KWH
        share = energy_kwh / meter.energy_kwh if meter.energy_kwh else Decimal(1) / reporting[index]
        tiers: dict[str, Decimal] = {}
        energy_cost, tou, tou_kwh = energy_costs(tariff, by_period)
        if tariff.rate_type == "tiered":
            tiers = {label: amount * share for label, amount in meter.tier_breakdown_usd.items()}
            energy_cost = meter.energy_cost_usd * share
        start, end = hours[index]
        rows.append(
            CostRecord(
                rate_name=tariff.name,
                location=tariff.location,
                miner_ip=name,
                period_start_s=start,
                period_end_s=end,
                energy_kwh=energy_kwh,
                peak_power_kw=peaks.get(index, ZERO),
                energy_cost_usd=energy_cost,
                demand_charge_usd=meter.demand_charge_usd * share,
                service_charge_usd=meter.service_charge_usd * share,
                tou_breakdown_usd=tou,
                tier_breakdown_usd=tiers,
                tou_energy_kwh=tou_kwh,
            )
        )
    return rows
