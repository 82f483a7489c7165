"""Wholesale price files -> price intervals (contract section 7), told apart by their header.

Formats:
- generic CSV `timestamp,price_usd_per_mwh[,duration_s]`: a price holds from its timestamp for
  `duration_s`, else until the next price; the last one holds for the file's median spacing, and
  (as with readings) a gap longer than three times that spacing is left unpriced rather than
  priced at a stale value;
- ERCOT real-time settlement point prices (NP6-905-CD, 15 minutes) and day-ahead (NP4-190-CD,
  hourly): Central-time delivery dates with hours *ending* 1-24, the repeated fall-back hour
  marked by DSTFlag Y; each interval is labelled by its local start;
- gridstatus exports: `Interval Start,Interval End,Location,...,SPP`, with UTC offsets.

Prices are kept exact as integer micro-dollars per MWh (1e-9 $/kWh): a SQLite column of them
sums without drift, and sqlite-utils would write a Decimal as REAL.

The generic shape (`timestamp,<value>[,duration_s]`) is not only for prices: `read_series` reads it
for any value column (carbon intensity, `gco2_per_kwh`, uses it), so its timestamp, duration, gap
and bad-row rules are written once.
"""

from __future__ import annotations

import csv
import itertools
import statistics
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

from elecost.errors import InputError, Problem
from elecost.instants import parse_instant

CENTRAL = ZoneInfo("America/Chicago")
MICRO = 1_000_000

GENERIC = ("timestamp", "price_usd_per_mwh")
ERCOT_RT = (
    "DeliveryDate",
    "DeliveryHour",
    "DeliveryInterval",
    "SettlementPointName",
    "SettlementPointType",
    "SettlementPointPrice",
    "DSTFlag",
)
ERCOT_DA = ("DeliveryDate", "HourEnding", "SettlementPoint", "SettlementPointPrice", "DSTFlag")
GRIDSTATUS = ("Interval Start", "Interval End", "Location", "SPP")


@dataclass(frozen=True)
class PriceRow:
    """One price interval of a file: [start_s, end_s) at `price_uusd_per_mwh` [micro-USD per MWh]."""

    path: str
    line: int
    start_s: int
    end_s: int
    price_uusd_per_mwh: int

    @property
    def price_usd_per_mwh(self) -> Decimal:
        return usd_per_mwh(self.price_uusd_per_mwh)

    @property
    def value_micro(self) -> int:
        """The value every series row has: here the price [micro-USD per MWh]."""
        return self.price_uusd_per_mwh


@dataclass(frozen=True)
class SeriesRow:
    """One interval of a generic series file: [start_s, end_s) at `value_micro` [millionths of the
    value column's unit, e.g. micrograms CO2 per kWh for `gco2_per_kwh`]."""

    path: str
    line: int
    start_s: int
    end_s: int
    value_micro: int


