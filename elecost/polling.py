"""A poll round: read every inventoried miner's power over its API and store it as readings.

One round is one instant: every miner's reading carries the round's start time, and the round is
written in one transaction (all of it or none), so `record` sees whole rounds. Re-writing a round
changes nothing (readings are unique on miner and time). A miner that answers but reports no
power is stored at its nameplate power; one that does not answer gets no reading, so its time is
billed as the readings rules say (a gap longer than three spacings is not billed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from elecost.db import Database
from elecost.minerapi import Answer, Target, poll, targets_from
from elecost.store import list_miners, mark_dirty, miner_ids, write_readings, write_transaction


@dataclass(frozen=True)
class Polled:
    """One miner's outcome in a round: what it said, and the power stored for it [W]."""

    answer: Answer
    power_w: float | None  # stored: reported, else nameplate; None = nothing stored
    source: str  # "api", "nameplate", "none" (answered, no power, no nameplate), "no answer"


@dataclass(frozen=True)
class PollRound:
    """A poll round: its instant [epoch s], each miner's outcome, and how many readings were new."""

    timestamp_s: int
    miners: list[Polled]
    stored: int

    def count(self, source: str) -> int:
        return sum(1 for m in self.miners if m.source == source)


def poll_round(
    db: Database,
    *,
    location: str | None = None,
    timeout_s: float = 5.0,
    concurrency: int = 500,
    hints: dict[Target, str] | None = None,
    now_s: int | None = None,
) -> PollRound:
    """Poll the inventory's miners (of one location, or all) once and store their readings."""
    timestamp_s = int(time.time()) if now_s is None else now_s
    miners = list_miners(db, location)
    nameplate = {(m.location, m.name): m.power_w for m in miners}
    targets = targets_from((m.name, m.location, m.host, m.port) for m in miners)
    outcomes = []
    for answer in poll(targets, timeout_s, concurrency, hints):
        key = (answer.target.location, answer.target.name)
        if not answer.answered:
            outcomes.append(Polled(answer, None, "no answer"))
        elif answer.power_w is not None:
            outcomes.append(Polled(answer, answer.power_w, "api"))
        elif nameplate.get(key):
            outcomes.append(Polled(answer, nameplate[key], "nameplate"))
        else:
            outcomes.append(Polled(answer, None, "none"))
    stored = 0
    with write_transaction(db):
        ids = miner_ids(db)
        rows = [
            (ids[(o.answer.target.location, o.answer.target.name)], timestamp_s, o.power_w, None)
            for o in outcomes
            if o.power_w is not None
        ]
        if rows:
            stored = write_readings(db, rows, replace=False, conflicts=[])
        if stored:
            places = {o.answer.target.location for o in outcomes if o.power_w is not None}
            mark_dirty(db, dict.fromkeys(places, (timestamp_s, timestamp_s)))
    return PollRound(timestamp_s, outcomes, stored)
