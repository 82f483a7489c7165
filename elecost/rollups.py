"""Daily rollups of cost rows: per location, local day and miner (the meter as ''), with their lines.

A fleet-month is 720,000 hourly rows and two million lines; a summary over it needs only each
miner's sums, and a day's sums are kept beside the rows by `record`, in its transaction. A re-record
or a late reading that redoes some hours updates the days they fall in, and nothing is counted
twice: a day wholly redone is rebuilt from its rows; a day redone only from an hour late in it (a
cron run) is patched, its sums less the replaced rows' plus the new rows', so the hours before stay
unread. Maxima (peak kW, kW lines) and minima cannot be taken back: where a removed row held one
and no new row reaches it, that miner's day is rebuilt from its rows. The store module for the
tables of migration 009.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import groupby
from operator import itemgetter
from typing import Any

from elecost.db import Database
from elecost.store import (
    COST_COLUMNS,
    DAY_MINERS_AT,
    MINERS_AT,
    PLACE_MINERS,
    SPAN_OF_EACH,
    WrittenRows,
    line_kinds,
    walk_keys,
)

_DAY_ROWS = (
    f"{MINERS_AT}INSERT INTO cost_days (location, day_start_s, miner_ip, day_end_s, first_s, last_s, covered_s, "
    "rate_name, total_kwh, peak_power_kw, energy_cost_usd, demand_charge_usd, service_charge_usd) "
    "SELECT ?1, ?2, miner_ip, ?3, min(period_start_s), max(period_end_s), "
    "coalesce(sum(period_end_s - period_start_s), 0), min(rate_name), coalesce(sum(total_kwh), 0), "
    "max(peak_power_kw), coalesce(sum(energy_cost_usd), 0), coalesce(sum(demand_charge_usd), 0), "
    f"coalesce(sum(service_charge_usd), 0) FROM place_miners m JOIN costs c ON {SPAN_OF_EACH} "
    "GROUP BY miner_ip"
)
_DAY_LINES = (
    f"{MINERS_AT}INSERT INTO cost_day_lines (location, day_start_s, miner_ip, kind_id, quantity, usd) "
    "SELECT ?1, ?2, c.miner_ip, l.kind_id, "
    "CASE k.unit WHEN 'kW' THEN max(l.quantity) ELSE coalesce(sum(l.quantity), 0) END, coalesce(sum(l.usd), 0) "
    f"FROM place_miners m JOIN costs c ON {SPAN_OF_EACH} JOIN cost_lines l ON l.cost_id = c.id "
    "JOIN line_kinds k ON k.id = l.kind_id GROUP BY c.miner_ip, l.kind_id, k.id"
)


def rebuild_days(db: Database, location: str, days: Iterable[tuple[int, int]]) -> None:
    """Rebuild a location's rollups of the given local days [start_s, end_s) from its cost rows (caller's
    transaction). Rollups overlapping a day go with it (days of another zone, after a rate's timezone changed:
    its repricing rebuilds every day)."""
    for day_start, day_end in days:
        args = [location, day_start, day_end]
        _clear_day(db, location, day_start, day_end)
        db.execute(_DAY_ROWS, args)
        db.execute(_DAY_LINES, args)


def _clear_day(db: Database, location: str, day_start: int, day_end: int) -> None:
    """Drop a location's rollups overlapping a local day."""
    args = [location, day_start, day_end]
    overlapping = "location = ?1 AND day_start_s < ?3 AND day_end_s > ?2"
    db.execute(
        "DELETE FROM cost_day_lines WHERE (location, day_start_s) IN "
        f"(SELECT location, day_start_s FROM cost_days WHERE {overlapping})",
        args,
    )
    db.execute(f"DELETE FROM cost_days WHERE {overlapping}", args)


# One day's rollup values of a miner, in this order (as `cost_days` holds them after the key).
_FIRST, _LAST, _COVERED, _RATE, _KWH, _PEAK, _ENERGY, _DEMAND, _SERVICE = range(9)
_SUMS = (_KWH, _ENERGY, _DEMAND, _SERVICE)
_DAY_COLUMNS = (
    "first_s, last_s, covered_s, rate_name, total_kwh, peak_power_kw, energy_cost_usd, demand_charge_usd, "
    "service_charge_usd"
)
# Where a written cost row holds what a day's rollup takes from it.
_START, _END, _MINER = (COST_COLUMNS.index(column) for column in ("period_start_s", "period_end_s", "miner_ip"))
_RATE_AT, _KWH_AT, _PEAK_AT, _ENERGY_AT, _DEMAND_AT, _SERVICE_AT = (
    COST_COLUMNS.index(column) for column in _DAY_COLUMNS.split(", ")[3:]
)
_SUMMED_AT = (_KWH_AT, _ENERGY_AT, _DEMAND_AT, _SERVICE_AT)


