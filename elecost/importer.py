"""Readings files -> the store, in one transaction: all rows or (without --skip-bad) none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from elecost.errors import InputError, Problem, UsageError
from elecost.readings import Reading, TextOpener, dedupe, read_readings
from elecost.store import ImportResult, active_rates, store_readings, write_transaction


def import_readings(
    db: Database,
    paths: Sequence[Path],
    *,
    location: str | None = None,
    timezone: ZoneInfo | None = None,
    skip_bad: bool = False,
    replace_stored: bool = False,
    open_text: TextOpener | None = None,
) -> ImportResult:
    """Validate every row of every file, then store them all at once.

    A reading with no location takes `location`, else the location of the only active rate.
    Bad rows and conflicts with stored readings raise InputError and nothing is written, unless
    `skip_bad`, which writes the good rows and returns the bad ones in `skipped`.
    """
    readings: list[Reading] = []
    problems: list[Problem] = []
    for path in paths:
        rows, bad = read_readings(path, timezone, open_text)
        readings.extend(rows)
        problems.extend(bad)
    if any(r.location is None for r in readings):
        fallback = location or only_active_location(db)
        readings = [r if r.location is not None else replace(r, location=fallback) for r in readings]
    readings, conflicts = dedupe(readings)
    problems.extend(conflicts)
    if problems and not skip_bad:
        raise InputError(problems)
    with write_transaction(db):
        result, clashes = store_readings(db, readings, replace=replace_stored, skip_conflicts=skip_bad)
        if clashes:
            raise InputError(problems + clashes)
    return ImportResult(result.added, result.unchanged, result.replaced, problems + result.skipped)


def only_active_location(db: Database) -> str:
    """The location of the only active rate: where readings (or miners) without one belong."""
    locations = sorted(active_rates(db))
    if len(locations) == 1:
        return locations[0]
    if not locations:
        raise UsageError("readings without a location need --location (no rate is active to take it from)")
    raise UsageError(
        f"readings without a location need --location: several locations have active rates ({', '.join(locations)})"
    )