class IntervalRow(Protocol):
    """A parsed row of a series file (`PriceRow`, `SeriesRow`): what the overlap checks and the
    interval import (`series_store.import_intervals`) read of it."""

    @property
    def path(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def start_s(self) -> int: ...
    @property
    def end_s(self) -> int: ...
    @property
    def value_micro(self) -> int: ...


def usd_per_mwh(price_uusd_per_mwh: int) -> Decimal:
    """A stored price [micro-USD per MWh] as exact USD per MWh."""
    return Decimal(price_uusd_per_mwh).scaleb(-6)


def parse_price(text: str) -> int:
    """USD per MWh text -> integer micro-USD per MWh; ValueError with a message fit for a user."""
    return parse_micro(text)


def parse_micro(text: str) -> int:
    """Decimal text -> integer millionths, exactly; ValueError with a message fit for a user."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    micro = value * MICRO
    if micro != micro.to_integral_value():
        raise ValueError(f"more than 6 decimal places: {text!r}")
    return int(micro)


def read_prices(
    source: str, lines: Iterable[str], settlement_point: str | None, zone: ZoneInfo | None = None
) -> list[PriceRow]:
    """Parse one price file (its name and its lines): its intervals, sorted, for one settlement point.

    Raises InputError with every bad row (`path:line: field: message`), an unknown header, or a
    file of several settlement points when none is chosen (listing them).
    """
    reader = csv.reader(_strip_bom(lines))
    header = [name.strip() for name in next(reader, [])]
    problems: list[Problem] = []
    if _has(header, ERCOT_RT):
        rows = _ercot(source, header, reader, settlement_point, problems, realtime=True)
    elif _has(header, ERCOT_DA):
        rows = _ercot(source, header, reader, settlement_point, problems, realtime=False)
    elif _has(header, GRIDSTATUS):
        rows = _gridstatus(source, header, reader, settlement_point, problems)
    elif _has(header, GENERIC):
        rows = _generic(source, header, reader, zone, problems)
    else:
        formats = "timestamp,price_usd_per_mwh; ERCOT NP6-905-CD or NP4-190-CD; gridstatus Interval Start,...,SPP"
        raise InputError([Problem(source, 1, "header", f"not a price file header (expected {formats}): {header}")])
    problems.extend(_overlaps(rows))
    if problems:
        raise InputError(problems)
    return rows


def read_series(
    source: str,
    lines: Iterable[str],
    value_field: str,
    zone: ZoneInfo | None = None,
    parse_value: Callable[[str], int] = parse_micro,
    noun: str = "value",
) -> list[SeriesRow]:
    """Parse one generic series file `timestamp,<value_field>[,duration_s]`: its intervals, sorted,
    by the same rules as a generic price file; values as integer millionths (`parse_value`, which
    raises ValueError with the message for a bad value); `noun` names a value in messages.

    Raises InputError with every bad row (`path:line: field: message`) or a wrong header.
    """
    reader = csv.reader(_strip_bom(lines))
    header = [name.strip() for name in next(reader, [])]
    if not _has(header, ("timestamp", value_field)):
        raise InputError([Problem(source, 1, "header", f"expected timestamp,{value_field}[,duration_s], got {header}")])
    problems: list[Problem] = []
    rows = _series_rows(source, header, reader, zone, problems, value_field, parse_value, noun)
    problems.extend(_overlaps(rows))
    if problems:
        raise InputError(problems)
    return rows


def _strip_bom(lines: Iterable[str]) -> Iterator[str]:
    first = True
    for line in lines:
        yield line.removeprefix("\ufeff") if first else line
        first = False


def _has(header: list[str], names: tuple[str, ...]) -> bool:
    return all(name in header for name in names)


def _overlaps(rows: Sequence[IntervalRow]) -> list[Problem]:
    """Two different prices for the same time in a file: each later one is refused, naming the
    first. A row repeated exactly is kept once (the import counts the copy as already stored)."""
    problems = []
    for before, after in itertools.pairwise(rows):
        if after.start_s < before.end_s and not _same(before, after):
            problems.append(
                Problem(after.path, after.line, "timestamp", f"overlaps the interval of line {before.line}")
            )
    return problems


def _same(one: IntervalRow, other: IntervalRow) -> bool:
    return (one.start_s, one.end_s, one.value_micro) == (other.start_s, other.end_s, other.value_micro)


def _full_rows(
    source: str, header: list[str], reader: Iterator[list[str]], problems: list[Problem]
) -> Iterator[tuple[int, list[str]]]:
    """(line, values) of a series file's rows after its header: blank rows skipped, a row with fewer
    columns than the header a problem."""
    for line, values in enumerate(reader, start=2):
        if not values or not any(v.strip() for v in values):
            continue
        if len(values) < len(header):
            problems.append(Problem(source, line, "", f"{len(values)} columns, the header has {len(header)}"))
            continue
        yield line, values


def _point_rows(
    source: str,
    header: list[str],
    reader: Iterator[list[str]],
    point_field: str,
    settlement_point: str | None,
    problems: list[Problem],
) -> list[tuple[int, list[str]]]:
    """(line, values) of the chosen settlement point's rows (see `_points_filter`); rows too short
    for the header are problems; nothing when the file's points leave the choice open."""
    column = header.index(point_field)
    raw: list[tuple[int, list[str]]] = []
    found: dict[str, int] = {}
    for line, values in _full_rows(source, header, reader, problems):
        found.setdefault(values[column].strip(), line)
        raw.append((line, values))
    chosen, refused = _points_filter(source, found, settlement_point, point_field)
    problems.extend(refused)
    return [] if refused else [(line, values) for line, values in raw if values[column].strip() == chosen]


def _points_filter(
    source: str, found: dict[str, int], settlement_point: str | None, field: str
) -> tuple[str | None, list[Problem]]:
    """Which point's rows to keep: the chosen one, or the file's only one."""
    if settlement_point is not None:
        if found and settlement_point not in found:
            listed = ", ".join(sorted(found))
            return None, [Problem(source, None, field, f"no rows for {settlement_point!r}; the file has {listed}")]
        return settlement_point, []
    if len(found) > 1:
        listed = ", ".join(sorted(found))
        return None, [Problem(source, None, field, f"several settlement points ({listed}); choose one")]
    return next(iter(found), None), []


def _ercot(
    source: str,
    header: list[str],
    reader: Iterator[list[str]],
    settlement_point: str | None,
    problems: list[Problem],
    *,
    realtime: bool,
) -> list[PriceRow]:
    """ERCOT settlement point prices: hour ending 1-24 in Central time, DSTFlag Y the repeated hour."""
    col = {name: index for index, name in enumerate(header)}
    point_field = "SettlementPointName" if realtime else "SettlementPoint"
    step_s = 900 if realtime else 3600
    rows = []
    for line, values in _point_rows(source, header, reader, point_field, settlement_point, problems):
        try:
            day = _delivery_date(values[col["DeliveryDate"]].strip())
        except ValueError:
            problems.append(Problem(source, line, "DeliveryDate", f"not MM/DD/YYYY: {values[col['DeliveryDate']]!r}"))
            continue
        if realtime:
            hour_ending, field = _int(values[col["DeliveryHour"]]), "DeliveryHour"
            quarter = _int(values[col["DeliveryInterval"]])
            if quarter is None or not 1 <= quarter <= 4:
                problems.append(
                    Problem(source, line, "DeliveryInterval", f"must be 1-4, got {values[col['DeliveryInterval']]!r}")
                )
                continue
        else:
            text, field, quarter = values[col["HourEnding"]].strip(), "HourEnding", 1
            hour_ending = _int(text.removesuffix(":00")) if text.endswith(":00") else None
        if hour_ending is None or not 1 <= hour_ending <= 24:
            problems.append(Problem(source, line, field, f"must be an hour ending 1-24, got {values[col[field]]!r}"))
            continue
        flag = values[col["DSTFlag"]].strip().upper()
        if flag not in ("Y", "N"):
            problems.append(Problem(source, line, "DSTFlag", f"must be Y or N, got {values[col['DSTFlag']]!r}"))
            continue
        start = _central_start(day, hour_ending - 1, (quarter - 1) * 15, repeated=flag == "Y")
        if isinstance(start, Problem):
            problems.append(Problem(source, line, start.field or field, start.message))
            continue
        try:
            price = parse_price(values[col["SettlementPointPrice"]])
        except ValueError as exc:
            problems.append(Problem(source, line, "SettlementPointPrice", str(exc)))
            continue
        rows.append(PriceRow(source, line, start, start + step_s, price))
    return sorted(rows, key=lambda row: (row.start_s, row.line))


@cache
def _delivery_date(text: str) -> date:
    """MM/DD/YYYY (cached: a day's 96 rows share it, and strptime is slow)."""
    return datetime.strptime(text, "%m/%d/%Y").date()  # noqa: DTZ007


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def _central_start(day: date, hour: int, minute: int, *, repeated: bool) -> int | Problem:
    """The instant of a local Central wall-clock start, or what is wrong: a time that does not
    exist (the spring-forward hour), or DSTFlag Y on a time that is not repeated."""
    wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=CENTRAL, fold=int(repeated))
    instant = wall.astimezone(UTC)
    back = instant.astimezone(CENTRAL)
    if (back.hour, back.minute, back.date()) != (hour, minute, day):
        when = f"{day.isoformat()} {hour:02d}:{minute:02d}"
        return Problem("", None, "", f"{when} does not exist in Central time (the spring-forward hour)")
    if repeated and wall.replace(fold=0).utcoffset() == wall.utcoffset():
        when = f"{day.isoformat()} {hour:02d}:{minute:02d}"
        return Problem("", None, "DSTFlag", f"Y marks the repeated fall-back hour, but {when} Central is not repeated")
    return int(instant.timestamp())


