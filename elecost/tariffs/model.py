"""The tariff model: frozen dataclasses, units in field names, money and rates as Decimal.

Field names follow the contract's YAML keys (and the original `electricity_rates` records), so a
tariff round-trips between YAML, SQLite and JSON without renaming.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Literal

RateType = Literal["flat", "tou", "tiered"]
RATE_TYPES: tuple[RateType, ...] = ("flat", "tou", "tiered")
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class TouPeriod:
    """A named price in force on some weekdays, months and local wall-clock minutes.

    `start_min`..`end_min` are minutes after local midnight, end exclusive, 1440 = midnight.
    When `end_min <= start_min` the period wraps: it covers 00:00-end and start-24:00 of each
    listed day (the contract's rule; it never spills into the next day).
    """

    name: str
    rate_usd_per_kwh: Decimal
    days: tuple[int, ...]  # 0 = Monday ... 6 = Sunday
    start_min: int
    end_min: int
    months: tuple[int, ...] = tuple(range(1, 13))
    line: int | None = field(default=None, compare=False)

    def minute_ranges(self) -> tuple[tuple[int, int], ...]:
        """The [start, end) minute ranges of a day this period covers."""
        if self.start_min < self.end_min:
            return ((self.start_min, self.end_min),)
        ranges = []
        if self.end_min > 0:
            ranges.append((0, self.end_min))
        if self.start_min < MINUTES_PER_DAY:
            ranges.append((self.start_min, MINUTES_PER_DAY))
        return tuple(ranges)


@dataclass(frozen=True)
class Tier:
    """A block of energy per billing period; `up_to_kwh` is None for the last, unbounded block."""

    up_to_kwh: Decimal | None
    rate_usd_per_kwh: Decimal


@dataclass(frozen=True)
class Tariff:
    """One utility tariff for one meter (location)."""

    name: str
    rate_type: RateType
    location: str = "default"
    timezone: str = "UTC"
    description: str | None = None
    flat_rate_usd_per_kwh: Decimal | None = None
    tou_schedule: tuple[TouPeriod, ...] = ()
    tiered_rates: tuple[Tier, ...] = ()
    daily_service_charge_usd: Decimal = Decimal(0)
    demand_charge_usd_per_kw: Decimal = Decimal(0)
    demand_interval_minutes: int = 15
    billing_cycle_day: int = 1
    utility_name: str | None = None
    account_number: str | None = None
    active: bool = False
    source: str = field(default="", compare=False)

    @cached_property
    def period_names(self) -> tuple[str, ...]:
        """Names of the energy price periods, indexed as the schedule engine indexes them."""
        if self.rate_type == "tou":
            return tuple(p.name for p in self.tou_schedule)
        return (self.rate_type.capitalize(),)

    @cached_property
    def period_rates_usd_per_kwh(self) -> tuple[Decimal, ...]:
        """Energy price of each period; tiered tariffs price energy by block instead (rate 0 here)."""
        if self.rate_type == "tou":
            return tuple(p.rate_usd_per_kwh for p in self.tou_schedule)
        if self.rate_type == "flat":
            assert self.flat_rate_usd_per_kwh is not None
            return (self.flat_rate_usd_per_kwh,)
        return (Decimal(0),)


def mask_account(account_number: str | None) -> str | None:
    """Show only the last four characters of an account number."""
    if not account_number:
        return account_number
    keep = account_number[-4:] if len(account_number) > 4 else ""
    return "*" * (len(account_number) - len(keep)) + keep
