"""Reports that read the daily rollups for whole local days (and the rows for the hours at the edges)
give what reading every row gives, to the cent: the same database read both ways."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from elecost.cli import app
from elecost.importer import import_readings
from elecost.record import record_costs
from elecost.rollups import miner_line_sums, miner_sums
from elecost.store import activate_rate, add_rates, open_db
from elecost.tariffs.load import load_tariff_file

from conftest import EXAMPLES

runner = CliRunner()
START = 1_793_422_800  # 2026-10-31 00:00 in Chicago; Nov 1 there has 25 hours
STEP_S = 300


def fleet(path: Path, start_s: int, days: int, seed: int) -> Path:
    rng = random.Random(seed)
    lines = ["timestamp,miner,power_w"]
    for step in range(days * 288):
        for miner in ("a", "b", "c"):
            if miner == "c" and 300 <= step < 340:
                continue  # an outage: a gap
            lines.append(f"{start_s + step * STEP_S},{miner},{rng.randrange(2800, 3600)}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def site(elecost_db: Path, tmp_path: Path) -> Path:
    """Four days of three miners, recorded in cron batches (so the rollups were patched as well as built)."""
    db = open_db(elecost_db)
    tariff = load_tariff_file(EXAMPLES / "texas_industrial.yaml")
    add_rates(db, [tariff])
    activate_rate(db, tariff.name)
    rows = fleet(tmp_path / "all.csv", START, 4, seed=5).read_text().splitlines()
    header, body = rows[0], rows[1:]
    for index, cut in enumerate((0, 2000, 2900, 3000, len(body))):
        chunk = body[[0, 2000, 2900, 3000, len(body)][max(index - 1, 0)] : cut]
        if chunk:
            (tmp_path / f"b{index}.csv").write_text("\n".join([header, *chunk]) + "\n")
            import_readings(db, [tmp_path / f"b{index}.csv"])
            record_costs(db)
    db.close()
    return elecost_db


def both_ways(db_path: Path, *args: str) -> tuple[object, object]:
    """The command's JSON read through the rollups, then with the rollups emptied (every hour from rows)."""
    first = runner.invoke(app, [*args, "--json"])
    assert first.exit_code == 0, first.output
    db = open_db(db_path)
    saved = db.execute("SELECT * FROM cost_days").fetchall(), db.execute("SELECT * FROM cost_day_lines").fetchall()
    db.execute("DELETE FROM cost_days")
    db.execute("DELETE FROM cost_day_lines")
    second = runner.invoke(app, [*args, "--json"])
    assert second.exit_code == 0, second.output
    db.executemany(f"INSERT INTO cost_days VALUES ({', '.join('?' * 13)})", saved[0])
    db.executemany("INSERT INTO cost_day_lines VALUES (?, ?, ?, ?, ?, ?)", saved[1])
    db.close()
    return json.loads(first.stdout), json.loads(second.stdout)


SPANS = [
    ("--days", "30"),
    ("--days", "2"),
    ("--from", "2026-10-31T05:30", "--to", "2026-11-03T13:15"),  # edges mid-day on both sides
    ("--from", "2026-11-01", "--to", "2026-11-02"),  # the 25-hour day alone
]


@pytest.mark.parametrize("by", ["day", "miner", "location", "period"])
@pytest.mark.parametrize("span", SPANS)
def test_summary_from_rollups_equals_the_summary_from_rows(site: Path, by: str, span: tuple[str, ...]) -> None:
    ours, theirs = both_ways(site, "summary", "--by", by, *span)
    assert ours == theirs


@pytest.fixture
def fleet_site(site: Path) -> Path:
    """The site with an inventory: hashrates for `profit`, a client for `--by client`, a budget."""
    for name, client in (("a", "Acme"), ("b", "Acme"), ("c", None)):
        args = ["miner", "add", name, "--hashrate-th", "200", "--power-w", "3300", "--location", "West Texas Site"]
        result = runner.invoke(app, [*args, *(["--client", client] if client else [])])
        assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["budget", "set", "--monthly-usd", "500"]).exit_code == 0
    return site


@pytest.mark.parametrize(
    "args",
    [
        ("profit", "--hashprice-usd-per-th-day", "0.05"),
        ("profit", "--days", "2", "--hashprice-usd-per-th-day", "0.05"),
        ("budget", "show", "--at", "2026-11-03T13:20"),  # a week back starts mid-day, the month on Nov 1
        ("budget", "show", "--at", "2026-11-02"),
        ("summary", "--by", "client", "--from", "2026-10-31T05:30", "--to", "2026-11-03T13:15"),
        ("summary", "--by", "client", "--days", "30"),
        ("bill",),
        ("bill", "--from", "2026-11-01", "--to", "2026-11-03"),
    ],
)
def test_reports_from_rollups_equal_the_reports_from_rows(fleet_site: Path, args: tuple[str, ...]) -> None:
    ours, theirs = both_ways(fleet_site, *args)
    assert ours == theirs


