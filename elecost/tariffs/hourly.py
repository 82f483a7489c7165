"""One billing period's cost split into hourly rows, for the meter and for each miner on it.

This is what `elecost record` stores, built for fleets (thousands of miners, millions of
readings): loads come as (start_s, end_s, power_mw) integer tuples, energy is summed exactly in
milliwatt-seconds per (hour, price period) and per demand window with one pass over each miner's
loads, and Decimal money is made once per hour. The meter's energy is the sum of its miners'
(or its own whole-meter readings), so no meter load curve is ever built.

The rows add up by construction:
- the meter's hourly rows over a billing period sum to the period's bill (`calc.price_loads`):
  tiered energy is priced at the margin (the cost of the period's energy up to the end of the
  hour minus up to its start); the demand charge of the period is spread over its hours by time;
  each hour carries its share of its local day's service charge;
- each miner's row is its own energy at the prices in force (flat and TOU), and its share of the
  meter's hour by energy for what only exists at the meter: tier blocks, demand and service.
  A meter hour with no energy is shared equally by the miners reporting in it.
"""

from __future__ import annotations

import decimal
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.tariffs.calc import (
    DECIMAL_CONTEXT,
    ZERO,
    CostRecord,
    clock_phase_s,
    energy_costs,
    service_charge,
    tier_costs,
)
from elecost.tariffs.model import Tariff
from elecost.tariffs.schedule import Schedule

HOUR_S = 3600


@dataclass(frozen=True)
class Prior:
    """What a billing period's hours before a point came to: its energy so far and peak so far."""

    energy_kwh: Decimal = Decimal(0)
    peak_kw: Decimal = Decimal(0)


MILLIWATT_SECONDS_PER_KWH = Decimal(3_600_000_000)
MilliLoad = tuple[int, int, int]  # start_s, end_s, power [mW]
Piece = tuple[int, int, int, int]  # start_s, end_s, hour index, price period index


def price_hours(
    tariff: Tariff,
    loads: Mapping[str, Sequence[MilliLoad]],
    period_start_s: int,
    period_end_s: int,
    within: tuple[int, int] | None = None,
    *,
    miner_rows: bool = True,
    prior: Prior | None = None,
) -> list[CostRecord]:
    """Hourly records of one billing period: the meter's (miner_ip None) and each miner's.

    `loads` maps miner name to its sorted, non-overlapping loads; the key '' holds whole-meter
    readings, which, when present, are the meter's load (else the meter is the sum of its
    miners). The rows cover the billing period (cut to `within`, if given) from the first load
    to the end of the last. Without `miner_rows`, only the meter's rows are made (for bills).
    With `prior` (what the period's earlier hours, already stored, came to), only the hours
    from `within` on are made: tier blocks continue from the energy so far, and the demand
    charge is spread at the period's peak so far or the new one, whichever is higher.
    """
    zone = ZoneInfo(tariff.timezone)
    cut_start, cut_end = within or (period_start_s, period_end_s)
    cut_start, cut_end = max(cut_start, period_start_s), min(cut_end, period_end_s)
    clipped = {name: _clip(rows, cut_start, cut_end) for name, rows in loads.items()}
    clipped = {name: rows for name, rows in clipped.items() if rows}
    miners = {name: rows for name, rows in clipped.items() if name}
    spanning = [clipped[""]] if "" in clipped else list(miners.values())
    if not spanning:
        return []
    low = min(rows[0][0] for rows in spanning)
    high = max(rows[-1][1] for rows in spanning)
    hours = _hours(zone, low, high)
    pieces = _pieces(Schedule(tariff).segments(low, high), hours)
    window_s = tariff.demand_interval_minutes * 60
    window_phase = clock_phase_s(zone, low, window_s)
    first_hour = hours[0][0] - (hours[0][0] + clock_phase_s(zone, low, HOUR_S)) % HOUR_S

    tallies = {name: _tally(rows, pieces, window_s, window_phase) for name, rows in clipped.items()}
    if "" in tallies:
        meter_energy, meter_windows = tallies.pop("")
    else:
        meter_energy, meter_windows = _add_tallies(tallies.values())
    with decimal.localcontext(DECIMAL_CONTEXT):
        meter_peaks = _hourly_peaks_kw(meter_windows, window_s, low, high, first_hour)
        meter_rows = _meter_rows(
            tariff, zone, meter_energy, meter_peaks, hours, period_end_s - period_start_s, prior or Prior()
        )
        reporting = Counter(hour for energy, _ in tallies.values() for hour in {hour for hour, _ in energy})
        rows = list(meter_rows)
        for name in sorted(tallies) if miner_rows else ():
            energy, windows = tallies[name]
            peaks = _hourly_peaks_kw(windows, window_s, low, high, first_hour)
            rows.extend(_miner_rows(tariff, name, energy, peaks, hours, meter_rows, reporting))
    return rows


