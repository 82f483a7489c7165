"""Charge-based tariffs (the long form) billed month by month against NREL PySAM's Utilityrate5.

Each seeded case is a random tariff that both engines can express: TOU energy with a tier ladder
per period (bounds per month or per day), seasonal flat demand with kW tiers, TOU demand, a
$/month fixed charge and a monthly minimum bill; and a random year of load, hourly or in 15-minute
steps, with curtailment and outages. The calendar is PySAM's: 2018 (it starts on a Monday) in
UTC, calendar months, demand on the load's own time step (elecost's window equals the step).
PySAM bills tiers as the contract does (each tier's kWh shared among the TOU periods in proportion
to their kWh) under net metering, so that is the metering option used; with no generation it
changes nothing else.
"""

from __future__ import annotations

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

YEAR_START = int(datetime(2018, 1, 1, tzinfo=UTC).timestamp())
UNBOUNDED = 1e38
CENT_FRACTION = 1e-6
WEEKDAYS, WEEKEND = [0, 1, 2, 3, 4], [5, 6]


@dataclass
class Case:
    tariff: Tariff
    steps_per_hour: int
    load_kw: list[float]
    inputs: dict[str, Any]  # PySAM ElectricityRates settings


def _money(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 4)


def _grid() -> list[list[int]]:
    return [[1] * 24 for _ in range(12)]


