"""Readings files a new user or an attacker writes: every bad row named by line, nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from elecost.cli import app
from elecost.errors import Problem
from elecost.instants import MAX_S, MIN_S, parse_instant
from elecost.readings import MAX_DURATION_S, MAX_POWER_W, read_readings, scan_readings

Write = Callable[[str, str], Path]
runner = CliRunner()
CHICAGO = ZoneInfo("America/Chicago")


def problems_of(path: Path, zone: ZoneInfo | None = None) -> list[str]:
    return [str(p) for p in read_readings(path, zone)[1]]


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_epoch_milliseconds_are_refused_with_a_hint(write: Write) -> None:
    path = write("r.csv", "timestamp,power_w\n1778112000000,100\n")
    assert problems_of(path) == [
        f"{path}:2: timestamp: must be between 1990 and 2100, got 1778112000000; "
        "it looks like epoch milliseconds: divide by 1000"
    ]


def test_year_9999_is_refused(write: Write) -> None:
    path = write("r.csv", "timestamp,power_w\n9999-12-31T00:00:00Z,100\n")
    assert problems_of(path) == [f"{path}:2: timestamp: must be between 1990 and 2100, got 9999-12-31T00:00:00Z"]


def test_json_huge_timestamps_and_numbers(write: Write) -> None:
    digits = "9" * 5000
    path = write(
        "r.jsonl",
        '{"timestamp": 1e23, "power_w": 1}\n'
        f'{{"timestamp": {digits[:30]}, "power_w": 1}}\n'
        f'{{"timestamp": "2026-05-04T00:00:00Z", "power_w": "{digits}"}}\n'
        '{"timestamp": "2026-05-04T00:00:00Z", "power_w": 1, "duration_s": 1e300}\n'
        '{"timestamp": "2026-05-04T00:00:00Z", "power_w": 1e16}\n'
        f'{{"timestamp": "2026-05-04T00:00:00Z", "power_w": {digits}}}\n' + '{"a": ' + "[" * 100_000 + "\n",
    )
    assert problems_of(path) == [
        f"{path}:1: timestamp: not an ISO 8601 time or epoch seconds: '1e+23'",
        f"{path}:2: timestamp: must be between 1990 and 2100, got 999999999999999999999999999999",
        f"{path}:3: power_w: not a number: '9999999999999999999... (5002 characters)",
        f"{path}:4: duration_s: must be a whole number of seconds from 1 to 2,678,400, got 1e+300",
        f"{path}:5: power_w: must be at most 1e12 W (a terawatt), got 1e+16",
        f"{path}:6: not valid JSON: a number too long to read",
        f"{path}:7: not valid JSON: nested too deeply",
    ]


def test_a_fraction_of_a_second_is_refused_not_rounded_to_nothing(write: Write) -> None:
    path = write("r.csv", "timestamp,power_w,duration_s\n2026-05-04T00:00:00Z,100,0.4\n2026-05-04T00:01:00Z,100,60.0\n")
    rows, problems = read_readings(path, None)
    assert [str(p) for p in problems] == [
        f"{path}:2: duration_s: must be a whole number of seconds from 1 to 2,678,400, got '0.4'"
    ]
    assert [r.duration_s for r in rows] == [60]


def test_a_json_miner_given_as_an_object_is_refused(write: Write) -> None:
    path = write("r.jsonl", '{"timestamp": "2026-05-04T00:00:00Z", "power_w": 1, "miner": {"ip": "10.0.0.1"}}\n')
    assert problems_of(path) == [f"{path}:1: miner: must be text, got an object"]


def test_a_csv_field_over_the_limit_is_a_problem_not_a_traceback(write: Write) -> None:
    path = write("r.csv", "timestamp,power_w,miner\n2026-05-04T00:00:00Z,1," + "x" * 140_000 + "\n")
    assert problems_of(path) == [f"{path}:2: not valid CSV: a field longer than 131,072 characters"]


def test_an_unclosed_quote_is_reported_where_it_opens(write: Write) -> None:
    path = write(
        "r.csv",
        'timestamp,power_w,miner\n2026-05-04T00:00:00Z,1,"a\n2026-05-04T00:05:00Z,1,b\n2026-05-04T00:10:00Z,1,c\n',
    )
    assert problems_of(path) == [f"{path}:2: a quoted field opens on this line and is never closed"]


def test_a_bom_csv_from_excel_is_read(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefftimestamp,power_w\r\n2026-05-04T00:00:00Z,100\r\n".encode())
    rows, problems = read_readings(path, None)
    assert (len(rows), problems) == (1, [])


def test_the_repeated_hour_of_a_fall_back_day_needs_an_offset(write: Write) -> None:
    path = write("r.csv", "timestamp,power_w\n2026-11-01T01:30:00,100\n2026-11-01T00:30:00,100\n")
    assert problems_of(path, CHICAGO) == [
        f"{path}:2: timestamp: '2026-11-01T01:30:00' is in the repeated hour 01:00-02:00 on the DST change "
        "in America/Chicago; give an offset"
    ]


def test_a_time_the_spring_forward_skips_is_refused(write: Write) -> None:
    path = write("r.csv", "timestamp,power_w\n2026-03-08T02:30:00,100\n")
    assert problems_of(path, CHICAGO) == [
        f"{path}:2: timestamp: '2026-03-08T02:30:00' does not exist in America/Chicago: "
        "the clocks skip 02:00-03:00 on the DST change; give an offset"
    ]


def test_lord_howe_half_hour_shift() -> None:
    with pytest.raises(ValueError, match="repeated hour 01:30-02:00"):
        parse_instant("2026-04-05T01:45", ZoneInfo("Australia/Lord_Howe"))


def test_a_date_alone_on_a_midnight_dst_change_is_the_days_first_instant() -> None:
    # Santiago springs forward at 00:00: the day starts at 01:00 local.
    assert parse_instant("2026-09-06", ZoneInfo("America/Santiago")) == 1788667200


def test_dash_reads_stdin() -> None:
    code, _, err = run(
        "readings", "import", "-", "--location", "x", stdin="timestamp,power_w\n2026-05-04T00:00:00Z,100\n"
    )
    assert (code, err) == (0, "imported 1 new readings, 0 already stored\n")


def test_dash_conflicts_are_reported_by_line() -> None:
    text = "timestamp,power_w\n2026-05-04T00:00:00Z,100\n2026-05-04T00:00:00Z,200\n"
    code, _, err = run("readings", "import", "-", "--location", "x", stdin=text)
    assert (code, err) == (
        2,
        "error: -:3: power_w: conflicts with line 2: same miner and timestamp, other values\n"
        "1 error; nothing was written.\n",
    )


def test_a_file_replaced_during_an_import_is_refused(write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("r.csv", "timestamp,power_w\n2026-05-04T00:00:00Z,100\n2026-05-04T00:00:00Z,200\n")
    import elecost.importer as importer

    real = importer._conflict_problems

    def replaced(*args: object) -> object:
        path.write_text("timestamp,power_w\n2026-05-04T00:00:00Z,100\n", encoding="utf-8")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "_conflict_problems", replaced)
    code, _, err = run("readings", "import", str(path), "--location", "x", "--replace")
    assert (code, err) == (
        2,
        f"error: {path}: changed while it was imported; import it again\n1 error; nothing was written.\n",
    )


def test_the_same_tariff_file_given_twice(tmp_path: Path) -> None:
    from conftest import EXAMPLES

    flat = str(EXAMPLES / "flat.yaml")
    code, _, err = run("rate", "add", flat, flat)
    assert (code, err) == (2, f"error: {flat}: given twice; give each file once\n1 error; nothing was written.\n")


ALPHABET = st.sampled_from(list('timestampower_wduratinl,"{}:[]-+.eE0123456789TZ \n\r\t\ufeff\\x'))
HEADERS = st.sampled_from(
    ["timestamp,power_w\n", "timestamp,power_w,miner,location,duration_s\n", '{"timestamp": ', ""]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=HEADERS, body=st.text(alphabet=ALPHABET, max_size=300), zone=st.sampled_from([None, CHICAGO]))
def test_fuzzed_readings_never_raise(tmp_path: Path, head: str, body: str, zone: ZoneInfo | None) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_text(head + body, encoding="utf-8")
    problems: list[Problem] = []
    rows = list(scan_readings(path, zone, problems))
    for _, timestamp_s, power_w, _, _, duration_s in rows:
        assert MIN_S <= timestamp_s < MAX_S
        assert 0 <= power_w <= MAX_POWER_W
        assert duration_s is None or 1 <= duration_s <= MAX_DURATION_S


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(("timestamp", "power_w", "miner", "location", "duration_s"), JSON_VALUES),
    )
)
def test_fuzzed_json_readings_never_raise(tmp_path: Path, data: dict[str, object]) -> None:
    import json

    path = tmp_path / "fuzz.jsonl"
    path.write_text("{}\n" + json.dumps(data) + "\n", encoding="utf-8")
    problems: list[Problem] = []
    for _, timestamp_s, power_w, miner, place, _ in scan_readings(path, None, problems):
        assert MIN_S <= timestamp_s < MAX_S and 0 <= power_w <= MAX_POWER_W
        assert isinstance(miner, str) and (place is None or isinstance(place, str))


def test_the_same_readings_file_given_twice(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("timestamp,power_w\n2026-05-04T00:00:00Z,100\n", encoding="utf-8")
    code, _, err = run("readings", "import", str(path), str(tmp_path / "." / "r.csv"), "--location", "x")
    assert (code, err) == (
        2,
        f"error: {tmp_path / '.' / 'r.csv'}: given twice; give each file once\n1 error; nothing was written.\n",
    )


def test_a_file_named_like_markup_imports_with_a_progress_bar(tmp_path: Path) -> None:
    from elecost.cli.readings import text_opener

    path = tmp_path / "[red] x.csv"
    path.write_text("timestamp,power_w\n2026-05-04T00:00:00Z,100\n", encoding="utf-8")
    import sys

    class Tty:
        def isatty(self) -> bool:
            return True

        def __getattr__(self, name: str) -> object:
            return getattr(sys.__stderr__, name)

    saved = sys.stderr
    sys.stderr = Tty()  # type: ignore[assignment]
    try:
        rows, problems = read_readings(path, None, text_opener())
    finally:
        sys.stderr = saved
    assert (len(rows), problems) == (1, [])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789-+:TZ.W ")), max_size=40), st.sampled_from([None, CHICAGO]))
def test_fuzzed_instants_raise_only_value_errors(text: str, zone: ZoneInfo | None) -> None:
    try:
        seconds = parse_instant(text, zone)
    except ValueError:
        return
    assert MIN_S <= seconds < MAX_S


def test_a_huge_tariff_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# padding\n" * 120_000, encoding="utf-8")
    assert run("rate", "add", str(path))[::2] == (
        2,
        f"error: {path}: over 1 MB: not a tariff file\n1 error; nothing was written.\n",
    )
