"""Utility meter data: Green Button (ESPI) XML and utility interval CSVs, read to the exact kWh."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from elecost.cli import app
from elecost.errors import Problem
from elecost.meterdata import interval_power_w, scan_greenbutton, scan_interval_csv, sniff_csv

DATA = Path(__file__).resolve().parent / "data"
GREEN_BUTTON = DATA / "greenbutton_chicago.xml"  # 2026-03-08 (23 h) and 2026-11-01 (25 h), mWh
INTERVAL_CSV = DATA / "interval_chicago.csv"  # the same two days as a PG&E-style export, kWh
CHICAGO = ZoneInfo("America/Chicago")
TARIFF = """
name: Pecos Flat
location: Pecos
timezone: America/Chicago
rate_type: flat
flat_rate_usd_per_kwh: 0.05
"""

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def stored_readings(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM readings").fetchone()[0])


@pytest.fixture
def pecos(write: Callable[[str, str], Path]) -> None:
    assert run("rate", "add", str(write("pecos.yaml", TARIFF)))[0] == 0
    assert run("rate", "activate", "Pecos Flat")[0] == 0


def bill_kwh(*args: str) -> list[Decimal]:
    code, out, err = run("bill", "--from", "2026-03-01", "--to", "2026-12-01", "--json", *args)
    assert code == 0, err
    return [Decimal(str(row["total_kwh"])) for row in json.loads(out) if row["total_kwh"]]


# --- Green Button -----------------------------------------------------------------------------


def test_green_button_file_imports_to_the_exact_kwh_across_both_dst_days(pecos: None, elecost_db: Path) -> None:
    code, _, err = run("readings", "import", str(GREEN_BUTTON))
    assert (code, err) == (0, "imported 192 new readings, 0 already stored\n")
    # 92 + 100 intervals of 15 minutes; the daily series of the same energy is left out.
    assert sum(bill_kwh()) == Decimal("58555.053753")
    assert bill_kwh() == [Decimal("28049.452148"), Decimal("30505.601605")]  # Mar 8, Nov 1
    code, _, err = run("readings", "import", str(GREEN_BUTTON))
    assert (code, err) == (0, "imported 0 new readings, 192 already stored\n")


def test_calc_prices_a_green_button_file_as_it_stands(write: Callable[[str, str], Path]) -> None:
    code, out, _ = run("calc", "--readings", str(GREEN_BUTTON), "--tariff", str(write("t.yaml", TARIFF)), "--json")
    assert code == 0
    assert Decimal(str(json.loads(out)["total_kwh"])) == Decimal("58555.053753")


def test_green_button_intervals_land_on_the_utc_instants_of_the_dst_days() -> None:
    problems: list[Problem] = []
    with GREEN_BUTTON.open(encoding="utf-8") as handle:
        rows = list(scan_greenbutton(handle, str(GREEN_BUTTON), problems))
    assert problems == []
    starts = [row[1] for row in rows]
    spring = [s for s in starts if s < utc("2026-06-01T00:00")]
    fall = [s for s in starts if s > utc("2026-06-01T00:00")]
    assert (len(spring), spring[0], spring[-1]) == (92, utc("2026-03-08T06:00"), utc("2026-03-09T04:45"))
    assert (len(fall), fall[0], fall[-1]) == (100, utc("2026-11-01T05:00"), utc("2026-11-02T05:45"))
    assert {row[5] for row in rows} == {900}
    assert {(row[3], row[4]) for row in rows} == {("", None)}  # the meter's: no miner, no location
    # The first interval: 300000000 mWh = 300 kWh in 15 minutes = 1.2 MW.
    assert rows[0][2] == 1_200_000.0


def test_a_kwh_multiplier_is_exact(write: Callable[[str, str], Path]) -> None:
    # A bare ESPI document (no Atom feed), values in kWh: powerOfTenMultiplier 3 of Wh.
    path = write(
        "kwh.xml",
        """
        <IntervalData xmlns="http://naesb.org/espi">
          <ReadingType><powerOfTenMultiplier>3</powerOfTenMultiplier><uom>72</uom></ReadingType>
          <IntervalBlock>
            <IntervalReading><timePeriod><duration>900</duration><start>1772949600</start></timePeriod>
              <value>7</value></IntervalReading>
            <IntervalReading><timePeriod><duration>3600</duration><start>1772950500</start></timePeriod>
              <value>3</value></IntervalReading>
          </IntervalBlock>
        </IntervalData>
        """,
    )
    problems: list[Problem] = []
    with path.open(encoding="utf-8") as handle:
        rows = list(scan_greenbutton(handle, str(path), problems))
    assert problems == []
    assert [(r[0], r[1], r[2], r[5]) for r in rows] == [(4, 1772949600, 28_000.0, 900), (6, 1772950500, 3_000.0, 3600)]


def test_an_entity_bomb_is_refused_and_nothing_written(
    pecos: None, write: Callable[[str, str], Path], elecost_db: Path
) -> None:
    path = write(
        "bomb.xml",
        """
        <?xml version="1.0"?>
        <!DOCTYPE feed [
          <!ENTITY lol "lol">
          <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
          <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
        ]>
        <feed xmlns="http://www.w3.org/2005/Atom"><title>&lol2;</title></feed>
        """,
    )
    code, _, err = run("readings", "import", str(path))
    assert code == 2
    assert err == (
        f"error: {path}:3: xml: entity declarations are refused (they can expand into a memory bomb); "
        "a Green Button file needs none\n1 error; nothing was written.\n"
    )
    assert stored_readings(elecost_db) == 0


def test_an_external_entity_is_refused(write: Callable[[str, str], Path]) -> None:
    path = write(
        "xxe.xml",
        """
        <?xml version="1.0"?>
        <!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
        <feed>&secret;</feed>
        """,
    )
    code, _, err = run("calc", "--readings", str(path), "--tariff", str(write("t.yaml", TARIFF)))
    assert code == 2
    assert err.startswith(f"error: {path}:2: xml: entity declarations are refused")


def test_bad_xml_names_the_line(pecos: None, write: Callable[[str, str], Path]) -> None:
    path = write("bad.xml", "<feed>\n  <entry>\n  </feed>\n")
    code, _, err = run("readings", "import", str(path))
    assert (code, err) == (
        2,
        f"error: {path}:3: xml: not well-formed XML: mismatched tag\n1 error; nothing was written.\n",
    )


def test_missing_fields_are_named_each_with_its_line(
    pecos: None, write: Callable[[str, str], Path], elecost_db: Path
) -> None:
    path = write(
        "missing.xml",
        """
        <feed xmlns="http://www.w3.org/2005/Atom">
         <entry><content><ReadingType xmlns="http://naesb.org/espi"><uom>72</uom></ReadingType></content></entry>
         <entry><content><IntervalBlock xmlns="http://naesb.org/espi">
          <IntervalReading><timePeriod><duration>900</duration><start>1772949600</start></timePeriod>
            <value>5</value></IntervalReading>
          <IntervalReading><timePeriod><duration>900</duration></timePeriod><value>5</value></IntervalReading>
          <IntervalReading><timePeriod><duration>900</duration><start>1772951400</start></timePeriod>
          </IntervalReading>
          <IntervalReading><timePeriod><duration>900</duration><start>1772952300</start></timePeriod>
            <value>-5</value></IntervalReading>
         </IntervalBlock></content></entry>
        </feed>
        """,
    )
    code, _, err = run("readings", "import", str(path))
    assert code == 2
    assert err == (
        f"error: {path}:6: IntervalReading.timePeriod.start: missing\n"
        f"error: {path}:7: IntervalReading.value: missing\n"
        f"error: {path}:10: IntervalReading.value: must be energy used, >= 0, got -5\n"
        "3 errors; nothing was written.\n"
    )
    assert stored_readings(elecost_db) == 0


def test_a_file_without_electricity_use_says_what_it_holds(pecos: None, write: Callable[[str, str], Path]) -> None:
    path = write(
        "gas.xml",
        """
        <IntervalData xmlns="http://naesb.org/espi">
          <ReadingType><uom>169</uom></ReadingType>
          <IntervalBlock><IntervalReading><timePeriod><duration>86400</duration><start>1772949600</start>
          </timePeriod><value>12</value></IntervalReading></IntervalBlock>
        </IntervalData>
        """,
    )
    code, _, err = run("readings", "import", str(path))
    assert code == 2
    assert err == (
        f"error: {path}:2: ReadingType: no energy delivered per interval (uom 72 = Wh, flowDirection 1, "
        "accumulationBehaviour 4) in this file; it holds uom 169 flowDirection 1 accumulationBehaviour 4\n"
        "1 error; nothing was written.\n"
    )


# --- utility interval CSVs ---------------------------------------------------------------------


def test_utility_csv_imports_to_the_exact_kwh_with_the_repeated_hour(pecos: None) -> None:
    code, _, err = run("readings", "import", str(INTERVAL_CSV), "--timezone", "America/Chicago")
    assert (code, err) == (0, "imported 192 new readings, 0 already stored\n")
    assert bill_kwh() == [Decimal("28052.204"), Decimal("30505.006")]
    assert sum(bill_kwh()) == Decimal("58557.210")


def test_utility_csv_rows_on_the_fall_back_day_are_100_distinct_intervals() -> None:
    problems: list[Problem] = []
    with INTERVAL_CSV.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in scan_interval_csv(handle, "x.csv", CHICAGO, problems) if r[1] > utc("2026-06-01T00:00")]
    assert problems == []
    starts = [r[1] for r in rows]
    assert len(set(starts)) == 100
    assert starts == list(range(utc("2026-11-01T05:00"), utc("2026-11-02T06:00"), 900))
    assert {r[5] for r in rows} == {900}  # "00:00-00:14" is a 15-minute interval


def test_date_start_end_usage_kwh_with_us_dates(write: Callable[[str, str], Path]) -> None:
    path = write(
        "usage.csv",
        """
        Date,Start Time,End Time,Usage (kWh)
        3/8/2026,1:30 AM,1:45 AM,1.25
        3/8/2026,1:45 AM,2:00 AM,1.5
        3/8/2026,3:00 AM,3:15 AM,2
        3/8/2026,11:45 PM,12:00 AM,0.001
        """,
    )
    problems: list[Problem] = []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(scan_interval_csv(handle, str(path), CHICAGO, problems))
    assert problems == []
    assert [(r[0], r[1], r[2], r[5]) for r in rows] == [
        (2, utc("2026-03-08T07:30"), 5000.0, 900),
        (3, utc("2026-03-08T07:45"), 6000.0, 900),
        (4, utc("2026-03-08T08:00"), 8000.0, 900),  # 03:00 CDT: right after 02:00 CST
        (5, utc("2026-03-09T04:45"), 4.0, 900),
    ]


def test_utility_csv_errors(pecos: None, write: Callable[[str, str], Path], elecost_db: Path) -> None:
    path = write(
        "bad.csv",
        """
        start,end,kwh
        2026-03-08 02:15,2026-03-08 02:30,1
        2026-03-08 04:00,2026-03-08 04:15,abc
        2026-03-08 yesterday,2026-03-08 05:15,1
        2026-03-08 06:00,2026-03-08 06:15,-2
        2026-03-08 07:00,2026-03-08 06:45,1
        """,
    )
    code, _, err = run("readings", "import", str(path), "--timezone", "America/Chicago")
    assert code == 2
    assert err == (
        f"error: {path}:2: start: 2026-03-08 02:15:00 does not exist in America/Chicago (clocks go forward)\n"
        f"error: {path}:3: kwh: not a number: 'abc'\n"
        f"error: {path}:4: start: not a date and time: '2026-03-08 yesterday'\n"
        f"error: {path}:5: kwh: must be energy used, >= 0, got -2\n"
        f"error: {path}:6: end: must be after the start, got '2026-03-08 06:45'\n"
        "5 errors; nothing was written.\n"
    )
    assert stored_readings(elecost_db) == 0


def test_local_times_without_a_zone_are_one_error(pecos: None) -> None:
    code, _, err = run("readings", "import", str(INTERVAL_CSV))
    assert code == 2
    assert err == (
        f"error: {INTERVAL_CSV}:7: start: 2026-03-08 00:00:00 is local time (no UTC offset): "
        "give --timezone, the meter's zone\n1 error; nothing was written.\n"
    )


def test_without_end_each_interval_lasts_the_spacing(write: Callable[[str, str], Path]) -> None:
    path = write("hourly.csv", "timestamp,kWh\n2026-03-08T00:00Z,2\n2026-03-08T01:00Z,3\n2026-03-08T02:00Z,4.5\n")
    problems: list[Problem] = []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(scan_interval_csv(handle, str(path), None, problems))
    assert problems == []
    assert [(r[2], r[5]) for r in rows] == [(2000.0, 3600), (3000.0, 3600), (4500.0, 3600)]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("timestamp,power_w,miner", "readings"),
        ("start,end,kwh", "interval-csv"),
        ("Date,Start Time,End Time,Usage (kWh)", "interval-csv"),
        ("TYPE,DATE,START TIME,END TIME,USAGE,UNITS,COST,NOTES", "interval-csv"),
        ("Interval Start,Interval End,Consumption [Wh]", "interval-csv"),
        ("when,what", "readings"),
    ],
)
def test_the_header_tells_the_format(header: str, expected: str) -> None:
    assert sniff_csv([header + "\n"]) == expected


def test_format_option(pecos: None) -> None:
    code, _, err = run("readings", "import", str(INTERVAL_CSV), "--format", "bogus")
    assert (code, err) == (2, "error: --format: must be one of readings, greenbutton, interval-csv, got 'bogus'\n")
    code, _, err = run("readings", "import", str(INTERVAL_CSV), "--format", "readings")
    assert code == 2
    assert err.startswith(f"error: {INTERVAL_CSV}:1: the header must name timestamp and power_w")
    code, _, err = run(
        "readings", "import", str(INTERVAL_CSV), "--format", "interval-csv", "--timezone", "America/Chicago"
    )
    assert (code, err) == (0, "imported 192 new readings, 0 already stored\n")


def test_a_byte_order_mark_does_not_hide_a_green_button_file(write: Callable[[str, str], Path]) -> None:
    path = write("bom.xml", "\ufeff" + GREEN_BUTTON.read_text(encoding="utf-8"))
    code, out, _ = run("calc", "--readings", str(path), "--tariff", str(write("t.yaml", TARIFF)), "--json")
    assert code == 0
    assert Decimal(str(json.loads(out)["total_kwh"])) == Decimal("58555.053753")


@given(
    value=st.integers(min_value=0, max_value=10**10),
    multiplier=st.integers(min_value=-3, max_value=3),
    seconds=st.sampled_from([60, 300, 900, 1800, 3600]),
)
def test_interval_energy_survives_the_readings_row_exactly(value: int, multiplier: int, seconds: int) -> None:
    energy_wh = Decimal(value).scaleb(multiplier)
    power_w = interval_power_w(energy_wh, seconds)
    assert Decimal(repr(power_w)) * seconds / 3600 == energy_wh  # as read_readings takes it back
    assert round(Decimal(repr(power_w)) * 1000) == energy_wh * 3600 * 1000 / seconds  # as the store's mW


@settings(max_examples=25, deadline=None)
@given(day=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)))
def test_any_local_day_of_a_utility_csv_lands_on_its_utc_intervals(day: date) -> None:
    start = datetime.combine(day, datetime.min.time(), CHICAGO)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), CHICAGO)
    instants = list(range(int(start.timestamp()), int(end.timestamp()), 900))
    lines = ["DATE,START TIME,END TIME,USAGE (kWh)"]
    for instant in instants:
        local = datetime.fromtimestamp(instant, CHICAGO)
        lines.append(f"{local:%m/%d/%Y},{local:%H:%M},{local + timedelta(minutes=14):%H:%M},1.25")
    problems: list[Problem] = []
    rows = list(scan_interval_csv(lines, "day.csv", CHICAGO, problems))
    assert problems == []
    assert [r[1] for r in rows] == instants  # 92, 96 or 100 intervals
    assert {(r[2], r[5]) for r in rows} == {(5000.0, 900)}
