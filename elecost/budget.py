"""Monthly budgets: month-to-date cost and the forecast to month end, per location or overall.

Forecast = month-to-date cost + the average cost per hour over the last 7 days of cost rows x the
hours left in the month (contract section 5). The month is the calendar month on the location's
local clock; the operation-wide budget ('') adds up every location's forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.db import Database
from elecost.errors import UsageError
from elecost.rollups import meter_days
from elecost.store import active_rates, budgets, cost_totals, reading_locations
from elecost.tariffs.periods import local_date, local_midnight

WEEK_S = 7 * 86_400


@dataclass(frozen=True)
class BudgetStatus:
    """Where a budget stands at an instant."""

    location: str  # '' = the whole operation
    monthly_usd: Decimal
    month: str  # YYYY-MM
    month_to_date_usd: Decimal
    forecast_usd: Decimal

    @property
    def over(self) -> bool:
        return self.forecast_usd > self.monthly_usd


def budget_status(db: Database, at_s: int) -> list[BudgetStatus]:
    """Every budget's month-to-date cost and forecast at `at_s`."""
    chosen = budgets(db)
    if not chosen:
        raise UsageError("no budget set; use `elecost budget set --monthly-usd N [--location L]`")
    rates = active_rates(db)
    locations = sorted(set(rates) | set(reading_locations(db)))
    per_location = {
        place: _forecast(db, place, rates[place].timezone if place in rates else "UTC", at_s) for place in locations
    }
    out = []
    for place, amount in sorted(chosen.items()):
        if place:
            month, spent, forecast = per_location.get(place) or _forecast(db, place, "UTC", at_s)
        else:
            parts = list(per_location.values())
            month = parts[0][0] if parts else _month_label(ZoneInfo("UTC"), at_s)
            spent = sum((p[1] for p in parts), Decimal(0))
            forecast = sum((p[2] for p in parts), Decimal(0))
        out.append(BudgetStatus(place, amount, month, spent, forecast))
    return out


def _month_label(zone: ZoneInfo, at_s: int) -> str:
    return local_date(zone, at_s).isoformat()[:7]


def _forecast(db: Database, location: str, timezone: str, at_s: int) -> tuple[str, Decimal, Decimal]:
    zone = ZoneInfo(timezone)
    today = local_date(zone, at_s)
    month_start = local_midnight(zone, today.replace(day=1))
    next_month = today.replace(year=today.year + (today.month == 12), month=today.month % 12 + 1, day=1)
    month_end = local_midnight(zone, next_month)
    spent, _ = _cost_totals(db, month_start, at_s, location)
    recent, seconds = _cost_totals(db, at_s - WEEK_S, at_s, location)
    per_second = recent / seconds if seconds else Decimal(0)
    return today.isoformat()[:7], spent, spent + per_second * (month_end - at_s)


def _cost_totals(db: Database, start_s: int, end_s: int, location: str) -> tuple[Decimal, int]:
    """The meter's cost [USD] and covered seconds over [start_s, end_s): whole local days from the daily
    rollups, the hours at the edges from the cost rows."""
    days, _, edges = meter_days(db, start_s, end_s, location)
    usd = sum((Decimal(repr(day[8] + day[9] + day[10])) for day in days), Decimal(0))
    seconds = sum(int(day[11]) for day in days)
    for place, low, high in edges:
        part_usd, part_s = cost_totals(db, low, high, location=place)
        usd, seconds = usd + part_usd, seconds + part_s
    return usd, seconds