def roll_up_written(db: Database, location: str, days: Sequence[tuple[int, int]], written: WrittenRows) -> None:
    """Write a location's rollups of local days whose every cost row was just written (`written`, as the
    store wrote them; caller's transaction): `_DAY_ROWS` and `_DAY_LINES` worked out from the rows in
    hand instead of read back. A fleet-month's 720,000 rows and two million lines took 4 s to read and
    group again, 0.8 s here. Rows starting outside `days` are left out."""
    if not days:
        return
    starts = [start for start, _ in days]
    ends = [end for _, end in days]
    kw_kinds = {row[0] for row in db.execute("SELECT id FROM line_kinds WHERE unit = 'kW'")}
    day_rows: list[tuple[Any, ...]] = []
    day_lines: list[tuple[Any, ...]] = []
    lines, at = written.lines, 0
    seen: set[tuple[int, str]] = set()

    def day_of(row: tuple[Any, ...]) -> tuple[int, str]:
        index = bisect_right(starts, row[_START]) - 1
        return (index if index >= 0 and row[_START] < ends[index] else -1), row[_MINER]

    # A miner's rows come in time order, its lines after each row in turn: a day's rows are a run.
    for (index, miner), run in groupby(written.rows, day_of):
        if (index, miner) in seen and index >= 0:  # not so: the rows are read back instead
            rebuild_days(db, location, days)
            return
        seen.add((index, miner))
        rows = list(run)
        last_id = rows[-1][0]
        kinds: dict[int, list[float]] = {}  # kind -> quantity, usd
        while at < len(lines) and lines[at][0] <= last_id:
            _, _, kind, quantity, usd = lines[at]
            at += 1
            if index < 0:
                continue
            line = kinds.get(kind)
            if line is None:
                kinds[kind] = [quantity, usd]
                continue
            line[0] = max(line[0], quantity) if kind in kw_kinds else line[0] + quantity
            line[1] += usd
        if index < 0:  # rows starting outside the days
            continue
        day_start, day_end = starts[index], ends[index]
        kwh, energy, demand, service = (sum(map(itemgetter(column), rows)) for column in _SUMMED_AT)
        values = (
            min(map(itemgetter(_START), rows)),
            max(map(itemgetter(_END), rows)),
            sum(map(itemgetter(_END), rows)) - sum(map(itemgetter(_START), rows)),
            min(map(itemgetter(_RATE_AT), rows)),
            kwh,
            max(map(itemgetter(_PEAK_AT), rows)),
            energy,
            demand,
            service,
        )  # as `_DAY_COLUMNS`
        day_rows.append((location, day_start, miner, day_end, *values))
        day_lines += [(location, day_start, miner, kind, *line) for kind, line in kinds.items()]
    for day_start, day_end in days:
        _clear_day(db, location, day_start, day_end)
    db.copy_rows("cost_days", ("location", "day_start_s", "miner_ip", "day_end_s", *_DAY_COLUMNS.split(", ")), day_rows)
    db.copy_rows("cost_day_lines", ("location", "day_start_s", "miner_ip", "kind_id", "quantity", "usd"), day_lines)


