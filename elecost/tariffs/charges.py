"""Each charge's rule, in one place: what it bills for a billing period, and its share of one hour.

Every rule spreads its billing-period amount over the period's local hours so that the hours add
up to the bill exactly (Decimal, no rounding):
- energy: each period's kWh at its rate; a period with tiers is priced at the margin (the period's
  cost of its energy up to the end of the hour minus up to its start), the tier ladder shared by
  all TOU periods of the billing period as URDB and PySAM bill it;
- riders: each kWh at the adder in force in its month;
- demand and coincident peak: the period's amount spread over the period by time;
- fixed: a daily charge on each local day by the share of the day an hour covers, a monthly (or
  yearly, a twelfth a period) charge over the billing period by time;
- minimum bill: the shortfall of the other charges below the minimum, spread by time.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from elecost.tariffs.model import FixedCharge, Tariff, Tier
from elecost.tariffs.periods import local_date, local_days

ZERO = Decimal(0)
# Section 4's amounts are sums of lines by kind of charge.
ENERGY_KINDS = ("energy", "rider")
DEMAND_KINDS = ("demand", "coincident_peak")
SERVICE_KINDS = ("fixed", "minimum")


class Line(NamedTuple):
    """One line item: a charge, what it is for, how much of what, and the money.

    `part` ties a line to the charge it came from (the energy period's or the demand charge's
    index), `period` and `tier` name its TOU period and tier where it has them (for breakdowns).
    """

    charge: str
    label: str
    quantity: Decimal
    unit: str
    usd: Decimal
    part: int = -1
    period: str = ""
    tier: str = ""


KindKey = tuple[str, str, str, int, str, str]  # charge, label, unit, part, period, tier
# What makes two lines the same kind (all but the amounts), in one C call: a fleet has millions.
kind_key: Callable[[Line], KindKey] = operator.itemgetter(0, 1, 3, 5, 6, 7)


def lines_less(lines: Iterable[Line], others: Iterable[Line], key: Callable[[Line], Hashable] = kind_key) -> list[Line]:
    """`lines` less `others`, line by line of the same kind (`key`): what a meter's lines hold
    beyond its miners' (a kind only the others have comes out negative)."""
    held = {key(line): line for line in lines}
    for line in others:
        kind = key(line)
        have = held.get(kind) or line._replace(quantity=ZERO, usd=ZERO)
        held[kind] = have._replace(quantity=have.quantity - line.quantity, usd=have.usd - line.usd)
    return list(held.values())


def tier_label(floor: Decimal, tier: Tier, daily: bool) -> str:
    """'0-1000 kWh', 'over 1000 kWh' ('.. kWh/day' for daily bounds)."""
    unit = "kWh/day" if daily else "kWh"
    if tier.up_to_kwh is None:
        return f"over {floor:f} {unit}"
    return f"{floor:f}-{tier.up_to_kwh:f} {unit}"


def ladder_amounts(
    tariff: Tariff, kwh_by_part: Mapping[int, Decimal], days: int
) -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    """(period index, tier index) -> (kWh, USD) of a billing period's energy so far.

    The period's total kWh fills each ladder (bounds per billing period, or per day x `days`);
    each tier's kWh is shared among the TOU periods in proportion to their kWh, each at its own rate.
    """
    total = sum(kwh_by_part.values(), ZERO)
    out: dict[tuple[int, int], tuple[Decimal, Decimal]] = {}
    if total <= 0:
        return out
    scale = Decimal(days) if tariff.tier_bounds == "daily" else Decimal(1)
    periods = tariff.energy_periods
    for part, kwh in kwh_by_part.items():
        if not kwh:
            continue
        floor = ZERO
        for index, tier in enumerate(periods[part].ladder):
            top = total if tier.up_to_kwh is None else min(total, tier.up_to_kwh * scale)
            in_tier = max(top - floor, ZERO) * kwh / total
            if in_tier:
                out[(part, index)] = (in_tier, in_tier * tier.rate_usd_per_kwh)
            if tier.up_to_kwh is None or total <= tier.up_to_kwh * scale:
                break
            floor = tier.up_to_kwh * scale
    return out


