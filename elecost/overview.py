"""What the HTML cost report shows, gathered from the store: data only, no HTML.

The report is made of what the core already returns (summaries, bills, profit rows, budget
status, the price in force), so its numbers are the CLI's numbers: the span's total is
`summary`'s, each bill is `bill`'s. `elecost.report_html` turns an `Overview` into a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.backtest import fleet_of, running_schedule
from elecost.bills import bills
from elecost.budget import BudgetStatus, budget_status
from elecost.db import Database
from elecost.errors import UsageError
from elecost.mining import Network, ProfitRow, profit
from elecost.peaks import peak_loads
from elecost.price_store import price_intervals
from elecost.store import active_rates, budgets, list_miners, miner_cost_totals
from elecost.summary import cost_summary
from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import billing_periods
from elecost.tariffs.records import CostRecord
from elecost.tariffs.schedule import price_in_force

DAY_S = 86_400


@dataclass(frozen=True)
class MinerRow:
    """One miner over the report's span: its cost rows' totals, and its economics where known."""

    miner: str
    location: str
    energy_kwh: Decimal
    cost_usd: Decimal
    cost_usd_per_day: Decimal  # over the hours its cost rows cover, as `profit` counts them
    revenue_usd_per_day: Decimal | None = None  # None: no hashprice, or not in the inventory
    margin_usd_per_day: Decimal | None = None
    break_even_usd_per_kwh: Decimal | None = None

    @property
    def avg_rate_usd_per_kwh(self) -> Decimal:
        return self.cost_usd / self.energy_kwh if self.energy_kwh else Decimal(0)


@dataclass(frozen=True)
class PeriodToDate:
    """A location's billing period so far, and where it is heading at the current run rate."""

    location: str
    period_start_s: int
    period_end_s: int
    as_of_s: int
    cost_usd: Decimal
    forecast_usd: Decimal


@dataclass(frozen=True)
class PriceNow:
    """The price in force at the moment the report was made, per location."""

    location: str
    rate_name: str
    timezone: str
    period: str
    price_usd_per_kwh: Decimal | None  # None on a tiered tariff: it depends on the use so far
    next_change_s: int | None


@dataclass(frozen=True)
class Series:
    """A time series to chart: wholesale prices, coincident peaks, or any (start, value) points.

    `points` are (start [UTC epoch s], value); each value holds until the next point. `marks`
    are instants to flag on the chart (a coincident-peak interval, say), with a label each;
    `shaded` are spans (start, end, label) to shade behind the line (the hours curtailed, say).
    """

    title: str
    unit: str
    points: list[tuple[int, Decimal]]
    marks: list[tuple[int, str]] = field(default_factory=list)
    shaded: list[tuple[int, int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Overview:
    """Everything one report page shows, with money unrounded (rounding happens when drawn)."""

    start_s: int
    end_s: int
    made_s: int
    timezone: str
    location: str | None
    total: CostRecord
    days: list[tuple[str, CostRecord]]
    bills: list[tuple[Tariff, CostRecord]]
    miners: list[MinerRow]
    network: Network | None
    daily_run_rate_usd: Decimal
    periods_to_date: list[PeriodToDate] = field(default_factory=list)
    prices_now: list[PriceNow] = field(default_factory=list)
    budgets: list[BudgetStatus] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)


def gather_overview(
    db: Database,
    start_s: int,
    end_s: int,
    *,
    zone: ZoneInfo,
    location: str | None = None,
    network: Network | None = None,
    now_s: int,
) -> Overview:
    """The report of [start_s, end_s): totals, days (local days in `zone`), bills, miners, and the
    state as of the span's last cost row.

    "This billing period" is the one holding the span's last instant; its forecast adds the run
    rate (cost per day over the last 7 days of rows) for the days left in it, as budgets do.
    The price shown is the one in force at `now_s`, the moment the report is made.
    """
    summary = cost_summary(db, start_s, end_s, by="day", location=location, zone=zone)
    days = list(zip(summary.group_labels, summary.groups, strict=True))
    rates = active_rates(db)
    chosen = [t for place, t in sorted(rates.items()) if location is None or place == location]
    bill_rows = [
        (tariff, record)
        for tariff, record in bills(db, location=location)
        if record.period_start_s < end_s and record.period_end_s > start_s
    ]
    as_of = summary.total.period_end_s
    return Overview(
        start_s=summary.total.period_start_s,
        end_s=as_of,
        made_s=now_s,
        timezone=zone.key,
        location=location,
        total=summary.total,
        days=days,
        bills=bill_rows,
        miners=_miner_rows(db, start_s, end_s, location, network, now_s),
        network=network,
        daily_run_rate_usd=summary.daily_cost_usd,
        periods_to_date=[p for t in chosen if (p := _period_to_date(db, t, as_of)) is not None],
        prices_now=[_price_now(t, now_s) for t in chosen],
        budgets=_budgets(db, as_of, location),
        series=[s for t in chosen for s in _tariff_series(db, t, summary.total.period_start_s, as_of)],
    )


HOUR_S = 3600


def _tariff_series(db: Database, tariff: Tariff, start_s: int, end_s: int) -> list[Series]:
    """The price series of an index tariff's market over the span, the hours curtailed shaded and
    the span's coincident peaks flagged; then every stored peak of the tariff's set (or all peaks,
    where the tariff names none) with the site's kW in it. Nothing where there is nothing stored."""
    peak_set = tariff.coincident_peak.peaks if tariff.coincident_peak is not None else None
    peaks = peak_loads(db, tariff.location, peak_set) if end_s > start_s else []
    out = []
    if tariff.index is not None and end_s > start_s:
        market = tariff.index.market
        prices = price_intervals(db, market, start_s, end_s)
        inside = [p for p in peaks if start_s <= p.start_s < end_s]
        if prices:
            out.append(
                Series(
                    title=f"{market} price at {tariff.location}",
                    unit="$/MWh; shaded: hours a miner ran below half its nameplate power",
                    points=[(start, price) for start, _, price in prices],
                    marks=[(p.start_s, f"{p.name}: {p.site_kw:,.0f} kW") for p in inside],
                    shaded=curtailed_hours(db, tariff.location, start_s, end_s),
                )
            )
    if peaks:
        out.append(
            Series(
                title=f"Coincident peaks: {tariff.location}'s load in each",
                unit="kW (average over each peak interval)",
                points=[(p.start_s, p.site_kw) for p in peaks],
                marks=[
                    (p.start_s, f"{p.name}: {p.site_kw:,.0f} kW" + (" (no readings)" if p.no_readings else ""))
                    for p in peaks
                ],
            )
        )
    return out


def curtailed_hours(db: Database, location: str, start_s: int, end_s: int) -> list[tuple[int, int, str]]:
    """The hours (merged into spans) in which a miner of the inventory (with nameplate power and
    hashrate) ran below half its nameplate power, by its readings, as `curtail --backtest` judges
    running. A miner that never ran in the span (not yet installed, or not read) shades nothing."""
    fleet = fleet_of(list_miners(db, location))
    first = start_s - start_s % HOUR_S
    hours = [(at, min(at + HOUR_S, end_s), Decimal(0)) for at in range(first, end_s, HOUR_S)]
    if not fleet or not hours:
        return []
    running = {name: states for name, states in running_schedule(db, location, fleet, hours).items() if any(states)}
    spans: list[tuple[int, int, str]] = []
    for index, (at, until, _) in enumerate(hours):
        off = [name for name, states in sorted(running.items()) if not states[index]]
        if not off:
            continue
        label = "off: " + ", ".join(off[:5]) + (f" and {len(off) - 5} more" if len(off) > 5 else "")
        if spans and spans[-1][1] == at and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], until, label)
        else:
            spans.append((max(at, start_s), until, label))
    return spans


