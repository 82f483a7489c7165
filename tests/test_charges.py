"""Charges PySAM cannot bill, against hand calculations: holidays, ratchets, a cycle from the 15th,
DST inside a TOU demand window, kW tiers, daily tier bounds, fixed charges per year, a minimum bill."""

from __future__ import annotations

from decimal import Decimal, localcontext

from elecost.tariffs.engine import price_loads
from elecost.tariffs.records import DECIMAL_CONTEXT, CostRecord, combine
from elecost.tariffs.usage import Load

from helpers import at, tariff

HOUR = 3600
DAY = 86_400


def steady(t: object, kw: str, start: int, end: int) -> list[CostRecord]:
    return price_loads(t, [Load(start, end, Decimal(kw) * 1000)], start, end)  # type: ignore[arg-type]


def usd(record: CostRecord, charge: str, label: str | None = None) -> Decimal:
    return sum((line.usd for line in record.lines if line.charge == charge and label in (None, line.label)), Decimal(0))


TOU = """
name: Holiday TOU
timezone: America/Chicago
energy:
  - {name: Peak, rate: 0.20, days: [mon, tue, wed, thu, fri], start: "14:00", end: "19:00"}
  - {name: Off-Peak, rate: 0.05, days: [mon, tue, wed, thu, fri], start: "19:00", end: "14:00"}
  - {name: Off-Peak, rate: 0.05, days: [sat, sun], start: "00:00", end: "24:00"}
demand_charges:
  - {name: On-peak demand, usd_per_kw: 10, days: [mon, tue, wed, thu, fri], start: "14:00", end: "19:00"}
"""


def test_a_holiday_is_priced_as_a_sunday_by_energy_and_demand() -> None:
    listed = tariff(TOU + "holidays: [2026-07-03]\n")
    by_country = tariff(TOU + "holidays: {country: US}\n")  # Independence Day is observed on Friday 3 July 2026
    plain = tariff(TOU)
    friday = at("2026-07-03T00:00", "America/Chicago")
    for t in (listed, by_country):
        (record,) = steady(t, "2", friday, friday + DAY)
        assert usd(record, "energy") == Decimal("2.40")  # 48 kWh, all off-peak at 0.05
        assert [line.label for line in record.lines if line.charge == "energy"] == ["Off-Peak"]
        assert usd(record, "demand") == 0  # no on-peak window on a holiday
    (record,) = steady(plain, "2", friday, friday + DAY)
    assert usd(record, "energy") == Decimal("10") * Decimal("0.20") + Decimal("38") * Decimal("0.05")


def test_a_ratchet_bills_a_share_of_the_highest_previous_peak() -> None:
    t = tariff(
        """
        name: Ratchet
        rate_type: flat
        flat_rate_usd_per_kwh: 0
        demand_charges:
          - {name: Demand, usd_per_kw: 10, ratchet: {pct: 80, periods: 2}}
        """
    )
    jan, feb, mar, apr = (at(f"2026-0{m}-01T00:00") for m in (1, 2, 3, 4))
    may = at("2026-05-01T00:00")
    loads = [
        Load(jan, feb, Decimal(100_000)),  # 100 kW
        Load(feb, mar, Decimal(50_000)),  # 50 kW, billed at 80% of 100 = 80 kW
        Load(mar, apr, Decimal(90_000)),  # 90 kW: above the ratchet
        Load(apr, may, Decimal(10_000)),  # 10 kW: 80% of max(50, 90) = 72 kW (January is out of reach)
    ]
    bills = price_loads(t, loads, jan, may)
    assert [usd(b, "demand") for b in bills] == [1000, 800, 900, 720]
    assert [line.quantity for b in bills for line in b.lines if line.charge == "demand"] == [100, 80, 90, 72]


def test_a_seasonal_demand_charge_in_a_cycle_from_the_15th_counts_only_its_months() -> None:
    t = tariff(
        """
        name: Cycle
        timezone: America/Chicago
        rate_type: flat
        flat_rate_usd_per_kwh: 0.10
        billing_cycle_day: 15
        demand_charges:
          - {name: July demand, usd_per_kw: 20, months: [7]}
        """
    )
    start, mid, end = (
        at(text, "America/Chicago") for text in ("2026-06-15T00:00", "2026-07-01T00:00", "2026-07-15T00:00")
    )
    # 40 kW in June's part of the period, 25 kW in July's: the charge sees only July.
    (bill,) = price_loads(t, [Load(start, mid, Decimal(40_000)), Load(mid, end, Decimal(25_000))], start, end)
    assert usd(bill, "demand") == 500
    assert bill.peak_power_kw == 40
    assert bill.energy_kwh == 40 * 16 * 24 + 25 * 14 * 24


