"""The tariff model: frozen dataclasses, units in field names, money and rates as Decimal.

A tariff is one meter's calendar (zone, billing cycle, holidays) and a set of charges: energy (TOU
periods, each with a ladder of tiers), riders ($/kWh on every kWh), fixed charges (per day, month or
year), demand charges (each with its months, weekday/hour windows, kW tiers and ratchet), a minimum
bill and a coincident-peak charge. The short keys of contract section 1 (`flat_rate_usd_per_kwh`,
`tou_schedule`, `tiered_rates`, `daily_service_charge_usd`, `demand_charge_usd_per_kw`) are kept as
written, so they round-trip; the engine reads only the charge view (`energy_periods`,
`all_fixed_charges`, `all_demand_charges`), which folds the short keys into charges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Literal

RateType = Literal["flat", "tou", "tiered", "index", "charges"]
RATE_TYPES: tuple[RateType, ...] = ("flat", "tou", "tiered", "index")  # what `rate_type:` may say in a file
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MINUTES_PER_DAY = 1440
EVERY_DAY = tuple(range(7))
EVERY_MONTH = tuple(range(1, 13))
TierBounds = Literal["monthly", "daily"]
FixedPer = Literal["day", "month", "year"]


@dataclass(frozen=True)
class Tier:
    """A block of energy per billing period; `up_to_kwh` is None for the last, unbounded block."""

    up_to_kwh: Decimal | None
    rate_usd_per_kwh: Decimal


@dataclass(frozen=True)
class TouPeriod:
    """A named price in force on some weekdays, months and local wall-clock minutes.

    `start_min`..`end_min` are minutes after local midnight, end exclusive, 1440 = midnight.
    When `end_min <= start_min` the period wraps: it covers 00:00-end and start-24:00 of each
    listed day (the contract's rule; it never spills into the next day). `tiers` is the period's
    ladder where it has one (the long form); else the period's one price is `rate_usd_per_kwh`.
    """

    name: str
    rate_usd_per_kwh: Decimal
    days: tuple[int, ...]  # 0 = Monday ... 6 = Sunday
    start_min: int
    end_min: int
    months: tuple[int, ...] = EVERY_MONTH
    line: int | None = field(default=None, compare=False)
    tiers: tuple[Tier, ...] = ()

    def minute_ranges(self) -> tuple[tuple[int, int], ...]:
        """The [start, end) minute ranges of a day this period covers."""
        return minute_ranges(self.start_min, self.end_min)

    @property
    def ladder(self) -> tuple[Tier, ...]:
        """The period's tiers: its own, or its one rate as a single unbounded tier."""
        return self.tiers or (Tier(None, self.rate_usd_per_kwh),)


def minute_ranges(start_min: int, end_min: int) -> tuple[tuple[int, int], ...]:
    """The [start, end) minute ranges of a day from `start` to `end`, wrapping within the day."""
    if start_min < end_min:
        return ((start_min, end_min),)
    ranges = []
    if end_min > 0:
        ranges.append((0, end_min))
    if start_min < MINUTES_PER_DAY:
        ranges.append((start_min, MINUTES_PER_DAY))
    return tuple(ranges)


@dataclass(frozen=True)
class Window:
    """Local weekdays and a wall-clock time range (wrapping as TOU periods do)."""

    days: tuple[int, ...] = EVERY_DAY
    start_min: int = 0
    end_min: int = MINUTES_PER_DAY

    def covers(self, weekday: int, minute: int) -> bool:
        return weekday in self.days and any(low <= minute < high for low, high in self.minute_ranges())

    def minute_ranges(self) -> tuple[tuple[int, int], ...]:
        return minute_ranges(self.start_min, self.end_min)


@dataclass(frozen=True)
class DemandTier:
    """A block of kW billed at its own $/kW; `up_to_kw` is None for the last block."""

    up_to_kw: Decimal | None
    usd_per_kw: Decimal


@dataclass(frozen=True)
class Ratchet:
    """Billed kW is at least `pct` % of the highest peak of the previous `periods` billing periods."""

    pct: Decimal
    periods: int


@dataclass(frozen=True)
class DemandCharge:
    """$/kW on the highest window average inside the charge's months and windows (all hours if none)."""

    name: str
    tiers: tuple[DemandTier, ...]
    months: tuple[int, ...] = EVERY_MONTH
    windows: tuple[Window, ...] = ()
    ratchet: Ratchet | None = None

    def applies(self, month: int, weekday: int, minute: int) -> bool:
        """Whether a demand window starting at this local time counts for this charge."""
        if month not in self.months:
            return False
        return not self.windows or any(w.covers(weekday, minute) for w in self.windows)

    def usd(self, demand_kw: Decimal) -> Decimal:
        """The charge for a billing period at `demand_kw`, kW tiers billed incrementally."""
        total, floor = Decimal(0), Decimal(0)
        for tier in self.tiers:
            top = demand_kw if tier.up_to_kw is None else min(demand_kw, tier.up_to_kw)
            if top > floor:
                total += (top - floor) * tier.usd_per_kw
            if tier.up_to_kw is None or demand_kw <= tier.up_to_kw:
                break
            floor = tier.up_to_kw
        return total


@dataclass(frozen=True)
class FixedCharge:
    """A fixed amount per local day, per billing period ("month") or per year (a twelfth a period)."""

    name: str
    usd: Decimal
    per: FixedPer


@dataclass(frozen=True)
class Rider:
    """A $/kWh adder on every kWh (in `months` only, where given): fuel, riders, taxes per kWh."""

    name: str
    usd_per_kwh: Decimal
    months: tuple[int, ...] = EVERY_MONTH


@dataclass(frozen=True)
class CoincidentPeak:
    """$/kW on the site's average kW in a named set of system peak intervals (contract section 7)."""

    peaks: str
    usd_per_kw: Decimal


@dataclass(frozen=True)
class IndexPrice:
    """Energy at a market's price in force at each instant ($/MWh / 1000), times (1 + loss_pct / 100);
    the adder ($/kWh) is billed as a rider (contract section 7)."""

    market: str
    loss_pct: Decimal = Decimal(0)

    def usd_per_kwh(self, usd_per_mwh: Decimal) -> Decimal:
        return usd_per_mwh / 1000 * (1 + self.loss_pct / 100)


@dataclass(frozen=True)
class Holidays:
    """Local dates priced as a Sunday: listed dates and/or a country's (and subdivision's) holidays."""

    dates: frozenset[date] = frozenset()
    country: str | None = None
    subdiv: str | None = None

    def __bool__(self) -> bool:
        return bool(self.dates or self.country)

    def contains(self, day: date) -> bool:
        if day in self.dates:
            return True
        return self.country is not None and day in _country_holidays(self.country, self.subdiv, day.year)


_HOLIDAY_CACHE: dict[tuple[str, str | None, int], frozenset[date]] = {}


def _country_holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    """A country's public holidays in a year, from the `holidays` package (imported on first use)."""
    key = (country, subdiv, year)
    if key not in _HOLIDAY_CACHE:
        import holidays

        _HOLIDAY_CACHE[key] = frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year))
    return _HOLIDAY_CACHE[key]


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
    # The long form (contract section 6); `rate_type` is "charges" when `energy` gives the energy charge.
    energy: tuple[TouPeriod, ...] = ()
    tier_bounds: TierBounds = "monthly"
    riders: tuple[Rider, ...] = ()
    fixed_charges: tuple[FixedCharge, ...] = ()
    demand_charges: tuple[DemandCharge, ...] = ()
    minimum_bill_usd: Decimal = Decimal(0)
    coincident_peak: CoincidentPeak | None = None
    holidays: Holidays = Holidays()
    index: IndexPrice | None = None
    source: str = field(default="", compare=False)

    @cached_property
    def energy_periods(self) -> tuple[TouPeriod, ...]:
        """The energy charge as schedule entries, each with its ladder; the schedule engine's indexes."""
        if self.rate_type == "charges":
            return self.energy
        if self.rate_type == "tou":
            return self.tou_schedule
        whole = (0, MINUTES_PER_DAY)
        if self.rate_type == "flat":
            assert self.flat_rate_usd_per_kwh is not None
            return (TouPeriod("Flat", self.flat_rate_usd_per_kwh, EVERY_DAY, *whole),)
        if self.index is not None:  # the market's prices come with the readings (`engine.Context`)
            return (TouPeriod(self.index.market, Decimal(0), EVERY_DAY, *whole),)
        return (TouPeriod("Tiered", Decimal(0), EVERY_DAY, *whole, tiers=self.tiered_rates),)

    @cached_property
    def timed(self) -> bool:
        """Whether energy is priced by time of use (cost records then break energy down by period)."""
        return self.rate_type == "tou" or len({p.name for p in self.energy_periods}) > 1

    @cached_property
    def laddered(self) -> bool:
        """Whether any energy period has more than one tier (energy is then priced per billing period)."""
        return any(len(p.ladder) > 1 for p in self.energy_periods)

    @cached_property
    def all_fixed_charges(self) -> tuple[FixedCharge, ...]:
        """Fixed charges, the short form's daily service charge first."""
        short = (FixedCharge("Service charge", self.daily_service_charge_usd, "day"),)
        return (short if self.daily_service_charge_usd else ()) + self.fixed_charges

    @cached_property
    def all_demand_charges(self) -> tuple[DemandCharge, ...]:
        """Demand charges, the short form's flat demand charge first."""
        short = (DemandCharge("Demand", (DemandTier(None, self.demand_charge_usd_per_kw),)),)
        return (short if self.demand_charge_usd_per_kw else ()) + self.demand_charges

    @cached_property
    def period_names(self) -> tuple[str, ...]:
        """Names of the energy price periods, indexed as the schedule engine indexes them."""
        return tuple(p.name for p in self.energy_periods)

    @cached_property
    def period_rates_usd_per_kwh(self) -> tuple[Decimal, ...]:
        """Each period's price of its first kWh (its only price unless it has tiers), riders left out."""
        return tuple(p.ladder[0].rate_usd_per_kwh for p in self.energy_periods)

    @cached_property
    def marginal_rates_usd_per_kwh(self) -> tuple[Decimal, ...]:
        """Each period's price of a large site's next kWh: its last tier, riders included."""
        riders = sum((r.usd_per_kwh for r in self.riders), Decimal(0))
        return tuple(p.ladder[-1].rate_usd_per_kwh + riders for p in self.energy_periods)


def mask_account(account_number: str | None) -> str | None:
    """Show only the last four characters of an account number."""
    if not account_number:
        return account_number
    keep = account_number[-4:] if len(account_number) > 4 else ""
    return "*" * (len(account_number) - len(keep)) + keep