# The rows starting in [?2, ?3) of a location (?1), per miner, and their lines per miner and kind.
_PART_ROWS = (
    f"{MINERS_AT}SELECT miner_ip, min(period_start_s), max(period_end_s), sum(period_end_s - period_start_s), "
    "min(rate_name), sum(total_kwh), max(peak_power_kw), sum(energy_cost_usd), sum(demand_charge_usd), "
    f"sum(service_charge_usd) FROM place_miners m JOIN costs c ON {SPAN_OF_EACH} GROUP BY miner_ip"
)
_PART_LINES = (
    f"{MINERS_AT}SELECT c.miner_ip, l.kind_id, sum(l.quantity), max(l.quantity), sum(l.usd) FROM place_miners m "
    f"JOIN costs c ON {SPAN_OF_EACH} JOIN cost_lines l ON l.cost_id = c.id GROUP BY c.miner_ip, l.kind_id"
)
# One miner's day rebuilt from its rows, along the (location, miner_ip, period_start_s) key.
_MINER_DAY_ROWS = (
    f"INSERT INTO cost_days (location, day_start_s, miner_ip, day_end_s, {_DAY_COLUMNS}) "
    "SELECT location, ?, miner_ip, ?, min(period_start_s), max(period_end_s), sum(period_end_s - period_start_s), "
    "min(rate_name), sum(total_kwh), max(peak_power_kw), sum(energy_cost_usd), sum(demand_charge_usd), "
    "sum(service_charge_usd) FROM costs WHERE location = ? AND miner_ip = ? AND period_start_s >= ? "
    "AND period_start_s < ? GROUP BY location, miner_ip"
)
_MINER_DAY_LINES = (
    "INSERT INTO cost_day_lines (location, day_start_s, miner_ip, kind_id, quantity, usd) "
    "SELECT c.location, ?, c.miner_ip, l.kind_id, "
    "CASE k.unit WHEN 'kW' THEN max(l.quantity) ELSE sum(l.quantity) END, sum(l.usd) "
    "FROM costs c JOIN cost_lines l ON l.cost_id = c.id JOIN line_kinds k ON k.id = l.kind_id "
    "WHERE c.location = ? AND c.miner_ip = ? AND c.period_start_s >= ? AND c.period_start_s < ? "
    "GROUP BY c.location, c.miner_ip, l.kind_id, k.unit"
)
# A float sum is taken to hold no rows' part when it is within this share of what it was taken from.
_NOTHING_LEFT = 1e-9
# A patched value this close to the stored one is the same value (stored unchanged: nothing written).
_SAME = 1e-12

_Row = Sequence[Any]
_Lines = dict[tuple[str, int], tuple[float, float, float]]  # (miner, kind) -> (sum of quantity, max, usd)


@contextmanager
def days_redone(
    db: Database, location: str, days: Iterable[tuple[int, int]], from_s: int, to_s: int, replaced: tuple[int, int]
) -> Iterator[list[WrittenRows]]:
    """Keep a location's rollups of `days` (the local days [start_s, end_s) holding [from_s, to_s)) right
    while the block replaces its cost rows from `from_s` on (caller's transaction). The block puts the
    rows it wrote in the list it is given; every row starting in `replaced` is one of them.

    The first day, when the redo starts late in it (the hours before outweigh those redone), is patched:
    its rows from `from_s` are summed before and after the block. A day inside `replaced` is rolled up
    from the rows written, when the block gave them (one `WrittenRows`). Every other day is rebuilt
    from its rows.
    """
    spans = list(days)
    first = spans[0] if spans and spans[0][0] < from_s else None
    if first is not None and min(first[1], to_s) - from_s > from_s - first[0]:
        first = None
    before = _part(db, location, from_s, first[1]) if first is not None else None
    written: list[WrittenRows] = []
    yield written
    if first is not None and before is not None and _patch(db, location, first, from_s, before):
        spans = spans[1:]
    low, high = replaced
    inside = [day for day in spans if low <= day[0] and day[1] <= high] if len(written) == 1 else []
    rebuild_days(db, location, [day for day in spans if day not in inside])
    if inside:
        roll_up_written(db, location, inside, written[0])


def _part(db: Database, location: str, start_s: int, end_s: int) -> tuple[dict[str, _Row], _Lines]:
    """Per miner, the sums of a location's rows starting in [start_s, end_s), and of their lines per kind."""
    args = [location, start_s, end_s]
    rows = {row[0]: row[1:] for row in db.execute(_PART_ROWS, args)}
    lines = {(miner, kind): (q_sum, q_max, usd) for miner, kind, q_sum, q_max, usd in db.execute(_PART_LINES, args)}
    return rows, lines


