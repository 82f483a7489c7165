"""The import's fast path: rows shaped for the store inside the scan, 3-value rows, trusted keys.

`scan_for_store` must yield exactly what `scan_readings` yields, reshaped (ids for names, no line,
no duration where there is none), with the same problems, whatever the file holds.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elecost.errors import Problem
from elecost.readings import Tally, scan_for_store, scan_readings
from elecost.store import new_miner_id, open_db, write_readings

STAMPS = ["2026-05-04T00:00:00Z", "2026-05-04T00:05:00Z", "1777853100", "2026-05-04 00:10", "", "yesterday"]
POWERS = ["3000", "3100.5", "0", "-5", "abc", "", "1e13"]
NAMES = ["a", " a ", "b", ""]
PLACES = ["", "North", " North ", "South"]
DURATIONS = ["", "300", "0", "x"]


def both_scans(
    path: Path,
) -> tuple[list[tuple[object, ...]], list[Problem], list[tuple[object, ...]], list[Problem], Tally]:
    """scan_readings' rows reshaped by hand, and scan_for_store's own, with each one's problems."""
    ids: dict[tuple[str | None, str], int] = {}

    def miner_id(place: str | None, miner: str) -> int:
        return ids.setdefault((place, miner), len(ids) + 1)

    plain_problems: list[Problem] = []
    expected = []
    for _, timestamp_s, power_w, miner, place, duration_s in scan_readings(path, None, plain_problems):
        key = miner_id(place, miner)
        expected.append((key, timestamp_s, power_w) if duration_s is None else (key, timestamp_s, power_w, duration_s))
    store_problems: list[Problem] = []
    tally = Tally()
    got = list(scan_for_store(path, None, store_problems, miner_id, tally))
    return expected, plain_problems, got, store_problems, tally


