"""URDB items billed by both engines: NREL PySAM Utilityrate5 (through its own URDB converter,
`UtilityRateTools.URDBv8_to_ElectricityRates`) and elecost (through `import-urdb`'s converter).

The calendar is PySAM's: a 365-day year starting on a Monday, calendar months, no DST; so the
year is 2018 in UTC. PySAM bills demand on the load's own time step, so loads are hourly or come
in steps equal to the tariff's demand window.
"""

from __future__ import annotations

import copy
import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from elecost.tariffs.engine import price_loads
from elecost.tariffs.model import Tariff
from elecost.tariffs.records import CostRecord
from elecost.tariffs.usage import Load

YEAR = 2018
YEAR_START = int(datetime(YEAR, 1, 1, tzinfo=UTC).timestamp())


@dataclass
class Bills:
    """Monthly amounts [USD] by part, twelve each."""

    energy: list[float]
    demand: list[float]
    fixed: list[float]
    minimum: list[float]
    total: list[float]


def year_load(seed: int, steps_per_hour: int) -> list[float]:
    """A year of site load [kW]: growth, daily shape, curtailed afternoons, outages, noise."""
    rng = random.Random(seed)
    base = rng.uniform(20, 400)
    growth = rng.uniform(0, 0.8)  # the site grows by up to 80% over the year
    outages = {rng.randrange(365) for _ in range(rng.randint(2, 8))}
    curtail_hours = set(rng.sample(range(12, 21), rng.randint(1, 4)))
    load = []
    for step in range(8760 * steps_per_hour):
        hour = step // steps_per_hour
        day, hour_of_day = divmod(hour, 24)
        level = base * (1 + growth * hour / 8760) * (1 + 0.1 * math.sin(hour_of_day / 24 * 2 * math.pi))
        level *= 0.85 + 0.15 * rng.random()
        if day in outages or (hour_of_day in curtail_hours and rng.random() < 0.5):
            level = 0.0
        load.append(round(level, 3))
    return load


def pysam_bills(item: dict[str, Any], load_kw: list[float]) -> Bills:
    """PySAM's monthly bills of a URDB item (floats, as the converter expects) for a load."""
    import pytest

    pytest.importorskip("PySAM.Utilityrate5", reason="the test extra installs nrel-pysam")
    from PySAM.UtilityRateTools import URDBv8_to_ElectricityRates

    from pysam_runner import monthly_bills

    plain = json.loads(json.dumps(item, default=float))  # the converter edits its input in place
    rates = URDBv8_to_ElectricityRates(copy.deepcopy(plain))
    out = monthly_bills(load_kw, {"ur_monthly_fixed_charge": 0, "ur_monthly_min_charge": 0, **rates})
    return Bills(
        energy=out["energy"],
        demand=[a + b for a, b in zip(out["flat"], out["tou"], strict=True)],
        fixed=out["fixed"],
        minimum=out["minimum"],
        total=out["total"],
    )


def elecost_bills(tariff: Tariff, load_kw: list[float], step_s: int | None = None) -> list[CostRecord]:
    """elecost's bills of the same load from 1 January 2018: one per calendar month it covers.

    The load's step is a year over its length (hourly or 15-minute) unless `step_s` says.
    """
    step_s = step_s or 8760 * 3600 // len(load_kw)
    loads = [
        Load(YEAR_START + i * step_s, YEAR_START + (i + 1) * step_s, Decimal(repr(kw)) * 1000)
        for i, kw in enumerate(load_kw)
    ]
    return price_loads(tariff, loads, YEAR_START, YEAR_START + len(load_kw) * step_s)


def amounts(records: list[CostRecord]) -> Bills:
    """elecost's bills split as PySAM splits them."""

    def by(kinds: tuple[str, ...]) -> list[float]:
        return [float(sum((line.usd for line in r.lines if line.charge in kinds), Decimal(0))) for r in records]

    return Bills(
        energy=by(("energy", "rider")),
        demand=by(("demand",)),
        fixed=by(("fixed",)),
        minimum=by(("minimum",)),
        total=[float(r.total_cost_usd) for r in records],
    )


