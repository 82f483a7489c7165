"""Readings files -> the store, in one transaction: all rows, or (without --skip-bad) none.

The files are streamed straight into SQLite (memory stays flat however large they are) inside
one write transaction; bad rows and conflicts are collected on the way, and if any is found the
transaction is rolled back, so a failed import leaves the database exactly as it was.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from elecost.db import Database
from elecost.errors import InputError, Problem, UsageError
from elecost.readings import StoreRow, Tally, TextOpener, scan_for_store, scan_readings
from elecost.store import (
    active_rates,
    mark_dirty,
    miner_ids,
    new_miner_id,
    update_spacings,
    write_readings,
    write_transaction,
)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows new, rows already stored, rows replaced, and bad rows skipped."""

    added: int
    unchanged: int
    replaced: int
    skipped: list[Problem]


def import_readings(
    db: Database,
    paths: Sequence[Path],
    *,
    location: str | None = None,
    timezone: ZoneInfo | None = None,
    skip_bad: bool = False,
    replace_stored: bool = False,
    open_text: TextOpener | None = None,
    file_format: str | None = None,
) -> ImportResult:
    """Store every row of every file, or none.

    A reading with no location takes `location`, else the location of the only active rate.
    A reading whose key is stored (or given earlier) with other values is a conflict. Bad rows
    and conflicts raise InputError and nothing is written, unless `skip_bad`, which writes the
    good rows and returns the bad ones in `skipped`; `replace_stored` overwrites on conflict.
    `file_format` (see `scan_readings`) is told from each file where None.
    """
    problems: list[Problem] = []
    conflicts: list[tuple[int, int]] = []
    places: set[str] = set()
    fallback: list[str] = []
    tally = Tally()
    imported: set[int] = set()  # the ids of the miners the files name
    with write_transaction(db, trusted_keys=True):  # every miner id below is read or made in it
        known = miner_ids(db)

        def resolve(place: str | None, miner: str) -> int:
            """Id of a (location, miner) the import meets; a missing location is resolved once."""
            if place is None:
                if not fallback:
                    fallback.append(location or only_active_location(db))
                where = fallback[0]
            else:
                where = place
            places.add(where)
            miner_id = known.get((where, miner))
            if miner_id is None:
                miner_id = known[(where, miner)] = new_miner_id(db, where, miner)
            imported.add(miner_id)
            return miner_id

        def files() -> Iterator[Iterator[StoreRow]]:
            """Each file's rows in turn; a file is checked for rows once it has been read."""
            for path in paths:
                before_file, problems_before = tally.rows, len(problems)
                yield scan_for_store(path, timezone, problems, resolve, tally, open_text, file_format)
                if tally.rows == before_file and len(problems) == problems_before:
                    # A file with no readings and nothing wrong on any line is a mistake, not a no-op.
                    problems.append(Problem(str(path), None, "", "no readings in this file"))

        before = [_identity(path) for path in paths]
        rows = itertools.chain.from_iterable(files())
        written = write_readings(db, rows, replace=replace_stored, conflicts=conflicts)
        clashes = (
            _conflict_problems(db, paths, timezone, location, fallback, conflicts, open_text, file_format)
            if conflicts
            else []
        )
        changed = [path for path, was in zip(paths, before, strict=True) if _identity(path) != was]
        if changed:  # the conflicts were looked up in a file that is no longer the one imported
            raise InputError(
                [Problem(str(path), None, "", "changed while it was imported; import it again") for path in changed]
            )
        if not replace_stored:
            problems.extend(clashes)
        if problems and not skip_bad:
            raise InputError(problems)
        if written:
            mark_dirty(db, dict.fromkeys(places, (tally.first_s, tally.last_s)))
            update_spacings(db, imported)
    seen = tally.rows
    replaced = len(conflicts) if replace_stored else 0
    kept_out = 0 if replace_stored else len(conflicts)
    return ImportResult(written - replaced, seen - written - kept_out, replaced, problems)


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    """What tells a file from its replacement: device, inode, size, modification time."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def _conflict_problems(
    db: Database,
    paths: Sequence[Path],
    timezone: ZoneInfo | None,
    location: str | None,
    fallback: list[str],
    conflicts: list[tuple[int, int]],
    open_text: TextOpener | None = None,
    file_format: str | None = None,
) -> list[Problem]:
    """The file lines behind the conflicting keys: a second reading of the file's own, or one
    that differs from what was stored before the import. Only read again when there are some."""
    names = {miner_id: key for key, miner_id in miner_ids(db).items()}
    clashing = Counter((names[miner_id], timestamp_s) for miner_id, timestamp_s in conflicts)
    lines: dict[tuple[tuple[str, str], int], list[tuple[str, int]]] = {}
    for path in paths:
        for line, timestamp_s, _, miner, place, _ in scan_readings(path, timezone, [], open_text, file_format):
            key = ((place or location or (fallback[0] if fallback else ""), miner), timestamp_s)
            if key in clashing:
                lines.setdefault(key, []).append((str(path), line))
    problems = []
    for key, where in lines.items():
        first_was_new = clashing[key] < len(where)
        for index, (source, line) in enumerate(where):
            if index == 0 and first_was_new:
                continue
            if first_was_new:
                message = f"conflicts with line {where[0][1]}: same miner and timestamp, other values"
            else:
                message = "conflicts with the stored reading for this miner and timestamp; --replace overwrites it"
            problems.append(Problem(source, line, "power_w", message))
    return sorted(problems, key=lambda p: (p.path, p.line or 0))


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