def _patch(
    db: Database, location: str, day: tuple[int, int], from_s: int, before: tuple[dict[str, _Row], _Lines]
) -> bool:
    """A day's rollups less the rows `before` plus the rows now stored in [from_s, day end); False when the
    stored rollups do not fit (another zone's days, a rollup missing): the day must be rebuilt."""
    day_start, day_end = day
    stored: dict[str, _Row] = {}
    for row in db.execute(
        f"SELECT miner_ip, day_start_s, day_end_s, {_DAY_COLUMNS} FROM cost_days WHERE location = ? "
        "AND day_start_s > ? AND day_start_s < ? AND day_end_s > ?",
        [location, day_start - 2 * 86_400, day_end, day_start],
    ):
        if (row[1], row[2]) != day:
            return False
        stored[row[0]] = row[3:]
    stored_lines = {
        (miner, kind): (quantity, usd)
        for miner, kind, quantity, usd in db.execute(
            "SELECT miner_ip, kind_id, quantity, usd FROM cost_day_lines WHERE location = ? AND day_start_s = ?",
            [location, day_start],
        )
    }
    kw_kinds = {row[0] for row in db.execute("SELECT id FROM line_kinds WHERE unit = 'kW'")}
    old_rows, old_lines = before
    new_rows, new_lines = _part(db, location, from_s, day_end)
    kinds_of: dict[str, set[int]] = {}
    for miner, kind in (*stored_lines, *old_lines, *new_lines):
        kinds_of.setdefault(miner, set()).add(kind)
    rows: list[tuple[Any, ...]] = []  # written where they changed, beyond the floats' last bits
    lines: list[tuple[Any, ...]] = []
    gone_rows: list[tuple[str, int, str]] = []
    gone_lines: list[tuple[str, int, str, int]] = []
    rebuild: list[str] = []
    for miner in sorted(old_rows.keys() | new_rows.keys()):
        old, new, kept = old_rows.get(miner), new_rows.get(miner), stored.get(miner)
        if old is not None and kept is None:
            return False
        merged = _merge_row(kept, old, new)
        if merged is False:
            return False
        rows_left = kept is not None and (old is None or kept[_COVERED] > old[_COVERED])
        merged_lines = {}
        for kind in sorted(kinds_of.get(miner, ())):
            key = (miner, kind)
            line = _merge_line(
                stored_lines.get(key), old_lines.get(key), new_lines.get(key), kind in kw_kinds, rows_left
            )
            if line is False:
                return False
            if line is not None:
                merged_lines[kind] = line
        held = [kind for kind in kinds_of.get(miner, ()) if (miner, kind) in stored_lines]
        if merged is _UNKNOWN or any(line[0] is _UNKNOWN for line in merged_lines.values()):
            rebuild.append(miner)
            held = []  # its rollups go by the miner's key below
        elif merged is None:
            gone_rows.append((location, day_start, miner))
        else:
            if kept is None or not _same(merged, kept):
                rows.append((location, day_start, miner, day_end, *merged))
            for kind, line in merged_lines.items():
                before_line = stored_lines.get((miner, kind))
                if before_line is None or not _same(line, before_line):
                    lines.append((location, day_start, miner, kind, *line))
        gone_lines += [(location, day_start, miner, kind) for kind in held if kind not in merged_lines]
    db.executemany(
        "DELETE FROM cost_day_lines WHERE location = ? AND day_start_s = ? AND miner_ip = ? AND kind_id = ?",
        gone_lines,
    )
    db.executemany("DELETE FROM cost_days WHERE location = ? AND day_start_s = ? AND miner_ip = ?", gone_rows)
    db.executemany(
        f"INSERT INTO cost_days (location, day_start_s, miner_ip, day_end_s, {_DAY_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (location, day_start_s, miner_ip) DO UPDATE SET "
        + ", ".join(f"{column} = excluded.{column}" for column in ("day_end_s", *_DAY_COLUMNS.split(", "))),
        rows,
    )
    db.executemany(
        "INSERT INTO cost_day_lines (location, day_start_s, miner_ip, kind_id, quantity, usd) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (location, day_start_s, miner_ip, kind_id) DO UPDATE SET "
        "quantity = excluded.quantity, usd = excluded.usd",
        lines,
    )
    keys = [(location, day_start, miner) for miner in rebuild]
    db.executemany("DELETE FROM cost_day_lines WHERE location = ? AND day_start_s = ? AND miner_ip = ?", keys)
    db.executemany("DELETE FROM cost_days WHERE location = ? AND day_start_s = ? AND miner_ip = ?", keys)
    span = [(day_start, day_end, location, miner, day_start, day_end) for miner in rebuild]
    db.executemany(_MINER_DAY_ROWS, span)
    db.executemany(_MINER_DAY_LINES, [(start, *rest) for start, _, *rest in span])
    return True


def _same(ours: Sequence[Any], theirs: Sequence[Any]) -> bool:
    """Values equal, floats to their last few bits (a sum less a part plus the same part)."""
    return all(
        a == b or (isinstance(a, float) and abs(a - b) <= _SAME * max(abs(a), abs(b)))
        for a, b in zip(ours, theirs, strict=True)
    )


