"""Curtailment against wholesale prices: when each miner should be off, and what that earned.

The site pays the market price of each interval, times (1 + loss %), plus an adder per kWh. A miner
is switched off when the market price rises above its threshold (one strike for the whole site, or
the miner's own break-even converted to market $/MWh at the hashprice of that interval), and back
on only once the price has fallen to the threshold minus the hysteresis and it has been off for the
minimum off time. With one hashprice, a less efficient miner has a lower break-even: it goes off
first and comes back last.

The backtest sets three schedules side by side over the same prices: every miner always on (the
baseline), what was really run (a miner runs in an interval where its average power from the
readings is above half its nameplate), and the plan. A running miner is counted at its nameplate
power and hashrate in each, so the figures isolate the switching decisions:
energy saved = baseline cost - cost, revenue forgone = baseline revenue - revenue, net = saved - forgone.
"""

from __future__ import annotations

import csv
import decimal
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.db import Database
from elecost.errors import InputError, Problem, UsageError
from elecost.instants import iso, parse_instant
from elecost.mining import hashprice_usd_per_th_day
from elecost.price_store import first_unpriced, price_intervals
from elecost.store import Miner, stored_milli_loads

RUNNING_SHARE = Decimal("0.5")  # a miner above half its nameplate power is running
Interval = tuple[int, int, Decimal]  # start_s, end_s, market price [USD per MWh]


@dataclass(frozen=True)
class EnergyPrice:
    """How a market price becomes the site's price: x (1 + loss_pct / 100) + adder [USD per kWh]."""

    adder_usd_per_kwh: Decimal = Decimal(0)
    loss_pct: Decimal = Decimal(0)

    def usd_per_kwh(self, market_usd_per_mwh: Decimal) -> Decimal:
        return market_usd_per_mwh / 1000 * (1 + self.loss_pct / 100) + self.adder_usd_per_kwh

    def market_usd_per_mwh(self, usd_per_kwh: Decimal) -> Decimal:
        """The market price at which the site pays `usd_per_kwh`."""
        return (usd_per_kwh - self.adder_usd_per_kwh) / (1 + self.loss_pct / 100) * 1000


@dataclass(frozen=True)
class Earnings:
    """What a TH/s earns per day at each instant: one hashprice, or a series; and the pool's fee."""

    pool_fee_pct: Decimal
    constant_usd_per_th_day: Decimal | None = None
    times_s: tuple[int, ...] = ()
    values_usd_per_th_day: tuple[Decimal, ...] = ()

    @property
    def kept(self) -> Decimal:
        return 1 - self.pool_fee_pct / 100

    def hashprice(self, instant_s: int) -> Decimal:
        """The hashprice in force at an instant [USD per TH/s per day]; a series holds each value
        until its next one, and has none before its first."""
        if self.constant_usd_per_th_day is not None:
            return self.constant_usd_per_th_day
        index = bisect_right(self.times_s, instant_s) - 1
        if index < 0:
            raise UsageError(
                f"the hashprice series starts at {iso(self.times_s[0], ZoneInfo('UTC'))}, "
                f"after the price interval at {iso(instant_s, ZoneInfo('UTC'))}"
            )
        return self.values_usd_per_th_day[index]


