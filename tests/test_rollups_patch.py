"""A cron run late in a day patches that day's rollups (less the replaced rows, plus the new) instead of
rebuilding it; whatever the runs, the rollups equal a rebuild from the rows: late readings, replaced
readings that lower a peak, a DST day, two days in one run, and any sequence of batches (hypothesis)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rollups import close, rollups

import elecost.rollups
from elecost.db import Database, SQLiteDatabase
from elecost.importer import import_readings
from elecost.record import record_costs
from elecost.rollups import rebuild_days
from elecost.store import WrittenRows, activate_rate, active_rates, add_rates, open_db
from elecost.tariffs.load import load_tariff_file
from elecost.tariffs.periods import local_days

from conftest import EXAMPLES

ZONE = ZoneInfo("America/Chicago")
FALL_BACK = int(datetime(2026, 10, 31, tzinfo=ZONE).timestamp())  # the next day has 25 hours
SUMMER = int(datetime(2026, 7, 20, tzinfo=ZONE).timestamp())  # a Monday: peak hours and curtailment
STEP_S = 300


def fleet(start_s: int, steps: int, seed: int, miners: Iterable[str] = ("a", "b", "c")) -> list[tuple[int, str, int]]:
    rng = random.Random(seed)
    return [(start_s + step * STEP_S, miner, rng.randrange(2800, 3600)) for step in range(steps) for miner in miners]


def write(path: Path, rows: list[tuple[int, str, int]]) -> Path:
    path.write_text("timestamp,miner,power_w\n" + "".join(f"{t},{m},{p}\n" for t, m, p in rows))
    return path


def setup(path: Path, example: str = "texas_industrial.yaml") -> Database:
    db = open_db(path)
    tariff = load_tariff_file(EXAMPLES / example)
    add_rates(db, [tariff])
    activate_rate(db, tariff.name)
    return db


def rebuilt(db: Database) -> dict[tuple[object, ...], tuple[float, ...]]:
    """The rollups rebuilt from the rows, in a copy of the database."""
    assert isinstance(db, SQLiteDatabase)  # a copy by SQLite's backup
    copy = SQLiteDatabase(":memory:")
    db.conn.backup(copy.conn)
    copy.execute("DELETE FROM cost_days")
    copy.execute("DELETE FROM cost_day_lines")
    for location, first, last in copy.execute(
        "SELECT location, min(period_start_s), max(period_end_s) FROM costs GROUP BY location"
    ).fetchall():
        zone = ZoneInfo(active_rates(copy)[location].timezone)
        rebuild_days(copy, location, local_days(zone, first, last))
    return rollups(copy)


def record_and_check(db: Database, tmp_path: Path, name: str, rows: list[tuple[int, str, int]], **kw: bool) -> None:
    if not rows:
        return
    import_readings(db, [write(tmp_path / f"{name}.csv", rows)], **kw)
    record_costs(db)
    close(rollups(db), rebuilt(db))


@pytest.fixture
def days_rebuilt(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The starts of the days `record` rebuilt from their rows (the others it patched or left)."""
    seen: list[int] = []
    real = elecost.rollups.rebuild_days

    def spy(db: Database, location: str, days: Iterable[tuple[int, int]]) -> None:
        days = list(days)
        seen.extend(start for start, _ in days)
        real(db, location, days)

    monkeypatch.setattr(elecost.rollups, "rebuild_days", spy)
    return seen