class _Unknown:
    """A value the sums cannot give back (a removed row held the extreme): rebuild that miner's day."""


_UNKNOWN: Any = _Unknown()


def _merge_row(kept: _Row | None, old: _Row | None, new: _Row | None) -> Any:
    """kept - old + new for one miner's day: None when no row is left, _UNKNOWN when an extreme is lost,
    False when `old` is not part of `kept` (the rollup does not fit its rows)."""
    rest: list[Any] | None
    if kept is None:
        rest = None
    elif old is None:
        rest = list(kept)
    else:
        covered = kept[_COVERED] - old[_COVERED]
        if covered < 0:
            return False
        rest = None
        if covered > 0:
            rest = list(kept)
            rest[_COVERED] = covered
            for column in _SUMS:
                rest[column] = kept[column] - old[column]
            for column in (_FIRST, _RATE):  # minima: known when the removed rows did not hold them
                if not kept[column] < old[column]:
                    rest[column] = _Bound(kept[column], lowest=True)
            for column in (_LAST, _PEAK):
                if not kept[column] > old[column]:
                    rest[column] = _Bound(kept[column], lowest=False)
    if rest is None:
        return None if new is None else tuple(new)
    if new is None:
        if any(isinstance(value, _Bound) for value in rest):
            return _UNKNOWN
        return tuple(rest)
    out = []
    for column, (ours, theirs) in enumerate(zip(rest, new, strict=True)):
        if column in _SUMS or column == _COVERED:
            out.append(ours + theirs)
        elif isinstance(ours, _Bound):
            value = ours.merge(theirs)
            if value is _UNKNOWN:
                return _UNKNOWN
            out.append(value)
        else:
            out.append(min(ours, theirs) if column in (_FIRST, _RATE) else max(ours, theirs))
    return tuple(out)


class _Bound:
    """What is left of an extreme after its row went: at least (or at most) `value`, exactly unknown."""

    def __init__(self, value: Any, *, lowest: bool) -> None:
        self.value, self.lowest = value, lowest

    def merge(self, new: Any) -> Any:
        """The extreme with a new value: the new one where it reaches the removed one, else unknown."""
        if (new <= self.value) if self.lowest else (new >= self.value):
            return new
        return _UNKNOWN


def _merge_line(
    kept: tuple[float, float] | None,
    old: tuple[float, float, float] | None,
    new: tuple[float, float, float] | None,
    kw: bool,
    rows_left: bool,
) -> Any:
    """kept - old + new for one kind of line of a miner's day, as (quantity, usd) (kW quantities are maxima):
    None when no line of it is left, (_UNKNOWN, usd) when the sums cannot tell, False when `old` is not
    part of `kept`. `rows_left`: some of the day's rows outside the redo remain."""
    if (old is not None and kept is None) or (kept is not None and old is None and not rows_left):
        return False
    rest: tuple[Any, float] | None = None
    if kept is not None and rows_left:
        if old is None:
            rest = kept
        else:
            usd = kept[1] - old[2]
            quantity: Any
            if kw:  # the maximum stays known where the removed lines did not hold it
                quantity = kept[0] if kept[0] > old[1] else _Bound(kept[0], lowest=False)
                held = not isinstance(quantity, _Bound) or abs(usd) > _NOTHING_LEFT * abs(kept[1])
            else:
                quantity = kept[0] - old[0]
                held = abs(quantity) > _NOTHING_LEFT * abs(kept[0]) or abs(usd) > _NOTHING_LEFT * abs(kept[1])
            if not held and new is None:
                return (_UNKNOWN, usd)  # the rows left may or may not have this kind of line
            rest = (quantity, usd)
    if rest is None:
        return None if new is None else ((new[1] if kw else new[0]), new[2])
    quantity, usd = rest
    if new is None:
        return (_UNKNOWN, usd) if isinstance(quantity, _Bound) else rest
    if kw:
        quantity = quantity.merge(new[1]) if isinstance(quantity, _Bound) else max(quantity, new[1])
    else:
        quantity += new[0]
    return (quantity, usd + new[2])


def rows_end(db: Database, location: str, start_s: int, end_s: int) -> int | None:
    """The end of a location's last cost row starting in [start_s, end_s) (the days a redo can touch end there)."""
    row = db.execute(
        f"{MINERS_AT}SELECT max(c.period_end_s) FROM place_miners m JOIN costs c ON {SPAN_OF_EACH}",
        [location, start_s, end_s],
    ).fetchone()
    return None if row[0] is None else int(row[0])


