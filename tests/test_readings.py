"""Readings files -> loads: durations, spacing, gaps, duplicates, order, bad rows."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from elecost.readings import Gap, Reading, dedupe, loads_by_miner, read_readings
from elecost.tariffs.usage import Load

Write = Callable[[str, str], Path]


def reading(ts: int, power: int = 1000, miner: str = "m1", duration: int | None = None) -> Reading:
    return Reading("r.csv", ts, ts, Decimal(power), miner, "site", duration)


def test_csv_with_offsets_epoch_and_z(write: Write) -> None:
    path = write(
        "r.csv",
        """
        timestamp,power_w,miner
        2026-05-04T00:00:00Z,3000,a
        2026-05-03T19:05:00-05:00,3100.5,a
        1777853100,2900,a
        """,
    )
    rows, problems = read_readings(path, None)
    assert problems == []
    assert [(r.line, r.timestamp_s, r.power_w) for r in rows] == [
        (2, 1777852800, Decimal(3000)),
        (3, 1777853100, Decimal("3100.5")),
        (4, 1777853100, Decimal(2900)),
    ]


def test_json_lines(write: Write) -> None:
    path = write("r.jsonl", '{"timestamp": "2026-05-04T00:00:00Z", "power_w": 3000.25, "miner": "10.0.0.5"}\n\n')
    rows, problems = read_readings(path, None)
    assert problems == []
    assert rows[0].power_w == Decimal("3000.25")
    assert rows[0].miner == "10.0.0.5"


def test_bad_rows_are_reported_by_line_and_field(write: Write) -> None:
    path = write(
        "r.csv",
        """
        timestamp,power_w
        2026-05-04T00:00:00Z,abc
        2026-05-04T00:05:00Z,-5
        yesterday,100
        2026-05-04T00:15:00,100
        2026-05-04T00:20:00Z,100
        """,
    )
    rows, problems = read_readings(path, None)
    assert [str(p) for p in problems] == [
        f"{path}:2: power_w: not a number: 'abc'",
        f"{path}:3: power_w: must be >= 0, got -5",
        f"{path}:4: timestamp: not an ISO 8601 time or epoch seconds: 'yesterday'",
        f"{path}:5: timestamp: '2026-05-04T00:15:00' has no UTC offset; add one (e.g. Z or -06:00) or give --timezone",
    ]
    assert len(rows) == 1


def test_naive_times_take_the_given_zone(write: Write) -> None:
    path = write("r.csv", "timestamp,power_w\n2026-07-01T00:00:00,1\n")
    rows, _ = read_readings(path, ZoneInfo("America/Chicago"))
    assert rows[0].timestamp_s == 1782882000  # 05:00 UTC


def test_missing_header_column(write: Write) -> None:
    path = write("r.csv", "time,watts\n1,2\n")
    _, problems = read_readings(path, None)
    assert [str(p) for p in problems] == [
        f"{path}:1: the header must name timestamp and power_w; missing timestamp, power_w"
    ]


def test_each_reading_lasts_until_the_next_and_the_last_for_the_median_spacing() -> None:
    loads, gaps, _ = loads_by_miner([reading(600), reading(0), reading(300)])  # out of order
    assert loads[("site", "m1")] == [
        Load(0, 300, Decimal(1000)),
        Load(300, 600, Decimal(1000)),
        Load(600, 900, Decimal(1000)),
    ]
    assert gaps == []


def test_a_gap_over_three_times_the_spacing_is_not_billed_and_is_reported() -> None:
    times = [0, 300, 600, 900, 5000, 5300]
    loads, gaps, _ = loads_by_miner([reading(t) for t in times])
    assert loads[("site", "m1")][3] == Load(900, 1200, Decimal(1000))
    assert gaps == [Gap("site", "m1", 1200, 5000)]


def test_max_gap_can_be_set() -> None:
    loads, gaps, _ = loads_by_miner([reading(t) for t in (0, 300, 600, 900, 5000, 5300)], max_gap_s=5000)
    assert loads[("site", "m1")][3] == Load(900, 5000, Decimal(1000))
    assert gaps == []


def test_duration_is_honoured_and_cut_at_the_next_reading() -> None:
    loads, _, _ = loads_by_miner([reading(0, duration=60), reading(300, duration=900), reading(600, duration=60)])
    assert loads[("site", "m1")] == [
        Load(0, 60, Decimal(1000)),
        Load(300, 600, Decimal(1000)),
        Load(600, 660, Decimal(1000)),
    ]


def test_a_lone_reading_needs_a_duration_unless_other_miners_show_the_spacing() -> None:
    _, _, untimed = loads_by_miner([reading(0)])
    assert [str(p) for p in untimed] == [
        "r.csv:0: duration_s: a lone reading needs duration_s: nothing shows how long it lasted"
    ]
    loads, _, untimed = loads_by_miner([reading(0, miner="solo"), reading(0), reading(60)])
    assert untimed == []
    assert loads[("site", "solo")] == [Load(0, 60, Decimal(1000))]


def test_duplicates_are_ignored_and_conflicts_reported() -> None:
    unique, problems = dedupe([reading(0), reading(0), reading(300)])
    assert len(unique) == 2 and problems == []
    _, problems = dedupe([reading(0), reading(0, power=5)])
    assert [str(p) for p in problems] == [
        "r.csv:0: power_w: conflicts with line 0: same miner and timestamp, 5 W here, 1000 W there"
    ]


def test_a_timestamp_repeated_for_every_miner_is_read_alike_each_time_and_bad_ones_each_named(write: Write) -> None:
    """A fleet's export repeats each timestamp once per miner, and the scanner parses it once: the rows
    after the first must read the same, and a bad or local timestamp is named on every line it is on."""
    path = write(
        "r.csv",
        """
        timestamp,power_w,miner
        2026-05-04T00:00:00Z,3000,a
        2026-05-04T00:00:00Z,3001,b
        1900-01-01T00:00:00Z,3002,c
        1900-01-01T00:00:00Z,3003,d
        2026-05-04T00:00:00Z,3004,e
        """,
    )
    rows, problems = read_readings(path, None)
    assert [(r.line, r.timestamp_s, r.miner) for r in rows] == [
        (2, 1777852800, "a"),
        (3, 1777852800, "b"),
        (6, 1777852800, "e"),
    ]
    assert [(p.line, p.field) for p in problems] == [(4, "timestamp"), (5, "timestamp")]
