"""Carbon intensity in SQLite: series per grid zone, the zone of each location, and the energy of
the cost rows that the carbon report weighs. Writes in one transaction; queries return plain data.

A zone's series is a set of non-overlapping intervals [start_s, end_s), each at an exact intensity
in integer micrograms CO2 per kWh (the `gco2_per_kwh` of the file, times a million), imported by
the same rule as prices (`series_store`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from elecost.db import Database
from elecost.series_store import ImportCounts, SeriesTable, import_intervals, overlapping, series_summaries
from elecost.store import span_of_rows, write_transaction

if TYPE_CHECKING:
    from elecost.prices import SeriesRow  # the parser, which the store's readers do not need


def gco2_per_kwh(ugco2_per_kwh: int) -> Decimal:
    """A stored intensity [micrograms CO2 per kWh] as exact grams CO2 per kWh."""
    return Decimal(ugco2_per_kwh).scaleb(-6)


def _describe(ugco2_per_kwh: int, zone: str) -> str:
    return f"{gco2_per_kwh(ugco2_per_kwh).normalize():f} gCO2/kWh of zone {zone!r}"


CARBON = SeriesTable("carbon", "zone", "ugco2_per_kwh", "gco2_per_kwh", _describe)


def import_carbon(
    db: Database, zone: str, rows: Sequence[SeriesRow], *, replace: bool, locations: Sequence[str] = ()
) -> tuple[ImportCounts, dict[str, str | None]]:
    """Store a zone's intensity intervals, all or none, and bind `locations` to the zone in the same
    transaction. Returns the counts and, per location bound, the zone it used before (None: none)."""
    with write_transaction(db):
        counts = import_intervals(db, CARBON, zone, rows, replace=replace)
        before = location_zones(db)
        db.executemany(
            "INSERT INTO carbon_locations (location, zone) VALUES (?, ?) "
            "ON CONFLICT (location) DO UPDATE SET zone = excluded.zone",
            [(location, zone) for location in locations],
        )
    return counts, {location: before.get(location) for location in locations}


def intensity_intervals(db: Database, zone: str, start_s: int, end_s: int) -> list[tuple[int, int, int]]:
    """The zone's intensities over [start_s, end_s): (start_s, end_s, micrograms CO2 per kWh) by
    start, clipped to the span; an instant no interval covers is simply absent."""
    rows = overlapping(db, CARBON, zone, start_s, end_s)
    return [(max(start, start_s), min(end, end_s), value) for start, end, value in rows]


def carbon_zones(db: Database) -> list[str]:
    """The names of the stored zones."""
    return [row[0] for row in db.execute("SELECT DISTINCT zone FROM carbon ORDER BY zone")]


def location_zones(db: Database) -> dict[str, str]:
    """Each bound location's zone."""
    return {row[0]: row[1] for row in db.execute("SELECT location, zone FROM carbon_locations ORDER BY location")}


@dataclass(frozen=True)
class ZoneSummary:
    """A stored series at a glance: intervals, the time they span, the intensity range [gCO2/kWh]."""

    zone: str
    intervals: int
    first_s: int
    last_s: int
    min_gco2_per_kwh: Decimal
    avg_gco2_per_kwh: Decimal  # time-weighted
    max_gco2_per_kwh: Decimal


def zone_summaries(db: Database) -> list[ZoneSummary]:
    """One summary per stored zone, by name."""
    return [
        ZoneSummary(zone, count, first, last, gco2_per_kwh(low), mean.scaleb(-6), gco2_per_kwh(high))
        for zone, count, first, last, low, high, mean in series_summaries(db, CARBON)
    ]


def energy_rows(
    db: Database, start_s: int, end_s: int, *, miners: bool, miner: str | None = None, location: str | None = None
) -> list[tuple[str, str, int, int, float]]:
    """(location, miner_ip, period_start_s, period_end_s, kWh) of the cost rows starting in
    [start_s, end_s), in no particular order: the meters' rows, or (`miners`) the miners' rows,
    or one miner's."""
    who = miner if miner is not None else (None if miners else "")
    walk, rows, params = span_of_rows(start_s, end_s, location=location, miner=who)
    mine = " WHERE c.miner_ip != ''" if who is None else ""
    # no ORDER BY: the sums do not care, and sorting a fleet's month of rows was most of the time
    sql = f"{walk}SELECT c.location, c.miner_ip, c.period_start_s, c.period_end_s, c.total_kwh {rows}{mine}"
    found: list[tuple[str, str, int, int, float]] = db.execute(sql, params).fetchall()  # a fleet's month: as they come
    return found


def period_energy_rows(
    db: Database, start_s: int, end_s: int, *, miner: str | None = None, location: str | None = None
) -> list[tuple[str, str, int, int, float]]:
    """(location, TOU period, period_start_s, period_end_s, kWh) of the energy lines of the cost
    rows starting in [start_s, end_s) (the meters', or one miner's): `summary --by period`."""
    walk, rows, params = span_of_rows(start_s, end_s, location=location, miner=miner or "")
    sql = (
        f"{walk}SELECT c.location, k.period, c.period_start_s, c.period_end_s, sum(l.quantity) {rows} "
        "JOIN cost_lines l ON l.cost_id = c.id JOIN line_kinds k ON k.id = l.kind_id "
        "WHERE k.charge = 'energy' AND k.period != '' GROUP BY c.location, k.period, c.period_start_s, c.period_end_s "
        "ORDER BY c.location, c.period_start_s"
    )
    return [(row[0], row[1], int(row[2]), int(row[3]), float(row[4])) for row in db.execute(sql, params)]