def whole_days(db: Database, start_s: int, end_s: int, location: str | None) -> dict[str, tuple[int, int]]:
    """Per location, the span [first, last) of its rolled-up days lying wholly inside [start_s, end_s).

    By seeks along the (location, day_start_s) key, a few per location: a fleet-month is 30,000 rollups."""
    spans = {}
    for place in _places(db, location):
        first = _seek(db, "min", place, ">=", start_s)
        candidate = _seek(db, "max", place, "<", end_s)
        while first is not None and candidate is not None and candidate >= first:
            (day_end,) = db.execute(
                "SELECT max(day_end_s) FROM cost_days WHERE location = ? AND day_start_s = ?", [place, candidate]
            ).fetchone()
            if day_end <= end_s:
                spans[place] = (first, day_end)
                break
            candidate = _seek(db, "max", place, "<", candidate)
    return spans


def newest_cost_end(db: Database) -> int | None:
    """The latest end of a cost row: where `--days N` counts back from. A location's is the latest end
    in its newest day's rollups (two seeks, where a seek to each miner's newest row took 8 ms at
    1,000 miners), or without rollups (rows made before them) that of each miner's newest row."""
    ends = []
    for (place,) in db.execute(f"{walk_keys(None)}SELECT place FROM places WHERE place IS NOT NULL").fetchall():
        (end,) = db.execute(
            "SELECT max(last_s) FROM cost_days WHERE location = ?1 AND day_start_s = "
            "(SELECT max(day_start_s) FROM cost_days WHERE location = ?1)",
            [place],
        ).fetchone()
        if end is None:
            (end,) = db.execute(
                f"{MINERS_AT}SELECT max((SELECT c.period_end_s FROM costs c WHERE c.location = m.place "
                "AND c.miner_ip = m.ip ORDER BY c.period_start_s DESC LIMIT 1)) FROM place_miners m",
                [place],
            ).fetchone()
        ends.append(int(end))
    return max(ends) if ends else None


def _seek(db: Database, extreme: str, location: str, compare: str, day_start_s: int) -> int | None:
    """The first (min) or last (max) rolled-up day start of a location on one side of `day_start_s`."""
    sql = f"SELECT {extreme}(day_start_s) FROM cost_days WHERE location = ? AND day_start_s {compare} ?"
    value = db.execute(sql, [location, day_start_s]).fetchone()[0]
    return None if value is None else int(value)


def _places(db: Database, location: str | None) -> list[str]:
    """The locations a span's rows can be in: those with miners (readings) or rollups (readings pruned);
    the rollups' by seeks along their key."""
    if location is not None:
        return [location]
    places = {row[0] for row in db.execute("SELECT DISTINCT location FROM miners")}
    found = db.execute("SELECT min(location) FROM cost_days").fetchone()[0]
    while found is not None:
        places.add(found)
        found = db.execute("SELECT min(location) FROM cost_days WHERE location > ?", [found]).fetchone()[0]
    return sorted(places)