def random_case(seed: int) -> Case:
    rng = random.Random(seed)
    steps = 4 if seed % 2 else 1
    daily = seed % 3 == 1
    data: dict[str, Any] = {"name": f"case {seed}", "timezone": "UTC", "demand_interval_minutes": 60 // steps}
    inputs: dict[str, Any] = {}

    # Energy: 2-3 periods, each with its own rates on one ladder of 1-3 tiers (PySAM wants the
    # same bounds in every period of a month).
    periods = rng.randint(2, 3)
    count = rng.randint(1, 3)
    bounds = [b * (60 if daily else 1800) for b in sorted(rng.sample(range(1, 200), count - 1))]
    ladders = [
        [(bound, _money(rng, 0.03, 0.3)) for bound in bounds] + [(None, _money(rng, 0.03, 0.3))] for _ in range(periods)
    ]
    if daily:
        data["tier_bounds"] = "daily"
        ladders = [[(None if b is None else b // 30, r) for b, r in ladder] for ladder in ladders]
    weekday, weekend = _grid(), _grid()
    energy: list[dict[str, Any]] = []
    summer = set(range(rng.randint(3, 6), rng.randint(7, 10)))
    for months in (sorted(summer), sorted(set(range(1, 13)) - summer)):
        for days, grid in ((WEEKDAYS, weekday), (WEEKEND, weekend)):
            cuts = sorted(rng.sample(range(1, 24), rng.randint(1, 3)))
            for low, high in itertools.pairwise([0, *cuts, 24]):
                period = rng.randrange(periods)
                ladder = ladders[period]
                entry: dict[str, Any] = {"name": f"P{period + 1}", "days": days, "start_hour": low, "end_hour": high}
                entry["months"] = months
                if len(ladder) == 1:
                    entry["rate"] = ladder[0][1]
                else:
                    entry["tiers"] = [{"rate": r} if b is None else {"up_to_kwh": b, "rate": r} for b, r in ladder]
                energy.append(entry)
                for month in months:
                    for hour in range(low, high):
                        grid[month - 1][hour] = period + 1
    data["energy"] = energy
    inputs["ur_ec_sched_weekday"] = weekday
    inputs["ur_ec_sched_weekend"] = weekend
    inputs["ur_ec_tou_mat"] = [
        [p + 1, t + 1, UNBOUNDED if bound is None else float(bound), 2 if daily else 0, rate, 0.0]
        for p, ladder in enumerate(ladders)
        for t, (bound, rate) in enumerate(ladder)
    ]

    # Demand: seasonal flat demand with kW tiers, and a TOU demand charge on weekday afternoons.
    charges: list[dict[str, Any]] = []
    flat_rows = []
    for months in (sorted(summer), sorted(set(range(1, 13)) - summer)):
        bound = rng.randint(100, 700)
        low_rate, high_rate = _money(rng, 2, 15), _money(rng, 2, 15)
        charges.append(
            {
                "name": f"Max demand {months[0]}",
                "months": months,
                "tiers": [{"up_to_kw": bound, "usd_per_kw": low_rate}, {"usd_per_kw": high_rate}],
            }
        )
        for month in months:
            flat_rows += [[month - 1, 1, float(bound), low_rate], [month - 1, 2, UNBOUNDED, high_rate]]
    start, end = sorted(rng.sample(range(8, 22), 2))
    peak_rate, other_rate = _money(rng, 5, 25), _money(rng, 0, 5)
    charges.append(
        {
            "name": "On-peak demand",
            "usd_per_kw": peak_rate,
            "windows": [{"days": WEEKDAYS, "start_hour": start, "end_hour": end}],
        }
    )
    charges.append(
        {
            "name": "Off-peak demand",
            "usd_per_kw": other_rate,
            "windows": [
                {"days": WEEKDAYS, "start_hour": end, "end_hour": start},
                {"days": WEEKEND, "start_hour": 0, "end_hour": 24},
            ],
        }
    )
    dc_weekday = [[2 if not start <= hour < end else 1 for hour in range(24)] for _ in range(12)]
    data["demand_charges"] = charges
    inputs["ur_dc_flat_mat"] = flat_rows
    inputs["ur_dc_tou_mat"] = [[1, 1, UNBOUNDED, peak_rate], [2, 1, UNBOUNDED, other_rate]]
    inputs["ur_dc_sched_weekday"] = dc_weekday
    inputs["ur_dc_sched_weekend"] = [[2] * 24 for _ in range(12)]

    fixed = _money(rng, 0, 500)
    data["fixed_charges"] = [{"name": "Customer", "usd": fixed, "per": "month"}]
    inputs["ur_monthly_fixed_charge"] = fixed
    minimum = _money(rng, 0, 40_000) if seed % 4 == 0 else 0.0
    if minimum:
        data["minimum_bill_usd"] = minimum
    inputs["ur_monthly_min_charge"] = minimum

    base = rng.uniform(100, 900)
    load = []
    for step in range(8760 * steps):
        hour = step // steps
        level = base * (0.8 + 0.2 * rng.random()) * (1 + hour / 8760)  # growth over the year
        if rng.random() < 0.02 or (start <= hour % 24 < end and rng.random() < 0.5):
            level = 0.0  # outages, and curtailment in the on-peak window
        if hour // 24 % 45 == 7:
            level = 0.0  # a whole day off now and then
        load.append(round(level, 3))
    return Case(tariff_from_mapping(data, f"case {seed}"), steps, load, inputs)


def pysam_months(case: Case) -> dict[str, list[float]]:
    # Net metering (monthly): PySAM then shares each tier among the TOU periods by their kWh, as
    # the contract bills; its hourly options (2-4) fill tiers in time order instead.
    return monthly_bills(case.load_kw, {"ur_metering_option": 0, "ur_dc_enable": 1, **case.inputs})


def elecost_months(case: Case) -> list[CostRecord]:
    step_s = 3600 // case.steps_per_hour
    loads = [
        Load(YEAR_START + i * step_s, YEAR_START + (i + 1) * step_s, Decimal(repr(kw)) * 1000)
        for i, kw in enumerate(case.load_kw)
    ]
    return price_loads(case.tariff, loads, YEAR_START, YEAR_START + 365 * 86_400)


def _usd(record: CostRecord, charge: str, names: tuple[str, ...] | None = None) -> float:
    return float(
        sum(
            (line.usd for line in record.lines if line.charge == charge and (names is None or line.label in names)),
            Decimal(0),
        )
    )


@pytest.mark.parametrize("seed", range(8))
def test_charge_based_bills_equal_pysam_month_by_month(seed: int) -> None:
    case = random_case(seed)
    theirs = pysam_months(case)
    ours = elecost_months(case)
    assert len(ours) == 12 and not any(r.partial for r in ours)
    for month, record in enumerate(ours):
        assert _usd(record, "energy") == pytest.approx(theirs["energy"][month], abs=CENT_FRACTION), month
        flat = tuple(c.name for c in case.tariff.demand_charges if c.name.startswith("Max"))
        tou = ("On-peak demand", "Off-peak demand")
        assert _usd(record, "demand", flat) == pytest.approx(theirs["flat"][month], abs=CENT_FRACTION), month
        assert _usd(record, "demand", tou) == pytest.approx(theirs["tou"][month], abs=CENT_FRACTION), month
        assert _usd(record, "fixed") == pytest.approx(theirs["fixed"][month], abs=CENT_FRACTION)
        assert _usd(record, "minimum") == pytest.approx(theirs["minimum"][month], abs=CENT_FRACTION), month
        assert float(record.total_cost_usd) == pytest.approx(theirs["total"][month], abs=CENT_FRACTION)
        assert abs(sum((line.usd for line in record.lines), Decimal(0)) - record.total_cost_usd) < Decimal("1e-18")
