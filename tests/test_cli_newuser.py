"""What a new user expects and trips over: bounded numbers, spans, names, cron, info, narrow tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elecost.cli import app

from conftest import EXAMPLES

runner = CliRunner()


def run(*args: str, width: int = 80) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": str(width)})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def recorded() -> None:
    for args in (
        ("rate", "init"),
        ("rate", "activate", "Example TOU"),
        ("readings", "import", str(EXAMPLES / "readings.csv")),
        ("record",),
    ):
        assert run(*args)[0] == 0


FLAT = str(EXAMPLES / "flat.yaml")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("calc", "--power", "1e25", "--hours", "1", "--tariff", FLAT), "--power: must be at most 1e12, got 1e25"),
        (("calc", "--power", "1", "--hours", "1e9", "--tariff", FLAT), "--hours: must be at most 87600, got 1e9"),
        (
            ("calc", "--power", "1", "--hours", "1", "--start", "9999-12-31", "--tariff", FLAT),
            "--start: must be between 1990 and 2100, got 9999-12-31",
        ),
        (("budget", "set", "--monthly-usd", "1e400"), "--monthly-usd: must be at most 1e12, got 1e400"),
        (("miner", "add", "x", "--hashrate-th", "inf", "-l", "m"), "--hashrate-th: must be a number >= 0, got inf"),
        (("miner", "add", "x", "--hashrate-th", "nan", "-l", "m"), "--hashrate-th: must be a number >= 0, got nan"),
        (("miner", "add", "x", "--power-w", "1e13", "-l", "m"), "--power-w: must be at most 1e12, got 1e13"),
    ],
)
def test_numbers_are_bounded_where_they_enter(args: tuple[str, ...], message: str) -> None:
    assert run(*args)[::2] == (2, f"error: {message}\n")


@pytest.mark.usefixtures("recorded")
def test_days_is_bounded() -> None:
    assert run("summary", "--days", "3000000")[::2] == (2, "error: --days: must be at most 36,600, got 3,000,000\n")
    assert run("costs", "--days", "3000000")[::2] == (2, "error: --days: must be at most 36,600, got 3,000,000\n")
    assert run("profit", "--days", "3000000", "--hashprice-usd-per-th-day", "0.05")[::2] == (
        2,
        "error: --days: must be at most 36,600, got 3,000,000\n",
    )


@pytest.mark.usefixtures("recorded")
def test_record_since_after_until_says_so() -> None:
    code, _, err = run("record", "--since", "2026-11-03", "--until", "2026-11-02")
    assert (code, err) == (2, "error: --since 2026-11-03 is not before --until 2026-11-02: nothing to redo\n")


@pytest.mark.usefixtures("recorded")
def test_unknown_miner_or_location_names_those_that_exist() -> None:
    assert run("costs", "--miner", "nope")[::2] == (
        2,
        "error: --miner: no cost rows for 'nope'; miners with cost rows: '10.0.0.11', '10.0.0.12', '10.0.0.13'\n",
    )
    assert run("summary", "--location", "Nowhere")[::2] == (
        2,
        "error: --location: no cost rows for 'Nowhere'; locations with cost rows: 'Main Facility'\n",
    )


@pytest.mark.usefixtures("recorded")
def test_days_are_whole_local_days() -> None:
    data = json.loads(run("summary", "--days", "1", "--json")[1])
    assert (data["period_start"], data["period_end"]) == ("2026-11-03T00:00:00+00:00", "2026-11-04T00:00:00+00:00")
    rows = json.loads(run("costs", "--days", "2", "--json")[1])
    assert rows[0]["period_start"] == "2026-11-02T00:00:00+00:00"


@pytest.mark.usefixtures("recorded")
def test_costs_and_summary_from_to() -> None:
    data = json.loads(run("summary", "--from", "2026-11-02", "--to", "2026-11-03", "--json")[1])
    assert (data["period_start"], data["period_end"]) == ("2026-11-02T00:00:00+00:00", "2026-11-03T00:00:00+00:00")
    rows = json.loads(run("costs", "--from", "2026-11-02T05:00Z", "--to", "2026-11-02T07:00Z", "--json")[1])
    assert [r["period_start"] for r in rows] == ["2026-11-02T05:00:00+00:00", "2026-11-02T06:00:00+00:00"]
    out = run("summary", "--from", "2026-11-02")[1]
    assert out.startswith("Costs, from 2026-11-02 to the last (2026-11-02 to 2026-11-04)")
    assert run("costs", "--from", "2026-11-03", "--to", "2026-11-02")[::2] == (
        2,
        "error: --from 2026-11-03 is not before --to 2026-11-02\n",
    )


def test_quiet_is_silent_on_success() -> None:
    for args in (("rate", "init"), ("rate", "activate", "Example TOU")):
        assert run(*args)[0] == 0
    assert run("readings", "import", "--quiet", str(EXAMPLES / "readings.csv")) == (0, "", "")
    assert run("record", "-q") == (0, "", "")
    bad = run("readings", "import", "--quiet", FLAT)
    assert bad[0] == 2 and bad[2].startswith("error: ")


@pytest.mark.usefixtures("recorded")
def test_info_says_which_database_and_what_is_in_it(elecost_db: Path) -> None:
    code, out, _ = run("info", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["database"] == str(elecost_db.resolve())
    assert data["size_bytes"] > 0
    assert (data["rates"], data["active_rates"], data["miners"]) == (2, {"Main Facility": "Example TOU"}, 3)
    assert (data["readings"], data["first_reading"], data["last_reading"]) == (
        1284,
        "2026-11-01T00:00:00+00:00",
        "2026-11-03T23:50:00+00:00",
    )
    assert (data["cost_rows"], data["waiting_for_record"]) == (286, False)
    assert data["last_record"] is not None
    assert f"│ database     │ {elecost_db.resolve()} " in run("info", width=300)[1]


def test_info_on_a_database_not_yet_made(elecost_db: Path) -> None:
    assert run("info") == (0, f"database: {elecost_db} (does not exist yet: `elecost rate init` creates it)\n", "")
    assert not elecost_db.exists()


@pytest.mark.usefixtures("recorded")
def test_budget_check_warns_on_stale_cost_rows() -> None:
    assert run("budget", "set", "--monthly-usd", "100000")[0] == 0
    code, out, err = run("budget", "check", "--at", "2026-11-25T00:00Z")
    assert code == 0
    assert err == (
        "warning: the newest cost row ends 2026-11-04T00:00:00+00:00, 21.0 days ago; the forecast does not see "
        "since then: import readings and run `elecost record`\n"
    )
    assert "within budget" in out
    assert run("budget", "check", "--at", "2026-11-04T12:00Z")[2] == ""


def test_tables_at_80_columns_keep_their_first_column(tmp_path: Path) -> None:
    for args in (("rate", "init"), ("rate", "activate", "Example Flat")):
        assert run(*args)[0] == 0
    lines = ["timestamp,miner,power_w"]
    for day in range(1, 29):
        for hour in (0, 12):
            lines += [f"2026-02-{day:02d}T{hour:02d}:00:00Z,miner-{m:03d},900000" for m in range(3)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("readings", "import", str(path))[0] == 0
    assert run("record")[0] == 0
    code, out, _ = run("summary", "--by", "miner", width=80)
    assert code == 0
    assert "│ miner-000 │" in out
    assert "peak kW and $/kWh left out to fit the terminal; --json has them" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    wide = run("summary", "--by", "miner", width=120)[1]
    assert "┃ peak kW ┃" in wide and "left out" not in wide


@pytest.mark.usefixtures("recorded")
def test_curtail_dates_and_days_are_bounded() -> None:
    assert run("miner", "add", "10.0.0.11", "--hashrate-th", "200", "--power-w", "3500")[0] == 0
    hashprice = ("--hashprice-usd-per-th-day", "0.05")
    assert run("curtail", "--date", "9999-12-31", *hashprice)[::2] == (
        2,
        "error: --date: must be between 1990 and 2100, got 9999-12-31\n",
    )
    assert run("curtail", "--date", "2026-11-02", "--days", "36000", *hashprice)[::2] == (
        2,
        "error: --days: must be at most 366, got 36,000\n",
    )


def test_calc_reads_readings_from_stdin() -> None:
    result = runner.invoke(
        app,
        ["calc", "--readings", "-", "--tariff", FLAT, "--json"],
        input="timestamp,power_w\n2026-05-04T00:00:00Z,3000\n2026-05-05T00:00:00Z,3000\n2026-05-06T00:00:00Z,3000\n",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["total_kwh"] == 216.0
