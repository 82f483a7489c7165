"""Bills cross-checked against an independent engine, NREL PySAM's Utilityrate5.

Each case is a random (seeded) tariff that both engines can express - flat, weekday/weekend TOU
with two seasons, tiers per calendar month, a flat monthly demand charge, a daily service charge -
and a random year of load, hourly or in 15-minute steps. PySAM's calendar is a 365-day year that
starts on a Monday, calendar months, no DST, and demand is the largest single time step; so the
year is 2018 (it starts on a Monday) in UTC, and elecost's demand window equals the time step.

PySAM can only charge one fixed amount every month, while elecost charges a daily service charge
for the days a month has; so the service charge is checked against days x rate, and PySAM's total
less its (zero) fixed charge plus that amount must equal elecost's total.
"""

from __future__ import annotations

import calendar
import itertools
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from elecost.tariffs.engine import price_loads
from elecost.tariffs.load import tariff_from_mapping
from elecost.tariffs.model import Tariff
from elecost.tariffs.records import CostRecord
from elecost.tariffs.usage import Load

from pysam_runner import monthly_bills

YEAR = 2018
YEAR_START = int(datetime(YEAR, 1, 1, tzinfo=UTC).timestamp())
UNBOUNDED = 1e38
CENT_FRACTION = 1e-6  # both engines sum the same products; they must agree far below a cent


@dataclass
class Case:
    tariff: Tariff
    steps_per_hour: int
    load_kw: list[float]
    weekday: list[list[int]]  # 12 x 24 PySAM period numbers (1-based)
    weekend: list[list[int]]
    energy_matrix: list[list[float]]  # PySAM ur_ec_tou_mat rows


def _money(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 4)


def random_case(seed: int) -> Case:
    rng = random.Random(seed)
    kind = ("flat", "tou", "tiered")[seed % 3]
    steps = 4 if seed % 2 else 1
    data: dict[str, Any] = {"name": f"case {seed}", "timezone": "UTC", "rate_type": kind}
    weekday = [[1] * 24 for _ in range(12)]
    weekend = [[1] * 24 for _ in range(12)]
    if kind == "flat":
        rate = _money(rng, 0.03, 0.2)
        data["flat_rate_usd_per_kwh"] = rate
        matrix = [[1, 1, UNBOUNDED, 0, rate, 0.0]]
    elif kind == "tiered":
        rates = [_money(rng, 0.03, 0.2) for _ in range(rng.randint(2, 4))]
        bounds = sorted(rng.sample(range(5_000, 200_000, 1_000), len(rates) - 1))
        data["tiered_rates"] = [{"up_to_kwh": b, "rate": r} for b, r in zip(bounds, rates, strict=False)] + [
            {"rate": rates[-1]}
        ]
        matrix = [
            [1, tier + 1, float(bound), 0, rate, 0.0]
            for tier, (bound, rate) in enumerate(zip([*bounds, UNBOUNDED], rates, strict=True))
        ]
    else:
        periods = rng.randint(2, 4)
        rates = [_money(rng, 0.03, 0.3) for _ in range(periods)]
        summer_start = rng.randint(3, 7)
        summer = set(range(summer_start, summer_start + rng.randint(2, 5)))
        schedule: list[dict[str, Any]] = []
        for months in (sorted(summer), sorted(set(range(1, 13)) - summer)):
            for days, grid in (([0, 1, 2, 3, 4], weekday), ([5, 6], weekend)):
                cuts = sorted(rng.sample(range(1, 24), rng.randint(1, 3)))
                hours = [0, *cuts, 24]
                for low, high in itertools.pairwise(hours):
                    period = rng.randrange(periods)
                    schedule.append(
                        {
                            "name": f"P{period + 1}",
                            "rate": rates[period],
                            "days": days,
                            "start_hour": low,
                            "end_hour": high,
                            "months": months,
                        }
                    )
                    for month in months:
                        for hour in range(low, high):
                            grid[month - 1][hour] = period + 1
        data["tou_schedule"] = schedule
        matrix = [[p + 1, 1, UNBOUNDED, 0, rates[p], 0.0] for p in range(periods)]
    if rng.random() < 0.7:
        data["demand_charge_usd_per_kw"] = _money(rng, 2, 20)
    data["daily_service_charge_usd"] = _money(rng, 0, 30)
    data["demand_interval_minutes"] = 60 // steps
    base = rng.uniform(100, 900)
    load = []
    for step in range(8760 * steps):
        hour = step // steps
        level = base * (0.8 + 0.2 * rng.random())
        if rng.random() < 0.02 or (hour % 24 in (15, 16, 17) and rng.random() < 0.3):
            level = 0.0  # curtailment and outages
        load.append(round(level, 3))
    return Case(tariff_from_mapping(data, f"case {seed}"), steps, load, weekday, weekend, matrix)


def pysam_months(case: Case) -> dict[str, list[float]]:
    demand = float(case.tariff.demand_charge_usd_per_kw)
    return monthly_bills(
        case.load_kw,
        {
            "ur_metering_option": 4,
            "ur_ec_tou_mat": case.energy_matrix,
            "ur_ec_sched_weekday": case.weekday,
            "ur_ec_sched_weekend": case.weekend,
            "ur_monthly_fixed_charge": 0,
            "ur_monthly_min_charge": 0,
            "ur_dc_enable": 1 if demand else 0,
            "ur_dc_flat_mat": [[month, 1, UNBOUNDED, demand] for month in range(12)],
            "ur_dc_sched_weekday": [[1] * 24 for _ in range(12)],
            "ur_dc_sched_weekend": [[1] * 24 for _ in range(12)],
            "ur_dc_tou_mat": [[1, 1, UNBOUNDED, 0.0]],
        },
    )


def elecost_months(case: Case) -> list[CostRecord]:
    step_s = 3600 // case.steps_per_hour
    loads = [
        Load(YEAR_START + i * step_s, YEAR_START + (i + 1) * step_s, Decimal(repr(kw)) * 1000)
        for i, kw in enumerate(case.load_kw)
    ]
    return price_loads(case.tariff, loads, YEAR_START, YEAR_START + 365 * 86_400)


@pytest.mark.parametrize("seed", range(12))
def test_monthly_bills_equal_pysam(seed: int) -> None:
    case = random_case(seed)
    theirs = pysam_months(case)
    ours = elecost_months(case)
    assert len(ours) == 12 and not any(r.partial for r in ours)
    for month, record in enumerate(ours):
        days = calendar.monthrange(YEAR, month + 1)[1]
        assert record.service_charge_usd == case.tariff.daily_service_charge_usd * days
        assert float(record.energy_cost_usd) == pytest.approx(theirs["energy"][month], abs=CENT_FRACTION)
        assert float(record.demand_charge_usd) == pytest.approx(theirs["flat"][month], abs=CENT_FRACTION)
        expected_total = theirs["total"][month] + float(record.service_charge_usd)
        assert float(record.total_cost_usd) == pytest.approx(expected_total, abs=CENT_FRACTION)