def test_export_of_bills_from_rollups_equals_the_export_from_rows(fleet_site: Path) -> None:
    first = runner.invoke(app, ["export", "--kind", "bills", "--format", "csv"])
    db = open_db(fleet_site)
    db.execute("DELETE FROM cost_days")
    db.execute("DELETE FROM cost_day_lines")
    db.close()
    second = runner.invoke(app, ["export", "--kind", "bills", "--format", "csv"])
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    assert first.stdout.count("\n") == 2  # the header and the one billing period (Oct 15 - Nov 15)


def test_reading_span_and_first_cost_row_by_seeks_equal_the_scans(site: Path) -> None:
    """`bill` asks both of every location; they seek along the keys, and give what a scan gives."""
    from elecost.store import Miner, add_miners, first_cost_row_s, reading_span

    db = open_db(site)
    add_miners(db, [Miner("idle", "Empty Site", None, None, None)])  # a miner with no readings
    for place in ("West Texas Site", "Empty Site", "Nowhere"):
        scan = db.execute(
            "SELECT min(r.timestamp_s), max(r.timestamp_s) FROM readings r "
            "JOIN miners m ON m.id = r.miner_id WHERE m.location = ?",
            [place],
        ).fetchone()
        assert reading_span(db, place) == (None if scan[0] is None else tuple(scan))
        first = db.execute("SELECT min(period_start_s) FROM costs WHERE location = ?", [place]).fetchone()[0]
        assert first_cost_row_s(db, place) == first
    assert reading_span(db, "West Texas Site") == (START, START + 4 * 86_400 - STEP_S)


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("sums", "index"),
    [
        (miner_sums, "cost_days_by_miner (location=? AND miner_ip=? AND day_start_s>?"),
        (miner_line_sums, "cost_day_lines_by_miner (location=? AND miner_ip=? AND kind_id=? AND day_start_s>?"),
    ],
)
def test_whole_days_of_one_location_are_summed_miner_by_miner_without_a_sort(
    site: Path, sums: Callable[..., list[tuple[Any, ...]]], index: str
) -> None:
    """A summary's per-miner sums (and per miner and line kind) of whole days read the rollups along
    their index by miner (migrations 015, 016), in miner order: SQLite sorts nothing. (That they
    equal the sums of the rows: the tests above.)"""
    db = open_db(site)
    statements: list[tuple[str, object]] = []
    execute = db.execute

    def logged(sql: str, params: object = ()) -> object:
        statements.append((sql, params))
        return execute(sql, params)

    db.execute = logged  # type: ignore[method-assign]
    end = START + 4 * 86_400 + 3_600  # Oct 31 to Nov 3, Nov 1 of 25 hours
    rows = sums(db, START, end, None)
    miners = [row[0] if sums is miner_sums else row[1] for row in rows]
    assert sorted(set(miners)) == ["a", "b", "c"]
    assert miners == sorted(miners)
    sql, params = next(statement for statement in reversed(statements) if "parts AS" in statement[0])
    plan = [row[-1] for row in execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()]
    assert any(f"USING COVERING INDEX {index}" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def test_a_miner_name_at_two_locations_is_two_miners(elecost_db: Path, tmp_path: Path) -> None:
    """Private addresses repeat from site to site: miner "a" in Texas and "a" in Arkansas are two
    miners in `summary --by miner`, each with its own location, kWh and lines (they were one group,
    at the first location, with both miners' money)."""
    db = open_db(elecost_db)
    tariffs = [load_tariff_file(EXAMPLES / name) for name in ("texas_industrial.yaml", "entergy_arkansas_lps_tou.yaml")]
    add_rates(db, tariffs)
    for tariff in tariffs:
        activate_rate(db, tariff.name)
    lines = ["timestamp,miner,location,power_w"]
    for hour in range(49):  # 48 hours from local midnight (the last reading ends the one before it)
        at = START + hour * 3600
        lines += [f"{at},a,West Texas Site,3000", f"{at},b,West Texas Site,2000", f"{at},a,Arkansas Mine,1000"]
    (tmp_path / "two.csv").write_text("\n".join(lines) + "\n")
    import_readings(db, [tmp_path / "two.csv"])
    record_costs(db)
    db.close()
    span = ("--from", "2026-10-31", "--to", "2026-11-02")
    ours, theirs = both_ways(elecost_db, "summary", "--by", "miner", *span)
    assert ours == theirs
    assert isinstance(ours, dict)
    groups = {(g["group"], g["location"], g["miner_ip"]): g for g in ours["groups"]}
    assert list(groups) == [
        ("a (Arkansas Mine)", "Arkansas Mine", "a"),
        ("a (West Texas Site)", "West Texas Site", "a"),
        ("b", "West Texas Site", "b"),
    ]
    kwh = [g["total_kwh"] for g in groups.values()]
    assert kwh == [49.0, 147.0, 98.0]  # 2 days and the 25-hour Nov 1: 49 hours at 1, 3 and 2 kW
    for group in groups.values():
        assert sum(line["quantity"] for line in group["lines"] if line["charge"] == "energy") == group["total_kwh"]
    one = runner.invoke(app, ["summary", "--by", "miner", "--location", "Arkansas Mine", "--json", *span])
    assert [g["group"] for g in json.loads(one.stdout)["groups"]] == ["a"]
