"""Utility meter data -> readings rows: Green Button (ESPI Atom XML) files and interval CSVs.

The utility bills from its own meter, so its interval data is the reference the miners' own figures
are held to. Each interval's energy becomes one meter reading (miner '') of the interval's average
power, with its duration: power_w = kWh x 3.6e6 / seconds. The energy is worked out exactly
(Decimal); a power of up to 15 significant digits (any Wh value over 15 minutes or an hour) then
survives the float of a readings row unchanged, so the stored kWh are the utility's to the digit.

Green Button is read with the standard library's SAX parser through `defusedxml`, which refuses
entity declarations and external references: a downloaded file can then neither expand a "billion
laughs" bomb nor make the parser fetch anything. SAX keeps memory flat and gives line numbers.
Rows are the same tuples as `elecost.readings.scan_readings` yields (see `Row` there).
"""

from __future__ import annotations

import csv
import re
import statistics
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import IO, TYPE_CHECKING
from xml.sax.handler import ContentHandler
from zoneinfo import ZoneInfo

from elecost.errors import Problem

if TYPE_CHECKING:
    from xml.sax.xmlreader import AttributesNSImpl, Locator

Row = tuple[int, int, float, str, "str | None", "int | None"]  # as elecost.readings.Row

FORMATS = ("readings", "greenbutton", "interval-csv")
HEADER_SEARCH_LINES = 30  # utilities put a preamble (name, account, address) above the header

_WH_PER = {"wh": Decimal(1), "kwh": Decimal(1000), "mwh": Decimal(1_000_000)}


def interval_power_w(energy_wh: Decimal, seconds: int) -> float:
    """Average power [W] of `energy_wh` [Wh] spread over `seconds`: exact until the last step."""
    return float(energy_wh * 3600 / seconds)


# --- Green Button (ESPI) -----------------------------------------------------------------------

ESPI_WH = 72  # UnitSymbolKind: Wh
ESPI_FORWARD = 1  # FlowDirectionKind: delivered to the customer
ESPI_DELTA = 4  # AccumulationKind: deltaData, the energy of each interval
_TYPE_FIELDS = ("uom", "powerOfTenMultiplier", "flowDirection", "accumulationBehaviour", "intervalLength")


@dataclass
class _Block:
    """An IntervalBlock: its links and its readings as (line, {field: (text, line)})."""

    line: int
    readings: list[tuple[int, dict[str, tuple[str, int]]]] = field(default_factory=list)
    self_href: str = ""
    up_href: str = ""


@dataclass
class _Entry:
    """What one Atom entry holds: its links and the ESPI resources inside it."""

    links: list[tuple[str, str]] = field(default_factory=list)
    types: list[dict[str, tuple[str, int]]] = field(default_factory=list)
    meter_readings: int = 0
    blocks: list[_Block] = field(default_factory=list)

    def link(self, rel: str) -> str:
        return next((href for kind, href in self.links if kind == rel), "")