def random_item(seed: int) -> dict[str, Any]:
    """A URDB item using every feature the importer maps, drawn from a seeded generator."""
    rng = random.Random(seed)

    def money(low: float, high: float) -> float:
        return round(rng.uniform(low, high), 5)

    def tiers(count: int, top: float, unit: str | None, bounds: list[int] | None = None) -> list[dict[str, Any]]:
        bounds = bounds or sorted(rng.sample(range(1, 100), count - 1))
        out = []
        for index in range(count):
            tier: dict[str, Any] = {"rate": money(0.02, 0.3) if unit else money(2, 25)}
            if rng.random() < 0.6:
                tier["adj"] = money(-0.01, 0.03) if unit else money(-1, 3)
            if index < count - 1:
                tier["max"] = round(bounds[index] * top / 100, 1)
            if unit:
                tier["unit"] = unit
                if rng.random() < 0.3:
                    tier["sell"] = money(0.01, 0.05)
            out.append(tier)
        return out

    def grid(periods: list[int]) -> tuple[list[list[int]], list[list[int]]]:
        """Weekday and weekend 12 x 24 grids: two seasons, each day cut into 1-4 blocks."""
        summer_start = rng.randint(3, 7)
        summer = set(range(summer_start, summer_start + rng.randint(2, 5)))
        rows: dict[tuple[bool, bool], list[int]] = {}
        for season in (True, False):
            for weekend in (False, True):
                cuts = sorted(rng.sample(range(1, 24), rng.randint(0, 3)))
                row = []
                for low, high in zip([0, *cuts], [*cuts, 24], strict=True):
                    row += [rng.choice(periods)] * (high - low)
                rows[(season, weekend)] = row
        weekday = [list(rows[(m + 1 in summer, False)]) for m in range(12)]
        weekend_grid = [list(rows[(m + 1 in summer, True)]) for m in range(12)]
        return weekday, weekend_grid

    unit = "kWh daily" if seed % 3 == 0 else "kWh"
    top = 3000.0 if unit == "kWh daily" else 90_000.0
    periods = rng.randint(1, 4)
    ladder = rng.randint(1, 3)  # PySAM wants the same tier bounds in every period of a month
    bounds = sorted(rng.sample(range(1, 100), ladder - 1))
    item: dict[str, Any] = {
        "label": f"random{seed:04d}",
        "name": f"Random rate {seed}",
        "utility": "Generated Power Co",
        "energyratestructure": [tiers(ladder, top, unit, bounds) for _ in range(periods)],
    }
    item["energyweekdayschedule"], item["energyweekendschedule"] = grid(list(range(periods)))
    if rng.random() < 0.8:
        flat_periods = rng.randint(1, 2)
        item["flatdemandstructure"] = [tiers(rng.randint(1, 2), 300.0, None) for _ in range(flat_periods)]
        first = rng.randint(3, 6)
        item["flatdemandmonths"] = [1 if first <= m < first + 5 and flat_periods > 1 else 0 for m in range(12)]
    if rng.random() < 0.7:
        demand_periods = rng.randint(2, 3)
        count = rng.randint(1, 2)
        shared = sorted(rng.sample(range(1, 100), count - 1))
        item["demandratestructure"] = [tiers(count, 300.0, None, shared) for _ in range(demand_periods)]
        item["demandweekdayschedule"], item["demandweekendschedule"] = grid(list(range(demand_periods)))
    if rng.random() < 0.8:
        item["fixedchargefirstmeter"] = money(5, 40)
        item["fixedchargeunits"] = rng.choice(["$/month", "$/day", "$/year"])
    elif rng.random() < 0.7:
        item["fixedmonthlycharge"] = money(50, 500)  # the legacy field
    if rng.random() < 0.4:
        item["mincharge"] = money(100, 20_000)
        item["minchargeunits"] = rng.choice(["$/month", "$/day"])
        if item["minchargeunits"] == "$/day":
            item["mincharge"] = round(item["mincharge"] / 30, 5)
    if seed % 2 == 0 and rng.random() < 0.5:
        item["demandwindow"] = rng.choice([15, 30, 60])  # hourly loads: the same peaks as PySAM's
    return item
