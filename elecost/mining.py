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
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from elecost.errors import UsageError
from elecost.pricing import price_constant_load
from elecost.store import Miner, active_rate, active_rates, cost_totals, list_miners
from elecost.tariffs.calc import DECIMAL_CONTEXT
from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import local_date, local_midnight
from elecost.tariffs.schedule import Schedule

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
    rows: list[ProfitRow] = []
    for miner in miners:
        row = _miner_profit(db, network, miner, rates.get(miner.location), start_s, end_s, now_s, miners)
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
    start_s: int,
    end_s: int,
    now_s: int,
    fleet: Sequence[Miner],
) -> ProfitRow | None:
    hashrate = Decimal(repr(miner.hashrate_th))
    revenue = network.hashprice_usd_per_th_day * hashrate * network.kept
    spent, seconds = cost_totals(db, start_s, end_s, location=miner.location, miner=miner.name)
    if seconds:
        kwh = db.execute(
            "SELECT total(total_kwh) FROM costs WHERE location = ? AND miner_ip = ? AND period_start_s >= ? "
            "AND period_start_s < ?",
            [miner.location, miner.name, start_s, end_s],
        ).fetchone()[0]
        power = Decimal(repr(kwh)) * 1000 * 3600 / seconds
        return ProfitRow(miner.name, miner.location, hashrate, power, revenue, spent * DAY_S / seconds, "recorded")
    if miner.power_w is None or tariff is None:
        return None
    power = Decimal(repr(miner.power_w))
    priced = price_constant_load(tariff, power, now_s, NAMEPLATE_DAYS * DAY_S).total
    on_meter = sum(1 for m in fleet if m.location == miner.location)
    daily = (priced.energy_cost_usd + priced.demand_charge_usd + priced.service_charge_usd / on_meter) / NAMEPLATE_DAYS
    return ProfitRow(miner.name, miner.location, hashrate, power, revenue, daily, "nameplate")


# --- curtailment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Curtailment:
    """An interval in which running the listed miners costs more than they earn."""

    location: str
    start_s: int
    end_s: int
    miners: tuple[str, ...]
    price_usd_per_kwh: Decimal
    energy_saved_kwh: Decimal
    cost_saved_usd: Decimal
    revenue_forgone_usd: Decimal


def curtailment_plan(
    db: Database, network: Network, first_day: str | None, days: int, location: str | None, now_s: int
) -> list[Curtailment]:
    """For each local day from `first_day` (ISO date; default today), when to stop which miners.

    A miner stops where the tariff's energy price exceeds its break-even (contract section 5);
    a tiered tariff is judged at its last block, the marginal price of a large site. Demand
    charges are left out: stopping during an hour does not lower a peak set at another time.
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
        if not fleet:
            continue
        zone = ZoneInfo(tariff.timezone)
        start = _day_start(zone, first_day, now_s)
        end = local_midnight(zone, local_date(zone, start + days * DAY_S + 3 * 3600))  # DST-safe day count
        plan.extend(_plan_location(tariff, network, fleet, start, end))
        planned = True
    if not planned:
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


def _plan_location(tariff: Tariff, network: Network, fleet: list[Miner], start: int, end: int) -> list[Curtailment]:
    prices = tariff.period_rates_usd_per_kwh
    if tariff.rate_type == "tiered":
        prices = (tariff.tiered_rates[-1].rate_usd_per_kwh,)
    limits = {
        m.name: break_even_usd_per_kwh(network, Decimal(repr(m.power_w)), Decimal(repr(m.hashrate_th))) for m in fleet
    }
    plan: list[Curtailment] = []
    for seg_start, seg_end, index in Schedule(tariff).segments(start, end):
        price = prices[min(index, len(prices) - 1)]
        stopping = [m for m in fleet if price > limits[m.name]]
        if not stopping:
            continue
        previous = plan[-1] if plan else None
        names = tuple(m.name for m in stopping)
        if (
            previous
            and previous.end_s == seg_start
            and previous.miners == names
            and previous.price_usd_per_kwh == price
        ):
            seg_start = previous.start_s
            plan.pop()
        hours = Decimal(seg_end - seg_start) / 3600
        power_kw = sum((Decimal(repr(m.power_w)) for m in stopping), Decimal(0)) / 1000
        hashrate = sum((Decimal(repr(m.hashrate_th)) for m in stopping), Decimal(0))
        plan.append(
            Curtailment(
                location=tariff.location,
                start_s=seg_start,
                end_s=seg_end,
                miners=names,
                price_usd_per_kwh=price,
                energy_saved_kwh=power_kw * hours,
                cost_saved_usd=power_kw * hours * price,
                revenue_forgone_usd=network.hashprice_usd_per_th_day * hashrate * network.kept * hours / 24,
            )
        )
    return plan