class _EspiHandler(ContentHandler):
    """SAX callbacks that keep only what a bill needs: reading types, meter readings, intervals.

    Namespaces are matched by local name, so a hand-made file without the Atom or ESPI namespace
    reads the same as a utility's.
    """

    def __init__(self) -> None:
        super().__init__()
        self.locator: Locator | None = None
        self.path: list[str] = []
        self.text: list[str] = []
        self.entry = _Entry()
        self.types: list[tuple[str, dict[str, tuple[str, int]]]] = []  # (self href, fields)
        self.meter_readings: dict[str, list[str]] = {}  # self href -> related hrefs
        self.blocks: list[_Block] = []
        self._type: dict[str, tuple[str, int]] | None = None
        self._block: _Block | None = None
        self._reading: dict[str, tuple[str, int]] | None = None

    def line(self) -> int:
        return self.locator.getLineNumber() or 0 if self.locator is not None else 0

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def endDocument(self) -> None:
        self._flush()

    def characters(self, content: str) -> None:
        self.text.append(content)

    def startElementNS(self, name: tuple[str | None, str], qname: str | None, attrs: AttributesNSImpl) -> None:
        local = name[1]
        self.text.clear()
        if local == "entry":
            self._flush()
        elif local == "link" and self.path and self.path[-1] == "entry":
            rel = attrs.get((None, "rel")) or ""
            href = attrs.get((None, "href")) or ""
            self.entry.links.append((rel, href.strip().rstrip("/")))
        elif local == "ReadingType":
            self._type = {}
        elif local == "IntervalBlock":
            self._block = _Block(self.line())
        elif local == "IntervalReading" and self._block is not None:
            self._reading = {"": ("", self.line())}
        self.path.append(local)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        local = self.path.pop()
        value = "".join(self.text).strip()
        self.text.clear()
        parent = self.path[-1] if self.path else ""
        if self._reading is not None:
            if parent == "timePeriod" and local in ("start", "duration"):
                self._reading[f"timePeriod.{local}"] = (value, self.line())
            elif parent == "IntervalReading" and local == "value":
                self._reading["value"] = (value, self.line())
            elif local == "IntervalReading" and self._block is not None:
                self._block.readings.append((self._reading[""][1], self._reading))
                self._reading = None
        elif self._type is not None:
            if parent == "ReadingType" and local in _TYPE_FIELDS:
                self._type[local] = (value, self.line())
            elif local == "ReadingType":
                self._type[""] = ("", self.line())
                self.entry.types.append(self._type)
                self._type = None
        elif local == "IntervalBlock" and self._block is not None:
            self.entry.blocks.append(self._block)
            self._block = None
        elif local == "MeterReading":
            self.entry.meter_readings += 1
        elif local == "entry":
            self._flush()

    def _flush(self) -> None:
        """File what the entry held under its links (a bare ESPI document has none)."""
        entry, self.entry = self.entry, _Entry()
        own, up = entry.link("self"), entry.link("up")
        related = [href for rel, href in entry.links if rel == "related"]
        for fields in entry.types:
            self.types.append((own, fields))
        if entry.meter_readings:
            self.meter_readings[own or f"#{len(self.meter_readings)}"] = related
        for block in entry.blocks:
            block.self_href, block.up_href = own, up
            self.blocks.append(block)


def scan_greenbutton(handle: IO[str], source: str, problems: list[Problem]) -> Iterator[Row]:
    """The meter readings of a Green Button file: one per IntervalReading of its energy series.

    Of the file's series (MeterReadings), those of energy delivered per interval (uom 72 = Wh,
    flowDirection 1, accumulationBehaviour 4) are candidates and the finest of them is read (a
    download often holds the same energy binned hourly and daily too). Bad XML, an entity
    declaration or a missing field adds a problem and yields nothing.
    """
    import xml.sax
    from xml.sax.handler import feature_namespaces

    from defusedxml import DefusedXmlException
    from defusedxml.sax import make_parser

    handler = _EspiHandler()
    parser = make_parser()
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    try:
        parser.parse(handle)
    except xml.sax.SAXParseException as exc:
        problems.append(Problem(source, exc.getLineNumber(), "xml", f"not well-formed XML: {exc.getMessage()}"))
        return
    except DefusedXmlException as exc:
        what = type(exc).__name__
        message = {
            "EntitiesForbidden": "entity declarations are refused (they can expand into a memory bomb); "
            "a Green Button file needs none",
            "ExternalReferenceForbidden": "external references are refused (they would make elecost fetch files)",
            "DTDForbidden": "a DTD is refused",
        }.get(what, f"refused: {exc}")
        problems.append(Problem(source, handler.line() or None, "xml", message))
        return
    chosen = _choose_series(handler, source, problems)
    if chosen is None:
        return
    multiplier, blocks = chosen
    for block in blocks:
        for line, fields in block.readings:
            row = _interval_row(source, line, fields, multiplier, problems)
            if row is not None:
                yield row


def _interval_row(
    source: str, line: int, fields: dict[str, tuple[str, int]], multiplier: int, problems: list[Problem]
) -> Row | None:
    found = len(problems)
    start = _espi_int(source, line, fields, "timePeriod.start", problems)
    duration = _espi_int(source, line, fields, "timePeriod.duration", problems)
    value_text, value_line = fields.get("value", ("", line))
    value: Decimal | None = None
    if "value" not in fields:
        problems.append(Problem(source, line, "IntervalReading.value", "missing"))
    else:
        try:
            value = Decimal(value_text)
        except InvalidOperation:
            problems.append(Problem(source, value_line, "IntervalReading.value", f"not a number: {value_text!r}"))
        else:
            if not value.is_finite() or value < 0:
                problems.append(
                    Problem(source, value_line, "IntervalReading.value", f"must be energy used, >= 0, got {value_text}")
                )
    if duration is not None and duration <= 0:
        problems.append(
            Problem(source, fields["timePeriod.duration"][1], "IntervalReading.timePeriod.duration", "must be > 0")
        )
    if len(problems) > found or start is None or duration is None or value is None:
        return None
    return line, start, interval_power_w(value.scaleb(multiplier), duration), "", None, duration


