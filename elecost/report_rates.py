"""Tariffs -> JSON-ready dicts, YAML and Rich views: `rate list`, `rate show`, `rate current`.

Apart from `elecost.report` (cost records), so that the rate commands load neither the cost
records' views nor, for `rate current` and `--json`, Rich tables (issue 15).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from elecost.instants import iso
from elecost.tariffs.load import tariff_to_mapping
from elecost.tariffs.model import DemandTier, Tariff, Tier, TouPeriod, mask_account
from elecost.tariffs.schedule import price_in_force

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table


def rate_json(tariff: Tariff) -> dict[str, Any]:
    """A tariff as contract keys, account number masked."""
    data = tariff_to_mapping(tariff)
    if "account_number" in data:
        data["account_number"] = mask_account(data["account_number"])
    return data


def rate_yaml(tariff: Tariff, *, mask: bool) -> str:
    """A tariff as YAML in the contract's key order (what `rate add` reads)."""
    import yaml

    data = rate_json(tariff) if mask else tariff_to_mapping(tariff)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)


def rate_sheet(tariff: Tariff, *, mask: bool = True) -> list[RenderableType]:
    """A tariff as the utility's sheet reads: seasons, periods and their hours, tiers, demand
    charges and their windows, fixed and minimum charges. Every figure as stored, unrounded."""
    from rich.table import Table
    from rich.text import Text

    from elecost.tariffs.urdb import month_span

    daily = tariff.tier_bounds == "daily"
    head = [_plain(text) for text in (tariff.utility_name, tariff.description) if text]
    head.append(
        f"Meter {_plain(tariff.location)!r}, clock {tariff.timezone}; billing periods start on day "
        f"{tariff.billing_cycle_day} at 00:00; demand is the highest {tariff.demand_interval_minutes}-minute average."
    )
    if tariff.active:
        head.append("Active for its meter.")
    parts: list[RenderableType] = [Text(tariff.name, style="bold"), "\n".join(head)]

    laddered = tariff.laddered
    energy = Table(title="Energy, $/kWh" + (_tier_note(daily) if laddered else ""), title_justify="left")
    for column in ("months", "period", "when"):
        energy.add_column(column)
    energy.add_column("$/kWh", justify="right")
    seasons: dict[tuple[int, ...], dict[tuple[str, tuple[Tier, ...]], list[TouPeriod]]] = {}
    for period in tariff.energy_periods:
        key = (period.name, period.ladder)  # a name at two prices shows twice
        seasons.setdefault(tuple(period.months), {}).setdefault(key, []).append(period)
    for number, (months, by_name) in enumerate(seasons.items()):
        if number:
            energy.add_section()
        for index, ((name, _), periods) in enumerate(by_name.items()):
            energy.add_row(
                _months_text(months, month_span) if index == 0 else "",
                _plain(name),
                _when((p.days, p.start_min, p.end_min) for p in periods),
                _ladder_text(periods[0].ladder, daily),
            )
    parts.append(energy)
    if tariff.riders:
        riders = Table(title="Riders, $/kWh on every kWh", title_justify="left")
        for column in ("rider", "months", "$/kWh"):
            riders.add_column(column, justify="right" if column == "$/kWh" else "left")
        for rider in tariff.riders:
            riders.add_row(_plain(rider.name), _months_text(rider.months, month_span), f"{rider.usd_per_kwh:f}")
        parts.append(riders)
    if tariff.all_demand_charges:
        demand = Table(title="Demand charges, $/kW of each charge's own peak", title_justify="left")
        for column in ("charge", "months", "when", "$/kW"):
            demand.add_column(column, justify="right" if column == "$/kW" else "left")
        for charge in tariff.all_demand_charges:
            price = _demand_text(charge.tiers)
            if charge.ratchet is not None:
                price += f"\nat least {charge.ratchet.pct:f}% of the\nlast {charge.ratchet.periods} periods' peak"
            windows = _when((w.days, w.start_min, w.end_min) for w in charge.windows) if charge.windows else "all hours"
            demand.add_row(_plain(charge.name), _months_text(charge.months, month_span), windows, price)
        parts.append(demand)
    other = Table(title="Fixed and other charges", title_justify="left")
    other.add_column("charge")
    other.add_column("amount", justify="right")
    for fixed in tariff.all_fixed_charges:
        other.add_row(_plain(fixed.name), f"{fixed.usd:f} $/{fixed.per}")
    if tariff.minimum_bill_usd:
        other.add_row("Minimum bill", f"{tariff.minimum_bill_usd:f} $ a billing period")
    if tariff.coincident_peak is not None:
        peak = tariff.coincident_peak
        other.add_row(f"Coincident peak ({_plain(peak.peaks)!r} peaks)", f"{peak.usd_per_kw:f} $/kW")
    if tariff.holidays:
        named = [f"{tariff.holidays.country}" + (f"-{tariff.holidays.subdiv}" if tariff.holidays.subdiv else "")]
        named = (named if tariff.holidays.country else []) + [d.isoformat() for d in sorted(tariff.holidays.dates)]
        other.add_row("Holidays, priced as Sundays", ", ".join(named))
    if tariff.account_number:
        other.add_row("Account number", mask_account(tariff.account_number) if mask else tariff.account_number)
    if other.row_count:
        parts.append(other)
    return parts


def _plain(text: str | None) -> str:
    """Text from a tariff, shown as written (output reads no Rich markup: see `cli.common`)."""
    return text or ""


