"""From readings or a constant load to cost records: the glue between readings and the engine.

A readings file (`calc --readings`) and the same readings stored (`bill`, `record`) become loads
by one rule (`readings.reading_ends`) and are priced by one engine (`tariffs.engine`), so a
readings file, its bill and its cost rows all give the same money.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from elecost.errors import InputError, UsageError
from elecost.readings import Gap, Reading, dedupe, loads_by_miner
from elecost.tariffs import engine
from elecost.tariffs.engine import Context, bill_periods
from elecost.tariffs.model import Tariff
from elecost.tariffs.records import CostRecord, combine
from elecost.tariffs.usage import to_milli


@dataclass(frozen=True)
class Priced:
    """The cost of a span, one record per billing period, and the gaps that were not billed."""

    periods: list[CostRecord]
    gaps: list[Gap]

    @property
    def total(self) -> CostRecord:
        return combine(self.periods)


def price_constant_load(
    tariff: Tariff, power_w: Decimal, start_s: int, seconds: int, context: Context | None = None
) -> Priced:
    """Cost of `power_w` drawn steadily for `seconds` from `start_s` (`context`: see `engine.Context`)."""
    return Priced(engine.price_constant_load(tariff, power_w, start_s, seconds, context), [])


def price_readings(
    tariff: Tariff, readings: Sequence[Reading], max_gap_s: int | None = None, context: Context | None = None
) -> Priced:
    """Cost of readings on the tariff's meter, from the first reading to the end of the last.

    Raises InputError for conflicting duplicates, readings whose length cannot be told, and
    readings of several locations (a tariff bills one meter).
    """
    unique, problems = dedupe(readings)
    places = sorted({r.location for r in unique if r.location})
    if len(places) > 1:
        raise UsageError(
            f"the readings name several locations ({', '.join(places)}); a tariff bills one meter: "
            "price each location's readings on its own"
        )
    by_miner, gaps, untimed = loads_by_miner(unique, max_gap_s)
    if problems or untimed:
        raise InputError(problems + untimed)
    loads = {miner: [to_milli(load) for load in rows] for (_, miner), rows in by_miner.items()}
    records = bill_periods(tariff, loads, context=context)
    if not records:
        raise UsageError("no readings to price")
    miners = [name for name in loads if name]
    if len(miners) == 1 and "" not in loads:
        records = [replace(record, miner_ip=miners[0]) for record in records]
    return Priced(records, gaps)
