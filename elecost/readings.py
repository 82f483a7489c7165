"""Power readings files (CSV or JSON Lines) -> readings -> loads, with gaps and duplicates handled.

The contract's semantics (section 2): a reading is the average power from its timestamp for
`duration_s`, or until the same miner's next reading; the last reading covers the miner's median
spacing; a gap longer than `max_gap_s` (default three times the median spacing) is not billed and
is reported. An explicit `duration_s` that runs past the next reading is cut there, so no time is
billed twice.
"""

from __future__ import annotations

import csv
import itertools
import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from elecost.errors import Problem
from elecost.instants import parse_instant
from elecost.tariffs.calc import Load

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


def read_readings(
    path: Path, zone: ZoneInfo | None, open_text: TextOpener | None = None
) -> tuple[list[Reading], list[Problem]]:
    """Parse a CSV or JSON Lines readings file: the good readings and a problem per bad row.

    `open_text` opens the file as text (the CLI passes one that shows a progress bar).
    """
    opener = open_text or (lambda p: p.open(encoding="utf-8", newline=""))
    try:
        with opener(path) as handle:
            first = handle.read(1)
            while first.isspace():
                first = handle.read(1)
            handle.seek(0)
            rows = _json_rows(handle, str(path)) if first == "{" else _csv_rows(handle, str(path))
            return parse_rows(rows, str(path), zone)
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(str(path), None, "", f"cannot read: {exc}")]


def _csv_rows(handle: Iterable[str], source: str) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    reader = csv.DictReader(handle)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in ("timestamp", "power_w") if name not in header]
    if missing:
        yield 1, Problem(source, 1, "", f"the header must name timestamp and power_w; missing {', '.join(missing)}")
        return
    reader.fieldnames = header
    for row in reader:
        yield reader.line_num, row


def _json_rows(handle: Iterable[str], source: str) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            yield number, Problem(source, number, "", f"not valid JSON: {exc.msg}")
            continue
        if not isinstance(row, dict):
            yield number, Problem(source, number, "", "each line must be a JSON object")
            continue
        yield number, row


def parse_rows(
    rows: Iterable[tuple[int, dict[str, Any] | Problem]], source: str, zone: ZoneInfo | None
) -> tuple[list[Reading], list[Problem]]:
    """Turn raw rows (line number, column -> value) into readings, collecting every bad row."""
    readings: list[Reading] = []
    problems: list[Problem] = []
    for line, row in rows:
        if isinstance(row, Problem):
            problems.append(row)
            continue
        reading = _reading(row, source, line, zone, problems)
        if reading is not None:
            readings.append(reading)
    return readings, problems


def _reading(
    row: dict[str, Any], source: str, line: int, zone: ZoneInfo | None, problems: list[Problem]
) -> Reading | None:
    before = len(problems)

    def bad(field: str, message: str) -> None:
        problems.append(Problem(source, line, field, message))

    stamp = row.get("timestamp")
    timestamp_s = 0
    if stamp is None or str(stamp).strip() == "":
        bad("timestamp", "missing")
    else:
        try:
            timestamp_s = parse_instant(str(stamp), zone)
        except ValueError as exc:
            bad("timestamp", str(exc))
    power = _decimal(row.get("power_w"))
    if power is None:
        bad("power_w", f"not a number: {row.get('power_w')!r}")
    elif power < 0:
        bad("power_w", f"must be >= 0, got {power}")
    duration_s: int | None = None
    raw_duration = row.get("duration_s")
    if raw_duration is not None and str(raw_duration).strip() != "":
        duration = _decimal(raw_duration)
        if duration is None or duration <= 0:
            bad("duration_s", f"must be a number of seconds > 0, got {raw_duration!r}")
        else:
            duration_s = int(duration.to_integral_value())
    if len(problems) > before or power is None:
        return None
    location = row.get("location")
    return Reading(
        path=source,
        line=line,
        timestamp_s=timestamp_s,
        power_w=power,
        miner=str(row.get("miner") or "").strip(),
        location=str(location).strip() if location not in (None, "") else None,
        duration_s=duration_s,
    )


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


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
    spacings = {key: _spacing_s(rows) for key, rows in groups.items()}
    known = [s for s in spacings.values() if s is not None]
    fallback = int(statistics.median(known)) if known else None
    loads: dict[tuple[str, str], list[Load]] = {}
    gaps: list[Gap] = []
    problems: list[Problem] = []
    for key, rows in groups.items():
        rows.sort(key=lambda r: r.timestamp_s)
        spacing = spacings[key] or fallback
        allowed = max_gap_s if max_gap_s is not None else (3 * spacing if spacing else None)
        out: list[Load] = []
        for index, reading in enumerate(rows):
            following = rows[index + 1].timestamp_s if index + 1 < len(rows) else None
            span = reading.duration_s
            if (
                span is None
                and following is not None
                and (allowed is None or following - reading.timestamp_s <= allowed)
            ):
                span = following - reading.timestamp_s
            if span is None:
                span = spacing
            if span is None:
                problems.append(
                    Problem(
                        reading.path,
                        reading.line,
                        "duration_s",
                        "a lone reading needs duration_s: nothing shows how long it lasted",
                    )
                )
                continue
            end = reading.timestamp_s + span
            if following is not None:
                end = min(end, following)
                if end < following and allowed is not None and following - reading.timestamp_s > allowed:
                    gaps.append(Gap(key[0], key[1], end, following))
            out.append(Load(reading.timestamp_s, end, reading.power_w))
        loads[key] = out
    return loads, gaps, problems


def _spacing_s(rows: Sequence[Reading]) -> int | None:
    """The median time between a miner's consecutive readings."""
    times = sorted(r.timestamp_s for r in rows)
    steps = [b - a for a, b in itertools.pairwise(times) if b > a]
    return int(statistics.median(steps)) if steps else None