def read_hashprice_series(
    source: str,
    lines: Iterable[str],
    pool_fee_pct: Decimal,
    *,
    fees_btc_per_block: Decimal = Decimal(0),
    subsidy_btc: Decimal = Decimal("3.125"),
    zone: ZoneInfo | None = None,
) -> Earnings:
    """A hashprice CSV: `timestamp,hashprice_usd_per_th_day`, or `timestamp,btc_price_usd,difficulty`
    (hashprice by the contract's formula, with the given fees and subsidy)."""
    reader = csv.DictReader(line.removeprefix("\ufeff") for line in lines)
    fields = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = fields
    direct = "hashprice_usd_per_th_day" in fields
    if "timestamp" not in fields or not (direct or {"btc_price_usd", "difficulty"} <= set(fields)):
        raise InputError(
            [
                Problem(
                    source,
                    1,
                    "header",
                    "expected timestamp,hashprice_usd_per_th_day or timestamp,btc_price_usd,difficulty",
                )
            ]
        )
    points: dict[int, Decimal] = {}
    problems: list[Problem] = []
    for line, row in enumerate(reader, start=2):
        try:
            instant = parse_instant(row.get("timestamp") or "", zone)
        except ValueError as exc:
            problems.append(Problem(source, line, "timestamp", str(exc)))
            continue
        names = ("hashprice_usd_per_th_day",) if direct else ("btc_price_usd", "difficulty")
        numbers = []
        for name in names:
            try:
                value = Decimal((row.get(name) or "").strip())
            except decimal.InvalidOperation:
                value = Decimal(-1)
            if not value.is_finite() or value < 0 or (name == "difficulty" and value == 0):
                problems.append(Problem(source, line, name, f"must be a number > 0: {row.get(name)!r}"))
            numbers.append(value)
        if len(problems) and problems[-1].line == line:
            continue
        points[instant] = (
            numbers[0] if direct else hashprice_usd_per_th_day(numbers[0], numbers[1], fees_btc_per_block, subsidy_btc)
        )
    if problems:
        raise InputError(problems)
    if not points:
        raise InputError([Problem(source, None, "", "no hashprice rows")])
    times = tuple(sorted(points))
    return Earnings(pool_fee_pct, None, times, tuple(points[t] for t in times))


@dataclass(frozen=True)
class Rule:
    """When a miner is off: above a strike [USD per MWh] (None: above its own break-even), back on
    at the threshold minus the hysteresis, after at least `min_off_s` off."""

    strike_usd_per_mwh: Decimal | None = None
    hysteresis_usd_per_mwh: Decimal = Decimal(0)
    min_off_s: int = 0


@dataclass(frozen=True)
class Rig:
    """A miner of the fleet, by its nameplate."""

    name: str
    power_w: Decimal
    hashrate_th: Decimal

    @property
    def efficiency_j_per_th(self) -> Decimal:
        return self.power_w / self.hashrate_th


def fleet_of(miners: Sequence[Miner]) -> list[Rig]:
    """The miners with a nameplate hashrate and power, least efficient (most J/TH) first."""
    rigs = [
        Rig(m.name, Decimal(repr(m.power_w)), Decimal(repr(m.hashrate_th)))
        for m in miners
        if m.hashrate_th and m.power_w
    ]
    return sorted(rigs, key=lambda rig: (-rig.efficiency_j_per_th, rig.name))


def covered_prices(db: Database, market: str, start_s: int, end_s: int, zone: ZoneInfo) -> list[Interval]:
    """The market's prices over the span; UsageError naming the first instant with none."""
    missing = first_unpriced(db, market, start_s, end_s)
    if missing is not None:
        raise UsageError(f"market {market!r} has no price from {iso(missing, zone)}; import prices for it first")
    return price_intervals(db, market, start_s, end_s)


def off_schedule(
    fleet: Sequence[Rig], intervals: Sequence[Interval], rule: Rule, energy: EnergyPrice, earnings: Earnings | None
) -> dict[str, list[bool]]:
    """Miner -> for each interval, whether the plan has it off."""
    if rule.strike_usd_per_mwh is None and earnings is None:
        raise UsageError("a plan needs a strike price or a hashprice to find each miner's break-even")
    plan: dict[str, list[bool]] = {}
    by_efficiency: dict[Decimal, list[bool]] = {}  # the threshold depends on J/TH alone: one schedule each
    for rig in fleet:
        if rig.efficiency_j_per_th not in by_efficiency:
            by_efficiency[rig.efficiency_j_per_th] = _off_states(rig, intervals, rule, energy, earnings)
        plan[rig.name] = by_efficiency[rig.efficiency_j_per_th]
    return plan


def _off_states(
    rig: Rig, intervals: Sequence[Interval], rule: Rule, energy: EnergyPrice, earnings: Earnings | None
) -> list[bool]:
    states: list[bool] = []
    off_since: int | None = None
    for start, _, price in intervals:
        threshold = _threshold(rig, start, rule, energy, earnings)
        if off_since is None:
            if price > threshold:
                off_since = start
        elif start - off_since >= rule.min_off_s and price <= threshold - rule.hysteresis_usd_per_mwh:
            off_since = None
        states.append(off_since is not None)
    return states