def _gridstatus(
    source: str, header: list[str], reader: Iterator[list[str]], settlement_point: str | None, problems: list[Problem]
) -> list[PriceRow]:
    """A gridstatus export: interval start and end with their UTC offsets, Location, SPP."""
    col = {name: index for index, name in enumerate(header)}
    rows = []
    for line, values in _point_rows(source, header, reader, "Location", settlement_point, problems):
        times = []
        for field in ("Interval Start", "Interval End"):
            try:
                times.append(parse_instant(values[col[field]], None))
            except ValueError as exc:
                problems.append(Problem(source, line, field, str(exc)))
        if len(times) < 2:
            continue
        if times[1] <= times[0]:
            problems.append(Problem(source, line, "Interval End", "must be after Interval Start"))
            continue
        try:
            price = parse_price(values[col["SPP"]])
        except ValueError as exc:
            problems.append(Problem(source, line, "SPP", str(exc)))
            continue
        rows.append(PriceRow(source, line, times[0], times[1], price))
    return sorted(rows, key=lambda row: (row.start_s, row.line))


def _generic(
    source: str, header: list[str], reader: Iterator[list[str]], zone: ZoneInfo | None, problems: list[Problem]
) -> list[PriceRow]:
    """`timestamp,price_usd_per_mwh[,duration_s]`: a price holds for its duration, else to the next."""
    rows = _series_rows(source, header, reader, zone, problems, "price_usd_per_mwh", parse_price, "price")
    return [PriceRow(row.path, row.line, row.start_s, row.end_s, row.value_micro) for row in rows]


