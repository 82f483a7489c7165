"""The operator's questions: revenue, margin and break-even price per miner, and when to switch off.

Formulas (contract section 5):
- hashprice [USD per TH/s per day] = 86,400 x 10^12 x (subsidy + fees) / (difficulty x 2^32) x price;
- revenue per day = hashprice x hashrate_th x (1 - pool fee);
- break-even [$/kWh] = hashprice x (1 - pool fee) / (J/TH x 0.024), with J/TH = power_w / hashrate_th
  (a miner burning J/TH for a day uses J/TH x 24 / 1000 kWh per TH/s).
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.db import Database
from elecost.errors import UsageError
from elecost.pricing import price_constant_load
from elecost.rollups import miner_costs
from elecost.store import Miner, active_rate, active_rates, list_miners
from elecost.tariffs.model import DemandCharge, Tariff
from elecost.tariffs.periods import billing_periods, local_date, local_midnight
from elecost.tariffs.records import DECIMAL_CONTEXT
from elecost.tariffs.schedule import Schedule
from elecost.tariffs.usage import clock_phase_s

DAY_S = 86_400
NAMEPLATE_DAYS = 30  # a nameplate cost per day is the average over the next 30 days of the tariff


@dataclass(frozen=True)
class Network:
    """What a TH/s earns: the hashprice, and the pool's fee in percent."""

    hashprice_usd_per_th_day: Decimal
    pool_fee_pct: Decimal = Decimal(0)

    @property
    def kept(self) -> Decimal:
        """The share of revenue the pool leaves the miner."""
        return 1 - self.pool_fee_pct / 100


def hashprice_usd_per_th_day(
    btc_price_usd: Decimal,
    difficulty: Decimal,
    fees_btc_per_block: Decimal = Decimal(0),
    subsidy_btc: Decimal = Decimal("3.125"),
) -> Decimal:
    """Expected USD a TH/s earns in a day at this difficulty, block reward and price."""
    if difficulty <= 0:
        raise UsageError("--difficulty must be above 0")
    with decimal.localcontext(DECIMAL_CONTEXT):
        return (
            Decimal(86_400)
            * Decimal(10) ** 12
            * (subsidy_btc + fees_btc_per_block)
            / (difficulty * 2**32)
            * btc_price_usd
        )


def break_even_usd_per_kwh(network: Network, power_w: Decimal, hashrate_th: Decimal) -> Decimal:
    """The electricity price above which the miner loses money by running."""
    joules_per_th = power_w / hashrate_th
    return network.hashprice_usd_per_th_day * network.kept / (joules_per_th * Decimal("0.024"))


@dataclass(frozen=True)
class ProfitRow:
    """A miner's (or a location's, miner_ip None) economics per day."""

    miner_ip: str | None
    location: str
    hashrate_th: Decimal
    power_w: Decimal
    revenue_usd_per_day: Decimal
    cost_usd_per_day: Decimal
    cost_source: str  # "recorded" (cost rows) or "nameplate" (the active tariff at nameplate power)

    @property
    def efficiency_j_per_th(self) -> Decimal:
        return self.power_w / self.hashrate_th

    @property
    def margin_usd_per_day(self) -> Decimal:
        return self.revenue_usd_per_day - self.cost_usd_per_day

    def break_even_usd_per_kwh(self, network: Network) -> Decimal:
        return break_even_usd_per_kwh(network, self.power_w, self.hashrate_th)


def profit(db: Database, network: Network, start_s: int, end_s: int, now_s: int) -> list[ProfitRow]:
    """Per miner, then per location: revenue, electricity cost and margin per day.

    The cost is what `record` stored for the miner in [start_s, end_s), per day covered, with the
    power it really drew; a miner without cost rows is priced at nameplate power on its location's
    active tariff (energy and demand, plus its share of the daily service charge).
    """
    miners = [m for m in list_miners(db) if m.hashrate_th]
    if not miners:
        raise UsageError(
            "no miners with a hashrate; add them with `elecost miner add NAME --hashrate-th X --power-w W`"
        )
    rates = active_rates(db)
    recorded = miner_costs(db, start_s, end_s)
    rows: list[ProfitRow] = []
    for miner in miners:
        row = _miner_profit(db, network, miner, rates.get(miner.location), recorded, now_s, miners)
        if row is not None:
            rows.append(row)
    by_location: dict[str, list[ProfitRow]] = {}
    for row in rows:
        by_location.setdefault(row.location, []).append(row)
    for location, members in sorted(by_location.items()):
        rows.append(
            ProfitRow(
                miner_ip=None,
                location=location,
                hashrate_th=sum((r.hashrate_th for r in members), Decimal(0)),
                power_w=sum((r.power_w for r in members), Decimal(0)),
                revenue_usd_per_day=sum((r.revenue_usd_per_day for r in members), Decimal(0)),
                cost_usd_per_day=sum((r.cost_usd_per_day for r in members), Decimal(0)),
                cost_source="+".join(sorted({r.cost_source for r in members})),
            )
        )
    return rows


