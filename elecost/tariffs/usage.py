"""The one tally of usage: loads -> energy per (local hour, price period) and per demand window.

Built for fleets (thousands of miners, millions of readings): loads come as (start_s, end_s,
power_mw) integer tuples (from the store packed in columns, `PackedLoads`), and energy is summed
exactly in milliwatt-seconds with one pass over each miner's loads. Every charge is priced from
these two tallies (see `elecost.tariffs.engine`).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import overload
from zoneinfo import ZoneInfo

HOUR_S = 3600
MILLIWATT_SECONDS_PER_KWH = Decimal(3_600_000_000)
MilliLoad = tuple[int, int, int]  # start_s, end_s, power [mW]
Piece = tuple[int, int, int, int]  # start_s, end_s, hour index, price period index


@dataclass(frozen=True)
class Load:
    """Constant average power over [start_s, end_s) (UTC epoch seconds)."""

    start_s: int
    end_s: int
    power_w: Decimal


def to_milli(load: Load) -> MilliLoad:
    """A load with its power in whole milliwatts (the tally's unit)."""
    return load.start_s, load.end_s, int((load.power_w * 1000).to_integral_value())


def clock_phase_s(zone: ZoneInfo, instant_s: int, window_s: int) -> int:
    """The local UTC offset modulo a window length, to align windows with the wall clock."""
    offset = datetime.fromtimestamp(instant_s, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) % window_s if offset else 0


class PackedLoads(Sequence[MilliLoad]):
    """One miner's sorted loads as three columns of 64-bit integers: 24 bytes a load, where a list
    of (start_s, end_s, power_mw) tuples takes ~130 (a 10,000-miner month is 86 million loads:
    2 GB, not 11). Read as that list is: by index or in order, each load a tuple."""

    __slots__ = ("ends", "powers", "starts")

    def __init__(self, starts: Iterable[int] = (), ends: Iterable[int] = (), powers: Iterable[int] = ()) -> None:
        self.starts = array("q", starts)
        self.ends = array("q", ends)
        self.powers = array("q", powers)

    @classmethod
    def of(cls, loads: Sequence[MilliLoad]) -> PackedLoads:
        """`loads` packed (as they are, if they are already)."""
        if isinstance(loads, PackedLoads):
            return loads
        return cls([load[0] for load in loads], [load[1] for load in loads], [load[2] for load in loads])

    def __len__(self) -> int:
        return len(self.starts)

    def __iter__(self) -> Iterator[MilliLoad]:
        return zip(self.starts, self.ends, self.powers, strict=True)

    @overload
    def __getitem__(self, index: int) -> MilliLoad: ...

    @overload
    def __getitem__(self, index: slice) -> PackedLoads: ...

    def __getitem__(self, index: int | slice) -> MilliLoad | PackedLoads:
        if isinstance(index, slice):
            part = PackedLoads()
            part.starts, part.ends, part.powers = self.starts[index], self.ends[index], self.powers[index]
            return part
        return self.starts[index], self.ends[index], self.powers[index]


def clip(packed: PackedLoads, low: int, high: int) -> PackedLoads:
    """The loads inside [low, high), the ones across its edges cut there (loads are sorted)."""
    starts, ends = packed.starts, packed.ends
    first = max(bisect_left(starts, low) - 1, 0)  # the last load starting before `low`
    while first < len(starts) and ends[first] <= low:
        first += 1
    last = bisect_left(starts, high, lo=first)  # the first load starting at or after `high`
    if first == 0 and last == len(starts) and (not starts or (starts[0] >= low and ends[-1] <= high)):
        return packed  # all inside: not copied (loads are never changed in place)
    inside = packed[first:last]
    if inside and inside.starts[0] < low:
        inside.starts[0] = low
    if inside and inside.ends[-1] > high:
        inside.ends[-1] = high
    return inside


def local_hours(zone: ZoneInfo, low: int, high: int) -> list[tuple[int, int]]:
    """The local clock hours overlapping [low, high), clipped to it."""
    phase = clock_phase_s(zone, low, HOUR_S)
    start = low - (low + phase) % HOUR_S
    return [(max(h, low), min(h + HOUR_S, high)) for h in range(start, high, HOUR_S)]


def pieces(segments: Iterable[tuple[int, int, int]], hours: list[tuple[int, int]]) -> list[Piece]:
    """Price segments cut at hour edges: (start, end, hour index, price period index)."""
    out: list[Piece] = []
    hour = 0
    for seg_start, seg_end, period in segments:
        at = seg_start
        while at < seg_end:
            while hours[hour][1] <= at:
                hour += 1
            end = min(seg_end, hours[hour][1])
            out.append((at, end, hour, period))
            at = end
    return out


Tally = tuple[dict[tuple[int, int], int], dict[int, int]]  # (hour, period) -> mW*s; window -> mW*s


def tally(loads: Sequence[MilliLoad], pieces: list[Piece], window_s: int, phase_s: int) -> Tally:
    """Energy [mW*s] of sorted loads per (hour, price period) and per demand window, in one pass.

    The hot loop of `record`: loads come in time order, so the current piece and window are
    carried along instead of looked up, and their energy is kept in locals until they end.
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
    in_piece = 0  # the current piece's energy from the loads wholly inside it, kept in a local too
    for start, end, power in loads:
        while piece_end <= start and position < last:
            by_piece[position] += in_piece
            in_piece = 0
            position += 1
            piece_end = piece_ends[position]
        product = power * (end - start)
        if end <= piece_end:
            in_piece += product
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
        if end <= window_end:
            in_window += product
            continue
        at = start
        while end > window_end:  # the load runs through the end of the window
            in_window += power * (window_end - at)
            windows[window] = windows.get(window, 0) + in_window
            at, window, window_end, in_window = window_end, window_end, window_end + window_s, 0
        in_window += power * (end - at)
    by_piece[position] += in_piece
    windows[window] = windows.get(window, 0) + in_window
    energy: dict[tuple[int, int], int] = {}
    for (_, _, hour, period), amount, reported in zip(pieces, by_piece, seen, strict=True):
        if reported:
            energy[(hour, period)] = energy.get((hour, period), 0) + amount
    return energy, windows


def add_tally(into: Tally, part: Tally) -> None:
    """Add `part` into `into` (the meter's tally as the sum of its miners')."""
    energy, windows = into
    part_energy, part_windows = part
    for key, amount in part_energy.items():
        energy[key] = energy.get(key, 0) + amount
    for window, amount in part_windows.items():
        windows[window] = windows.get(window, 0) + amount


def hourly_peaks_kw(
    windows: Mapping[int, int], window_s: int, low: int, high: int, first_hour: int
) -> dict[int, Decimal]:
    """Highest demand-window average [kW] in each hour, by hour index.

    A window's average is its energy over the part of it inside [low, high) (see
    `window_average_kw`). Windows divide the hour and share its alignment.
    """
    best: dict[int, tuple[float, int, int]] = {}  # hour -> (average, energy, seconds): floats to compare
    for window, energy in windows.items():
        covered = min(high, window + window_s) - max(low, window)
        index = (window - first_hour) // HOUR_S
        average = energy / covered
        if index not in best or average > best[index][0]:
            best[index] = (average, energy, covered)
    return {index: Decimal(energy) / seconds / 1_000_000 for index, (_, energy, seconds) in best.items()}


def float_hourly_peaks_kw(
    windows: Mapping[int, int], window_s: int, low: int, high: int, first_hour: int
) -> dict[int, float]:
    """`hourly_peaks_kw` as floats, for the rows `record` stores as REAL.

    A miner that reported all through whole hours has every window of them, in time order (as
    `tally` makes them), none cut by [low, high): then each hour's peak is the largest of its run of
    windows, taken in C (a fleet-month is 2.9 million windows; 1 s -> 0.25 s). Dividing every window
    by the same length keeps the largest the largest, so the result is the same to the bit.
    """
    per_hour = HOUR_S // window_s
    if windows and HOUR_S % window_s == 0 and len(windows) % per_hour == 0:
        first = next(iter(windows))
        last = first + (len(windows) - 1) * window_s
        whole = (first - first_hour) % HOUR_S == 0 and first >= low and last + window_s <= high
        if whole and last in windows and list(windows) == list(range(first, last + 1, window_s)):
            runs = map(max, zip(*[iter(windows.values())] * per_hour, strict=True))  # an hour's windows
            start = (first - first_hour) // HOUR_S
            return {index: energy / window_s / 1_000_000 for index, energy in enumerate(runs, start)}
    best: dict[int, float] = {}
    for window, energy in windows.items():
        index = (window - first_hour) // HOUR_S
        average = energy / (min(high, window + window_s) - max(low, window))
        if average > best.get(index, -1.0):
            best[index] = average
    return {index: average / 1_000_000 for index, average in best.items()}


def window_average_kw(energy_mws: int, window: int, window_s: int, low: int, high: int) -> Decimal:
    """A demand window's average power [kW]: its energy over the part of it inside [low, high).

    A gap inside the span counts as no power, as the meter sees it; only a window cut by the
    span's ends averages over the part inside.
    """
    covered = min(high, window + window_s) - max(low, window)
    return Decimal(energy_mws) / covered / 1_000_000


def by_hour(energy: Mapping[tuple[int, int], int]) -> dict[int, dict[int, Decimal]]:
    """(hour, period) -> mW*s as hour -> period -> kWh."""
    out: dict[int, dict[int, Decimal]] = {}
    for (hour, period), amount in energy.items():
        out.setdefault(hour, {})[period] = Decimal(amount) / MILLIWATT_SECONDS_PER_KWH
    return out