def _clip(loads: Sequence[MilliLoad], low: int, high: int) -> list[MilliLoad]:
    """The loads inside [low, high), the ones across its edges cut there (loads are sorted)."""
    first = bisect_right(loads, (low, low, 0)) - 1  # the last load starting at or before `low`
    first = max(first, 0)
    while first < len(loads) and loads[first][1] <= low:
        first += 1
    last = bisect_left(loads, (high,), lo=first)  # the first load starting at or after `high`
    inside = list(loads[first:last])
    if inside and inside[0][0] < low:
        inside[0] = (low, inside[0][1], inside[0][2])
    if inside and inside[-1][1] > high:
        inside[-1] = (inside[-1][0], high, inside[-1][2])
    return inside


def _hours(zone: ZoneInfo, low: int, high: int) -> list[tuple[int, int]]:
    """The local clock hours overlapping [low, high), clipped to it."""
    phase = clock_phase_s(zone, low, HOUR_S)
    start = low - (low + phase) % HOUR_S
    return [(max(h, low), min(h + HOUR_S, high)) for h in range(start, high, HOUR_S)]


def _pieces(segments: Iterable[tuple[int, int, int]], hours: list[tuple[int, int]]) -> list[Piece]:
    """Price segments cut at hour edges: (start, end, hour index, price period index)."""
    pieces: list[Piece] = []
    hour = 0
    for seg_start, seg_end, period in segments:
        at = seg_start
        while at < seg_end:
            while hours[hour][1] <= at:
                hour += 1
            end = min(seg_end, hours[hour][1])
            pieces.append((at, end, hour, period))
            at = end
    return pieces


Tally = tuple[dict[tuple[int, int], int], dict[int, int]]  # (hour, period) -> mW*s; window -> mW*s


def _tally(loads: Sequence[MilliLoad], pieces: list[Piece], window_s: int, phase_s: int) -> Tally:
    """Energy [mW*s] of sorted loads per (hour, price period) and per demand window, in one pass.

    The hot loop of `record`: loads come in time order, so the current piece and window are
    carried along instead of looked up, and a window's energy is kept in a local until it ends.
    """
    by_piece = [0] * len(pieces)
    seen = bytearray(len(pieces))  # pieces a load touches, 0 W included: the miner reported
    piece_starts = [piece[0] for piece in pieces]
    piece_ends = [piece[1] for piece in pieces]
    windows: dict[int, int] = {}
    position = max(bisect_right(piece_starts, loads[0][0]) - 1, 0)
    last = len(pieces) - 1
    piece_end = piece_ends[position]
    window = loads[0][0] - (loads[0][0] + phase_s) % window_s
    window_end = window + window_s
    in_window = 0
    for start, end, power in loads:
        while piece_end <= start and position < last:
            position += 1
            piece_end = piece_ends[position]
        if end <= piece_end:
            by_piece[position] += power * (end - start)
            seen[position] = 1
        else:
            scan = position
            while scan <= last and piece_starts[scan] < end:
                overlap = min(end, piece_ends[scan]) - max(start, piece_starts[scan])
                if overlap > 0:
                    by_piece[scan] += power * overlap
                    seen[scan] = 1
                scan += 1
        if start >= window_end:  # a later window: close the current one
            windows[window] = windows.get(window, 0) + in_window
            window = start - (start + phase_s) % window_s
            window_end = window + window_s
            in_window = 0
        at = start
        while end > window_end:  # the load runs through the end of the window
            in_window += power * (window_end - at)
            windows[window] = windows.get(window, 0) + in_window
            at, window, window_end, in_window = window_end, window_end, window_end + window_s, 0
        in_window += power * (end - at)
    windows[window] = windows.get(window, 0) + in_window
    energy: dict[tuple[int, int], int] = {}
    for (_, _, hour, period), amount, reported in zip(pieces, by_piece, seen, strict=True):
        if reported:
            energy[(hour, period)] = energy.get((hour, period), 0) + amount
    return energy, windows


