"""Local wall clock -> TOU period, and UTC spans -> price segments, DST included.

A schedule is checked once (every minute of every weekday of every month covered exactly once)
and then compiled into a table: for each (month, weekday) the sorted minute ranges of the day with
the index of the period in force. `price_segments` walks a UTC span through that table.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.tariffs.model import DAY_NAMES, MINUTES_PER_DAY, MONTH_NAMES, Tariff, TouPeriod

DayRanges = tuple[tuple[int, int, int], ...]  # (start_min, end_min, period index), sorted


def coverage_problems(periods: Sequence[TouPeriod]) -> list[tuple[int | None, str]]:
    """Each gap and overlap in a schedule, as (line, message); identical ones are merged.

    A message names the months, weekdays and HH:MM range, and the periods involved.
    """
    found: dict[tuple[int, int, tuple[int, ...]], list[tuple[int, int]]] = defaultdict(list)
    for month in range(1, 13):
        for day in range(7):
            ranges = sorted(
                (start, end, index)
                for index, period in enumerate(periods)
                if day in period.days and month in period.months
                for start, end in period.minute_ranges()
            )
            for start, end, owners in _faults(ranges):
                found[(start, end, owners)].append((month, day))
    problems: list[tuple[int | None, str]] = []
    for (start, end, owners), where in sorted(found.items(), key=lambda item: (item[1][0], item[0])):
        months = _spans(sorted({m for m, _ in where}), MONTH_NAMES, 1)
        days = _spans(sorted({d for _, d in where}), DAY_NAMES, 0)
        clock = f"{months} {days} {_hhmm(start)}-{_hhmm(end)}"
        if not owners:
            problems.append((None, f"{clock} is not covered by any period"))
        else:
            named = " and ".join(f'"{periods[i].name}" (line {periods[i].line})' for i in owners)
            problems.append((periods[owners[0]].line, f"{clock} is covered by both {named}"))
    return problems


def _faults(ranges: list[tuple[int, int, int]]) -> Iterator[tuple[int, int, tuple[int, ...]]]:
    """Gaps (no owners) and overlaps (two or more owners) in one day's sorted minute ranges."""
    edges = sorted({0, MINUTES_PER_DAY, *(r[0] for r in ranges), *(r[1] for r in ranges)})
    pending: tuple[int, int, tuple[int, ...]] | None = None
    for low, high in itertools.pairwise(edges):
        owners = tuple(index for start, end, index in ranges if start <= low and high <= end)
        if pending is not None and (len(owners) == 1 or pending[1] != low or pending[2] != owners):
            yield pending
            pending = None
        if len(owners) != 1:
            pending = (pending[0] if pending else low, high, owners)
    if pending is not None:
        yield pending


def _spans(values: list[int], names: tuple[str, ...], base: int) -> str:
    """[1,2,3,6] -> 'Jan-Mar,Jun'; all values -> 'Jan-Dec'."""
    parts = []
    start = previous = values[0]
    for value in [*values[1:], None]:
        if value is not None and value == previous + 1:
            previous = value
            continue
        first, last = names[start - base], names[previous - base]
        parts.append(first if start == previous else f"{first}-{last}")
        if value is not None:
            start = previous = value
    return ",".join(parts)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class Schedule:
    """A tariff's prices compiled for lookups by local wall-clock time.

    Flat and tiered tariffs have one period (index 0) in force at all times.
    """

    def __init__(self, tariff: Tariff) -> None:
        self.zone = ZoneInfo(tariff.timezone)
        self.holidays = tariff.holidays
        self.table: dict[tuple[int, int], DayRanges] = {}
        periods = tariff.energy_periods
        for month in range(1, 13):
            for day in range(7):
                self.table[(month, day)] = tuple(
                    sorted(
                        (start, end, index)
                        for index, period in enumerate(periods)
                        if day in period.days and month in period.months
                        for start, end in period.minute_ranges()
                    )
                )
        self.single = len(periods) == 1

    def period_at(self, instant_s: int) -> tuple[int, int]:
        """(period index, seconds until the wall clock leaves that period's range) at an instant."""
        local = datetime.fromtimestamp(instant_s, UTC).astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        second_of_day = minute * 60 + local.second
        weekday = 6 if self.holidays and self.holidays.contains(local.date()) else local.weekday()
        for start, end, index in self.table[(local.month, weekday)]:
            if start <= minute < end:
                return index, end * 60 - second_of_day
        raise AssertionError("a validated schedule covers every minute")  # pragma: no cover

    def segments(self, start_s: int, end_s: int) -> Iterator[tuple[int, int, int]]:
        """Split [start_s, end_s) (UTC epoch seconds) into (start, end, period index) pieces.

        Walks forward by wall-clock distance to the period's end; where the UTC offset changes
        inside a step (a DST transition), the step is cut at the transition and the local clock
        is read again there, so a 23- or 25-hour day is billed for the hours it really has.
        """
        if self.single:
            if start_s < end_s:
                yield start_s, end_s, 0
            return
        at = start_s
        current: tuple[int, int, int] | None = None
        while at < end_s:
            index, ahead_s = self.period_at(at)
            step_end = min(at + ahead_s, end_s)
            offset = self._offset(at)
            if self._offset(step_end - 1) != offset:
                step_end = self._transition(at, step_end, offset)
            if current is not None and current[2] == index and current[1] == at:
                current = (current[0], step_end, index)
            else:
                if current is not None:
                    yield current
                current = (at, step_end, index)
            at = step_end
        if current is not None:
            yield current

    def _offset(self, instant_s: int) -> timedelta | None:
        return datetime.fromtimestamp(instant_s, UTC).astimezone(self.zone).utcoffset()

    def _transition(self, low: int, high: int, offset: timedelta | None) -> int:
        """The first second in (low, high] whose UTC offset differs from `offset`."""
        while high - low > 1:
            middle = (low + high) // 2
            if self._offset(middle) == offset:
                low = middle
            else:
                high = middle
        return high


def price_in_force(tariff: Tariff, instant_s: int) -> tuple[str, Decimal | None, int | None]:
    """(period name, $/kWh, when the price next changes) at an instant.

    The price is None where the period has tiers (it depends on the period's use so far); the
    next change is None when the price never changes (looked for up to 400 days ahead).
    """
    schedule = Schedule(tariff)
    index, _ = schedule.period_at(instant_s)
    name = tariff.period_names[index]
    rate = None if len(tariff.energy_periods[index].ladder) > 1 else tariff.period_rates_usd_per_kwh[index]
    if schedule.single:
        return name, rate, None
    rates = tariff.period_rates_usd_per_kwh
    for start, _end, other in schedule.segments(instant_s, instant_s + 400 * 86_400):
        if rates[other] != rates[index] or tariff.period_names[other] != name:
            return name, rate, start
    return name, rate, None
