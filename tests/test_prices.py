"""Wholesale price files (ERCOT RT and DA, gridstatus, generic), their store, and the gap function."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from elecost.cli import app
from elecost.errors import InputError
from elecost.price_store import first_unpriced, price_intervals, priced_until
from elecost.prices import read_prices
from elecost.store import open_db

from helpers import at

runner = CliRunner()
Write = Callable[[str, str], Path]
RT_HEADER = (
    "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag"
)
DA_HEADER = "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag"
CHICAGO = "America/Chicago"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def rt_day(day: str, hours: list[tuple[int, str]], point: str = "LZ_WEST", skip: tuple[int, int] | None = None) -> str:
    """An RT day: each (hour ending, DSTFlag) in four quarters, priced hour x 10 + quarter (+ 1000 on Y)."""
    rows = []
    for hour, flag in hours:
        for quarter in range(1, 5):
            if (hour, quarter) == skip:
                continue
            price = hour * 10 + quarter + (1000 if flag == "Y" else 0)
            rows.append(f"{day},{hour:02d},{quarter},{point},LZ,{price}.25,{flag}")
    return "\n".join([RT_HEADER, *rows]) + "\n"


def utc(text: str) -> int:
    return at(text, "UTC")


def test_ercot_rt_spring_forward_day_has_23_hours(write: Write) -> None:
    hours = [(h, "N") for h in range(1, 25) if h != 3]
    path = write("rt.csv", rt_day("03/08/2026", hours))
    rows = read_prices(str(path), path.read_text().splitlines(), None)
    assert len(rows) == 92
    # HE01 quarter 1 starts at local midnight, CST (UTC-6).
    assert (rows[0].start_s, rows[0].end_s, rows[0].price_usd_per_mwh) == (
        utc("2026-03-08 06:00"),
        utc("2026-03-08 06:15"),
        Decimal("11.25"),
    )
    # HE02 quarter 4 is 01:45-02:00 CST; the next row, HE04 quarter 1, is 03:00 CDT: the same instant.
    he02q4, he04q1 = rows[7], rows[8]
    assert (he02q4.start_s, he02q4.price_usd_per_mwh) == (utc("2026-03-08 07:45"), Decimal("24.25"))
    assert (he04q1.start_s, he04q1.price_usd_per_mwh) == (utc("2026-03-08 08:00"), Decimal("41.25"))
    assert rows[-1].end_s == utc("2026-03-09 05:00")  # midnight CDT
    assert all(a.end_s == b.start_s for a, b in itertools.pairwise(rows))


def test_ercot_rt_fall_back_day_has_25_hours_and_the_y_hour_is_the_second(write: Write) -> None:
    hours = [(1, "N"), (2, "N"), (2, "Y"), *[(h, "N") for h in range(3, 25)]]
    path = write("rt.csv", rt_day("11/01/2026", hours))
    assert run("prices", "import", str(path), "--market", "west")[0] == 0
    db = open_db(os.environ["ELECOST_DB"])
    day_start, day_end = utc("2026-11-01 05:00"), utc("2026-11-02 06:00")  # midnight CDT to midnight CST
    assert day_end - day_start == 25 * 3600
    assert first_unpriced(db, "west", day_start, day_end) is None
    prices = price_intervals(db, "west", utc("2026-11-01 06:00"), utc("2026-11-01 08:15"))
    assert [(start, price) for start, _, price in prices[::4]] == [
        (utc("2026-11-01 06:00"), Decimal("21.25")),  # 01:00 CDT, HE02 DSTFlag N
        (utc("2026-11-01 07:00"), Decimal("1021.25")),  # 01:00 CST, HE02 DSTFlag Y: the repeated hour
        (utc("2026-11-01 08:00"), Decimal("31.25")),  # 02:00 CST, HE03
    ]
    shown = json.loads(run("prices", "show", "-m", "west", "--from", "2026-11-01T01:00-05:00", "--to",
                           "2026-11-01T01:30-06:00", "--timezone", CHICAGO, "--json")[1])  # fmt: skip
    assert [row["start"][11:] for row in shown] == [
        "01:00:00-05:00",
        "01:15:00-05:00",
        "01:30:00-05:00",
        "01:45:00-05:00",
        "01:00:00-06:00",
        "01:15:00-06:00",
    ]


def test_dst_flag_and_spring_forward_hour_errors(write: Write) -> None:
    bad = write(
        "rt.csv",
        f"""\
        {RT_HEADER}
        03/08/2026,03,1,LZ_WEST,LZ,20.00,N
        03/09/2026,05,1,LZ_WEST,LZ,20.00,Y
        03/09/2026,25,1,LZ_WEST,LZ,20.00,N
        03/09/2026,05,5,LZ_WEST,LZ,20.00,N
        03/09/2026,06,1,LZ_WEST,LZ,abc,N
        """,
    )
    code, _, err = run("prices", "import", str(bad))
    assert code == 2
    assert err == (
        f"error: {bad}:2: DeliveryHour: 2026-03-08 02:00 does not exist in Central time (the spring-forward hour)\n"
        f"error: {bad}:3: DSTFlag: Y marks the repeated fall-back hour, but 2026-03-09 04:00 Central is not "
        "repeated\n"
        f"error: {bad}:4: DeliveryHour: must be an hour ending 1-24, got '25'\n"
        f"error: {bad}:5: DeliveryInterval: must be 1-4, got '5'\n"
        f"error: {bad}:6: SettlementPointPrice: not a number: 'abc'\n"
        "5 errors; nothing was written.\n"
    )


def test_two_settlement_points_in_one_file(write: Write) -> None:
    text = rt_day("07/01/2026", [(17, "N")], "HB_NORTH") + rt_day("07/01/2026", [(17, "N")], "LZ_WEST").split("\n", 1)[
        1
    ].replace("LZ_WEST,LZ,17", "LZ_WEST,LZ,-17")
    path = write("two.csv", text)
    code, _, err = run("prices", "import", str(path))
    assert (code, err) == (
        2,
        f"error: {path}: SettlementPointName: several settlement points (HB_NORTH, LZ_WEST); choose one\n"
        "1 error; nothing was written.\n",
    )
    code, _, err = run("prices", "import", str(path), "--settlement-point", "LZ_SOUTH")
    assert (code, err.splitlines()[0]) == (
        2,
        f"error: {path}: SettlementPointName: no rows for 'LZ_SOUTH'; the file has HB_NORTH, LZ_WEST",
    )
    code, _, err = run("prices", "import", str(path), "--settlement-point", "LZ_WEST", "-m", "west")
    assert (code, err) == (0, "west: imported 4 new prices, 0 already stored\n")
    db = open_db(os.environ["ELECOST_DB"])
    # Hour ending 17 starts at 16:00 CDT = 21:00 UTC; the LZ_WEST prices were made negative: a credit.
    prices = price_intervals(db, "west", utc("2026-07-01 21:00"), utc("2026-07-01 22:00"))
    assert [price for _, _, price in prices] == [
        Decimal("-171.25"),
        Decimal("-172.25"),
        Decimal("-173.25"),
        Decimal("-174.25"),
    ]
    listed = json.loads(run("prices", "list", "--json")[1])
    assert listed == [
        {
            "market": "west",
            "intervals": 4,
            "first": "2026-07-01T21:00:00+00:00",
            "last": "2026-07-01T22:00:00+00:00",
            "min_usd_per_mwh": -174.25,
            "avg_usd_per_mwh": -172.75,
            "max_usd_per_mwh": -171.25,
        }
    ]


def test_a_missing_interval_is_the_first_unpriced_instant(write: Write) -> None:
    path = write("gap.csv", rt_day("07/02/2026", [(h, "N") for h in range(1, 25)], skip=(5, 2)))
    assert run("prices", "import", str(path))[0] == 0
    db = open_db(os.environ["ELECOST_DB"])
    day = (utc("2026-07-02 05:00"), utc("2026-07-03 05:00"))
    # HE05 quarter 2 is 04:15-04:30 CDT = 09:15 UTC.
    assert first_unpriced(db, "default", *day) == utc("2026-07-02 09:15")
    assert first_unpriced(db, "default", utc("2026-07-02 09:30"), day[1]) is None
    assert first_unpriced(db, "default", day[0] - 1, day[1]) == day[0] - 1
    assert first_unpriced(db, "default", day[0], day[1] + 60) == utc("2026-07-02 09:15")
    assert first_unpriced(db, "nowhere", *day) == day[0]
    assert (priced_until(db, "default"), priced_until(db, "nowhere")) == (day[1], None)
    last_day = json.loads(run("prices", "show", "--json")[1])  # by default the series' last day
    assert (len(last_day), last_day[0]["start"], last_day[-1]["end"]) == (
        95,
        "2026-07-02T05:00:00+00:00",
        "2026-07-03T05:00:00+00:00",
    )
    assert run("prices", "show", "-m", "nowhere")[2] == "error: no prices for market 'nowhere' (markets: default)\n"
    clipped = price_intervals(db, "default", utc("2026-07-02 09:05"), utc("2026-07-02 09:40"))
    assert clipped == [
        (utc("2026-07-02 09:05"), utc("2026-07-02 09:15"), Decimal("51.25")),
        (utc("2026-07-02 09:30"), utc("2026-07-02 09:40"), Decimal("53.25")),
    ]


def test_ercot_day_ahead_spring_forward_and_fall_back(write: Write) -> None:
    spring = [f"03/08/2026,{h:02d}:00,HB_HOUSTON,{h}.5,N" for h in range(1, 25) if h != 3]
    fall = [f"11/01/2026,{h:02d}:00,HB_HOUSTON,{h}.5,N" for h in range(1, 25)]
    fall.insert(2, "11/01/2026,02:00,HB_HOUSTON,99,Y")
    path = write("da.csv", "\n".join([DA_HEADER, *spring, *fall]) + "\n")
    rows = read_prices(str(path), path.read_text().splitlines(), None)
    assert len(rows) == 23 + 25
    assert [(r.start_s, r.end_s - r.start_s, r.price_usd_per_mwh) for r in rows[1:3]] == [
        (utc("2026-03-08 07:00"), 3600, Decimal("2.5")),  # HE02: 01:00 CST
        (utc("2026-03-08 08:00"), 3600, Decimal("4.5")),  # HE04: 03:00 CDT
    ]
    fall_rows = rows[23:]
    assert [(r.start_s, r.price_usd_per_mwh) for r in fall_rows[1:4]] == [
        (utc("2026-11-01 06:00"), Decimal("2.5")),
        (utc("2026-11-01 07:00"), Decimal("99")),
        (utc("2026-11-01 08:00"), Decimal("3.5")),
    ]
    bad = write("bad.csv", f"{DA_HEADER}\n03/08/2026,03:00,HB_HOUSTON,1,N\n03/09/2026,3,HB_HOUSTON,1,N\n")
    with pytest.raises(InputError) as caught:
        read_prices(str(bad), bad.read_text().splitlines(), None)
    assert [str(p) for p in caught.value.problems] == [
        f"{bad}:2: HourEnding: 2026-03-08 02:00 does not exist in Central time (the spring-forward hour)",
        f"{bad}:3: HourEnding: must be an hour ending 1-24, got '3'",
    ]


def test_gridstatus_export_picks_the_location(write: Write) -> None:
    path = write(
        "gs.csv",
        """\
        Time,Interval Start,Interval End,Location,Location Type,Market,SPP
        2026-07-01T17:00:00-05:00,2026-07-01T17:00:00-05:00,2026-07-01T17:15:00-05:00,LZ_WEST,Load Zone,REAL_TIME_15_MIN,1250.5
        2026-07-01T17:00:00-05:00,2026-07-01T17:00:00-05:00,2026-07-01T17:15:00-05:00,HB_NORTH,Trading Hub,REAL_TIME_15_MIN,980
        2026-07-01T17:15:00-05:00,2026-07-01T17:15:00-05:00,2026-07-01T17:30:00-05:00,LZ_WEST,Load Zone,REAL_TIME_15_MIN,-3.1
        """,
    )
    code, _, err = run("prices", "import", str(path))
    assert code == 2 and "Location: several settlement points (HB_NORTH, LZ_WEST); choose one" in err
    assert run("prices", "import", str(path), "--settlement-point", "LZ_WEST")[0] == 0
    db = open_db(os.environ["ELECOST_DB"])
    assert price_intervals(db, "default", 0, 2**40) == [
        (utc("2026-07-01 22:00"), utc("2026-07-01 22:15"), Decimal("1250.5")),
        (utc("2026-07-01 22:15"), utc("2026-07-01 22:30"), Decimal("-3.1")),
    ]


def test_generic_csv_from_stdin_last_price_and_long_gaps(write: Write) -> None:
    text = (
        "timestamp,price_usd_per_mwh\n"
        "2026-07-01T00:00:00Z,20\n"
        "2026-07-01T01:00:00Z,25.123456\n"
        "2026-07-01T02:00:00Z,30\n"
        "2026-07-01T09:00:00Z,40\n"  # 7 h after the previous: over 3 x the 1 h spacing, left unpriced
    )
    code, _, err = run("prices", "import", "-", "--market", "gen", stdin=text)
    assert (code, err) == (0, "gen: imported 4 new prices, 0 already stored\n")
    db = open_db(os.environ["ELECOST_DB"])
    assert [(s - utc("2026-07-01 00:00"), e - s, p) for s, e, p in price_intervals(db, "gen", 0, 2**40)] == [
        (0, 3600, Decimal(20)),
        (3600, 3600, Decimal("25.123456")),
        (7200, 3600, Decimal(30)),
        (9 * 3600, 3600, Decimal(40)),
    ]
    assert first_unpriced(db, "gen", utc("2026-07-01 00:00"), utc("2026-07-01 10:00")) == utc("2026-07-01 03:00")
    bad = write("bad.csv", "timestamp,price_usd_per_mwh,duration_s\n2026-07-01T00:00:00,1,60\nx,1.0000001,0\n")
    code, _, err = run("prices", "import", str(bad))
    assert (code, err) == (
        2,
        f"error: {bad}:2: timestamp: '2026-07-01T00:00:00' has no UTC offset; add one (e.g. Z or -06:00) or "
        "give --timezone\n"
        f"error: {bad}:3: timestamp: not an ISO 8601 time or epoch seconds: 'x'\n"
        f"error: {bad}:3: price_usd_per_mwh: more than 6 decimal places: '1.0000001'\n"
        f"error: {bad}:3: duration_s: must be a whole number of seconds > 0: '0'\n"
        "4 errors; nothing was written.\n",
    )


def test_reimport_changes_nothing_a_conflict_is_refused_and_replace_overwrites(write: Write) -> None:
    first = write("a.csv", rt_day("07/01/2026", [(17, "N")]))
    assert run("prices", "import", str(first))[0] == 0
    assert run("prices", "import", str(first)) == (0, "", "default: imported 0 new prices, 4 already stored\n")
    changed = write("b.csv", rt_day("07/01/2026", [(17, "N"), (18, "N")]).replace(",172.25,", ",500,"))
    code, _, err = run("prices", "import", str(changed))
    assert (code, err) == (
        2,
        f"error: {changed}:3: price: conflicts with the stored 172.25 $/MWh of 'default' for "
        "2026-07-01T21:15:00+00:00 to 2026-07-01T21:30:00+00:00; --replace overwrites it\n"
        "1 error; nothing was written.\n",
    )
    db = open_db(os.environ["ELECOST_DB"])
    assert len(price_intervals(db, "default", 0, 2**40)) == 4  # nothing of b.csv was written
    assert run("prices", "import", str(changed), "--replace") == (
        0,
        "",
        "default: imported 4 new prices, 3 already stored, 1 replaced\n",
    )
    assert price_intervals(db, "default", utc("2026-07-01 21:15"), utc("2026-07-01 21:30"))[0][2] == Decimal(500)
    hourly = write("h.csv", "timestamp,price_usd_per_mwh,duration_s\n2026-07-01T21:00:00Z,1,3600\n")
    code, _, err = run("prices", "import", str(hourly))
    assert code == 2 and f"error: {hourly}:2: price: conflicts with the stored 171.25 $/MWh" in err
    assert run("prices", "import", str(first), str(first), "-m", "twice")[2] == (
        "twice: imported 4 new prices, 4 already stored\n"
    )
    both = write("c.csv", rt_day("07/01/2026", [(17, "N")]).replace(",171.25,", ",1,"))
    code, _, err = run("prices", "import", str(both), str(first), "-m", "other")
    assert code == 2 and f"error: {first}:2: timestamp: overlaps the interval of {both}:2\n" in err


def test_not_a_price_file(write: Write) -> None:
    path = write("x.csv", "when,what\n1,2\n")
    code, _, err = run("prices", "import", str(path))
    assert code == 2
    assert err.startswith(f"error: {path}:1: header: not a price file header")


@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(1, 5)), max_size=12),
    st.integers(0, 60),
    st.integers(1, 60),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_first_unpriced_is_the_first_instant_no_interval_covers(
    elecost_db: Path, spans: list[tuple[int, int]], start_s: int, length_s: int
) -> None:
    """Against a brute force over each second, for any set of non-overlapping intervals."""
    from elecost.price_store import import_prices
    from elecost.prices import PriceRow

    rows, end = [], -1
    for gap, length in spans:
        begin = end + gap if end >= 0 else gap
        end = begin + length
        if gap:
            rows.append(PriceRow("h", len(rows), begin, end, gap * 1_000_000))
        else:
            rows.append(PriceRow("h", len(rows), begin, end, -length))
    db = open_db(elecost_db)
    market = f"m{len(rows)}-{start_s}-{length_s}-{hash(tuple(spans))}"
    import_prices(db, market, rows, replace=False)
    covered = {second for row in rows for second in range(row.start_s, row.end_s)}
    expected = next((s for s in range(start_s, start_s + length_s) if s not in covered), None)
    assert first_unpriced(db, market, start_s, start_s + length_s) == expected
    clipped = price_intervals(db, market, start_s, start_s + length_s)
    assert sum(e - s for s, e, _ in clipped) == len(covered & set(range(start_s, start_s + length_s)))


def test_ercot_zip_archives_as_served(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "cdr.00012301.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(
            "cdr.00012301.0000000000000000.20260701.171502.SPPHLZNP6905_20260701_1715.csv",
            rt_day("07/01/2026", [(18, "N")]),
        )
        out.writestr(
            "cdr.00012301.0000000000000000.20260701.173002.SPPHLZNP6905_20260701_1730.csv",
            rt_day("07/01/2026", [(19, "N")]),
        )
    assert run("prices", "import", str(archive))[2] == "default: imported 8 new prices, 0 already stored\n"
    broken = tmp_path / "broken.zip"
    broken.write_text("not a zip")
    code, _, err = run("prices", "import", str(broken))
    assert (code, err) == (2, f"error: {broken}: cannot read as a ZIP file: File is not a zip file\n")
