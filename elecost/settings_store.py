"""Per-location settings of `record` in the store (table `location_settings`), and marking a
location's recorded hours for re-record when one changes, so its rows never mix both ways.

The row of location '' is the setting of locations that have none of their own yet (those first
seen after the setting was made for every location).
"""

from __future__ import annotations

from collections.abc import Iterable

from elecost.db import Database
from elecost.errors import UsageError
from elecost.rownames import SITE_OVERHEAD
from elecost.store import active_rates, first_cost_row_s, mark_dirty, reading_locations, reading_span, write_transaction

EVERY_LOCATION = ""


def allocating_locations(db: Database, locations: Iterable[str]) -> set[str]:
    """Those of `locations` whose site overhead `record` shares among their miners' rows."""
    rows = dict(db.execute("SELECT location, allocate_overhead FROM location_settings").fetchall())
    default = bool(rows.get(EVERY_LOCATION, 0))
    return {place for place in locations if bool(rows.get(place, default))}


def set_allocate_overhead(db: Database, on: bool, location: str | None = None) -> list[str]:
    """Switch `record`'s overhead allocation at `location` (None: at every location, including
    those first seen later); the locations whose setting changed. Their whole readings span is
    marked for `record` to redo, as after a tariff change, so their rows never mix both ways."""
    with write_transaction(db):
        known = {*reading_locations(db), *active_rates(db)}
        if location is None:
            places = {EVERY_LOCATION, *known}
        elif location in known:
            places = {location}
        else:
            raise UsageError(f"no readings or active rate at {location!r}; locations: {', '.join(sorted(known))}")
        return _set(db, on, places, f"overhead allocation switched {'on' if on else 'off'}")


def _set(db: Database, on: bool, locations: Iterable[str], reason: str) -> list[str]:
    places = sorted(set(locations))
    before = allocating_locations(db, places)
    for place in places:  # a handful of locations: plain statements, as any back end runs them
        db.execute(
            "INSERT INTO location_settings (location, allocate_overhead) VALUES (?, ?) "
            "ON CONFLICT (location) DO UPDATE SET allocate_overhead = excluded.allocate_overhead",
            [place, int(on)],
        )
    changed = [place for place in places if (place in before) != on and place != EVERY_LOCATION]
    for place in changed:
        span = reading_span(db, place)
        if span is None or first_cost_row_s(db, place) is None:  # nothing recorded yet: nothing to redo
            continue
        mark_dirty(db, {place: span})
        db.execute(
            "INSERT INTO reprice (location, reason) VALUES (?, ?) "
            "ON CONFLICT (location) DO UPDATE SET reason = excluded.reason",
            [place, reason],
        )
    return changed


def unshared_overhead_hours(db: Database) -> dict[str, int]:
    """Per location that allocates its overhead, the hours that keep a `(site overhead)` row
    (no miner drew energy in them; rows of periods whose readings were pruned, which could not be
    redone, are not counted); locations with none are left out."""
    out: dict[str, int] = {}
    for place in sorted(allocating_locations(db, reading_locations(db))):
        (count,) = db.execute(
            "SELECT count(*) FROM costs WHERE location = ? AND miner_ip = ? AND period_start_s >= "
            "coalesce((SELECT before_s FROM pruned WHERE location = ?), period_start_s)",
            [place, SITE_OVERHEAD, place],
        ).fetchone()
        if count:
            out[place] = int(count)
    return out