@settings(max_examples=150, deadline=None)
@given(
    columns=st.sampled_from(
        [
            ["timestamp", "power_w"],
            ["timestamp", "miner", "power_w"],
            ["location", "timestamp", "miner", "power_w"],
            ["timestamp", "location", "power_w"],
            ["timestamp", "miner", "power_w", "duration_s"],
        ]
    ),
    rows=st.lists(
        st.tuples(
            st.sampled_from(STAMPS),
            st.sampled_from(POWERS),
            st.sampled_from(NAMES),
            st.sampled_from(PLACES),
            st.sampled_from(DURATIONS),
        ),
        max_size=25,
    ),
)
def test_rows_for_the_store_are_the_scans_rows_reshaped(
    tmp_path_factory: pytest.TempPathFactory, columns: list[str], rows: list[tuple[str, ...]]
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for stamp, power, name, place, duration in rows:
        values = {"timestamp": stamp, "power_w": power, "miner": name, "location": place, "duration_s": duration}
        writer.writerow([values[column] for column in columns])
    path = tmp_path_factory.mktemp("scan") / "r.csv"
    path.write_text(out.getvalue())
    expected, plain_problems, got, store_problems, tally = both_scans(path)
    assert got == expected
    assert store_problems == plain_problems
    assert tally.rows == len(expected)
    if expected:  # the span of the rows taken, exactly: a refused row's instant stays out
        instants = [row[1] for row in expected]
        assert (tally.first_s, tally.last_s) == (min(instants), max(instants))


@pytest.mark.parametrize(
    ("name", "text", "rows"),
    [
        (
            "fleet.csv",
            "timestamp,miner,power_w\n"
            "1777852800,a,3000\n1777852800,b,3100\n1777853100,a,3000\n1777853100,b,0\n1777853400,a,3000\n",
            [
                (1, 1777852800, 3000.0),
                (2, 1777852800, 3100.0),
                (1, 1777853100, 3000.0),
                (2, 1777853100, 0.0),
                (1, 1777853400, 3000.0),
            ],
        ),
        (  # JSON Lines are reshaped for the store too
            "r.jsonl",
            '{"timestamp": 1777852800, "power_w": 10, "miner": "a", "duration_s": 60}\n'
            '{"timestamp": 1777852900, "power_w": 20, "miner": "a"}\n',
            [(1, 1777852800, 10.0, 60), (1, 1777852900, 20.0)],
        ),
    ],
)
def test_a_file_is_reshaped_for_the_store_and_tallied_with_its_exact_span(
    tmp_path: Path, name: str, text: str, rows: list[tuple[object, ...]]
) -> None:
    path = tmp_path / name
    path.write_text(text)
    expected, _, got, problems, tally = both_scans(path)
    assert problems == []
    assert got == expected == rows
    assert (tally.rows, tally.first_s, tally.last_s) == (len(rows), rows[0][1], rows[-1][1])


def test_rows_with_and_without_a_duration_are_written_alike_in_one_batch(elecost_db: Path) -> None:
    db = open_db(elecost_db)
    with db.write_transaction():
        miner = new_miner_id(db, "Site", "a")
        rows = [(miner, 0, 100.0), (miner, 60, 110.0, 30), (miner, 120, 120.0), (miner, 180, 130.0, None)]
        assert write_readings(db, rows, replace=False, conflicts=[]) == 4
        assert write_readings(db, [(miner, 240, 1.0)], replace=False, conflicts=[]) == 1
    stored = db.execute("SELECT timestamp_s, power_w, duration_s FROM readings ORDER BY timestamp_s").fetchall()
    assert [tuple(row) for row in stored] == [
        (0, 100.0, None),
        (60, 110.0, 30),
        (120, 120.0, None),
        (180, 130.0, None),
        (240, 1.0, None),
    ]


@pytest.mark.sqlite_only
def test_trusted_keys_skip_foreign_key_checks_only_inside_that_transaction(elecost_db: Path) -> None:
    db = open_db(elecost_db)
    with pytest.raises(RuntimeError), db.write_transaction(trusted_keys=True):
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 0
        raise RuntimeError("a failed import")
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with db.write_transaction(trusted_keys=True):
        pass
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(Exception, match="FOREIGN KEY"), db.write_transaction():
        db.execute("INSERT INTO readings (miner_id, timestamp_s, power_w) VALUES (999, 0, 1)")


@pytest.mark.parametrize("replace", [False, True])
def test_a_repeated_key_among_other_miners_rows_is_met_in_the_order_given(elecost_db: Path, replace: bool) -> None:
    # The SQLite write sorts a batch by miner: a miner's own rows must keep their order.
    db = open_db(elecost_db)
    with db.write_transaction():
        a, b = new_miner_id(db, "Site", "a"), new_miner_id(db, "Site", "b")
        rows = [(b, 0, 1.0), (a, 0, 9.0), (b, 60, 2.0), (a, 0, 5.0), (a, 60, 3.0), (b, 0, 1.0), (a, 0, 7.0)]
        conflicts: list[tuple[int, int]] = []
        written = write_readings(db, rows, replace=replace, conflicts=conflicts)
    assert conflicts == [(a, 0), (a, 0)]
    assert written == (6 if replace else 4)
    stored = db.execute("SELECT miner_id, timestamp_s, power_w FROM readings ORDER BY miner_id, timestamp_s")
    assert [tuple(row) for row in stored] == [(a, 0, 7.0 if replace else 9.0), (a, 60, 3.0), (b, 0, 1.0), (b, 60, 2.0)]


@pytest.mark.sqlite_only
def test_a_commit_that_fails_leaves_no_transaction_open(elecost_db: Path) -> None:
    db = open_db(elecost_db)
    with pytest.raises(Exception, match="FOREIGN KEY"), db.write_transaction():
        db.execute("PRAGMA defer_foreign_keys = ON")  # the check moves to COMMIT, which then fails
        db.execute("INSERT INTO readings (miner_id, timestamp_s, power_w) VALUES (999, 0, 1)")
    assert not db.in_transaction
    assert db.execute("SELECT count(*) FROM readings").fetchone()[0] == 0
