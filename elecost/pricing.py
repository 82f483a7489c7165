"""From readings or a constant load to cost records: the glue between readings and the calculator.

`calc --power` prices one steady load with the reference calculator (`calc.price_loads`).
Readings - a file for `calc --readings`, or the store for `bill` - go through the hourly engine
(`hourly.price_hours`), the same one `record` uses, so a readings file, the same readings stored,
their bill and their cost rows all give the same money. Tests hold the two engines to each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.errors import InputError, UsageError
from elecost.readings import Gap, Reading, dedupe, loads_by_miner
from elecost.tariffs.calc import CostRecord, Load, combine, price_loads, service_charge
from elecost.tariffs.hourly import MilliLoad, price_hours
from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import billing_periods


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
    loads = {miner: [to_milli(load) for load in rows] for (_, miner), rows in by_miner.items()}
    records = bill_periods(tariff, loads)
    if not records:
        raise UsageError("no readings to price")
    miners = [name for name in loads if name]
    if len(miners) == 1 and "" not in loads:
        records = [replace(record, miner_ip=miners[0]) for record in records]
    return Priced(records, gaps)


def to_milli(load: Load) -> MilliLoad:
    """A load with its power in whole milliwatts (the hourly engine's unit)."""
    return load.start_s, load.end_s, int((load.power_w * 1000).to_integral_value())


def bill_periods(
    tariff: Tariff, loads: Mapping[str, Sequence[MilliLoad]], from_s: int | None = None, to_s: int | None = None
) -> list[CostRecord]:
    """One record per billing period the loads touch (cut to [from_s, to_s) if given).

    A period is partial when the cut or the readings cover only part of it; it then runs from the
    first reading to the end of the last and pays the prorated demand and service charges.
    """
    present = [rows for rows in loads.values() if rows]
    if not present:
        return []
    low = min(rows[0][0] for rows in present)
    high = max(rows[-1][1] for rows in present)
    low = low if from_s is None else max(low, from_s)
    high = high if to_s is None else min(high, to_s)
    zone = ZoneInfo(tariff.timezone)
    out = []
    for period_start, period_end in billing_periods(zone, tariff.billing_cycle_day, low, high):
        meter = price_hours(tariff, loads, period_start, period_end, within=(low, high), miner_rows=False)
        if meter:
            out.append(bill_from_hours(tariff, meter, period_start, period_end))
    return out


def bill_from_hours(tariff: Tariff, hours: Sequence[CostRecord], period_start: int, period_end: int) -> CostRecord:
    """A billing period's bill from its meter's hourly records.

    Energy is their sum; the demand and service charges are those of the period itself rather
    than the sum of their hourly spreads (equal to 1e-50 USD): a bill shows the utility's arithmetic.
    """
    record = combine(hours)
    span_s = record.period_end_s - record.period_start_s
    period_s = period_end - period_start
    zone = ZoneInfo(tariff.timezone)
    return replace(
        record,
        demand_charge_usd=tariff.demand_charge_usd_per_kw * record.peak_power_kw * Decimal(span_s) / period_s,
        service_charge_usd=service_charge(tariff, zone, record.period_start_s, record.period_end_s),
        partial=span_s != period_s,
    )
