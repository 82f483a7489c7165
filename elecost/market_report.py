"""Wholesale price, coincident-peak and price-curtailment reports: JSON-ready dicts and Rich tables.

Data first: each `*_json` builds the rows, each table shows the same values; money is rounded to
cents here and nowhere before.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table

from elecost.backtest import Outcome, PlanInterval
from elecost.instants import iso, local_minute, span_text
from elecost.peaks import PeakLoad
from elecost.price_store import MarketSummary

CENT = Decimal("0.01")


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _usd(amount: Decimal, exact: bool) -> float:
    """Money in cents, or with `exact` (`--csv` rows) to 6 decimals (contract section 4)."""
    return _round(amount, 6) if exact else float(_cents(amount))


def _round(value: Decimal, places: int) -> float:
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else f"{_cents(amount):,.2f}"


def _zone_name(zone: ZoneInfo) -> str:
    return zone.key


# --- prices ----------------------------------------------------------------------------------


def markets_json(summaries: Sequence[MarketSummary], zone: ZoneInfo) -> list[dict[str, Any]]:
    return [
        {
            "market": s.market,
            "intervals": s.intervals,
            "first": iso(s.first_s, zone),
            "last": iso(s.last_s, zone),
            "min_usd_per_mwh": float(s.min_usd_per_mwh),
            "avg_usd_per_mwh": _round(s.avg_usd_per_mwh, 6),
            "max_usd_per_mwh": float(s.max_usd_per_mwh),
        }
        for s in summaries
    ]


def markets_table(summaries: Sequence[MarketSummary], zone: ZoneInfo) -> Table | str:
    """Each stored market: intervals, the time they span, and min/average/max $/MWh."""
    if not summaries:
        return "No prices yet; add some with `elecost prices import FILE --market NAME`."
    table = Table(title=f"Price series ($/MWh, average weighted by time; {_zone_name(zone)})", title_justify="left")
    table.add_column("market", no_wrap=True)
    table.add_column("intervals", justify="right", no_wrap=True)
    table.add_column("span")
    for column in ("min", "avg", "max"):
        table.add_column(column, justify="right", no_wrap=True)
    for s in summaries:
        table.add_row(
            s.market,
            f"{s.intervals:,}",
            span_text(s.first_s, s.last_s, zone),
            f"{s.min_usd_per_mwh:,.2f}",
            f"{_round(s.avg_usd_per_mwh, 2):,.2f}",
            f"{s.max_usd_per_mwh:,.2f}",
        )
    return table


def prices_json(intervals: Sequence[tuple[int, int, Decimal]], zone: ZoneInfo) -> list[dict[str, Any]]:
    return [
        {"start": iso(start, zone), "end": iso(end, zone), "price_usd_per_mwh": float(price)}
        for start, end, price in intervals
    ]


def prices_table(market: str, intervals: Sequence[tuple[int, int, Decimal]], zone: ZoneInfo) -> Table | str:
    if not intervals:
        return f"No prices of {market!r} in that span."
    table = Table(title=f"{market}: prices ($/MWh)", title_justify="left")
    table.add_column("start")
    table.add_column("end")
    table.add_column("$/MWh", justify="right")
    for start, end, price in intervals:
        table.add_row(local_minute(start, zone, offset=True), local_minute(end, zone, offset=True), f"{price:,.2f}")
    return table


# --- peaks -----------------------------------------------------------------------------------


def peaks_json(
    peaks: Sequence[PeakLoad], charges: Sequence[Decimal | None], zone: ZoneInfo, *, exact: bool = False
) -> list[dict[str, Any]]:
    return [
        {
            "name": peak.name,
            "interval_start": iso(peak.start_s, zone),
            "interval_end": iso(peak.end_s, zone),
            "site_kw": _round(peak.site_kw, 3),
            "no_readings": peak.no_readings,
            "usd_per_month": None if charge is None else _usd(charge, exact),
        }
        for peak, charge in zip(peaks, charges, strict=True)
    ]


def peaks_table(peaks: Sequence[PeakLoad], charges: Sequence[Decimal | None], zone: ZoneInfo) -> Table | str:
    """Each peak, the site's average kW in it, and what it adds to each month's bill."""
    if not peaks:
        return "No peaks yet; add them with `elecost peaks import FILE --name NAME`."
    table = Table(title=f"Coincident peaks: the site's load in each ({_zone_name(zone)})", title_justify="left")
    table.add_column("name")
    table.add_column("interval", no_wrap=True)
    table.add_column("site kW", justify="right", no_wrap=True)
    table.add_column("$/month", justify="right", no_wrap=True)
    for peak, charge in zip(peaks, charges, strict=True):
        kw = f"{_round(peak.site_kw, 3):,.3f}" + (" (no readings)" if peak.no_readings else "")
        table.add_row(
            peak.name, f"{local_minute(peak.start_s, zone)} +{(peak.end_s - peak.start_s) // 60}m", kw, _money(charge)
        )
    return table


# --- curtailment against prices --------------------------------------------------------------


def plan_json(
    location: str, plan: Sequence[PlanInterval], zone: ZoneInfo, *, exact: bool = False
) -> list[dict[str, Any]]:
    """The contract's curtailment intervals (section 5), plus the market price in $/MWh."""
    return [
        {
            "location": location,
            "start": iso(item.start_s, zone),
            "end": iso(item.end_s, zone),
            "miners": list(item.miners),
            "price_usd_per_mwh": _round(item.price_usd_per_mwh, 6),
            "price_usd_per_kwh": _round(item.price_usd_per_kwh, 6),
            "energy_saved_kwh": _round(item.energy_saved_kwh, 6),
            "cost_saved_usd": _usd(item.cost_saved_usd, exact),
            "revenue_forgone_usd": None if item.revenue_forgone_usd is None else _usd(item.revenue_forgone_usd, exact),
        }
        for item in plan
    ]