def _tier_note(daily: bool) -> str:
    if daily:
        return "; tier bounds per day, times the days of the billing period, shared by all periods"
    return "; tier bounds per billing period, shared by all periods"


def _months_text(months: Sequence[int], span: Callable[[Sequence[int]], str]) -> str:
    return "all year" if tuple(months) == tuple(range(1, 13)) else span(months)


def _when(spans: Iterable[tuple[Sequence[int], int, int]]) -> str:
    """'Mon-Fri 08:00-12:00, 18:00-21:00' lines, one per set of days."""
    by_days: dict[tuple[int, ...], list[str]] = {}
    for days, start, end in spans:
        by_days.setdefault(tuple(days), []).append(_clock_span(start, end))
    return "\n".join(f"{_days_text(days)} {', '.join(hours)}" for days, hours in by_days.items())


def _clock_span(start_min: int, end_min: int) -> str:
    if (start_min, end_min) in ((0, 1440), (0, 0)):
        return "all day"
    return f"{start_min // 60:02d}:{start_min % 60:02d}-{end_min // 60:02d}:{end_min % 60:02d}"


def _days_text(days: Sequence[int]) -> str:
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    chosen = sorted(days)
    if len(chosen) == 7:
        return "every day"
    if len(chosen) > 1 and chosen == list(range(chosen[0], chosen[-1] + 1)):
        return f"{names[chosen[0]]}-{names[chosen[-1]]}"
    return ", ".join(names[d] for d in chosen)


def _ladder_text(ladder: Sequence[Tier], daily: bool) -> str:
    if len(ladder) == 1:
        return f"{ladder[0].rate_usd_per_kwh:f}"
    unit = "kWh/day" if daily else "kWh"
    return "\n".join(
        f"{t.rate_usd_per_kwh:f} " + (f"to {t.up_to_kwh:,f} {unit}" if t.up_to_kwh is not None else "above")
        for t in ladder
    )


def _demand_text(tiers: Sequence[DemandTier]) -> str:
    if len(tiers) == 1:
        return f"{tiers[0].usd_per_kw:f}"
    return "\n".join(
        f"{t.usd_per_kw:f} " + (f"to {t.up_to_kw:,f} kW" if t.up_to_kw is not None else "above") for t in tiers
    )


def rates_table(tariffs: Sequence[Tariff]) -> Table:
    """Stored tariffs, one row each."""
    from rich.table import Table

    table = Table(title="Rates", title_justify="left")
    table.add_column("name")
    table.add_column("location")
    table.add_column("type", no_wrap=True)
    table.add_column("prices $/kWh", ratio=2)
    table.add_column("$/day", justify="right", no_wrap=True)
    table.add_column("$/kW", justify="right", no_wrap=True)
    table.caption = "* active. $/day: service charge; $/kW: demand charge. `elecost rate show NAME`: all of it."
    table.caption_justify = "left"
    for tariff in tariffs:
        table.add_row(
            tariff.name + (" *" if tariff.active else ""),
            tariff.location,
            tariff.rate_type,
            _prices(tariff),
            f"{sum((c.usd for c in tariff.all_fixed_charges if c.per == 'day'), Decimal(0)):f}",
            f"{sum((c.tiers[0].usd_per_kw for c in tariff.all_demand_charges), Decimal(0)):f}",
        )
    return table


def _prices(tariff: Tariff) -> str:
    """Energy prices in short: one rate, a ladder, or each period's rate(s)."""
    periods = tariff.energy_periods
    if len(periods) == 1:
        ladder = periods[0].ladder
        if len(ladder) == 1:
            return f"{ladder[0].rate_usd_per_kwh}"
        return ", ".join(
            f"{t.rate_usd_per_kwh} " + (f"to {t.up_to_kwh} kWh" if t.up_to_kwh else "above") for t in ladder
        )
    seen: dict[str, str] = {}
    for period in periods:
        seen.setdefault(period.name, "/".join(str(t.rate_usd_per_kwh) for t in period.ladder))
    return ", ".join(f"{name} {rate}" for name, rate in seen.items())


def current_price(tariff: Tariff, now_s: int, market_price: tuple[int, int, Decimal] | None = None) -> dict[str, Any]:
    """The price in force at `now_s` and when it next changes, JSON-ready.

    For an index tariff, `market_price` is its market's price interval in force now, else the
    latest one stored: the price shown is that $/MWh as $/kWh with losses and riders (the adder).
    """
    zone = ZoneInfo(tariff.timezone)
    name, rate, next_change = price_in_force(tariff, now_s)
    if tariff.index is not None:
        rate = next_change = None
        if market_price is not None:
            start, next_change, usd_per_mwh = market_price
            riders = sum((r.usd_per_kwh for r in tariff.riders), Decimal(0))
            rate = tariff.index.usd_per_kwh(usd_per_mwh) + riders
            name = f"{tariff.index.market} ${usd_per_mwh}/MWh from {iso(start, zone)}"
        else:
            name = f"{tariff.index.market}: no prices imported"
    return {
        "rate_name": tariff.name,
        "location": tariff.location,
        "now": iso(now_s, zone),
        "period": name,
        "price_usd_per_kwh": float(rate) if rate is not None else None,
        "next_change": iso(next_change, zone) if next_change is not None else None,
        "daily_service_charge_usd": float(tariff.daily_service_charge_usd),
        "demand_charge_usd_per_kw": float(tariff.demand_charge_usd_per_kw),
    }
