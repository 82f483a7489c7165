"""The calculator against hand calculations: worked examples, DST, seasons, tiers, demand, cycles."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from elecost.pricing import price_constant_load
from elecost.report_data import cents
from elecost.tariffs.engine import price_loads
from elecost.tariffs.records import CostRecord, combine
from elecost.tariffs.usage import Load

from helpers import at, example, tariff
from oracle import sum_loads

FLAT = example("flat.yaml")
TOU = example("tou.yaml")
TOU_CHICAGO = replace(TOU, timezone="America/Chicago")
DAY = 86_400
# Any instant from 2000 to 2100.
instants = st.integers(min_value=946_684_800, max_value=4_102_444_800)


def cost(t: object, power_w: str, start_s: int, seconds: int) -> CostRecord:
    return price_constant_load(t, Decimal(power_w), start_s, seconds).total  # type: ignore[arg-type]


def test_flat_worked_example() -> None:
    record = cost(FLAT, "3000", at("2026-05-04T00:00"), DAY)
    assert record.energy_kwh == 72
    assert cents(record.energy_cost_usd) == Decimal("8.64")
    assert record.service_charge_usd == Decimal("0.50")
    assert cents(record.total_cost_usd) == Decimal("9.14")


def test_tou_worked_example() -> None:
    record = cost(TOU, "3000", at("2026-05-04T00:00"), DAY)
    assert record.tou_breakdown_usd == {"Off-Peak": Decimal("2.40"), "Peak": Decimal("7.56")}
    assert record.total_cost_usd == Decimal("9.96")


@settings(max_examples=60, deadline=None)
@given(start=instants)
def test_worked_examples_hold_from_any_start(start: int) -> None:
    assert cents(cost(FLAT, "3000", start, DAY).total_cost_usd) == Decimal("9.14")
    assert cents(cost(TOU, "3000", start, DAY).total_cost_usd) == Decimal("9.96")


def test_spring_forward_day_has_23_hours() -> None:
    # 2026-03-08 in Chicago: 02:00 does not exist. Off-Peak 00-02 and 03-07 (6 h) plus 21-24 (3 h).
    start, end = at("2026-03-08T00:00", "America/Chicago"), at("2026-03-09T00:00", "America/Chicago")
    assert end - start == 23 * 3600
    record = cost(TOU_CHICAGO, "3000", start, end - start)
    assert record.tou_breakdown_usd == {"Off-Peak": Decimal("2.16"), "Peak": Decimal("7.56")}
    assert record.total_cost_usd == Decimal("9.72")


def test_fall_back_day_has_25_hours() -> None:
    # 2026-11-01 in Chicago: 01:00-02:00 happens twice, both in Off-Peak (11 h in all).
    start, end = at("2026-11-01T00:00", "America/Chicago"), at("2026-11-02T00:00", "America/Chicago")
    assert end - start == 25 * 3600
    record = cost(TOU_CHICAGO, "3000", start, end - start)
    assert record.tou_breakdown_usd == {"Off-Peak": Decimal("2.64"), "Peak": Decimal("7.56")}
    assert record.total_cost_usd == Decimal("10.20")


def test_daily_service_charge_is_one_day_on_a_dst_day() -> None:
    flat_chicago = replace(FLAT, timezone="America/Chicago")
    start, end = at("2026-03-08T00:00", "America/Chicago"), at("2026-03-09T00:00", "America/Chicago")
    record = cost(flat_chicago, "3000", start, end - start)
    assert record.service_charge_usd == Decimal("0.50")
    assert cents(record.total_cost_usd) == Decimal("8.78")  # 69 kWh x 0.12 + 0.50


def test_service_charge_prorated_for_part_of_a_day() -> None:
    record = cost(FLAT, "0", at("2026-05-04T06:00"), 6 * 3600)
    assert record.service_charge_usd == Decimal("0.125")


WRAP = """
    name: Night
    rate_type: tou
    tou_schedule:
      - {name: Night, rate: 0.05, start: "22:30", end: "06:15"}
      - {name: Day, rate: 0.20, start: "06:15", end: "22:30"}
"""


def test_period_wraps_past_midnight_on_the_same_day() -> None:
    night = tariff(WRAP)
    # 1 kW from 22:00 to 07:00: Day 22:00-22:30 and 06:15-07:00 (1.25 h), Night 7.75 h.
    record = cost(night, "1000", at("2026-05-04T22:00"), 9 * 3600)
    assert record.tou_energy_kwh == {"Day": Decimal("1.25"), "Night": Decimal("7.75")}
    assert record.energy_cost_usd == Decimal("1.25") * Decimal("0.20") + Decimal("7.75") * Decimal("0.05")


def test_season_switches_at_local_month_end() -> None:
    seasonal = example("texas_industrial.yaml")
    # Sep 30 is a Wednesday: 19:00-20:00 local is Summer Peak; Oct 1 00:00-01:00 is Off-Peak.
    start = at("2026-09-30T19:00", "America/Chicago")
    record = cost(seasonal, "1000", start, 6 * 3600)
    assert record.tou_energy_kwh == {
        "Summer Peak": Decimal(1),
        "Summer Off-Peak": Decimal(4),
        "Off-Peak": Decimal(1),
    }


TIERED = """
    name: Blocks
    rate_type: tiered
    tiered_rates:
      - {up_to_kwh: 100, rate: 0.10}
      - {up_to_kwh: 300, rate: 0.20}
      - {rate: 0.50}