def _add_tallies(tallies: Iterable[Tally]) -> Tally:
    energy: dict[tuple[int, int], int] = {}
    windows: dict[int, int] = {}
    for part_energy, part_windows in tallies:
        for key, amount in part_energy.items():
            energy[key] = energy.get(key, 0) + amount
        for window, amount in part_windows.items():
            windows[window] = windows.get(window, 0) + amount
    return energy, windows


def _hourly_peaks_kw(
    windows: Mapping[int, int], window_s: int, low: int, high: int, first_hour: int
) -> dict[int, Decimal]:
    """Highest demand-window average [kW] in each hour, by hour index.

    A window's average is its energy over the part of it inside [low, high) (see
    `calc.window_averages`). Windows divide the hour and share its alignment.
    """
    best: dict[int, tuple[float, int, int]] = {}  # hour -> (average, energy, seconds): floats to compare
    for window, energy in windows.items():
        covered = min(high, window + window_s) - max(low, window)
        index = (window - first_hour) // HOUR_S
        average = energy / covered
        if index not in best or average > best[index][0]:
            best[index] = (average, energy, covered)
    return {index: Decimal(energy) / seconds / 1_000_000 for index, (_, energy, seconds) in best.items()}


def _by_hour(energy: Mapping[tuple[int, int], int]) -> dict[int, dict[int, Decimal]]:
    """(hour, period) -> mW*s as hour -> period -> kWh."""
    out: dict[int, dict[int, Decimal]] = {}
    for (hour, period), amount in energy.items():
        out.setdefault(hour, {})[period] = Decimal(amount) / MILLIWATT_SECONDS_PER_KWH
    return out


def _meter_rows(
    tariff: Tariff,
    zone: ZoneInfo,
    energy: Mapping[tuple[int, int], int],
    peaks: Mapping[int, Decimal],
    hours: list[tuple[int, int]],
    period_s: int,
    prior: Prior,
) -> list[CostRecord]:
    joules = _by_hour(energy)
    peak_kw = max(prior.peak_kw, *peaks.values()) if peaks else prior.peak_kw
    # The period's demand charge, spread over its hours by time: (rate x peak x span / period)
    # x (hour / span) is the same for every span, so stored hours stay right as the span grows.
    demand_per_s = tariff.demand_charge_usd_per_kw * peak_kw / period_s
    cumulative_kwh = prior.energy_kwh
    rows = []
    for index, (start, end) in enumerate(hours):
        by_period = joules.get(index, {})
        energy_kwh = sum(by_period.values(), ZERO)
        tiers: dict[str, Decimal] = {}
        energy_cost, tou, tou_kwh = energy_costs(tariff, by_period)
        if tariff.rate_type == "tiered":
            before = tier_costs(tariff, cumulative_kwh)
            cumulative_kwh += energy_kwh
            after = tier_costs(tariff, cumulative_kwh)
            tiers = {label: after[label] - before[label] for label in after if after[label] != before[label]}
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
                demand_charge_usd=demand_per_s * (end - start),
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
    energy: Mapping[tuple[int, int], int],
    peaks: Mapping[int, Decimal],
    hours: list[tuple[int, int]],
    meter_rows: Sequence[CostRecord],
    reporting: Mapping[int, int],
) -> list[CostRecord]:
    rows = []
    tiered = tariff.rate_type == "tiered"
    for index, by_period in sorted(_by_hour(energy).items()):
        meter = meter_rows[index]
        energy_kwh = next(iter(by_period.values())) if len(by_period) == 1 else sum(by_period.values(), ZERO)
        share = energy_kwh / meter.energy_kwh if meter.energy_kwh else Decimal(1) / reporting[index]
        energy_cost, tou, tou_kwh = energy_costs(tariff, by_period)
        tiers: dict[str, Decimal] = {}
        if tiered:
            tiers = {label: amount * share for label, amount in meter.tier_breakdown_usd.items()}
            energy_cost = meter.energy_cost_usd * share
        start, end = hours[index]
        rows.append(
            CostRecord(
                tariff.name,
                tariff.location,
                name,
                start,
                end,
                energy_kwh,
                peaks.get(index, ZERO),
                energy_cost,
                meter.demand_charge_usd * share if meter.demand_charge_usd else ZERO,
                meter.service_charge_usd * share if meter.service_charge_usd else ZERO,
                tou,
                tiers,
                tou_kwh,
            )
        )
    return rows
