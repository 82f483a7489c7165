"""The one tally (`usage.tally`), the hot loop of `record`, against its rule written out: each load's
energy falls in every price piece and demand window it overlaps, by the seconds of overlap."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from elecost.tariffs.usage import PackedLoads, Piece, clip, tally

BASE = 1_784_091_600  # a local midnight in Chicago: pieces and windows start on the clock


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[tuple[int, int, int]], list[Piece], int, int]:
    """Sorted loads with gaps, zero power and loads long enough to cross several pieces and windows,
    over pieces that cut [low, high) at hour edges and at price-period changes inside hours."""
    window_s = draw(st.sampled_from([300, 900, 1800, 3600]))
    phase_s = draw(st.sampled_from([0, 0, 1800 % window_s]))
    low = BASE + draw(st.integers(0, 3600))
    edges = {low}
    at = low
    for _ in range(draw(st.integers(1, 12))):
        at += draw(st.integers(60, 5400))
        edges.add(at)
    high = at
    hours = range(BASE, high, 3600)
    edges |= {hour for hour in hours if low < hour < high}
    cuts = sorted(edges)
    pieces: list[Piece] = [
        (start, end, (start - BASE) // 3600, draw(st.integers(0, 2))) for start, end in pairwise(cuts)
    ]
    loads = []
    at = low + draw(st.integers(0, 600))
    while at < high:
        length = min(draw(st.sampled_from([60, 300, 300, 900, 4000])), high - at)
        if draw(st.integers(0, 5)):  # now and then a gap
            loads.append((at, at + length, draw(st.sampled_from([0, 1, 3_250_000, 10**10]))))
        at += length
    if not loads:
        loads.append((low, low + 1, 7))
    return loads, pieces, window_s, phase_s


def by_rule(
    loads: list[tuple[int, int, int]], pieces: list[Piece], window_s: int, phase_s: int
) -> tuple[dict[tuple[int, int], int], dict[int, int]]:
    energy: dict[tuple[int, int], int] = {}
    windows: dict[int, int] = {}
    for start, end, power in loads:
        for piece_start, piece_end, hour, period in pieces:
            overlap = min(end, piece_end) - max(start, piece_start)
            if overlap > 0:
                energy[(hour, period)] = energy.get((hour, period), 0) + power * overlap
        window = start - (start + phase_s) % window_s
        while window < end:
            windows[window] = windows.get(window, 0) + power * (min(end, window + window_s) - max(start, window))
            window += window_s
    return energy, windows


@given(cases())
@settings(max_examples=400, deadline=None)
def test_the_tally_puts_each_loads_energy_where_it_overlaps(
    case: tuple[list[tuple[int, int, int]], list[Piece], int, int],
) -> None:
    loads, pieces, window_s, phase_s = case
    energy, windows = tally(loads, pieces, window_s, phase_s)
    assert (energy, windows) == by_rule(loads, pieces, window_s, phase_s)
    assert list(windows) == sorted(windows)  # in time order, as the hourly peaks take them


@given(cases(), st.integers(-600, 7200), st.integers(0, 20_000))
@settings(max_examples=300, deadline=None)
def test_packed_loads_tally_and_clip_as_the_tuples_do(
    case: tuple[list[tuple[int, int, int]], list[Piece], int, int], low_offset: int, length: int
) -> None:
    """The store hands the engine packed loads (24 bytes a load): the tally is the same, and a
    clip keeps what overlaps [low, high), the loads across its edges cut there."""
    loads, pieces, window_s, phase_s = case
    packed = PackedLoads.of(loads)
    assert list(packed) == loads and len(packed) == len(loads) and packed[-1] == loads[-1]
    assert tally(packed, pieces, window_s, phase_s) == tally(loads, pieces, window_s, phase_s)
    low = loads[0][0] + low_offset
    high = low + length
    inside = [(max(start, low), min(end, high), power) for start, end, power in loads if end > low and start < high]
    clipped = clip(packed, low, high)
    assert list(clipped) == inside
    assert list(packed) == loads  # the clip is a copy where it cuts
    assert (clipped is packed) == (inside == loads)  # and the loads themselves where all are inside
