"""From readings or a constant load to cost records: the glue between readings and the calculator.

Used by `elecost calc` (nothing stored) and by the store's `bill` and `record`, so that a
readings file and the same readings stored give the same money.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from elecost.errors import InputError
from elecost.readings import Gap, Reading, dedupe, loads_by_miner
from elecost.tariffs.calc import CostRecord, Load, combine, price_loads, sum_loads
from elecost.tariffs.model import Tariff


@dataclass(frozen=True)
class Priced:
    """The cost of a span, one record per billing period, and the gaps that were not billed."""

    periods: list[CostRecord]
    gaps: list[Gap]

    @property
    def total(self) -> CostRecord:
        return combine(self.periods)


def price_constant_load(tariff: Tariff, power_w: Decimal, start_s: int, seconds: int) -> Priced:
    """Cost of `power_w` drawn steadily for `seconds` from `start_s`."""
    load = Load(start_s, start_s + seconds, power_w)
    return Priced(price_loads(tariff, [load], load.start_s, load.end_s), [])


def price_readings(tariff: Tariff, readings: Sequence[Reading], max_gap_s: int | None = None) -> Priced:
    """Cost of readings on the tariff's meter, from the first reading to the end of the last.

    Raises InputError for conflicting duplicates and readings whose length cannot be told.
    """
    unique, problems = dedupe(readings)
    by_miner, gaps, untimed = loads_by_miner(unique, max_gap_s)
    if problems or untimed:
        raise InputError(problems + untimed)
    meter = sum_loads(load for loads in by_miner.values() for load in loads)
    if not meter:
        raise InputError([])
    miners = {miner for _, miner in by_miner}
    miner_ip = next(iter(miners)) if len(miners) == 1 else None
    records = price_loads(tariff, meter, meter[0].start_s, meter[-1].end_s, miner_ip=miner_ip or None)
    return Priced(records, gaps)