def _series_rows(
    source: str,
    header: list[str],
    reader: Iterator[list[str]],
    zone: ZoneInfo | None,
    problems: list[Problem],
    value_field: str,
    parse_value: Callable[[str], int],
    noun: str = "value",
) -> list[SeriesRow]:
    """`timestamp,<value_field>[,duration_s]`: a value holds for its duration, else to the next."""
    col = {name: index for index, name in enumerate(header)}
    parsed: list[tuple[int, int, int, int | None]] = []  # line, start_s, value, duration_s
    for line, values in _full_rows(source, header, reader, problems):
        bad = len(problems)
        try:
            start = parse_instant(values[col["timestamp"]], zone)
        except ValueError as exc:
            problems.append(Problem(source, line, "timestamp", str(exc)))
        try:
            value = parse_value(values[col[value_field]])
        except ValueError as exc:
            problems.append(Problem(source, line, value_field, str(exc)))
        duration: int | None = None
        text = values[col["duration_s"]].strip() if "duration_s" in col else ""
        if text:
            duration = _int(text)
            if not duration:
                problems.append(Problem(source, line, "duration_s", f"must be a whole number of seconds > 0: {text!r}"))
        if len(problems) == bad:
            parsed.append((line, start, value, duration))
    parsed.sort(key=lambda row: (row[1], row[0]))
    starts = [row[1] for row in parsed]
    spacings = [b - a for a, b in itertools.pairwise(starts) if b > a]
    median_s = int(statistics.median(spacings)) if spacings else None
    rows = []
    for index, (line, start, value, duration) in enumerate(parsed):
        if duration is None:
            following = next((s for s in starts[index + 1 :] if s > start), None)
            if median_s is None:
                problems.append(Problem(source, line, "duration_s", f"a single {noun} needs duration_s"))
                continue
            duration = median_s if following is None or following - start > 3 * median_s else following - start
        rows.append(SeriesRow(source, line, start, start + duration, value))
    return rows