def _miner_profit(
    db: Database,
    network: Network,
    miner: Miner,
    tariff: Tariff | None,
    recorded: dict[tuple[str, str], tuple[float, int, float]],
    now_s: int,
    fleet: Sequence[Miner],
) -> ProfitRow | None:
    hashrate = Decimal(repr(miner.hashrate_th))
    revenue = network.hashprice_usd_per_th_day * hashrate * network.kept
    spent_usd, seconds, kwh = recorded.get((miner.location, miner.name), (0.0, 0, 0.0))
    if seconds:
        spent = Decimal(repr(spent_usd))
        power = Decimal(repr(kwh)) * 1000 * 3600 / seconds
        return ProfitRow(miner.name, miner.location, hashrate, power, revenue, spent * DAY_S / seconds, "recorded")
    if miner.power_w is None or tariff is None:
        return None
    power = Decimal(repr(miner.power_w))
    start, seconds, context = now_s, NAMEPLATE_DAYS * DAY_S, None
    if tariff.index is not None:  # a market has no future prices: price the latest (up to) 30 days it has
        from elecost.price_store import price_intervals, priced_until
        from elecost.tariffs.engine import Context

        last = priced_until(db, tariff.index.market)
        prices = price_intervals(db, tariff.index.market, last - seconds, last) if last is not None else []
        if not prices or last is None:
            raise UsageError(
                f"{miner.name}: no cost rows, and no {tariff.index.market} prices to price its nameplate on"
            )
        start, seconds, context = prices[0][0], last - prices[0][0], Context(prices=prices)
    priced = price_constant_load(tariff, power, start, seconds, context).total
    on_meter = sum(1 for m in fleet if m.location == miner.location)
    days = Decimal(seconds) / DAY_S
    daily = (priced.energy_cost_usd + priced.demand_charge_usd + priced.service_charge_usd / on_meter) / days
    return ProfitRow(miner.name, miner.location, hashrate, power, revenue, daily, "nameplate")


# --- curtailment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Curtailment:
    """An interval in which running the listed miners costs more than they earn.

    `price_usd_per_kwh` is what a kWh costs there: the energy price, plus the demand a TOU demand
    charge bills per kWh of its window where stopping for the whole window lowers that charge
    (`demand_charges` names them; `demand_saved_usd` is their part of `cost_saved_usd`).
    """

    location: str
    start_s: int
    end_s: int
    miners: tuple[str, ...]
    price_usd_per_kwh: Decimal
    energy_saved_kwh: Decimal
    cost_saved_usd: Decimal
    revenue_forgone_usd: Decimal
    demand_saved_usd: Decimal = Decimal(0)
    demand_charges: tuple[str, ...] = ()


def curtailment_plan(
    db: Database, network: Network, first_day: str | None, days: int, location: str | None, now_s: int
) -> list[Curtailment]:
    """For each local day from `first_day` (ISO date; default today), when to stop which miners.

    A miner stops where a kWh costs more than its break-even (contract section 5). A kWh's cost is
    the tariff's energy price at the margin (a tiered tariff's last tier, riders included), plus,
    inside the window of a TOU demand charge, that charge's $/kW spread over the window's hours in
    the billing period: a miner stopped for the whole window takes its kW off that window's peak.
    A demand charge on every hour is left out: stopping for an hour does not lower a peak set in another.
    """
    rates = active_rates(db)
    if location is not None and location not in rates:
        active_rate(db, location)  # raises, naming the locations that have one
    plan: list[Curtailment] = []
    planned = False
    for place, tariff in sorted(rates.items()):
        if location is not None and place != location:
            continue
        fleet = [m for m in list_miners(db, place) if m.hashrate_th and m.power_w]
        if tariff.index is not None:
            raise UsageError(
                f"{place}: its tariff {tariff.name!r} is priced by the market {tariff.index.market!r}; "
                f"plan against its prices with `elecost curtail --market {tariff.index.market}`"
            )
        if not fleet:
            continue
        zone = ZoneInfo(tariff.timezone)
        start = _day_start(zone, first_day, now_s)
        end = local_midnight(zone, local_date(zone, start + days * DAY_S + 3 * 3600))  # DST-safe day count
        plan.extend(_plan_location(tariff, network, fleet, start, end))
        planned = True
    if not planned:
        unrated = sorted({m.location for m in list_miners(db, location) if m.location not in rates})
        if unrated:
            raise UsageError(
                f"the miners at {', '.join(repr(place) for place in unrated)} have no active rate; "
                "`elecost rate activate NAME` for their location"
            )
        raise UsageError(
            "no miners with a hashrate and nameplate power there; add them with "
            "`elecost miner add NAME --hashrate-th X --power-w W`"
        )
    return plan


