"""Power readings files (CSV or JSON Lines) -> readings -> loads, with gaps and duplicates handled.

The contract's semantics (section 2): a reading is the average power from its timestamp for
`duration_s`, or until the same miner's next reading; the last reading covers the miner's median
spacing; a gap longer than `max_gap_s` (default three times the median spacing) is not billed and
is reported. An explicit `duration_s` that runs past the next reading is cut there, so no time is
billed twice.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import operator
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from elecost.errors import Problem
from elecost.instants import MAX_S, MIN_S, check_instant, parse_instant
from elecost.rownames import taken_name
from elecost.tariffs.usage import Load

MAX_POWER_W = 1e12  # a terawatt: far above any site, far below what the store's mW integers hold
MAX_DURATION_S = 31 * 86_400  # a reading lasts at most a month
TextOpener = Callable[[Path], AbstractContextManager[IO[str]]]


@dataclass(frozen=True)
class Reading:
    """One row of a readings file. `miner` is '' for the whole meter; `location` None = not given."""

    path: str
    line: int
    timestamp_s: int
    power_w: Decimal
    miner: str = ""
    location: str | None = None
    duration_s: int | None = None


@dataclass(frozen=True)
class Gap:
    """Time between two readings of a miner that is longer than the allowed gap: not billed."""

    location: str
    miner: str
    start_s: int
    end_s: int


Row = tuple[int, int, float, str, "str | None", "int | None"]  # line, timestamp_s, power_w, miner, location, duration_s
# What the store writes (see `scan_for_store`): miner id, timestamp_s, power_w[, duration_s]. A row
# without a duration leaves it off, the form the store writes fastest.
StoreRow = tuple[int, int, float] | tuple[int, int, float, int | None]
MinerId = Callable[["str | None", str], int]  # (location or None, miner) -> the miner's id in the store


@dataclass
class Tally:
    """What `scan_for_store` yielded: how many rows, and the span of their instants (noted once
    per distinct timestamp, when a row with it is first taken, not on every row)."""

    rows: int = 0
    first_s: int = MAX_S
    last_s: int = MIN_S

    def add(self, rows: int, first_s: int, last_s: int) -> None:
        self.rows += rows
        self.first_s = min(self.first_s, first_s)
        self.last_s = max(self.last_s, last_s)


class _ForStore:
    """How a scan for the store names miners: by id, each (location, miner) resolved once."""

    def __init__(self, miner_id: MinerId, tally: Tally) -> None:
        self.miner_id = miner_id
        self.tally = tally
        self.ids: dict[tuple[str | None, str], int] = {}

    def row(self, row: Row) -> StoreRow:
        """A scanned row as the store takes it (the careful path's rows and other formats')."""
        _, timestamp_s, power_w, miner, place, duration_s = row
        key = (place, miner)
        miner_id = self.ids.get(key) or self.ids.setdefault(key, self.miner_id(place, miner))
        self.tally.add(1, timestamp_s, timestamp_s)
        return (miner_id, timestamp_s, power_w) if duration_s is None else (miner_id, timestamp_s, power_w, duration_s)


def read_readings(
    path: Path, zone: ZoneInfo | None, open_text: TextOpener | None = None, file_format: str | None = None
) -> tuple[list[Reading], list[Problem]]:
    """Parse a readings file (see `scan_readings`): the good readings and a problem per bad row."""
    problems: list[Problem] = []
    source = str(path)
    readings = [
        Reading(source, line, ts, Decimal(repr(power)), miner, location, duration)
        for line, ts, power, miner, location, duration in scan_readings(path, zone, problems, open_text, file_format)
    ]
    return readings, problems


def scan_readings(
    path: Path,
    zone: ZoneInfo | None,
    problems: list[Problem],
    open_text: TextOpener | None = None,
    file_format: str | None = None,
) -> Iterator[Row]:
    """Stream the good rows of a readings file; each bad row adds a problem.

    Streaming keeps memory flat for files of millions of rows. `open_text` opens the file as
    text (the CLI passes one that shows a progress bar). `file_format` is one of
    `meterdata.FORMATS`; None tells it from the file: `<` starts Green Button XML, `{` JSON Lines,
    and a CSV's header tells readings from a utility's interval data.
    """
    return _scan(path, zone, problems, open_text, file_format, None)


def scan_for_store(
    path: Path,
    zone: ZoneInfo | None,
    problems: list[Problem],
    miner_id: MinerId,
    tally: Tally,
    open_text: TextOpener | None = None,
    file_format: str | None = None,
) -> Iterator[StoreRow]:
    """`scan_readings` with each row as the store writes it, for an import of millions of rows.

    `miner_id` is asked once per distinct miner of the file; `tally` counts the rows. Shaping
    rows here, in the scan's own loop, rather than in a second loop over its rows, took a fifth
    off a fleet's import (1.38 s against 1.75 s to scan 1.7 M rows).
    """
    return _scan(path, zone, problems, open_text, file_format, _ForStore(miner_id, tally))


def _scan(
    path: Path,
    zone: ZoneInfo | None,
    problems: list[Problem],
    open_text: TextOpener | None,
    file_format: str | None,
    store: _ForStore | None,
) -> Iterator[Any]:
    """The rows of `scan_readings`, or with `store` those of `scan_for_store`."""
    from elecost import meterdata

    opener = open_text or (lambda p: p.open(encoding="utf-8-sig", newline=""))  # -sig: Excel's BOM
    source = str(path)
    try:
        with opener(path) as handle:
            # Peek at the first lines without seeking, so a pipe (stdin) works too.
            head: list[str] = []
            line = handle.readline()
            while line and not line.strip():
                head.append(line)
                line = handle.readline()
            head.append(line)
            first = line.lstrip("\ufeff \t")[:1]
            if file_format is None and first not in ("<", "{"):
                while len(head) < meterdata.HEADER_SEARCH_LINES and (more := handle.readline()):
                    head.append(more)
                file_format = meterdata.sniff_csv(head)
            lines = itertools.chain(head, handle)
            rows: Iterator[Row]
            if file_format == "greenbutton" or (file_format is None and first == "<"):
                rows = meterdata.scan_greenbutton(io.StringIO("".join(lines)), source, problems)
            elif file_format == "interval-csv":
                rows = meterdata.scan_interval_csv(lines, source, zone, problems)
            elif first == "{":
                rows = _json_rows(lines, source, zone, problems)
            else:
                yield from _csv_rows(lines, source, zone, problems, store)
                return
            yield from rows if store is None else map(store.row, rows)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(source, None, "", f"cannot read: {exc}"))


def _csv_rows(
    handle: Iterable[str], source: str, zone: ZoneInfo | None, problems: list[Problem], store: _ForStore | None
) -> Iterator[Any]:
    reader = csv.reader(handle, strict=True)
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader, [])]
    except csv.Error as exc:
        problems.append(Problem(source, 1, "", f"not valid CSV: {exc}"))
        return
    missing = [name for name in ("timestamp", "power_w") if name not in header]
    if missing:
        problems.append(
            Problem(source, 1, "", f"the header must name timestamp and power_w; missing {', '.join(missing)}")
        )
        return
    at, power = header.index("timestamp"), header.index("power_w")
    miner = header.index("miner") if "miner" in header else None
    place = header.index("location") if "location" in header else None
    lasts = header.index("duration_s") if "duration_s" in header else None
    width = len(header)
    instants: dict[str, int] = {}  # a fleet's file repeats each timestamp once per miner: parse it once
    # For the store: ids by the row's own miner (and location) fields, as written, and a tally.
    ids: dict[Any, int] = {}
    naming = [column for column in (miner, place) if column is not None]
    name_at = naming[0] if len(naming) == 1 else None  # the common file: a miner column, no location
    names_of = operator.itemgetter(*naming) if len(naming) == 2 else None
    counted, first_s, last_s = 0, MAX_S, MIN_S

    def names(fields: list[str]) -> tuple[str, str | None]:
        """The miner and the location (None: none named) of a row the fast path takes (ValueError:
        the miner takes a name of elecost's own, for the careful path to say so)."""
        named = fields[miner].strip() if miner is not None else ""
        if taken_name(named):
            raise ValueError(named)
        return named, (fields[place].strip() or None) if place is not None else None

    end_line = reader.line_num
    try:
        for fields in reader:
            start_line, end_line = end_line + 1, reader.line_num  # a quoted field may run over several lines
            # The common row, checked inline for speed; anything unusual takes the careful path.
            try:
                watts = float(fields[power])
                if not 0 <= watts <= MAX_POWER_W or (lasts is not None and fields[lasts]):
                    raise ValueError(watts)
                # The power and the miner first: a timestamp is kept (and spans the tally) once a row with it passes.
                if store is None:
                    named, location = names(fields)
                else:
                    who = fields[name_at] if name_at is not None else names_of(fields) if names_of else ""
                    miner_id = ids.get(who)
                    if miner_id is None:
                        named, location = names(fields)
                stamp = fields[at]
                timestamp_s = instants.get(stamp)
                if timestamp_s is None:
                    timestamp_s = _utc_instant(stamp)
                    if len(instants) >= _INSTANTS_KEPT:
                        instants.clear()
                    instants[stamp] = timestamp_s
                    first_s, last_s = min(first_s, timestamp_s), max(last_s, timestamp_s)
                if store is None:
                    yield (start_line, timestamp_s, watts, named, location, None)
                else:
                    if miner_id is None:
                        miner_id = ids[who] = store.miner_id(location, named)
                    counted += 1
                    yield (miner_id, timestamp_s, watts)
                continue
            except (ValueError, IndexError):
                pass
            if not fields:
                continue
            if len(fields) < width:
                fields += [""] * (width - len(fields))
            row = _row(
                source,
                start_line,
                zone,
                problems,
                fields[at],
                fields[power],
                fields[miner] if miner is not None else "",
                fields[place] if place is not None else "",
                fields[lasts] if lasts is not None else "",
            )
            if row is not None:
                yield row if store is None else store.row(row)
    except csv.Error as exc:
        problems.append(Problem(source, end_line + 1, "", _csv_problem(exc)))
    finally:
        if store is not None and counted:
            store.tally.add(counted, first_s, last_s)


_INSTANTS_KEPT = 100_000  # distinct timestamps remembered while scanning a file (a year of 5-minute steps)


def _utc_instant(stamp: str) -> int:
    """The common timestamp of a readings file: epoch seconds or ISO 8601 with an offset, within range.
    ValueError for anything else (local time, too early or late): the careful path explains it."""
    if stamp.isdigit() and len(stamp) == 10:
        timestamp_s = int(stamp)
    else:
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError(stamp)  # local time: the careful path checks for DST changes
        timestamp_s = int(moment.timestamp())
    if not MIN_S <= timestamp_s < MAX_S:
        raise ValueError(stamp)
    return timestamp_s


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text or "EOF" in text:
        return "a quoted field opens on this line and is never closed"
    if "field larger than field limit" in text:
        return f"not valid CSV: a field longer than {csv.field_size_limit():,} characters"
    return f"not valid CSV: {text}"


def _json_rows(handle: Iterable[str], source: str, zone: ZoneInfo | None, problems: list[Problem]) -> Iterator[Row]:
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(Problem(source, number, "", f"not valid JSON: {exc.msg}"))
            continue
        except ValueError:  # a 5,000-digit integer
            problems.append(Problem(source, number, "", "not valid JSON: a number too long to read"))
            continue
        except RecursionError:
            problems.append(Problem(source, number, "", "not valid JSON: nested too deeply"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(source, number, "", "each line must be a JSON object"))
            continue
        row = _row(
            source,
            number,
            zone,
            problems,
            data.get("timestamp"),
            data.get("power_w"),
            data.get("miner"),
            data.get("location"),
            data.get("duration_s"),
        )
        if row is not None:
            yield row


def _row(
    source: str,
    line: int,
    zone: ZoneInfo | None,
    problems: list[Problem],
    stamp: Any,
    power: Any,
    miner: Any,
    location: Any,
    duration: Any,
) -> Row | None:
    """One validated row, or None after adding a problem for each bad field."""
    ok = True
    timestamp_s = 0
    if type(stamp) is int:
        try:
            timestamp_s = check_instant(stamp if abs(stamp) < MAX_S * 10**6 else MAX_S * 10**6, str(stamp)[:40])
        except ValueError as exc:
            problems.append(Problem(source, line, "timestamp", str(exc)))
            ok = False
    elif stamp is None or str(stamp).strip() == "":
        problems.append(Problem(source, line, "timestamp", "missing"))
        ok = False
    else:
        try:
            timestamp_s = parse_instant(str(stamp), zone)
        except ValueError as exc:
            problems.append(Problem(source, line, "timestamp", str(exc)))
            ok = False
    watts = _number(power)
    if watts is None:
        problems.append(Problem(source, line, "power_w", f"not a number: {_text(power)}"))
        ok = False
    elif watts < 0:
        problems.append(Problem(source, line, "power_w", f"must be >= 0, got {_short(power)}"))
        ok = False
    elif watts > MAX_POWER_W:
        problems.append(Problem(source, line, "power_w", f"must be at most 1e12 W (a terawatt), got {_short(power)}"))
        ok = False
    seconds: int | None = None
    if duration is not None and duration != "":
        length = _number(duration)
        if length is None or not 1 <= length <= MAX_DURATION_S or length != int(length):
            problems.append(
                Problem(
                    source,
                    line,
                    "duration_s",
                    f"must be a whole number of seconds from 1 to {MAX_DURATION_S:,}, got {_text(duration)}",
                )
            )
            ok = False
        else:
            seconds = int(length)
    for field, value in (("miner", miner), ("location", location)):
        if value is not None and not isinstance(value, str | int):
            problems.append(Problem(source, line, field, f"must be text, got {_kind(value)}"))
            ok = False
    if isinstance(miner, str) and (taken := taken_name(miner)):
        problems.append(Problem(source, line, "miner", taken))
        ok = False
    if not ok or watts is None:
        return None
    place = str(location).strip() if location is not None and location != "" else None
    return line, timestamp_s, watts, str(miner).strip() if miner else "", place or None, seconds


def _text(value: Any) -> str:
    return _short(repr(value) if not isinstance(value, int | float) else str(value))


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _number(value: Any) -> float | None:
    """A finite float from a number or its text; None for anything else (bools included)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and len(value) > 100:
        return None  # a 5,000-digit "number" is no reading
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def dedupe(readings: Iterable[Reading]) -> tuple[list[Reading], list[Problem]]:
    """Drop exact repeats of a (location, miner, timestamp); a repeat with other values is a conflict."""
    seen: dict[tuple[str | None, str, int], Reading] = {}
    problems = []
    for reading in readings:
        key = (reading.location, reading.miner, reading.timestamp_s)
        first = seen.get(key)
        if first is None:
            seen[key] = reading
        elif (first.power_w, first.duration_s) != (reading.power_w, reading.duration_s):
            problems.append(
                Problem(
                    reading.path,
                    reading.line,
                    "power_w",
                    f"conflicts with line {first.line}: same miner and timestamp, "
                    f"{reading.power_w} W here, {first.power_w} W there",
                )
            )
    return list(seen.values()), problems


def loads_by_miner(
    readings: Sequence[Reading], max_gap_s: int | None = None
) -> tuple[dict[tuple[str, str], list[Load]], list[Gap], list[Problem]]:
    """Each (location, miner)'s sorted loads, the gaps left unbilled, and readings that cannot be timed.

    Readings must carry a location by now and be free of duplicates (see `dedupe`).
    """
    groups: dict[tuple[str, str], list[Reading]] = defaultdict(list)
    for reading in readings:
        groups[(reading.location or "", reading.miner)].append(reading)
    spacings = {key: median_spacing_s([r.timestamp_s for r in rows]) for key, rows in groups.items()}
    known = [s for s in spacings.values() if s is not None]
    fallback = int(statistics.median(known)) if known else None
    loads: dict[tuple[str, str], list[Load]] = {}
    gaps: list[Gap] = []
    problems: list[Problem] = []
    for key, rows in groups.items():
        rows.sort(key=lambda r: r.timestamp_s)
        ends, holes = reading_ends(
            [r.timestamp_s for r in rows], [r.duration_s for r in rows], spacings[key] or fallback, max_gap_s
        )
        loads[key] = [Load(r.timestamp_s, end, r.power_w) for r, end in zip(rows, ends, strict=True) if end is not None]
        gaps.extend(Gap(key[0], key[1], start, end) for start, end in holes)
        problems.extend(
            Problem(r.path, r.line, "duration_s", "a lone reading needs duration_s: nothing shows how long it lasted")
            for r, end in zip(rows, ends, strict=True)
            if end is None
        )
    return loads, gaps, problems


def reading_ends(
    times: Sequence[int], durations: Sequence[int | None], spacing_s: int | None, max_gap_s: int | None = None
) -> tuple[list[int | None], list[tuple[int, int]]]:
    """When each of one miner's sorted readings ends, and the gaps left unbilled (section 2).

    A reading lasts its duration, else until the next reading, else (the last one, or one
    followed by a gap over `max_gap_s`, default three times `spacing_s`) the median spacing;
    it never runs past the next reading. An end is None when nothing tells how long it lasted.
    """
    allowed = max_gap_s if max_gap_s is not None else (3 * spacing_s if spacing_s else None)
    if times and spacing_s and durations.count(None) == len(durations):
        # The common case, in C-speed steps: no durations and no gap, so each reading lasts
        # until the next and the last one for the spacing.
        steps = list(map(operator.sub, times[1:], times[:-1]))
        if allowed is None or not steps or max(steps) <= allowed:
            return [*times[1:], times[-1] + spacing_s], []
    ends: list[int | None] = []
    gaps: list[tuple[int, int]] = []
    count = len(times)
    for index in range(count):
        start = times[index]
        following = times[index + 1] if index + 1 < count else None
        span = durations[index]
        if span is None and following is not None and (allowed is None or following - start <= allowed):
            span = following - start
        if span is None:
            span = spacing_s
        if span is None:
            ends.append(None)
            continue
        end = start + span
        if following is not None:
            if end > following:
                end = following
            elif end < following and allowed is not None and following - start > allowed:
                gaps.append((end, following))
        ends.append(end)
    return ends, gaps


def median_spacing_s(times: Sequence[int]) -> int | None:
    """The median time between a miner's consecutive readings."""
    times = sorted(times)
    steps = list(map(operator.sub, times[1:], times[:-1]))
    if steps and min(steps) <= 0:
        steps = [step for step in steps if step > 0]
    return int(statistics.median(steps)) if steps else None
