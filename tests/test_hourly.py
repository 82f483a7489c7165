"""Hourly cost rows add up: miners to the meter, and the meter's hours to the bill."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from elecost.tariffs.engine import price_hours
from elecost.tariffs.periods import billing_periods
from elecost.tariffs.records import CostRecord
from elecost.tariffs.usage import Load, float_hourly_peaks_kw, to_milli

from helpers import at, example
from oracle import price_loads, sum_loads

TOLERANCE = Decimal("1e-20")


def milli(fleet: dict[str, list[Load]]) -> dict[str, list[tuple[int, int, int]]]:
    return {name: [to_milli(load) for load in loads] for name, loads in fleet.items()}


def total(records: list[CostRecord], attribute: str) -> Decimal:
    return sum((getattr(r, attribute) for r in records), Decimal(0))


@st.composite
def fleets(draw: st.DrawFn) -> dict[str, list[Load]]:
    """Two or three miners with random steps of power, starts and gaps, over up to 3 days."""
    base = at("2026-03-06T00:00", "America/Chicago") + draw(st.integers(0, 3 * 86_400))
    fleet = {}
    for miner in ("a", "b", "c")[: draw(st.integers(2, 3))]:
        at_s = base + draw(st.integers(0, 7200))
        loads = []
        for _ in range(draw(st.integers(1, 25))):
            length = draw(st.integers(60, 4 * 3600))
            if draw(st.booleans()) or not loads:
                loads.append(Load(at_s, at_s + length, Decimal(draw(st.integers(0, 5000)))))
            at_s += length
        fleet[miner] = loads
    return fleet


@settings(max_examples=40, deadline=None)
@given(
    fleet=fleets(),
    which=st.sampled_from(["texas_industrial.yaml", "tiered.yaml", "tou.yaml", "flat.yaml"]),
)
def test_hours_add_up_to_the_bill_and_miners_to_the_meter(fleet: dict[str, list[Load]], which: str) -> None:
    tariff = example(which)
    from zoneinfo import ZoneInfo

    meter = sum_loads(load for loads in fleet.values() for load in loads)
    for start, end in billing_periods(
        ZoneInfo(tariff.timezone), tariff.billing_cycle_day, meter[0].start_s, meter[-1].end_s
    ):
        rows = price_hours(tariff, milli(fleet), start, end)
        inside = [load for load in meter if load.end_s > start and load.start_s < end]
        if not inside:
            assert rows == []
            continue
        low, high = max(start, inside[0].start_s), min(end, inside[-1].end_s)
        (bill,) = price_loads(
            tariff, [Load(max(x.start_s, low), min(x.end_s, high), x.power_w) for x in inside], low, high
        )
        meter_rows = [r for r in rows if r.miner_ip is None]
        for attribute in ("energy_kwh", "energy_cost_usd", "demand_charge_usd", "service_charge_usd"):
            assert abs(total(meter_rows, attribute) - getattr(bill, attribute)) < TOLERANCE, attribute
        assert max(r.peak_power_kw for r in meter_rows) == bill.peak_power_kw
        for row in meter_rows:
            miners = [r for r in rows if r.miner_ip and r.period_start_s == row.period_start_s]
            if not miners:
                continue
            assert abs(total(miners, "energy_kwh") - row.energy_kwh) < TOLERANCE
            assert abs(total(miners, "total_cost_usd") - row.total_cost_usd) < TOLERANCE


def test_hour_rows_follow_the_local_clock_on_a_dst_day() -> None:
    tariff = example("texas_industrial.yaml")
    start = at("2026-11-01T00:00", "America/Chicago")
    rows = price_hours(tariff, {"a": [(start, start + 25 * 3600, 1_000_000)]}, *_period(tariff, start))
    meter_rows = [r for r in rows if r.miner_ip is None]
    assert len(meter_rows) == 25  # the repeated 01:00 hour is its own row
    assert all(r.period_end_s - r.period_start_s == 3600 for r in meter_rows)


def _period(tariff: object, instant: int) -> tuple[int, int]:
    from zoneinfo import ZoneInfo

    return next(billing_periods(ZoneInfo(tariff.timezone), tariff.billing_cycle_day, instant, instant + 1))  # type: ignore[attr-defined]


@settings(max_examples=30, deadline=None)
@given(
    fleet=fleets(),
    which=st.sampled_from(["entergy_arkansas_lps_tou.yaml", "pge_e19_secondary.yaml", "tou_tiers_minimum.yaml"]),
    cut=st.floats(0.05, 0.95),
)
def test_charge_based_hours_add_up_to_the_bill_and_splitting_changes_nothing(
    fleet: dict[str, list[Load]], which: str, cut: float
) -> None:
    """For tariffs made of charges (tiers per period, TOU demand, riders, fixed charges, a minimum
    bill): miner rows add up to the meter's, the meter's hours to the bill, lines to each total,
    and cutting every load in two changes no bill."""
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from elecost.tariffs.engine import bill_periods
    from elecost.tariffs.load import load_tariff_file

    data = Path(__file__).resolve().parent / "data" / which
    tariff = load_tariff_file(data) if data.exists() else example(which)
    meter = sum_loads(load for loads in fleet.values() for load in loads)
    bills = bill_periods(tariff, milli(fleet))
    split = {
        name: [
            part
            for load in loads
            for part in (
                [load]
                if load.end_s - load.start_s < 2
                else [
                    Load(load.start_s, load.start_s + max(1, int((load.end_s - load.start_s) * cut)), load.power_w),
                    Load(load.start_s + max(1, int((load.end_s - load.start_s) * cut)), load.end_s, load.power_w),
                ]
            )
        ]
        for name, loads in fleet.items()
    }
    assert [b.total_cost_usd for b in bill_periods(tariff, milli(split))] == [b.total_cost_usd for b in bills]
    periods = list(
        billing_periods(ZoneInfo(tariff.timezone), tariff.billing_cycle_day, meter[0].start_s, meter[-1].end_s)
    )
    assert len(periods) == len(bills)
    for (start, end), bill in zip(periods, bills, strict=True):
        rows = price_hours(tariff, milli(fleet), start, end)
        meter_rows = [r for r in rows if r.miner_ip is None]
        assert abs(total(meter_rows, "total_cost_usd") - bill.total_cost_usd) < TOLERANCE
        assert sum((line.usd for line in bill.lines), Decimal(0)) - bill.total_cost_usd < TOLERANCE
        for row in meter_rows:
            assert abs(sum((line.usd for line in row.lines), Decimal(0)) - row.total_cost_usd) < TOLERANCE
            # Miner rows, with the site's overhead where no miner reported, add up to the meter's.
            miners = [r for r in rows if r.miner_ip and r.period_start_s == row.period_start_s]
            assert miners
            assert abs(total(miners, "total_cost_usd") - row.total_cost_usd) < TOLERANCE
            assert abs(total(miners, "energy_kwh") - row.energy_kwh) < TOLERANCE


@st.composite
def window_tallies(draw: st.DrawFn) -> tuple[dict[int, int], int, int, int, int]:
    """A miner's demand windows as `tally` makes them (in time order), mostly whole hours of them,
    with gaps, missing windows and a span [low, high) that may cut the first or last."""
    window_s = draw(st.sampled_from([300, 900, 1800, 3600]))
    first_hour = 1_784_091_600 + draw(st.sampled_from([0, 1800]))  # a half-hour zone's hours too
    start = first_hour + draw(st.integers(0, 3)) * window_s
    windows: dict[int, int] = {}
    for step in range(draw(st.integers(1, 3 * 3600 // window_s))):
        if draw(st.integers(0, 9)):  # now and then a window without readings
            windows[start + step * window_s] = draw(st.integers(0, 4_000_000 * window_s))
    last = start + 3 * 3600
    low = draw(st.sampled_from([first_hour, start, start + 1]))
    high = draw(st.sampled_from([last + window_s, last + 1, max(windows, default=start) + window_s - 1]))
    return windows, window_s, low, max(high, low + 1), first_hour


@given(window_tallies())
@settings(max_examples=300, deadline=None)
def test_float_hourly_peaks_are_each_hours_highest_window_average(
    case: tuple[dict[int, int], int, int, int, int],
) -> None:
    windows, window_s, low, high, first_hour = case
    expected: dict[int, float] = {}
    for window, energy in windows.items():  # the rule as written: each window over its part inside
        average = energy / (min(high, window + window_s) - max(low, window))
        index = (window - first_hour) // 3600
        expected[index] = max(expected.get(index, -1.0), average)
    got = float_hourly_peaks_kw(windows, window_s, low, high, first_hour)
    assert got == {index: average / 1_000_000 for index, average in expected.items()}