def _espi_int(
    source: str, line: int, fields: dict[str, tuple[str, int]], name: str, problems: list[Problem]
) -> int | None:
    if name not in fields:
        problems.append(Problem(source, line, f"IntervalReading.{name}", "missing"))
        return None
    text, at = fields[name]
    try:
        return int(text)
    except ValueError:
        problems.append(Problem(source, at, f"IntervalReading.{name}", f"not a whole number: {text!r}"))
        return None


@dataclass(frozen=True)
class _Series:
    label: str
    line: int
    uom: int | None
    multiplier: int
    flow: int
    accumulation: int
    interval_s: int
    blocks: tuple[_Block, ...]


def _choose_series(handler: _EspiHandler, source: str, problems: list[Problem]) -> tuple[int, list[_Block]] | None:
    """The power-of-ten multiplier and blocks of the one energy series to read, or None (problem added)."""
    if not handler.blocks:
        problems.append(Problem(source, None, "IntervalBlock", "none in this file: no interval data to import"))
        return None
    types: list[tuple[str, dict[str, tuple[str, int]]]] = handler.types
    groups: dict[str, list[_Block]] = {}
    for block in handler.blocks:
        groups.setdefault(_meter_reading_of(block, handler.meter_readings), []).append(block)
    series: list[_Series] = []
    found = len(problems)
    for key, blocks in groups.items():
        fields = _reading_type_of(key, handler.meter_readings.get(key, []), types)
        if fields is None:
            problems.append(
                Problem(
                    source,
                    blocks[0].line,
                    "ReadingType",
                    "cannot tell this IntervalBlock's unit: no ReadingType is linked to its MeterReading"
                    + (" (the file has several)" if types else " (the file has none)"),
                )
            )
            continue
        numbers = {}
        for name in _TYPE_FIELDS:
            text, at = fields.get(name, ("", fields[""][1]))
            try:
                numbers[name] = int(text) if text else None
            except ValueError:
                problems.append(Problem(source, at, f"ReadingType.{name}", f"not a whole number: {text!r}"))
        if len(problems) > found:
            continue
        if numbers["uom"] is None:
            problems.append(Problem(source, fields[""][1], "ReadingType.uom", "missing"))
            continue
        lengths = [int(f["timePeriod.duration"][0]) for b in blocks for _, f in b.readings[:1] if _duration_given(f)]
        series.append(
            _Series(
                label=key or "the file's MeterReading",
                line=fields[""][1],
                uom=numbers["uom"],
                multiplier=numbers["powerOfTenMultiplier"] or 0,
                flow=numbers["flowDirection"] or ESPI_FORWARD,
                accumulation=numbers["accumulationBehaviour"] or ESPI_DELTA,
                interval_s=numbers["intervalLength"] or (min(lengths) if lengths else 0),
                blocks=tuple(blocks),
            )
        )
    if len(problems) > found:
        return None
    energy = [s for s in series if (s.uom, s.flow, s.accumulation) == (ESPI_WH, ESPI_FORWARD, ESPI_DELTA)]
    if not energy:
        kinds = ", ".join(f"uom {s.uom} flowDirection {s.flow} accumulationBehaviour {s.accumulation}" for s in series)
        problems.append(
            Problem(
                source,
                series[0].line,
                "ReadingType",
                "no energy delivered per interval (uom 72 = Wh, flowDirection 1, accumulationBehaviour 4) "
                f"in this file; it holds {kinds}",
            )
        )
        return None
    finest = min(s.interval_s for s in energy)
    picked = [s for s in energy if s.interval_s == finest]
    if len(picked) > 1:
        problems.append(
            Problem(
                source,
                picked[1].line,
                "MeterReading",
                f"several energy series of {finest} s intervals ({', '.join(s.label for s in picked)}): "
                "elecost reads one meter per file; split the file by UsagePoint",
            )
        )
        return None
    return picked[0].multiplier, list(picked[0].blocks)


