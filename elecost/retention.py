"""Retention: readings older than a site needs, dropped once `record` has priced them.

A fleet's readings are most of its database (8.6 M rows a month at 1,000 miners); its cost rows
and daily rollups are what summaries, budgets and bills read. Readings are pruned per location up
to the start of the billing period holding the cut (so every billing period keeps all its readings
or none), never past readings still waiting for `record`, and each miner keeps its last reading
before the cut (its load runs into the period after). `record` then leaves the billing periods
before a location's cut as they are: their rows can no longer be priced again. The store module
for the table of migration 010.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from elecost.db import Database
from elecost.store import active_rates
from elecost.tariffs.periods import billing_periods


@dataclass
class PruneResult:
    """Readings removed, and per location where its readings now start (the billing period's start)."""

    removed: int = 0
    cuts: dict[str, int] = field(default_factory=dict)


def pruned_before(db: Database) -> dict[str, int]:
    """Per location, the instant before which its readings were pruned (billing periods before it are final)."""
    return dict(db.execute("SELECT location, before_s FROM pruned").fetchall())


def newest_reading_s(db: Database) -> int | None:
    row = db.execute("SELECT max(timestamp_s) FROM readings").fetchone()
    return None if row[0] is None else int(row[0])


def prune_readings(db: Database, before_s: int) -> PruneResult:
    """Drop each priced location's readings before the billing period holding `before_s` (caller's transaction).

    Locations without an active rate keep theirs (nothing priced them); a location's cut stops at
    the billing period of its oldest readings still waiting for `record`.
    """
    result = PruneResult()
    done = pruned_before(db)
    for location, tariff in sorted(active_rates(db).items()):
        zone = ZoneInfo(tariff.timezone)
        cut = _period_start(zone, tariff.billing_cycle_day, before_s)
        (waiting,) = db.execute("SELECT min(start_s) FROM dirty WHERE location = ?", [location]).fetchone()
        if waiting is not None:
            cut = min(cut, _period_start(zone, tariff.billing_cycle_day, int(waiting)))
        if cut <= done.get(location, -(2**62)):
            continue
        miners = [row[0] for row in db.execute("SELECT id FROM miners WHERE location = ?", [location])]
        for miner_id in miners:
            (last,) = db.execute(
                "SELECT max(timestamp_s) FROM readings WHERE miner_id = ? AND timestamp_s < ?", [miner_id, cut]
            ).fetchone()
            if last is not None:
                result.removed += db.execute(
                    "DELETE FROM readings WHERE miner_id = ? AND timestamp_s < ?", [miner_id, last]
                ).rowcount
        db.execute(
            "INSERT INTO pruned (location, before_s) VALUES (?, ?) "
            "ON CONFLICT (location) DO UPDATE SET before_s = excluded.before_s",
            [location, cut],
        )
        result.cuts[location] = cut
    return result


def _period_start(zone: ZoneInfo, cycle_day: int, instant_s: int) -> int:
    return next(iter(billing_periods(zone, cycle_day, instant_s, instant_s + 1)))[0]