"""


def test_tier_boundaries_crossed_inside_one_interval() -> None:
    blocks = tariff(TIERED)
    record = cost(blocks, "10000", at("2026-05-04T00:00"), 35 * 3600)  # 350 kWh in one load
    assert record.tier_breakdown_usd == {
        "0-100 kWh": Decimal(10),
        "100-300 kWh": Decimal(40),
        "over 300 kWh": Decimal(25),
    }
    assert record.energy_cost_usd == 75


def test_tiers_reset_each_billing_period() -> None:
    blocks = replace(tariff(TIERED), billing_cycle_day=15)
    # 10 kW from May 14 00:00 to May 16 00:00: 240 kWh before the 15th, 240 after.
    record = cost(blocks, "10000", at("2026-05-14T00:00"), 2 * DAY)
    per_period = Decimal(10) + Decimal(140) * Decimal("0.20")  # 100 at 0.10, 140 at 0.20
    assert record.energy_cost_usd == 2 * per_period


def test_billing_cycle_day_splits_records() -> None:
    blocks = replace(tariff(TIERED), billing_cycle_day=15)
    periods = price_constant_load(blocks, Decimal(1000), at("2026-05-14T12:00"), DAY).periods
    assert [(p.period_start_s, p.period_end_s) for p in periods] == [
        (at("2026-05-14T12:00"), at("2026-05-15T00:00")),
        (at("2026-05-15T00:00"), at("2026-05-15T12:00")),
    ]


def test_billing_cycle_day_31_falls_on_the_last_day_of_short_months() -> None:
    flat = replace(FLAT, billing_cycle_day=31)
    periods = price_constant_load(flat, Decimal(1000), at("2026-02-20T00:00"), 45 * DAY).periods
    assert [p.period_start_s for p in periods] == [
        at("2026-02-20T00:00"),
        at("2026-02-28T00:00"),
        at("2026-03-31T00:00"),
    ]


def test_leap_day_is_billed_as_a_day() -> None:
    # 2028-02-29 is a Tuesday; a whole billing period (February) has 29 days of service charge.
    flat = FLAT
    record = cost(flat, "1000", at("2028-02-01T00:00"), 29 * DAY)
    assert record.service_charge_usd == Decimal("14.50")
    assert record.partial is False
    record = cost(flat, "1000", at("2028-02-29T00:00"), DAY)
    assert record.energy_kwh == 24


DEMAND = """
    name: Demand
    rate_type: flat
    flat_rate_usd_per_kwh: 0.10
    demand_charge_usd_per_kw: 10
    demand_interval_minutes: 15
"""


def test_demand_is_the_highest_window_average() -> None:
    demand = tariff(DEMAND)
    start = at("2026-04-01T00:00")
    loads = [
        Load(start, start + 30 * DAY - 600, Decimal(1000)),
        # a 10-minute spike at the very end of the month
        Load(start + 30 * DAY - 600, start + 30 * DAY, Decimal(7000)),
    ]
    record = combine(price_loads(demand, loads, start, start + 30 * DAY))
    # Last window 23:45-24:00: 5 min at 1 kW and 10 min at 7 kW -> 5 kW.
    assert record.peak_power_kw == 5
    assert record.demand_charge_usd == 50  # a whole billing period: charged in full
    assert record.partial is False


def test_demand_charge_is_prorated_for_part_of_a_period() -> None:
    demand = tariff(DEMAND)
    record = cost(demand, "4000", at("2026-04-01T00:00"), 3 * DAY)  # April has 30 days
    assert record.demand_charge_usd == Decimal(40) * 3 / 30
    assert record.partial is True


def test_a_gap_is_not_billed_energy() -> None:
    flat = FLAT
    start = at("2026-05-04T00:00")
    loads = [Load(start, start + 3600, Decimal(1000)), Load(start + 7200, start + 10800, Decimal(1000))]
    record = combine(price_loads(flat, loads, start, start + 10800))
    assert record.energy_kwh == 2


def test_sum_loads_adds_miners_and_keeps_gaps() -> None:
    a = [Load(0, 100, Decimal(5)), Load(200, 300, Decimal(5))]
    b = [Load(50, 250, Decimal(1))]
    assert sum_loads(a + b) == [
        Load(0, 50, Decimal(5)),
        Load(50, 100, Decimal(6)),
        Load(100, 200, Decimal(1)),
        Load(200, 250, Decimal(6)),
        Load(250, 300, Decimal(5)),
    ]


@settings(max_examples=60, deadline=None)
@given(
    start=instants,
    seconds=st.integers(min_value=2, max_value=40 * DAY),
    cut=st.floats(min_value=0.01, max_value=0.99),
    which=st.sampled_from(["flat.yaml", "tou.yaml", "tiered.yaml", "texas_industrial.yaml"]),
)
def test_splitting_a_span_never_changes_its_energy_cost(start: int, seconds: int, cut: float, which: str) -> None:
    chosen = example(which)
    middle = start + max(1, min(seconds - 1, int(seconds * cut)))
    whole = combine(price_loads(chosen, [Load(start, start + seconds, Decimal(3210))], start, start + seconds))
    pieces = [Load(start, middle, Decimal(3210)), Load(middle, start + seconds, Decimal(3210))]
    split = combine(price_loads(chosen, pieces, start, start + seconds))
    assert split.energy_cost_usd == whole.energy_cost_usd
    assert split.energy_kwh == whole.energy_kwh
    assert split.peak_power_kw == whole.peak_power_kw
    assert abs(split.total_cost_usd - whole.total_cost_usd) < Decimal("1e-40")