def _duration_given(fields: dict[str, tuple[str, int]]) -> bool:
    return fields.get("timePeriod.duration", ("",))[0].isdigit()


def _meter_reading_of(block: _Block, meter_readings: dict[str, list[str]]) -> str:
    """The MeterReading an IntervalBlock belongs to: its `up` link (…/MeterReading/01/IntervalBlock)."""
    for href in (block.up_href, block.self_href):
        if "/IntervalBlock" in href:
            owner = href.split("/IntervalBlock")[0]
            match = _href_match(owner, meter_readings)
            return match if match is not None else owner
    return next(iter(meter_readings)) if len(meter_readings) == 1 else ""


def _reading_type_of(
    meter_reading: str, related: Sequence[str], types: Sequence[tuple[str, dict[str, tuple[str, int]]]]
) -> dict[str, tuple[str, int]] | None:
    """The ReadingType a MeterReading links to (`related`), or the file's only one."""
    by_href = {href: fields for href, fields in types if href}
    for href in related:
        match = _href_match(href, by_href)
        if match is not None:
            return by_href[match]
    return types[0][1] if len(types) == 1 else None


def _href_match(href: str, known: Iterable[str]) -> str | None:
    """`href` among `known`, exactly or by its last two path segments (absolute and relative links mix)."""
    known = list(known)
    if href in known:
        return href
    tail = "/".join(href.split("/")[-2:])
    matches = [k for k in known if k and "/".join(k.split("/")[-2:]) == tail]
    return matches[0] if len(matches) == 1 else None


# --- utility interval CSVs ---------------------------------------------------------------------

_DATE = {"date", "read date", "interval date", "usage date", "day"}
_START = {
    "start",
    "start time",
    "start date",
    "start datetime",
    "start date time",
    "interval start",
    "interval start time",
    "interval start date",
    "interval start date time",
    "interval beginning",
    "begin",
    "begin time",
    "from",
    "time",
    "timestamp",
    "datetime",
    "date time",
    "interval",
    "reading time",
}
_END = {
    "end",
    "end time",
    "end date",
    "end datetime",
    "end date time",
    "interval end",
    "interval end time",
    "interval end date",
    "interval end date time",
    "interval ending",
    "to",
}
_ENERGY = {"kwh", "wh", "mwh", "usage", "consumption", "energy", "value", "quantity", "delivered", "import"}
_UNITS = {"units", "unit", "uom"}
_UNIT_WORD = re.compile(r"\b(m?k?wh)\b")


@dataclass(frozen=True)
class _Layout:
    """Where an interval CSV keeps each field, and the energy unit its header names."""

    start: int
    energy: int
    energy_name: str
    date: int | None = None
    end: int | None = None
    units: int | None = None
    wh_per_unit: Decimal | None = None


def _normalize(name: str) -> tuple[str, str | None]:
    """A header name as plain lower-case words, and the energy unit it names, if any."""
    text = name.strip().lstrip("\ufeff").lower()
    unit_match = _UNIT_WORD.search(text)
    unit = unit_match.group(1) if unit_match and unit_match.group(1) in _WH_PER else None
    words = re.sub(r"\(.*?\)|\[.*?\]", " ", text)
    words = re.sub(r"[^a-z0-9]+", " ", words).strip()
    return words, unit


def interval_layout(header: Sequence[str]) -> _Layout | None:
    """The layout of an interval CSV header, or None when it is not one."""
    start = end = day = energy = units = None
    unit: str | None = None
    for index, name in enumerate(header):
        words, named_unit = _normalize(name)
        if words in _DATE and day is None:
            day = index
        elif words in _START and start is None:
            start = index
        elif words in _END and end is None:
            end = index
        elif words in _UNITS and units is None:
            units = index
        elif energy is None and (
            words in _ENERGY or (named_unit and words.replace(named_unit, "").strip() in _ENERGY | {""})
        ):
            energy, unit = index, named_unit
    if start is None and day is not None and end is None:
        start, day = day, None  # a date alone: daily intervals from midnight
    if start is None or energy is None:
        return None
    return _Layout(
        start=start,
        energy=energy,
        energy_name=header[energy].strip(),
        date=day,
        end=end,
        units=units,
        wh_per_unit=_WH_PER[unit] if unit else None,
    )