def _threshold(rig: Rig, start_s: int, rule: Rule, energy: EnergyPrice, earnings: Earnings | None) -> Decimal:
    if rule.strike_usd_per_mwh is not None:
        return rule.strike_usd_per_mwh
    assert earnings is not None
    break_even = earnings.hashprice(start_s) * earnings.kept / (rig.efficiency_j_per_th * Decimal("0.024"))
    return energy.market_usd_per_mwh(break_even)


@dataclass(frozen=True)
class PlanInterval:
    """A stretch of consecutive price intervals in which the same miners are off, and what that saves.
    The price is the stretch's time-weighted average; revenue forgone is None without a hashprice."""

    start_s: int
    end_s: int
    miners: tuple[str, ...]
    price_usd_per_mwh: Decimal
    price_usd_per_kwh: Decimal
    energy_saved_kwh: Decimal
    cost_saved_usd: Decimal
    revenue_forgone_usd: Decimal | None


def curtailment_plan(
    fleet: Sequence[Rig], intervals: Sequence[Interval], rule: Rule, energy: EnergyPrice, earnings: Earnings | None
) -> list[PlanInterval]:
    """The plan as stretches of intervals, each listing the miners off (least efficient first)."""
    states = off_schedule(fleet, intervals, rule, energy, earnings)
    plan: list[PlanInterval] = []
    stretch: list[int] = []
    previous: tuple[str, ...] = ()
    for index, (start, _, _) in enumerate(intervals):
        names = tuple(rig.name for rig in fleet if states[rig.name][index])
        if stretch and (names != previous or intervals[stretch[-1]][1] != start):
            plan.append(_stretch(fleet, intervals, stretch, previous, energy, earnings))
            stretch = []
        if names:
            stretch.append(index)
        previous = names
    if stretch:
        plan.append(_stretch(fleet, intervals, stretch, previous, energy, earnings))
    return plan


def _stretch(
    fleet: Sequence[Rig],
    intervals: Sequence[Interval],
    members: list[int],
    names: tuple[str, ...],
    energy: EnergyPrice,
    earnings: Earnings | None,
) -> PlanInterval:
    off = [rig for rig in fleet if rig.name in names]
    power_kw = sum((rig.power_w for rig in off), Decimal(0)) / 1000
    hashrate = sum((rig.hashrate_th for rig in off), Decimal(0))
    seconds = kwh = cost = weighted = Decimal(0)
    revenue: Decimal | None = Decimal(0) if earnings is not None else None
    for index in members:
        start, end, price = intervals[index]
        hours = Decimal(end - start) / 3600
        seconds += end - start
        weighted += price * (end - start)
        kwh += power_kw * hours
        cost += power_kw * hours * energy.usd_per_kwh(price)
        if earnings is not None and revenue is not None:
            revenue += earnings.hashprice(start) * hashrate * earnings.kept * hours / 24
    average = weighted / seconds
    first, last = intervals[members[0]], intervals[members[-1]]
    return PlanInterval(first[0], last[1], names, average, energy.usd_per_kwh(average), kwh, cost, revenue)


# --- backtest --------------------------------------------------------------------------------


def running_schedule(
    db: Database, location: str, fleet: Sequence[Rig], intervals: Sequence[Interval]
) -> dict[str, list[bool]]:
    """Miner -> for each interval, whether its readings say it ran (average power above half its
    nameplate; no readings there is off)."""
    if not intervals:
        return {rig.name: [] for rig in fleet}
    loads = stored_milli_loads(db, location, intervals[0][0], intervals[-1][1])
    running: dict[str, list[bool]] = {}
    for rig in fleet:
        mine = list(loads.get(rig.name, ()))  # tuples for the walk below: packed ones are read one by one
        half_nameplate_mw = int(rig.power_w * 1000 * RUNNING_SHARE)  # integers: compared for every interval
        states = []
        first = 0
        for start, end, _ in intervals:
            while first < len(mine) and mine[first][1] <= start:
                first += 1
            milli_ws = 0
            index = first
            while index < len(mine) and mine[index][0] < end:
                load_start, load_end, power_mw = mine[index]
                milli_ws += power_mw * (min(load_end, end) - max(load_start, start))
                index += 1
            states.append(milli_ws > half_nameplate_mw * (end - start))
        running[rig.name] = states
    return running