@pytest.fixture
def days_rolled_up(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The starts of the days `record` rolled up from the rows it had just written."""
    seen: list[int] = []
    real = elecost.rollups.roll_up_written

    def spy(db: Database, location: str, days: Sequence[tuple[int, int]], written: WrittenRows) -> None:
        seen.extend(start for start, _ in days)
        real(db, location, days, written)

    monkeypatch.setattr(elecost.rollups, "roll_up_written", spy)
    return seen


def test_a_cron_run_late_in_a_day_patches_that_day_and_equals_a_rebuild(
    tmp_path: Path, days_rebuilt: list[int]
) -> None:
    db = setup(tmp_path / "cron.db")
    rows = fleet(SUMMER, 288 * 2, seed=1)
    record_and_check(db, tmp_path, "first", [row for row in rows if row[0] < SUMMER + 86_400 + 20 * 3600])
    days_rebuilt.clear()
    for hour in (20, 21, 22):  # an hour of readings at a time, as cron brings them
        start = SUMMER + 86_400 + hour * 3600
        record_and_check(db, tmp_path, f"h{hour}", [row for row in rows if start <= row[0] < start + 3600])
    assert days_rebuilt == []  # the second day was patched each time, never read whole


def test_two_days_in_one_run_patch_the_first_and_roll_up_the_next_from_its_new_rows(
    tmp_path: Path, days_rebuilt: list[int], days_rolled_up: list[int]
) -> None:
    db = setup(tmp_path / "two.db")
    rows = fleet(SUMMER, 288 * 2, seed=2)
    cut = SUMMER + 86_400 - 3600  # 23:00 on the first day
    record_and_check(db, tmp_path, "first", [row for row in rows if row[0] < cut])
    assert days_rebuilt == []  # every row of the billing period was new
    assert SUMMER in days_rolled_up
    days_rebuilt.clear()
    days_rolled_up.clear()
    record_and_check(db, tmp_path, "rest", [row for row in rows if cut <= row[0] < SUMMER + 86_400 + 7200])
    assert days_rebuilt == []
    assert days_rolled_up == [SUMMER + 86_400]


def test_a_lower_reading_replacing_a_peak_rebuilds_that_miners_day(tmp_path: Path) -> None:
    db = setup(tmp_path / "peak.db")
    rows = fleet(SUMMER, 288, seed=3)
    spike = SUMMER + 22 * 3600
    rows = [(t, m, 9000 if (m == "b" and t == spike) else p) for t, m, p in rows]
    record_and_check(db, tmp_path, "all", rows)
    day_peak = "SELECT peak_power_kw FROM cost_days WHERE miner_ip = 'b'"
    (spiked,) = db.execute(day_peak).fetchone()
    late = [(t, m, 2000) for t, m, p in rows if t >= spike and m == "b"]
    record_and_check(db, tmp_path, "lower", late, replace_stored=True)
    (peak,) = db.execute(day_peak).fetchone()
    assert peak < spiked
    assert peak == db.execute("SELECT max(peak_power_kw) FROM costs WHERE miner_ip = 'b'").fetchone()[0]


def test_the_25_hour_day_of_the_fall_back_is_patched_right(tmp_path: Path) -> None:
    db = setup(tmp_path / "dst.db")
    rows = fleet(FALL_BACK, 288 * 3, seed=4)
    day = FALL_BACK + 86_400  # Nov 1, 00:00 CDT; it ends 25 hours later
    assert [end - start for start, end in local_days(ZONE, day, day + 1)] == [25 * 3600]
    record_and_check(db, tmp_path, "to", [row for row in rows if row[0] < day + 15 * 3600])
    for start in (day + 15 * 3600, day + 19 * 3600, day + 24 * 3600):
        record_and_check(db, tmp_path, f"at{start}", [row for row in rows if start <= row[0] < start + 4 * 3600])
    (hours,) = db.execute("SELECT covered_s FROM cost_days WHERE miner_ip = '' AND day_start_s = ?", [day]).fetchone()
    assert hours == 25 * 3600


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cuts=st.lists(st.integers(1, 3 * 288 - 1), min_size=1, max_size=5, unique=True),
    held=st.tuples(st.integers(0, 3 * 288 - 1), st.integers(1, 60)),
    replaced=st.tuples(st.integers(0, 3 * 288 - 1), st.integers(1, 40), st.integers(0, 6000)),
    example=st.sampled_from(["texas_industrial.yaml", "tiered.yaml"]),
)
def test_rollups_equal_the_rows_after_any_sequence_of_records(
    tmp_path_factory: pytest.TempPathFactory,
    cuts: list[int],
    held: tuple[int, int],
    replaced: tuple[int, int, int],
    example: str,
) -> None:
    """Batches cut anywhere, a late window arriving after them, and a window replaced by other powers."""
    tmp_path = tmp_path_factory.mktemp("seq")
    db = setup(tmp_path / "seq.db", example)
    rows = fleet(FALL_BACK, 3 * 288, seed=len(cuts), miners=("a", "b"))
    late_from, late_steps = FALL_BACK + held[0] * STEP_S, held[1] * STEP_S
    late = [row for row in rows if late_from <= row[0] < late_from + late_steps]
    timely = [row for row in rows if not late_from <= row[0] < late_from + late_steps]
    bounds = [FALL_BACK, *sorted(FALL_BACK + cut * STEP_S for cut in cuts), FALL_BACK + 3 * 86_400 + 3600]
    for index, (low, high) in enumerate(pairwise(bounds)):
        record_and_check(db, tmp_path, f"b{index}", [row for row in timely if low <= row[0] < high])
    if late:
        record_and_check(db, tmp_path, "late", late)
    start, steps, power_w = FALL_BACK + replaced[0] * STEP_S, replaced[1] * STEP_S, replaced[2]
    other = [(t, m, power_w) for t, m, _ in rows if start <= t < start + steps]
    record_and_check(db, tmp_path, "replaced", other, replace_stored=True)