def sniff_csv(lines: Sequence[str]) -> str:
    """'readings' or 'interval-csv', from a CSV file's first lines (not CSV at all: 'readings', whose
    parser says what is wrong on which line)."""
    try:
        rows = list(csv.reader(lines))
    except csv.Error:
        return "readings"
    if rows and {"timestamp", "power_w"} <= {name.strip() for name in rows[0]}:
        return "readings"
    return "interval-csv" if any(interval_layout(row) for row in rows) else "readings"


def scan_interval_csv(
    handle: Iterable[str], source: str, zone: ZoneInfo | None, problems: list[Problem]
) -> Iterator[Row]:
    """The meter readings of a utility's interval CSV: one per row's interval.

    Local times need `zone`. On the fall-back day, a repeated local time is taken as its second
    occurrence once the first has been seen; a local time that does not exist (spring forward) is
    refused. An interval's length is its end minus its start in wall-clock time up to an hour (so
    "01:45-02:00" lasts 15 minutes whichever side of the clock change it is), in real time beyond;
    an end given as the interval's last minute or second (00:14 or 00:14:59 for 00:00-00:15) counts
    to the end of it. Without an end column every interval lasts the file's median spacing.
    """
    reader = csv.reader(handle)
    layout = None
    for fields in reader:
        layout = interval_layout(fields)
        if layout is not None or reader.line_num >= HEADER_SEARCH_LINES:
            break
    if layout is None:
        problems.append(
            Problem(
                source,
                1,
                "",
                "no interval header in the first 30 lines: need a start (or date and start time) column and an "
                "energy column such as 'kWh' or 'Usage (kWh)'",
            )
        )
        return
    if layout.wh_per_unit is None and layout.units is None:
        problems.append(
            Problem(
                source,
                reader.line_num,
                layout.energy_name,
                "no unit: name it in the header (e.g. 'Usage (kWh)') or give a UNITS column",
            )
        )
        return
    pending: list[tuple[int, int, Decimal, int | None]] = []
    latest: list[int] = []
    for fields in reader:
        if not any(text.strip() for text in fields):
            continue
        try:
            row = _interval_csv_row(fields, layout, source, reader.line_num, zone, latest, problems)
        except _NeedsZone as exc:
            problems.append(exc.problem)  # once: every other row says the same
            return
        if row is not None:
            pending.append(row)
    spacing = None
    if any(duration is None for *_, duration in pending):
        starts = sorted({start for _, start, _, _ in pending})
        steps = [b - a for a, b in pairwise(starts)]
        spacing = int(statistics.median(steps)) if steps else None
    for line, start, energy_wh, duration in pending:
        seconds = duration or spacing
        if seconds is None:
            problems.append(
                Problem(source, line, "", "a lone interval with no end column: nothing shows how long it lasted")
            )
            continue
        yield line, start, interval_power_w(energy_wh, seconds), "", None, seconds


def _interval_csv_row(
    fields: list[str],
    layout: _Layout,
    source: str,
    line: int,
    zone: ZoneInfo | None,
    latest: list[int],
    problems: list[Problem],
) -> tuple[int, int, Decimal, int | None] | None:
    """(line, start_s, energy_wh, duration_s or None) of one row, or None after adding problems."""
    found = len(problems)

    def cell(index: int | None) -> str:
        return fields[index].strip() if index is not None and index < len(fields) else ""

    day_text = cell(layout.date)
    start = _wall(cell(layout.start), day_text, None)
    if start is None:
        problems.append(Problem(source, line, "start", f"not a date and time: {cell(layout.start)!r}"))
    end = None
    if layout.end is not None:
        end = _wall(cell(layout.end), day_text, start.date() if isinstance(start, datetime) else None)
        if end is None:
            problems.append(Problem(source, line, "end", f"not a date and time: {cell(layout.end)!r}"))
    energy_wh = _energy_wh(cell(layout.energy), cell(layout.units), layout, source, line, problems)
    if len(problems) > found or start is None or energy_wh is None:
        return None
    start_s = _instant(start, zone, latest, source, line, problems)
    if start_s is None:
        return None
    latest[:] = [max(start_s, latest[0])] if latest else [start_s]
    duration: int | None = None
    if end is not None:
        duration = _duration_s(start, end, start_s, zone, _TIME.match(cell(layout.end)) is not None)
        if duration is None or duration <= 0:
            problems.append(Problem(source, line, "end", f"must be after the start, got {cell(layout.end)!r}"))
            return None
    return line, start_s, energy_wh, duration