@dataclass(frozen=True)
class Outcome:
    """One miner (None: the site) under one schedule, against every miner always on."""

    miner: str | None
    schedule: str  # "actual" or "plan"
    uptime_pct: Decimal
    energy_kwh: Decimal
    energy_cost_usd: Decimal
    revenue_usd: Decimal | None
    energy_saved_usd: Decimal
    revenue_forgone_usd: Decimal | None

    @property
    def net_usd(self) -> Decimal | None:
        return None if self.revenue_forgone_usd is None else self.energy_saved_usd - self.revenue_forgone_usd


def backtest(
    fleet: Sequence[Rig],
    intervals: Sequence[Interval],
    running: dict[str, list[bool]],
    planned_off: dict[str, list[bool]],
    energy: EnergyPrice,
    earnings: Earnings | None,
) -> list[Outcome]:
    """Per miner then for the site, the actual schedule and the plan, each against always-on."""
    seconds = [end - start for start, end, _ in intervals]
    usd_per_kw = [
        Decimal(s) / 3600 * energy.usd_per_kwh(price) for (_, _, price), s in zip(intervals, seconds, strict=True)
    ]
    usd_per_th = [
        earnings.hashprice(start) * earnings.kept * Decimal(s) / 86_400 if earnings else Decimal(0)
        for (start, _, _), s in zip(intervals, seconds, strict=True)
    ]
    always = (sum(seconds), sum(usd_per_kw, Decimal(0)), sum(usd_per_th, Decimal(0)))
    sums: dict[tuple[int, bool], tuple[int, Decimal, Decimal]] = {}  # by schedule (miners may share one)

    def summed(flags: list[bool], on: bool) -> tuple[int, Decimal, Decimal]:
        """Seconds, USD per kW and USD per TH/s over the intervals where a miner runs."""
        key = (id(flags), on)
        if key not in sums:
            picked = [index for index, flag in enumerate(flags) if flag is on]
            sums[key] = (
                sum(seconds[i] for i in picked),
                sum((usd_per_kw[i] for i in picked), Decimal(0)),
                sum((usd_per_th[i] for i in picked), Decimal(0)),
            )
        return sums[key]

    outcomes: list[Outcome] = []
    for label, flags, on in (("actual", running, True), ("plan", planned_off, False)):
        rows = [_outcome(rig, label, summed(flags[rig.name], on), always, earnings is not None) for rig in fleet]
        outcomes.extend(rows)
        outcomes.append(_site(rows, fleet, always[0], label, earnings is not None))
    return sorted(outcomes, key=lambda o: (o.miner is None, o.miner or "", o.schedule))


def _outcome(
    rig: Rig, label: str, run: tuple[int, Decimal, Decimal], always: tuple[int, Decimal, Decimal], paid: bool
) -> Outcome:
    """A miner's figures from the sums over the intervals it runs and over all of them."""
    power_kw = rig.power_w / 1000
    up_s, cost_per_kw, revenue_per_th = run
    total_s, all_cost_per_kw, all_revenue_per_th = always
    revenue = rig.hashrate_th * revenue_per_th
    return Outcome(
        rig.name,
        label,
        Decimal(100 * up_s) / total_s if total_s else Decimal(0),
        power_kw * up_s / 3600,
        power_kw * cost_per_kw,
        revenue if paid else None,
        power_kw * (all_cost_per_kw - cost_per_kw),
        rig.hashrate_th * all_revenue_per_th - revenue if paid else None,
    )


def _site(rows: list[Outcome], fleet: Sequence[Rig], total_s: int, label: str, paid: bool) -> Outcome:
    """The site's sums; its uptime is weighted by nameplate power (the share of full-fleet kWh run)."""
    full_kwh = sum((rig.power_w / 1000 for rig in fleet), Decimal(0)) * total_s / 3600
    kwh = sum((row.energy_kwh for row in rows), Decimal(0))

    def total(values: Iterable[Decimal | None]) -> Decimal | None:
        return sum((value or Decimal(0) for value in values), Decimal(0)) if paid else None

    return Outcome(
        None,
        label,
        100 * kwh / full_kwh if full_kwh else Decimal(0),
        kwh,
        sum((row.energy_cost_usd for row in rows), Decimal(0)),
        total(row.revenue_usd for row in rows),
        sum((row.energy_saved_usd for row in rows), Decimal(0)),
        total(row.revenue_forgone_usd for row in rows),
    )