def _day_start(zone: ZoneInfo, first_day: str | None, now_s: int) -> int:
    from datetime import date

    if first_day is None:
        return local_midnight(zone, local_date(zone, now_s))
    try:
        day = date.fromisoformat(first_day)
    except ValueError:
        raise UsageError(f"--date: not an ISO date such as 2026-07-01: {first_day!r}") from None
    if not 1990 <= day.year < 2100:
        raise UsageError(f"--date: must be between 1990 and 2100, got {first_day}")
    return local_midnight(zone, day)


def _window_charges(tariff: Tariff) -> list[DemandCharge]:
    """Demand charges stopping for a window can lower: those with windows or months (not every hour)."""
    return [c for c in tariff.all_demand_charges if c.windows or tuple(c.months) != tuple(range(1, 13))]


def _applies(charge: DemandCharge, tariff: Tariff, zone: ZoneInfo, instant_s: int) -> bool:
    local = datetime.fromtimestamp(instant_s, UTC).astimezone(zone)
    holiday = bool(tariff.holidays) and tariff.holidays.contains(local.date())
    return charge.applies(local.month, 6 if holiday else local.weekday(), local.hour * 60 + local.minute)


def _demand_per_kwh(tariff: Tariff, zone: ZoneInfo, charges: list[DemandCharge], instant_s: int) -> dict[int, Decimal]:
    """Per window charge: its marginal $/kW over its window's hours in the billing period at `instant_s`."""
    period_start, period_end = next(billing_periods(zone, tariff.billing_cycle_day, instant_s, instant_s + 1))
    step = tariff.demand_interval_minutes * 60
    out: dict[int, Decimal] = {}
    for index, charge in enumerate(charges):
        seconds = sum(step for at in range(period_start, period_end, step) if _applies(charge, tariff, zone, at))
        if seconds:
            out[index] = charge.tiers[-1].usd_per_kw / (Decimal(seconds) / 3600)
    return out


def _plan_location(tariff: Tariff, network: Network, fleet: list[Miner], start: int, end: int) -> list[Curtailment]:
    zone = ZoneInfo(tariff.timezone)
    prices = tariff.marginal_rates_usd_per_kwh
    charges = _window_charges(tariff)
    step = tariff.demand_interval_minutes * 60
    limits = {
        m.name: break_even_usd_per_kwh(network, Decimal(repr(m.power_w)), Decimal(repr(m.hashrate_th))) for m in fleet
    }
    adders: dict[int, dict[int, Decimal]] = {}  # billing period start -> per-kWh demand of each window charge
    plan: list[Curtailment] = []
    for seg_start, seg_end, index in Schedule(tariff).segments(start, end):
        at = seg_start
        while at < seg_end:
            # Cut at demand-interval edges, where a demand charge's window can start or end.
            piece_end = min(seg_end, at - (at + clock_phase_s(zone, at, step)) % step + step) if charges else seg_end
            extra, names = Decimal(0), tuple[str, ...]()
            if charges:
                period = next(billing_periods(zone, tariff.billing_cycle_day, at, at + 1))[0]
                if period not in adders:
                    adders[period] = _demand_per_kwh(tariff, zone, charges, at)
                applying = [i for i, per_kwh in adders[period].items() if _applies(charges[i], tariff, zone, at)]
                extra = sum((adders[period][i] for i in applying), Decimal(0))
                names = tuple(charges[i].name for i in applying)
            _add_interval(plan, tariff, network, fleet, limits, at, piece_end, prices[index], extra, names)
            at = piece_end
    return plan


def _add_interval(
    plan: list[Curtailment],
    tariff: Tariff,
    network: Network,
    fleet: list[Miner],
    limits: dict[str, Decimal],
    start: int,
    end: int,
    energy_price: Decimal,
    demand_per_kwh: Decimal,
    charges: tuple[str, ...],
) -> None:
    """Add (or extend the last) interval of the plan with the miners to stop in [start, end)."""
    price = energy_price + demand_per_kwh
    stopping = [m for m in fleet if price > limits[m.name]]
    if not stopping:
        return
    previous = plan[-1] if plan else None
    names = tuple(m.name for m in stopping)
    if previous and previous.end_s == start and previous.miners == names and previous.price_usd_per_kwh == price:
        start = previous.start_s
        plan.pop()
    hours = Decimal(end - start) / 3600
    power_kw = sum((Decimal(repr(m.power_w)) for m in stopping), Decimal(0)) / 1000
    hashrate = sum((Decimal(repr(m.hashrate_th)) for m in stopping), Decimal(0))
    plan.append(
        Curtailment(
            location=tariff.location,
            start_s=start,
            end_s=end,
            miners=names,
            price_usd_per_kwh=price,
            energy_saved_kwh=power_kw * hours,
            cost_saved_usd=power_kw * hours * price,
            revenue_forgone_usd=network.hashprice_usd_per_th_day * hashrate * network.kept * hours / 24,
            demand_saved_usd=power_kw * hours * demand_per_kwh,
            demand_charges=charges,
        )
    )