def _parts(
    db: Database,
    start_s: int,
    end_s: int,
    location: str | None,
    days: tuple[str, str],
    edges_select: str,
    *,
    by_miner: bool = False,
) -> tuple[str, list[Any]]:
    """`WITH` the whole days' spans and the edge spans, as `spans(place, first, last)` and
    `edges(place, first, last)` (never empty: SQLite has no empty VALUES, and no location is ''),
    and `parts`: the miners' rollups in `days` (a table and the columns to select from it as `d`)
    of the days in `spans`, then `edges_select` (rows joined to `edges`) where a span has edges.
    A summary of whole days, the usual one, has none, and a single select is read in place where a
    union goes through a co-routine (a fleet-month by miner: 30 ms -> 22 ms).

    With `by_miner`, on SQLite, whole days of one location are read miner by miner along the
    table's index by miner (migrations 015, 016), so a sum per miner (and line kind) needs no sort
    (days: 22 -> 16 ms, lines: 55 -> 35 ms); the `WITH` then names `places`, `place_miners` (walked
    along the days' index) and `parts` only. (PostgreSQL sums by hashing, unsorted.)

    The edges reach their rows miner by miner along the rows' key: `place_miners(place, ip)` holds
    each edge location's miners, to join as `m` between `edges e` and `costs c` (see `elecost.store`)."""
    table, columns = days
    spans = whole_days(db, start_s, end_s, location)
    edges = []
    for place in _places(db, location):
        if place in spans:
            first, last = spans[place]
            edges += [(place, low, high) for low, high in ((start_s, first), (last, end_s)) if high > low]
        else:
            edges.append((place, start_s, end_s))
    if by_miner and db.dialect == "sqlite" and len(spans) == 1 and not edges:
        ((place, (first, last)),) = spans.items()
        sql = (
            f"{DAY_MINERS_AT}, parts AS (SELECT {columns} FROM {table} d WHERE d.location = ?1 "
            f"AND d.miner_ip IN (SELECT ip FROM place_miners) AND d.miner_ip != ''{_BY_MINER_KEYS[table]} "
            "AND d.day_start_s >= ?2 AND d.day_start_s < ?3)"
        )
        return sql, [place, first, last]
    rows = f" UNION ALL {edges_select}" if edges else ""
    span_values = [(place, first, last) for place, (first, last) in spans.items()] or [("", 0, 0)]
    edges = edges or [("", 0, 0)]
    values = ", ".join("(?, ?, ?)" for _ in span_values), ", ".join("(?, ?, ?)" for _ in edges)
    sql = (
        f"WITH RECURSIVE spans(place, first, last) AS (VALUES {values[0]}), edges(place, first, last) AS "
        f"(VALUES {values[1]}), places(place) AS (SELECT DISTINCT place FROM edges), {PLACE_MINERS}, "
        f"parts AS (SELECT {columns} FROM spans s JOIN {table} d ON d.location = s.place "
        f"AND d.day_start_s >= s.first AND d.day_start_s < s.last WHERE d.miner_ip != ''{rows})"
    )
    return sql, [value for row in [*span_values, *edges] for value in row]


# What follows the miner in each table's index by miner (migrations 015 and 016) before the day:
# each key of it is listed, so that SQLite seeks each miner's (and kind's) days in the span.
_BY_MINER_KEYS = {"cost_days": "", "cost_day_lines": " AND d.kind_id IN (SELECT id FROM line_kinds)"}

# The miners' rows (not the meters') of the edge spans (`_parts`).
_EDGE_ROWS = (
    "FROM edges e JOIN place_miners m ON m.place = e.place AND m.ip != '' JOIN costs c ON c.location = m.place "
    "AND c.miner_ip = m.ip AND c.period_start_s >= e.first AND c.period_start_s < e.last"
)


def miner_sums(db: Database, start_s: int, end_s: int, location: str | None) -> list[tuple[Any, ...]]:
    """Per location and miner (and '(site overhead)'), over [start_s, end_s): (miner, rate, location, first,
    last, kWh, peak kW, energy, demand, service USD) from the whole days' rollups and the edge hours' rows.
    A name at two locations is two miners (private addresses repeat from site to site)."""
    with_parts, params = _parts(
        db,
        start_s,
        end_s,
        location,
        (
            "cost_days",
            "d.miner_ip AS miner_ip, d.rate_name AS rate_name, d.location AS location, d.first_s AS first_s, "
            "d.last_s AS last_s, d.total_kwh AS kwh, d.peak_power_kw AS peak, d.energy_cost_usd AS energy, "
            "d.demand_charge_usd AS demand, d.service_charge_usd AS service",
        ),
        "SELECT c.miner_ip, c.rate_name, c.location, c.period_start_s, c.period_end_s, c.total_kwh, "
        f"c.peak_power_kw, c.energy_cost_usd, c.demand_charge_usd, c.service_charge_usd {_EDGE_ROWS}",
        by_miner=True,
    )
    sql = (
        f"{with_parts} "
        "SELECT miner_ip, min(rate_name), location, min(first_s), max(last_s), coalesce(sum(kwh), 0), max(peak), "
        "coalesce(sum(energy), 0), coalesce(sum(demand), 0), coalesce(sum(service), 0) FROM parts "
        "GROUP BY location, miner_ip ORDER BY location, miner_ip"
    )
    return db.execute(sql, params).fetchall()