def _energy_wh(
    text: str, unit_text: str, layout: _Layout, source: str, line: int, problems: list[Problem]
) -> Decimal | None:
    name = layout.energy_name
    per = layout.wh_per_unit
    if per is None:
        per = _WH_PER.get(unit_text.lower())
        if per is None:
            problems.append(
                Problem(source, line, "units", f"elecost imports electricity in kWh, Wh or MWh, got {unit_text!r}")
            )
            return None
    if not text:
        problems.append(Problem(source, line, name, "missing"))
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        problems.append(Problem(source, line, name, f"not a number: {text!r}"))
        return None
    if not value.is_finite() or value < 0:
        problems.append(Problem(source, line, name, f"must be energy used, >= 0, got {text}"))
        return None
    return value * per


_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATE_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$")


def _wall(text: str, day_text: str, default_day: date | None) -> datetime | None:
    """A local date and time from a cell (and the row's date cell when the cell is a time alone).

    ISO 8601 (with or without an offset), US dates (03/08/2026), and 24-hour or AM/PM times; a
    time of 24:00 is the next midnight. None when the text is none of these.
    """
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    day_part, _, time_part = text.partition(" ")
    day = _date(day_part)
    if day is None:  # a time alone: the day comes from the date column (or the start's day)
        day, time_part = _date(day_text) if day_text else default_day, text
        if day is None:
            return None
    if not time_part.strip():
        return datetime.combine(day, time())
    clock = _TIME.match(time_part.strip())
    if clock is None:
        return None
    hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
    meridiem = (clock.group(4) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if (hour, minute, second) == (24, 0, 0):
        return datetime.combine(day + timedelta(days=1), time())
    if hour > 23 or minute > 59 or second > 59:
        return None
    return datetime.combine(day, time(hour, minute, second))


def _date(text: str) -> date | None:
    text = text.strip()
    iso = _DATE_ISO.match(text)
    us = _DATE_US.match(text)
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if us:
            year = int(us.group(3))
            return date(year + 2000 if year < 100 else year, int(us.group(1)), int(us.group(2)))
    except ValueError:
        return None
    return None


class _NeedsZone(Exception):
    """A local time in a file read without a zone: one problem for the file, not one per row."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _instant(
    moment: datetime, zone: ZoneInfo | None, latest: list[int], source: str, line: int, problems: list[Problem]
) -> int | None:
    """Epoch seconds of a wall time: its own offset, else `zone` (a repeated hour's second pass
    once its first has been seen, from `latest`, the latest start so far)."""
    if moment.tzinfo is not None:
        return int(moment.timestamp())
    if zone is None:
        raise _NeedsZone(
            Problem(
                source,
                line,
                "start",
                f"{moment.isoformat(sep=' ')} is local time (no UTC offset): give --timezone, the meter's zone",
            )
        )
    first = moment.replace(tzinfo=zone, fold=0)
    second = moment.replace(tzinfo=zone, fold=1)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        problems.append(
            Problem(
                source, line, "start", f"{moment.isoformat(sep=' ')} does not exist in {zone.key} (clocks go forward)"
            )
        )
        return None
    first_s, second_s = int(first.timestamp()), int(second.timestamp())
    if first_s != second_s and latest and first_s <= latest[0] < second_s:
        return second_s
    return first_s


def _duration_s(start: datetime, end: datetime, start_s: int, zone: ZoneInfo | None, wraps: bool) -> int | None:
    """Seconds from start to end (see `scan_interval_csv`): wall-clock up to an hour, else real.

    `wraps`: the end was a time alone, so one at or before the start is on the next day.
    """
    if wraps and end <= start and end.date() == start.date():
        end += timedelta(days=1)
    if (start.tzinfo is None) != (end.tzinfo is None):
        return None
    wall = int((end - start).total_seconds())
    if wall % 60 == 59:
        wall += 1
    elif wall % 300 and (wall + 60) % 300 == 0:
        wall += 60
    if wall <= 3600 or end.tzinfo is not None or zone is None:
        return wall
    return int(end.replace(tzinfo=zone).timestamp()) - start_s
