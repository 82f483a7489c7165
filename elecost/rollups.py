"""Daily rollups of cost rows: per location, local day and miner (the meter as ''), with their lines.

A fleet-month is 720,000 hourly rows and two million lines; a summary over it needs only each
miner's sums, and a day's sums are kept beside the rows by `record`, in its transaction. A day's
rollup is always rebuilt from its rows (never added to), so a re-record or a late reading that
redoes some hours rebuilds the days they fall in, and nothing is counted twice. The store module
for the tables of migration 009.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from elecost.db import Database

_DAY_ROWS = (
    "INSERT INTO cost_days (location, day_start_s, miner_ip, day_end_s, first_s, last_s, covered_s, rate_name, "
    "total_kwh, peak_power_kw, energy_cost_usd, demand_charge_usd, service_charge_usd) "
    "SELECT ?1, ?2, miner_ip, ?3, min(period_start_s), max(period_end_s), "
    "coalesce(sum(period_end_s - period_start_s), 0), min(rate_name), coalesce(sum(total_kwh), 0), "
    "max(peak_power_kw), coalesce(sum(energy_cost_usd), 0), coalesce(sum(demand_charge_usd), 0), "
    "coalesce(sum(service_charge_usd), 0) FROM costs "
    "WHERE +location = ?1 AND period_start_s >= ?2 AND period_start_s < ?3 "
    "GROUP BY miner_ip"
)
_DAY_LINES = (
    "INSERT INTO cost_day_lines (location, day_start_s, miner_ip, kind_id, quantity, usd) "
    "SELECT ?1, ?2, c.miner_ip, l.kind_id, "
    "CASE k.unit WHEN 'kW' THEN max(l.quantity) ELSE coalesce(sum(l.quantity), 0) END, coalesce(sum(l.usd), 0) "
    "FROM costs c JOIN cost_lines l ON l.cost_id = c.id JOIN line_kinds k ON k.id = l.kind_id "
    "WHERE +c.location = ?1 AND c.period_start_s >= ?2 AND c.period_start_s < ?3 GROUP BY c.miner_ip, l.kind_id, k.id"
)


def rebuild_days(db: Database, location: str, days: Iterable[tuple[int, int]]) -> None:
    """Rebuild a location's rollups of the given local days [start_s, end_s) from its cost rows (caller's
    transaction). Rollups overlapping a day go with it (days of another zone, after a rate's timezone changed:
    its repricing rebuilds every day)."""
    for day_start, day_end in days:
        args = [location, day_start, day_end]
        overlapping = "location = ?1 AND day_start_s < ?3 AND day_end_s > ?2"
        db.execute(
            "DELETE FROM cost_day_lines WHERE (location, day_start_s) IN "
            f"(SELECT location, day_start_s FROM cost_days WHERE {overlapping})",
            args,
        )
        db.execute(f"DELETE FROM cost_days WHERE {overlapping}", args)
        db.execute(_DAY_ROWS, args)
        db.execute(_DAY_LINES, args)


def rows_end(db: Database, location: str, start_s: int, end_s: int) -> int | None:
    """The end of a location's last cost row starting in [start_s, end_s) (the days a redo can touch end there)."""
    row = db.execute(
        "SELECT max(period_end_s) FROM costs WHERE +location = ? AND period_start_s >= ? AND period_start_s < ?",
        [location, start_s, end_s],
    ).fetchone()
    return None if row[0] is None else int(row[0])


def whole_days(db: Database, start_s: int, end_s: int, location: str | None) -> dict[str, tuple[int, int]]:
    """Per location, the span [first, last) of its rolled-up days lying wholly inside [start_s, end_s)."""
    where, params = _where(start_s, end_s, location)
    return {
        place: (first, last)
        for place, first, last in db.execute(
            f"SELECT location, min(day_start_s), max(day_end_s) FROM cost_days WHERE {where} GROUP BY location",
            params,
        )
        if first is not None and last > first
    }


def _where(start_s: int, end_s: int, location: str | None) -> tuple[str, list[Any]]:
    where = "day_start_s >= ? AND day_end_s <= ?"
    params: list[Any] = [start_s, end_s]
    if location is not None:
        where += " AND location = ?"
        params.append(location)
    return where, params