def test_dst_inside_a_tou_demand_window_counts_both_repeated_hours_and_skips_the_missing_one() -> None:
    t = tariff(
        """
        name: Night window
        timezone: America/Chicago
        rate_type: flat
        flat_rate_usd_per_kwh: 0
        demand_interval_minutes: 15
        demand_charges:
          - {name: Night demand, usd_per_kw: 10, days: [sun], start: "01:00", end: "02:00"}
        """
    )
    # 2026-11-01: 01:00-02:00 happens twice (CDT, then CST). A 30 kW spike in the second one counts.
    first = at("2026-11-01T00:00", "America/Chicago")
    second_one_am = first + 2 * HOUR  # 01:00 CST
    loads = [
        Load(first, second_one_am + 15 * 60, Decimal(5_000)),
        Load(second_one_am + 15 * 60, second_one_am + 30 * 60, Decimal(30_000)),
        Load(second_one_am + 30 * 60, first + 25 * HOUR, Decimal(5_000)),
    ]
    (record,) = price_loads(t, loads, first, first + 25 * HOUR)
    assert record.duration_hours == 25
    assert [line.quantity for line in record.lines if line.charge == "demand"] == [30]
    # 2026-03-08: 02:00 never happens; a spike at 03:00 CDT is outside the window (01:00-02:00 was CST).
    day = at("2026-03-08T00:00", "America/Chicago")
    loads = [Load(day, day + 2 * HOUR, Decimal(7_000)), Load(day + 2 * HOUR, day + 23 * HOUR, Decimal(50_000))]
    (record,) = price_loads(t, loads, day, day + 23 * HOUR)
    assert [line.quantity for line in record.lines if line.charge == "demand"] == [7]


def test_kw_tiers_are_billed_incrementally() -> None:
    t = tariff(
        """
        name: Tiers
        rate_type: flat
        flat_rate_usd_per_kwh: 0
        demand_charges:
          - {name: Demand, tiers: [{up_to_kw: 100, usd_per_kw: 5}, {up_to_kw: 120, usd_per_kw: 7}, {usd_per_kw: 8}]}
        """
    )
    start, end = at("2026-04-01T00:00"), at("2026-05-01T00:00")
    (bill,) = steady(t, "150", start, end)
    assert usd(bill, "demand") == 100 * 5 + 20 * 7 + 30 * 8


def test_daily_tier_bounds_scale_with_the_days_of_the_billing_period() -> None:
    t = tariff(
        """
        name: Daily tiers
        rate_type: tiered
        tiered_rates: [{up_to_kwh: 10, rate: 0.10}, {rate: 0.30}]
        tier_bounds: daily
        """
    )
    for month, days in ((1, 31), (2, 28)):
        start = at(f"2026-{month:02d}-01T00:00")
        end = at(f"2026-{month + 1:02d}-01T00:00")
        (bill,) = steady(t, "1", start, end)  # 24 kWh a day
        assert bill.tier_breakdown_usd == {
            "0-10 kWh/day": Decimal(10 * days) * Decimal("0.10"),
            "over 10 kWh/day": Decimal(14 * days) * Decimal("0.30"),
        }


def test_fixed_charges_per_day_month_and_year_and_a_minimum_bill() -> None:
    t = tariff(
        """
        name: Fixed
        rate_type: flat
        flat_rate_usd_per_kwh: 0.10
        fixed_charges:
          - {name: Meter, usd: 1.50, per: day}
          - {name: Customer, usd: 40, per: month}
          - {name: Annual, usd: 120, per: year}
        minimum_bill_usd: 200
        """
    )
    start, end = at("2026-04-01T00:00"), at("2026-05-01T00:00")
    (bill,) = steady(t, "0.01", start, end)  # 7.2 kWh: $0.72 of energy
    assert [(line.label, line.usd) for line in bill.lines if line.charge in ("fixed", "minimum")] == [
        ("Meter", Decimal(45)),
        ("Customer", Decimal(40)),
        ("Annual", Decimal(10)),
        ("Minimum bill", Decimal("104.28")),
    ]
    assert bill.total_cost_usd == 200
    # Ten days of the period pay a third of each per-period amount (and of the minimum).
    (part,) = steady(t, "0.01", start, start + 10 * DAY)
    assert part.partial
    assert abs(part.total_cost_usd - Decimal(200) / 3) < Decimal("1e-20")
    assert abs(usd(part, "fixed", "Customer") - Decimal(40) / 3) < Decimal("1e-20")


def test_lines_sum_to_the_total_over_several_periods() -> None:
    t = tariff(TOU + "fixed_charges: [{name: Customer, usd: 25, per: month}]\n")
    start, end = at("2026-06-20T00:00", "America/Chicago"), at("2026-08-10T00:00", "America/Chicago")
    bills = steady(t, "3", start, end)
    whole = combine(bills)
    assert len(bills) == 3
    for record in [*bills, whole]:
        with localcontext(DECIMAL_CONTEXT):
            assert sum((line.usd for line in record.lines), Decimal(0)) == record.total_cost_usd