def plan_table(plan: Sequence[PlanInterval], zone: ZoneInfo) -> Table | str:
    if not plan:
        return "No curtailment: no miner's threshold is crossed in that span."
    table = Table(title=f"Curtailment plan against market prices ({_zone_name(zone)})", title_justify="left")
    table.add_column("when")
    table.add_column("miners off", min_width=10)
    for column in ("$/MWh", "kWh saved", "$ saved", "$ forgone"):
        table.add_column(column, justify="right", no_wrap=True)
    for item in plan:
        shown = ", ".join(item.miners[:4]) + (f" +{len(item.miners) - 4}" if len(item.miners) > 4 else "")
        table.add_row(
            span_text(item.start_s, item.end_s, zone),
            shown,
            f"{_round(item.price_usd_per_mwh, 2):,.2f}",
            f"{_round(item.energy_saved_kwh, 3):,.3f}",
            _money(item.cost_saved_usd),
            _money(item.revenue_forgone_usd),
        )
    return table


def backtest_json(
    market: str,
    location: str,
    start_s: int,
    end_s: int,
    outcomes: Sequence[Outcome],
    zone: ZoneInfo,
    *,
    exact: bool = False,
) -> dict[str, Any]:
    """The backtest: per miner and site (miner null), the actual schedule and the plan."""

    def money(amount: Decimal | None) -> float | None:
        return None if amount is None else _usd(amount, exact)

    site = {o.schedule: o for o in outcomes if o.miner is None}
    gain = None
    if site["plan"].net_usd is not None and site["actual"].net_usd is not None:
        gain = money(site["plan"].net_usd - site["actual"].net_usd)
    return {
        "market": market,
        "location": location,
        "from": iso(start_s, zone),
        "to": iso(end_s, zone),
        "rows": [
            {
                "miner": o.miner,
                "schedule": o.schedule,
                "uptime_pct": _round(o.uptime_pct, 2),
                "energy_kwh": _round(o.energy_kwh, 6),
                "energy_cost_usd": money(o.energy_cost_usd),
                "revenue_usd": money(o.revenue_usd),
                "energy_saved_usd": money(o.energy_saved_usd),
                "revenue_forgone_usd": money(o.revenue_forgone_usd),
                "net_usd": money(o.net_usd),
            }
            for o in outcomes
        ],
        "plan_minus_actual_usd": gain,
    }


def backtest_table(outcomes: Sequence[Outcome]) -> Table:
    table = Table(title="Backtest: against every miner always on", title_justify="left")
    table.add_column("miner")
    table.add_column("schedule")
    for column in ("uptime %", "$ energy saved", "$ forgone", "$ net"):
        table.add_column(column, justify="right", no_wrap=True)
    for o in outcomes:
        table.add_row(
            o.miner or "(site)",
            o.schedule,
            f"{_round(o.uptime_pct, 2):.2f}",
            _money(o.energy_saved_usd),
            _money(o.revenue_forgone_usd),
            _money(o.net_usd),
        )
    return table