def _parts(db: Database, start_s: int, end_s: int, location: str | None) -> tuple[str, list[Any]]:
    """VALUES lists of the whole days' spans and of the edge spans, as `spans(place, first, last)` and
    `edges(place, first, last)` (never empty: SQLite has no empty VALUES, and no location is '').

    The edges join cost rows by time: `+c.location` keeps SQLite off the (location, ...) index,
    through which it would read every row of the location."""
    days = whole_days(db, start_s, end_s, location)
    if location is not None:
        places = [location]
    else:
        places = [row[0] for row in db.execute("SELECT DISTINCT location FROM cost_days")]
    edges = []
    for place in places:
        if place in days:
            first, last = days[place]
            edges += [(place, start_s, first), (place, last, end_s)]
        else:
            edges.append((place, start_s, end_s))
    spans = [(place, first, last) for place, (first, last) in days.items()] or [("", 0, 0)]
    edges = edges or [("", 0, 0)]
    values = ", ".join("(?, ?, ?)" for _ in spans), ", ".join("(?, ?, ?)" for _ in edges)
    sql = f"WITH spans(place, first, last) AS (VALUES {values[0]}), edges(place, first, last) AS (VALUES {values[1]})"
    return sql, [value for row in [*spans, *edges] for value in row]


def miner_sums(db: Database, start_s: int, end_s: int, location: str | None) -> list[tuple[Any, ...]]:
    """Per miner (and '(site overhead)'), over [start_s, end_s): (miner, rate, location, first, last, kWh, peak kW,
    energy, demand, service USD) from the whole days' rollups and the edge hours' rows."""
    with_spans, params = _parts(db, start_s, end_s, location)
    sql = (
        f"{with_spans}, parts AS ("
        "SELECT d.miner_ip AS miner_ip, d.rate_name AS rate_name, d.location AS location, d.first_s AS first_s, "
        "d.last_s AS last_s, d.total_kwh AS kwh, d.peak_power_kw AS peak, d.energy_cost_usd AS energy, "
        "d.demand_charge_usd AS demand, d.service_charge_usd AS service "
        "FROM spans s JOIN cost_days d ON d.location = s.place AND d.day_start_s >= s.first "
        "AND d.day_start_s < s.last WHERE d.miner_ip != '' "
        "UNION ALL SELECT c.miner_ip, c.rate_name, c.location, c.period_start_s, c.period_end_s, c.total_kwh, "
        "c.peak_power_kw, c.energy_cost_usd, c.demand_charge_usd, c.service_charge_usd FROM edges e "
        "JOIN costs c ON +c.location = e.place AND c.period_start_s >= e.first AND c.period_start_s < e.last "
        "WHERE c.miner_ip != '') "
        "SELECT miner_ip, min(rate_name), min(location), min(first_s), max(last_s), coalesce(sum(kwh), 0), max(peak), "
        "coalesce(sum(energy), 0), coalesce(sum(demand), 0), coalesce(sum(service), 0) FROM parts "
        "GROUP BY miner_ip ORDER BY miner_ip"
    )
    return db.execute(sql, params).fetchall()


def miner_line_sums(db: Database, start_s: int, end_s: int, location: str | None) -> list[tuple[Any, ...]]:
    """Per miner and line kind over [start_s, end_s): (miner, charge, label, unit, part, period, tier, quantity,
    usd), kW quantities the highest, others added up; whole days from rollups, edge hours from rows."""
    with_spans, params = _parts(db, start_s, end_s, location)
    sql = (
        f"{with_spans}, parts AS ("
        "SELECT d.miner_ip AS miner_ip, d.kind_id AS kind_id, d.quantity AS quantity, d.usd AS usd "
        "FROM spans s JOIN cost_day_lines d ON d.location = s.place AND d.day_start_s >= s.first "
        "AND d.day_start_s < s.last WHERE d.miner_ip != '' "
        "UNION ALL SELECT c.miner_ip, l.kind_id, l.quantity, l.usd FROM edges e "
        "JOIN costs c ON +c.location = e.place AND c.period_start_s >= e.first AND c.period_start_s < e.last "
        "JOIN cost_lines l ON l.cost_id = c.id WHERE c.miner_ip != '') "
        "SELECT p.miner_ip, k.charge, k.label, k.unit, k.part, k.period, k.tier, "
        "CASE k.unit WHEN 'kW' THEN max(p.quantity) ELSE coalesce(sum(p.quantity), 0) END, coalesce(sum(p.usd), 0) "
        "FROM parts p JOIN line_kinds k ON k.id = p.kind_id "
        "GROUP BY p.miner_ip, p.kind_id, k.id ORDER BY p.miner_ip, p.kind_id"
    )
    return db.execute(sql, params).fetchall()