def miner_costs(db: Database, start_s: int, end_s: int) -> dict[tuple[str, str], tuple[float, int, float]]:
    """Per (location, miner) over [start_s, end_s): total cost [USD], covered seconds and kWh; whole days
    from the rollups, edge hours from the rows. One query for a fleet, not two per miner."""
    with_parts, params = _parts(
        db,
        start_s,
        end_s,
        None,
        (
            "cost_days",
            "d.location AS location, d.miner_ip AS miner_ip, "
            "d.energy_cost_usd + d.demand_charge_usd + d.service_charge_usd AS usd, d.covered_s AS covered, "
            "d.total_kwh AS kwh",
        ),
        f"SELECT c.location, c.miner_ip, c.total_cost_usd, c.period_end_s - c.period_start_s, c.total_kwh {_EDGE_ROWS}",
        by_miner=True,
    )
    sql = (
        f"{with_parts} "
        "SELECT location, miner_ip, sum(usd), sum(covered), sum(kwh) FROM parts GROUP BY location, miner_ip"
    )
    return {(place, miner): (usd, int(covered), kwh) for place, miner, usd, covered, kwh in db.execute(sql, params)}


def miner_line_sums(db: Database, start_s: int, end_s: int, location: str | None) -> list[tuple[Any, ...]]:
    """Per location, miner and line kind over [start_s, end_s): (location, miner, charge, label, unit, part,
    period, tier, quantity, usd), kW quantities the highest, others added up; whole days from rollups, edge
    hours from rows."""
    with_parts, params = _parts(
        db,
        start_s,
        end_s,
        location,
        (
            "cost_day_lines",
            "d.location AS location, d.miner_ip AS miner_ip, d.kind_id AS kind_id, d.quantity AS quantity, "
            "d.usd AS usd",
        ),
        f"SELECT c.location, c.miner_ip, l.kind_id, l.quantity, l.usd {_EDGE_ROWS} JOIN cost_lines l "
        "ON l.cost_id = c.id",
        by_miner=True,
    )
    sql = (
        f"{with_parts} SELECT location, miner_ip, kind_id, coalesce(sum(quantity), 0), max(quantity), "
        "coalesce(sum(usd), 0) FROM parts GROUP BY location, miner_ip, kind_id ORDER BY location, miner_ip, kind_id"
    )
    sums = db.execute(sql, params).fetchall()
    # The kinds are named here, not joined (a join had SQLite sort the fleet-month's 5,000 sums again),
    # and read after the sums: a kind a `record` adds meanwhile is then among them.
    kinds = line_kinds(db)
    return [
        (place, miner_ip, *kinds[kind_id], highest if kinds[kind_id][2] == "kW" else total, usd)
        for place, miner_ip, kind_id, total, highest, usd in sums
    ]


def meter_days(
    db: Database, start_s: int, end_s: int, location: str | None
) -> tuple[list[tuple[Any, ...]], dict[tuple[str, int], list[tuple[Any, ...]]], list[tuple[str, int, int]]]:
    """The meters' rollups of the whole local days inside [start_s, end_s), and the spans left to the rows.

    Returns the day rows (location, day_start_s, day_end_s, rate_name, first_s, last_s, kWh, peak kW,
    energy, demand, service USD, covered seconds), oldest first; their lines by (location, day_start_s)
    as (charge, label, unit, part, period, tier, quantity, usd) in kind order; and the edge spans
    (location, start_s, end_s) whose hours come from the cost rows (a location without rollups: the
    whole span)."""
    days = whole_days(db, start_s, end_s, location)
    edges: list[tuple[str, int, int]] = []
    rows: list[tuple[Any, ...]] = []
    lines: dict[tuple[str, int], list[tuple[Any, ...]]] = {}
    for place in _places(db, location):
        if place not in days:
            edges.append((place, start_s, end_s))
            continue
        first, last = days[place]
        edges += [(place, low, high) for low, high in ((start_s, first), (last, end_s)) if high > low]
        day: int | None = first
        while day is not None and day < last:  # day by day along the key: the meter's row is one of a thousand
            args = [place, day]
            rows += db.execute(
                "SELECT location, day_start_s, day_end_s, rate_name, first_s, last_s, total_kwh, peak_power_kw, "
                "energy_cost_usd, demand_charge_usd, service_charge_usd, covered_s FROM cost_days "
                "WHERE location = ? AND day_start_s = ? AND miner_ip = ''",
                args,
            ).fetchall()
            lines[(place, day)] = [
                tuple(line)
                for line in db.execute(
                    "SELECT k.charge, k.label, k.unit, k.part, k.period, k.tier, d.quantity, d.usd "
                    "FROM cost_day_lines d JOIN line_kinds k ON k.id = d.kind_id WHERE d.location = ? "
                    "AND d.day_start_s = ? AND d.miner_ip = '' ORDER BY d.kind_id",
                    args,
                )
            ]
            day = _seek(db, "min", place, ">", day)
    rows.sort(key=lambda row: (row[1], row[0]))
    return rows, lines, edges