def energy_lines(
    tariff: Tariff, kwh_by_part: Mapping[int, Decimal], market_rates: Sequence[Decimal] | None = None
) -> list[Line]:
    """Energy at each period's one rate (tariffs without tiers): one line per period index.

    For an index tariff the parts are the market's price intervals, at `market_rates` [$/kWh]:
    one line for the market, its kWh and their cost.
    """
    if market_rates is not None:
        assert tariff.index is not None
        kwh = sum(kwh_by_part.values(), ZERO)
        usd = sum((amount * market_rates[part] for part, amount in kwh_by_part.items()), ZERO)
        return [Line("energy", tariff.index.market, kwh, "kWh", usd)] if kwh_by_part else []
    periods = tariff.energy_periods
    timed = tariff.timed
    lines = []
    for part, kwh in kwh_by_part.items():
        period = periods[part]
        lines.append(
            Line("energy", period.name, kwh, "kWh", kwh * period.rate_usd_per_kwh, part, period.name if timed else "")
        )
    return lines


def ladder_lines(
    tariff: Tariff,
    before: Mapping[tuple[int, int], tuple[Decimal, Decimal]],
    after: Mapping[tuple[int, int], tuple[Decimal, Decimal]],
) -> list[Line]:
    """An hour's tiered energy: the ladder's amounts after the hour less those before it."""
    periods = tariff.energy_periods
    daily = tariff.tier_bounds == "daily"
    lines = []
    for key in sorted(after.keys() | before.keys()):
        kwh_after, usd_after = after.get(key, (ZERO, ZERO))
        kwh_before, usd_before = before.get(key, (ZERO, ZERO))
        if kwh_after == kwh_before and usd_after == usd_before:
            continue
        part, index = key
        period = periods[part]
        ladder = period.ladder
        floor = ladder[index - 1].up_to_kwh if index else ZERO
        tier = tier_label(floor or ZERO, ladder[index], daily)
        name = period.name if tariff.timed else ""
        label = f"{name} {tier}" if name else tier
        lines.append(Line("energy", label, kwh_after - kwh_before, "kWh", usd_after - usd_before, part, name, tier))
    return lines


def rider_lines(tariff: Tariff, kwh: Decimal, month: int) -> list[Line]:
    """Each rider on an hour's kWh, where the rider is in force that month."""
    return [
        Line("rider", rider.name, kwh, "kWh", kwh * rider.usd_per_kwh, index)
        for index, rider in enumerate(tariff.riders)
        if kwh and month in rider.months
    ]


def fixed_lines(charges: tuple[FixedCharge, ...], zone: ZoneInfo, start: int, end: int, period_s: int) -> list[Line]:
    """Each fixed charge's share of [start, end): by local day, or by time over the billing period."""
    lines = []
    for index, charge in enumerate(charges):
        if not charge.usd:
            continue
        if charge.per == "day":
            days = ZERO
            for day_start, day_end in local_days(zone, start, end):
                days += Decimal(min(end, day_end) - max(start, day_start)) / (day_end - day_start)
            lines.append(Line("fixed", charge.name, days, "day", charge.usd * days, index))
        else:
            months = Decimal(end - start) / period_s
            monthly = charge.usd if charge.per == "month" else charge.usd / 12
            lines.append(Line("fixed", charge.name, months, "month", monthly * months, index))
    return lines


def period_days(zone: ZoneInfo, period_start_s: int, period_end_s: int) -> int:
    """Local calendar days in a billing period (what a daily tier bound is multiplied by)."""
    first: date = local_date(zone, period_start_s)
    last: date = local_date(zone, period_end_s)
    return max((last - first).days, 1)
