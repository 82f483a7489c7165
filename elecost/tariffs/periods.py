"""Calendar spans in a tariff's local time: local days and billing periods, as UTC epoch seconds.

A local day runs from one local midnight to the next, so it lasts 23 or 25 hours on DST days.
A billing period starts at 00:00 local on the tariff's `billing_cycle_day`; in a month without
that day (the 31st in April) it starts on the month's last day.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def local_midnight(zone: ZoneInfo, day: date) -> int:
    """The UTC epoch second at which `day` starts on the local wall clock."""
    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())


def local_date(zone: ZoneInfo, instant_s: int) -> date:
    """The local calendar date at an instant."""
    return datetime.fromtimestamp(instant_s, UTC).astimezone(zone).date()


def local_days(zone: ZoneInfo, start_s: int, end_s: int) -> Iterator[tuple[int, int]]:
    """The local days that overlap [start_s, end_s), each as its full (start, end)."""
    day = local_date(zone, start_s)
    day_start = local_midnight(zone, day)
    while day_start < end_s:
        day += timedelta(days=1)
        day_end = local_midnight(zone, day)
        yield day_start, day_end
        day_start = day_end


def cycle_start(year: int, month: int, cycle_day: int) -> date:
    """The date a billing period starts in a month, clamped to the month's length."""
    return date(year, month, min(cycle_day, calendar.monthrange(year, month)[1]))


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def billing_periods(zone: ZoneInfo, cycle_day: int, start_s: int, end_s: int) -> Iterator[tuple[int, int]]:
    """The billing periods that overlap [start_s, end_s), each as its full (start, end)."""
    today = local_date(zone, start_s)
    year, month = today.year, today.month
    if today < cycle_start(year, month, cycle_day):
        year, month = _previous_month(year, month)
    period_start = local_midnight(zone, cycle_start(year, month, cycle_day))
    while period_start < end_s:
        year, month = _next_month(year, month)
        period_end = local_midnight(zone, cycle_start(year, month, cycle_day))
        yield period_start, period_end
        period_start = period_end
