"""Carbon intensity: series files, their store and zone bindings, and the kg CO2 of summary and profit."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from elecost.carbon import co2_of_rows, read_carbon
from elecost.carbon_store import intensity_intervals
from elecost.cli import app
from elecost.mining import hashprice_usd_per_th_day
from elecost.store import open_db

from helpers import at

runner = CliRunner()
Write = Callable[[str, str], Path]
CHICAGO = "America/Chicago"
# 2026-11-01 is the fall-back day in Chicago: 25 hours, 00:00 CDT (05:00Z) to 00:00 CST (06:00Z next day)
DAY_START = at("2026-11-01 05:00")
FLAT = """
name: Flat Chicago
location: site
timezone: America/Chicago
rate_type: flat
flat_rate_usd_per_kwh: 0.10
"""


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def iso_z(instant_s: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(instant_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fall_back_site(write: Write, location: str = "site") -> None:
    """Miners m1 (1 kW) and m2 (2 kW) run the 25 hours of the fall-back day on a flat tariff."""
    assert run("rate", "add", str(write("flat.yaml", FLAT.replace("site", location))))[0] == 0
    assert run("rate", "activate", "Flat Chicago")[0] == 0
    rows = ["timestamp,miner,power_w,duration_s"]
    for hour in range(25):
        rows += [f"{DAY_START + hour * 3600},m1,1000,3600", f"{DAY_START + hour * 3600},m2,2000,3600"]
    readings = write("readings.csv", "\n".join(rows) + "\n")
    assert run("readings", "import", str(readings), "--location", location)[0] == 0
    assert run("record")[0] == 0


def day_series(skip: tuple[int, ...] = (7, 8)) -> str:
    """Hourly intensities over the fall-back day: 400 g, but 1000 g in the first 01:00 (CDT) and
    100 g in the repeated one (CST); hours of `skip` (12:00 and 13:00 CST) have none."""
    rows = ["timestamp,gco2_per_kwh,duration_s"]
    for hour in range(25):
        if hour in skip:
            continue
        value = {1: "1000", 2: "100"}.get(hour, "400")
        rows.append(f"{iso_z(DAY_START + hour * 3600)},{value},3600")
    return "\n".join(rows) + "\n"


def summary(*args: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run("summary", "--from", "2026-11-01", "--to", "2026-11-02", "--json", *args)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_kg_co2_over_the_fall_back_day_by_hand(write: Write) -> None:
    fall_back_site(write)
    before = summary()
    assert "co2_kg" not in before and all("co2_kg" not in g for g in before["groups"])
    code, _, err = run("carbon", "import", str(write("ercot.csv", day_series())), "--zone", "ERCOT")
    assert (code, err) == (0, "ERCOT: imported 23 new intensities, 0 already stored\n")
    after = summary()
    # 3 kWh an hour: 21 hours at 400 g, 1000 g and 100 g in the two 01:00 hours; two hours have none
    assert (after["co2_kg"], after["co2_uncovered_kwh"]) == (28.5, 6.0)
    assert [(g["group"], g["co2_kg"], g["co2_uncovered_kwh"]) for g in after["groups"]] == [("2026-11-01", 28.5, 6.0)]
    # without the new keys, the summary is what it was, key for key
    assert {k: v for k, v in after.items() if not k.startswith("co2_")} | {"groups": None} == before | {"groups": None}
    by_miner = summary("--by", "miner")
    assert [(g["group"], g["co2_kg"], g["co2_uncovered_kwh"]) for g in by_miner["groups"]] == [
        ("m1", 9.5, 2.0),
        ("m2", 19.0, 4.0),
    ]
    assert [(g["group"], g["co2_kg"]) for g in summary("--by", "location")["groups"]] == [("site", 28.5)]
    code, out, _ = run("summary", "--from", "2026-11-01", "--to", "2026-11-02", "--by", "miner")
    assert code == 0 and "CO2 by miner" in out and "28.500" in out
    code, out, _ = run("summary", "--from", "2026-11-01", "--to", "2026-11-02", "--by", "miner", "--csv")
    header, *rows = csv.reader(io.StringIO(out))
    columns = [header.index("group"), header.index("co2_kg"), header.index("co2_uncovered_kwh")]
    assert [[row[i] for i in columns] for row in rows] == [["m1", "9.5", "2.0"], ["m2", "19.0", "4.0"]]


def test_per_day_is_by_local_day_and_a_row_half_covered_is_weighed_by_time(write: Write) -> None:
    fall_back_site(write)
    # one 30-minute intensity in the first hour: half that hour's 3 kWh at 200 g; the rest has none
    series = write("half.csv", f"timestamp,gco2_per_kwh,duration_s\n{iso_z(DAY_START + 1800)},200,1800\n")
    assert run("carbon", "import", str(series), "--zone", "Z")[0] == 0
    data = summary("--to", "2026-11-03")
    assert (data["co2_kg"], data["co2_uncovered_kwh"]) == (0.3, 73.5)


def test_a_location_uses_its_bound_zone_else_the_only_zone_else_none(write: Write) -> None:
    fall_back_site(write)
    flat = day_series(skip=())
    dirty = day_series(skip=()).replace(",400,", ",800,")
    assert run("carbon", "import", str(write("a.csv", flat)), "--zone", "A")[0] == 0
    assert summary()["co2_kg"] == 30.9  # the only zone: 23 x 3 kWh x 400 g + 3 x 1000 g + 3 x 100 g
    assert run("carbon", "import", str(write("b.csv", dirty)), "--zone", "B")[0] == 0
    data = summary()  # two zones and no binding: the energy is not weighed
    assert (data["co2_kg"], data["co2_uncovered_kwh"]) == (0.0, 75.0)
    code, _, err = run("carbon", "import", str(write("b.csv", dirty)), "--zone", "B", "--location", "site")
    assert (code, err) == (
        0,
        "B: imported 0 new intensities, 25 already stored\nlocation 'site' uses zone 'B'\n",
    )
    assert summary()["co2_kg"] == 58.5  # 23 x 3 x 800 + 3300 g
    code, _, err = run("carbon", "import", str(write("a.csv", flat)), "--zone", "A", "-l", "site")
    assert err.endswith("location 'site' uses zone 'A' (was 'B')\n")
    code, out, _ = run("carbon", "list", "--json")
    assert [(z["zone"], z["intervals"], z["locations"], z["avg_gco2_per_kwh"]) for z in json.loads(out)] == [
        ("A", 25, ["site"], 412.0),
        ("B", 25, [], 780.0),
    ]


def test_bad_rows_are_named_by_line_and_nothing_is_written(write: Write) -> None:
    bad = write(
        "bad.csv",
        """
        timestamp,gco2_per_kwh
        2026-11-01T05:00:00Z,-1
        2026-11-01T06:00:00Z,abc
        2026-11-01T07:00:00,400
        2026-11-01T08:00:00Z,1.0000001
        2026-11-01T09:00:00Z,400
        """,
    )
    code, _, err = run("carbon", "import", str(bad), "--zone", "ERCOT")
    assert (code, err) == (
        2,
        f"error: {bad}:2: gco2_per_kwh: must not be negative: '-1'\n"
        f"error: {bad}:3: gco2_per_kwh: not a number: 'abc'\n"
        f"error: {bad}:4: timestamp: '2026-11-01T07:00:00' has no UTC offset; add one (e.g. Z or -06:00) or "
        "give --timezone\n"
        f"error: {bad}:5: gco2_per_kwh: more than 6 decimal places: '1.0000001'\n"
        f"error: {bad}:6: duration_s: a single intensity needs duration_s\n"
        "5 errors; nothing was written.\n",
    )
    assert intensity_intervals(open_db(os.environ["ELECOST_DB"]), "ERCOT", 0, 2**40) == []
    header = write("prices.csv", "timestamp,price_usd_per_mwh\n2026-11-01T05:00:00Z,20\n")
    code, _, err = run("carbon", "import", str(header), "--zone", "ERCOT")
    assert (code, err) == (
        2,
        f"error: {header}:1: header: expected timestamp,gco2_per_kwh[,duration_s], got "
        "['timestamp', 'price_usd_per_mwh']\n1 error; nothing was written.\n",
    )


def test_reimport_changes_nothing_a_conflict_is_refused_and_replace_overwrites(write: Write) -> None:
    first = write("a.csv", "timestamp,gco2_per_kwh\n2026-11-01T05:00:00Z,400\n2026-11-01T06:00:00Z,410.5\n")
    assert run("carbon", "import", str(first), "--zone", "ERCOT")[0] == 0
    assert (
        run("carbon", "import", str(first), "-z", "ERCOT")[2] == "ERCOT: imported 0 new intensities, 2 already stored\n"
    )
    changed = write("b.csv", "timestamp,gco2_per_kwh\n2026-11-01T05:00:00Z,400\n2026-11-01T06:00:00Z,500\n")
    code, _, err = run("carbon", "import", str(changed), "--zone", "ERCOT")
    assert (code, err) == (
        2,
        f"error: {changed}:3: gco2_per_kwh: conflicts with the stored 410.5 gCO2/kWh of zone 'ERCOT' for "
        "2026-11-01T06:00:00+00:00 to 2026-11-01T07:00:00+00:00; --replace overwrites it\n"
        "1 error; nothing was written.\n",
    )
    assert run("carbon", "import", str(changed), "--zone", "ERCOT", "--replace")[2] == (
        "ERCOT: imported 0 new intensities, 1 already stored, 1 replaced\n"
    )
    code, out, _ = run("carbon", "show", "--json", "--from", "2026-11-01T00:00:00Z", "--timezone", "UTC")
    assert json.loads(out) == [
        {"start": "2026-11-01T05:00:00+00:00", "end": "2026-11-01T06:00:00+00:00", "gco2_per_kwh": 400.0},
        {"start": "2026-11-01T06:00:00+00:00", "end": "2026-11-01T07:00:00+00:00", "gco2_per_kwh": 500.0},
    ]


def test_show_and_list_name_the_zones(write: Write) -> None:
    assert run("rate", "init")[0] == 0
    assert run("carbon", "list")[1].startswith("No carbon intensity series yet")
    assert run("carbon", "show") == (2, "", "error: name a zone with --zone (zones: none yet)\n")
    series = write("a.csv", "timestamp,gco2_per_kwh\n2026-11-01T05:00:00Z,400\n2026-11-01T06:00:00Z,410\n")
    assert run("carbon", "import", str(series), "--zone", "A")[0] == 0
    assert run("carbon", "import", str(series), "--zone", "B")[0] == 0
    assert run("carbon", "show") == (2, "", "error: name a zone with --zone (zones: A, B)\n")
    assert run("carbon", "show", "--zone", "C") == (2, "", "error: no carbon intensity for zone 'C' (zones: A, B)\n")
    code, out, _ = run("carbon", "show", "--zone", "A", "--csv", "--timezone", "UTC")
    assert (code, out.splitlines()[0], len(out.splitlines())) == (0, "start,end,gco2_per_kwh", 3)


def test_split_files_weigh_the_same_as_one(write: Write) -> None:
    fall_back_site(write)
    lines = day_series().splitlines()
    head, rows = lines[0], lines[1:]
    one = write("one.csv", "\n".join([head, *rows[:10]]) + "\n")
    two = write("two.csv", "\n".join([head, *rows[10:]]) + "\n")
    assert run("carbon", "import", str(two), str(one), "--zone", "ERCOT")[0] == 0
    assert (summary()["co2_kg"], summary()["co2_uncovered_kwh"]) == (28.5, 6.0)


def test_profit_gives_kg_per_day_and_per_btc(write: Write) -> None:
    fall_back_site(write)
    assert run("miner", "add", "m1", "--hashrate-th", "100", "--power-w", "1000", "--location", "site")[0] == 0
    assert run("miner", "add", "m2", "--hashrate-th", "200", "--power-w", "2000", "--location", "site")[0] == 0
    network = ["--btc-price-usd", "100000", "--difficulty", "120000000000000"]
    code, out, _ = run("profit", "--days", "2", *network, "--json")
    assert code == 0 and all("co2_kg_per_day" not in row for row in json.loads(out))
    assert run("carbon", "import", str(write("ercot.csv", day_series())), "--zone", "ERCOT")[0] == 0
    code, out, _ = run("profit", "--days", "2", *network, "--json")
    rows = {row["miner_ip"]: row for row in json.loads(out)}
    # m1: 9.5 kg over the 23 hours an intensity covers -> a day of 24 hours
    m1_per_day = Decimal("9.5") * 24 / 23
    btc_per_day = hashprice_usd_per_th_day(Decimal(100000), Decimal("120000000000000")) * 100 / 100000
    assert rows["m1"]["co2_kg_per_day"] == float(m1_per_day.quantize(Decimal("0.000001")))
    assert rows["m1"]["co2_kg_per_btc"] == float((m1_per_day / btc_per_day).quantize(Decimal("0.000001")))
    assert rows[None]["co2_kg_per_day"] == float((m1_per_day * 3).quantize(Decimal("0.000001")))
    code, out, _ = run("profit", "--days", "2", "--hashprice-usd-per-th-day", "0.05", "--json")
    assert [row["co2_kg_per_btc"] for row in json.loads(out)] == [None, None, None]  # no BTC price, no BTC count
    code, out, _ = run("profit", "--days", "2", *network)
    assert code == 0 and "CO2 per day and per BTC mined" in out


hours = st.lists(st.tuples(st.integers(1, 7200), st.integers(0, 2000), st.booleans()), min_size=1, max_size=20)


@given(hours, st.lists(st.tuples(st.integers(1, 3600), st.integers(0, 10_000)), min_size=1, max_size=10))
@settings(max_examples=60, deadline=None)
def test_splitting_the_series_never_changes_the_kg(
    spans: list[tuple[int, int, bool]], load: list[tuple[int, int]]
) -> None:
    """Cut each interval of a series in two (a file split in two): the kg are the same; and every
    kWh is either weighed or counted as uncovered."""
    intervals, cut, at_s = [], [], 0
    for length, value, gap in spans:
        if gap:
            at_s += length  # no intensity here
            continue
        intervals.append((at_s, at_s + length, value * 1000))
        half = length // 2
        cut += [(at_s, at_s + half, value * 1000), (at_s + half, at_s + length, value * 1000)] if half else []
        cut += [] if half else [(at_s, at_s + length, value * 1000)]
        at_s += length
    rows, start = [], -600
    for length, milli_kwh in load:
        rows.append((start, start + length, milli_kwh / 1000))
        start += length
    whole, split = co2_of_rows(rows, intervals), co2_of_rows(rows, cut)
    assert (whole.co2_g, whole.uncovered_kwh) == (split.co2_g, split.uncovered_kwh)
    total_kwh = Decimal(repr(sum(kwh for _, _, kwh in rows)))
    assert abs(whole.covered_kwh + whole.uncovered_kwh - total_kwh) < Decimal("1e-9")  # kWh are floats, as stored


def test_read_carbon_reuses_the_generic_rules() -> None:
    """The last value holds for the median spacing; a gap over three spacings is left uncovered."""
    text = ["timestamp,gco2_per_kwh", "2026-11-01T00:00:00Z,1", "2026-11-01T01:00:00Z,2", "2026-11-01T09:00:00Z,3"]
    text.insert(1, "2026-10-31T23:00:00Z,0")
    rows = read_carbon("x.csv", text)
    start = at("2026-11-01 00:00")
    assert [(r.start_s - start, r.end_s - r.start_s, r.value_micro) for r in rows] == [
        (-3600, 3600, 0),
        (0, 3600, 1_000_000),
        (3600, 3600, 2_000_000),
        (9 * 3600, 3600, 3_000_000),
    ]


def test_by_period_weighs_each_tou_period_energy(write: Write) -> None:
    from conftest import EXAMPLES

    assert run("rate", "add", str(EXAMPLES / "tou.yaml"))[0] == 0
    assert run("rate", "activate", "Example TOU")[0] == 0
    start = at("2026-07-01 00:00")
    readings = "timestamp,power_w,duration_s\n" + "".join(f"{start + h * 3600},3000,3600\n" for h in range(24))
    assert run("readings", "import", str(write("r.csv", readings)))[0] == 0
    assert run("record")[0] == 0
    series = f"timestamp,gco2_per_kwh,duration_s\n{iso_z(start)},100,43200\n{iso_z(start + 43200)},500,43200\n"
    assert run("carbon", "import", "-", "--zone", "Z", stdin=series)[0] == 0
    data = summary("--by", "period", "--from", "2026-07-01", "--to", "2026-07-02")
    # Off-Peak: 00-07 at 100 g, 21-24 at 500 g; Peak: 07-12 at 100 g, 12-21 at 500 g; 3 kWh an hour
    assert [(g["group"], g["co2_kg"]) for g in data["groups"]] == [("Off-Peak", 6.6), ("Peak", 15.0)]
    assert (data["co2_kg"], data["co2_uncovered_kwh"]) == (21.6, 0.0)


def test_a_miner_name_at_two_sites_has_its_own_co2(write: Write) -> None:
    """m1 and m2 run at two sites: `summary --by miner` has four miners, each with its own kg CO2
    under the same label as its costs (a name at two locations is labelled "name (location)")."""
    fall_back_site(write)
    other = FLAT.replace("site", "other").replace("Flat Chicago", "Flat Chicago Two")
    assert run("rate", "add", str(write("other.yaml", other)))[0] == 0
    assert run("rate", "activate", "Flat Chicago Two")[0] == 0
    rows = ["timestamp,miner,power_w,duration_s"]
    for hour in range(25):
        rows += [f"{DAY_START + hour * 3600},m1,1000,3600", f"{DAY_START + hour * 3600},m2,2000,3600"]
    assert run("readings", "import", str(write("other.csv", "\n".join(rows) + "\n")), "--location", "other")[0] == 0
    assert run("record")[0] == 0
    assert run("carbon", "import", str(write("z.csv", day_series(skip=()))), "--zone", "Z")[0] == 0
    groups = summary("--by", "miner")["groups"]
    # 23 hours at 400 g, one at 1000 g and one at 100 g: 10.3 kg at 1 kW, 20.6 kg at 2 kW
    assert [(g["group"], g["location"], g["co2_kg"]) for g in groups] == [
        ("m1 (other)", "other", 10.3),
        ("m2 (other)", "other", 20.6),
        ("m1 (site)", "site", 10.3),
        ("m2 (site)", "site", 20.6),
    ]