def _period_to_date(db: Database, tariff: Tariff, as_of_s: int) -> PeriodToDate | None:
    zone = ZoneInfo(tariff.timezone)
    period_start, period_end = next(billing_periods(zone, tariff.billing_cycle_day, as_of_s - 1, as_of_s))
    try:
        so_far = cost_summary(db, period_start, as_of_s, by="day", location=tariff.location, zone=zone)
    except UsageError:  # no cost rows in this billing period at this location
        return None
    cost = so_far.total.total_cost_usd
    forecast = cost + so_far.daily_cost_usd * Decimal(period_end - as_of_s) / DAY_S
    return PeriodToDate(tariff.location, period_start, period_end, as_of_s, cost, forecast)


def _price_now(tariff: Tariff, now_s: int) -> PriceNow:
    name, rate, next_change = price_in_force(tariff, now_s)
    return PriceNow(tariff.location, tariff.name, tariff.timezone, name, rate, next_change)


def _budgets(db: Database, as_of_s: int, location: str | None) -> list[BudgetStatus]:
    if not budgets(db):
        return []
    return [s for s in budget_status(db, as_of_s) if location is None or s.location in ("", location)]


def _miner_rows(
    db: Database, start_s: int, end_s: int, location: str | None, network: Network | None, now_s: int
) -> list[MinerRow]:
    """Each miner with cost rows in the span, least profitable first (else the costliest first)."""
    economics: dict[tuple[str, str], ProfitRow] = {}
    if network is not None:
        try:
            rows = profit(db, network, start_s, end_s, now_s)
        except UsageError:  # no miner in the inventory has a hashrate: cost and energy only
            rows = []
        economics = {(r.location, r.miner_ip): r for r in rows if r.miner_ip is not None}
    out = []
    for name, place, kwh, cost, seconds in miner_cost_totals(db, start_s, end_s, location):
        known = economics.get((place, name))
        out.append(
            MinerRow(
                miner=name,
                location=place,
                energy_kwh=kwh,
                cost_usd=cost,
                cost_usd_per_day=cost * DAY_S / seconds if seconds else Decimal(0),
                revenue_usd_per_day=known.revenue_usd_per_day if known else None,
                margin_usd_per_day=known.margin_usd_per_day if known else None,
                break_even_usd_per_kwh=known.break_even_usd_per_kwh(network) if known and network else None,
            )
        )
    return sorted(out, key=_least_profitable_first)


def _least_profitable_first(row: MinerRow) -> tuple[int, Decimal, str]:
    if row.margin_usd_per_day is not None:
        return (0, row.margin_usd_per_day, row.miner)
    return (1, -row.cost_usd_per_day, row.miner)
