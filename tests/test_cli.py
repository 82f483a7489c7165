"""The command line end to end through Typer's CliRunner: exit codes, stderr, JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elecost.cli import app
from elecost.store import open_db

from conftest import EXAMPLES

Write = Callable[[str, str], Path]
runner = CliRunner()
RECORD_KEYS = {
    "rate_name", "location", "miner_ip", "period_start", "period_end", "duration_hours", "total_kwh",
    "avg_power_kw", "peak_power_kw", "avg_rate_usd_per_kwh", "energy_cost_usd", "demand_charge_usd",
    "service_charge_usd", "total_cost_usd", "tou_breakdown_usd",
}  # fmt: skip


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("elecost ")


@pytest.mark.parametrize(("example", "total"), [("flat.yaml", 9.14), ("tou.yaml", 9.96)])
def test_calc_worked_examples(example: str, total: float) -> None:
    code, out, _ = run("calc", "--power", "3000", "--hours", "24", "--tariff", str(EXAMPLES / example), "--json")
    assert code == 0
    record = json.loads(out)
    assert record.keys() >= RECORD_KEYS
    assert record["total_cost_usd"] == total
    assert record["total_kwh"] == 72


def test_calc_start_date_is_local_midnight_and_dst_day(write: Write) -> None:
    tariff = (EXAMPLES / "tou.yaml").read_text().replace("timezone: UTC", "timezone: America/Chicago")
    path = write("chicago.yaml", tariff)
    code, out, _ = run(
        "calc", "--power", "3000", "--hours", "23", "--start", "2026-03-08", "--tariff", str(path), "--json"
    )
    record = json.loads(out)
    assert code == 0
    assert record["period_start"] == "2026-03-08T00:00:00-06:00"
    assert record["period_end"] == "2026-03-09T00:00:00-05:00"
    assert record["total_cost_usd"] == 9.72


def test_calc_table_shows_the_breakdown() -> None:
    code, out, _ = run(
        "calc", "--power", "3000", "--hours", "24", "--start", "2026-05-04", "--tariff", str(EXAMPLES / "tou.yaml")
    )
    assert code == 0
    assert "energy: Off-Peak" in out and "2.40" in out and "7.56" in out and "9.96" in out


def test_calc_readings_file(write: Write) -> None:
    path = write("r.csv", "timestamp,power_w\n2026-05-04T00:00:00Z,3000\n2026-05-04T12:00:00Z,3000\n")
    code, out, _ = run("calc", "--readings", str(path), "--tariff", str(EXAMPLES / "flat.yaml"), "--json")
    assert code == 0
    assert json.loads(out)["total_cost_usd"] == 9.14  # the last reading lasts the 12 h spacing


def test_calc_bad_tariff_exits_2_with_the_line(write: Write) -> None:
    path = write("bad.yaml", "name: X\nrate_type: flat\nflat_rate_usd_per_kwh: cheap\n")
    code, out, err = run("calc", "--power", "1", "--hours", "1", "--tariff", str(path))
    assert code == 2
    assert out == ""
    assert (
        err == f"error: {path}:3: flat_rate_usd_per_kwh: must be a number, got 'cheap'\n1 error; nothing was written.\n"
    )


def test_calc_usage_errors_exit_2() -> None:
    code, _, err = run("calc", "--power", "1", "--tariff", str(EXAMPLES / "flat.yaml"))
    assert code == 2
    assert err == "error: give --power W and --hours H (or --readings FILE)\n"
    code, _, err = run("calc", "--power", "x", "--hours", "1", "--tariff", str(EXAMPLES / "flat.yaml"))
    assert (code, err) == (2, "error: --power: not a number: 'x'\n")


def test_calc_without_a_tariff_uses_the_active_rate() -> None:
    open_db(os.environ["ELECOST_DB"])
    code, _, err = run("calc", "--power", "3000", "--hours", "24")
    assert code == 2
    assert "no active rate" in err
    assert run("rate", "init")[0] == 0
    assert run("rate", "activate", "Example Flat")[0] == 0
    code, out, _ = run("calc", "--power", "3000", "--hours", "24", "--json")
    assert json.loads(out)["total_cost_usd"] == 9.14
    code, out, _ = run("calc", "--power", "3000", "--hours", "24", "--rate", "Example TOU", "--json")
    assert json.loads(out)["total_cost_usd"] == 9.96


# --- rates -----------------------------------------------------------------------------------


def test_rate_lifecycle(write: Write) -> None:
    assert run("rate", "add", str(EXAMPLES / "texas_industrial.yaml"))[0] == 0
    code, _, err = run("rate", "add", str(EXAMPLES / "texas_industrial.yaml"))
    assert code == 2 and "already exists" in err
    code, out, _ = run("rate", "list", "--json")
    assert [r["name"] for r in json.loads(out)] == ["Texas Industrial TOU"]
    code, out, _ = run("rate", "show", "Texas Industrial TOU")
    assert "│ Account number │ **********7731 │" in out and "4410-2298-7731" not in out
    code, exported, _ = run("rate", "export", "Texas Industrial TOU")
    assert "4410-2298-7731" in exported
    path = write("again.yaml", exported.replace("Texas Industrial TOU", "Copy"))
    assert run("rate", "add", str(path))[0] == 0
    assert run("rate", "activate", "Copy")[0] == 0
    code, out, _ = run("rate", "current", "--location", "West Texas Site", "--json")
    current = json.loads(out)
    assert current["rate_name"] == "Copy" and current["next_change"] is not None
    assert run("rate", "activate", "Texas Industrial TOU")[0] == 0
    actives = [r["name"] for r in json.loads(run("rate", "list", "--json")[1]) if r["active"]]
    assert actives == ["Texas Industrial TOU"]
    assert run("rate", "remove", "Copy")[0] == 0
    code, _, err = run("rate", "show", "Copy")
    assert (code, err) == (2, "error: no rate named 'Copy' (rates: Texas Industrial TOU)\n")


def test_rate_update_keeps_it_active(write: Write) -> None:
    run("rate", "init")
    run("rate", "activate", "Example Flat")
    cheaper = (EXAMPLES / "flat.yaml").read_text().replace("0.12", "0.10")
    assert run("rate", "update", "Example Flat", str(write("f.yaml", cheaper)))[0] == 0
    _code, out, _ = run("calc", "--power", "1000", "--hours", "10", "--start", "2026-05-04", "--json")
    assert json.loads(out)["energy_cost_usd"] == 1.0


def test_rate_add_checks_every_file_before_storing_any(write: Write) -> None:
    bad = write("bad.yaml", "name: B\nrate_type: tou\n")
    code, _, err = run("rate", "add", str(EXAMPLES / "flat.yaml"), str(bad))
    assert code == 2
    assert err.endswith("1 error; nothing was written.\n")
    assert run("rate", "list", "--json")[0] == 2  # not even an empty database was created


# --- readings, record, reports ---------------------------------------------------------------


READINGS = "timestamp,miner,power_w\n" + "".join(
    f"2026-05-04T{h:02d}:{m:02d}:00Z,a,1000\n2026-05-04T{h:02d}:{m:02d}:00Z,b,2000\n"
    for h in range(2)
    for m in (0, 15, 30, 45)
)


def setup_flat(write: Write) -> Path:
    run("rate", "init")
    run("rate", "activate", "Example Flat")
    return write("r.csv", READINGS)


def test_import_twice_and_record_twice_equals_the_hand_calculation(write: Write) -> None:
    path = setup_flat(write)
    for _ in range(2):
        code, _, err = run("readings", "import", str(path))
        assert code == 0, err
        assert run("record")[0] == 0
    code, out, err = run("summary", "--days", "30", "--json")
    assert code == 0, err
    summary = json.loads(out)
    # a: 1 kW x 2 h, b: 2 kW x 2 h = 6 kWh x $0.12 = 0.72; service 0.50 x 2/24 = 0.041667
    assert summary["total_kwh"] == 6
    assert summary["energy_cost_usd"] == 0.72
    assert summary["service_charge_usd"] == 0.04
    assert summary["total_cost_usd"] == 0.76
    assert (summary["duration_hours"], summary["avg_power_kw"]) == (2, 3)  # the time recorded, not --days
    assert [g["group"] for g in summary["groups"]] == ["2026-05-04"]
    by_miner = json.loads(run("summary", "--by", "miner", "--json")[1])
    assert {g["group"]: g["total_kwh"] for g in by_miner["groups"]} == {"a": 2, "b": 4}
    assert sum(g["total_cost_usd"] for g in by_miner["groups"]) == pytest.approx(0.76)


def test_a_bad_row_in_the_middle_writes_nothing(write: Write, elecost_db: Path) -> None:
    path = setup_flat(write)
    lines = READINGS.splitlines()
    lines.insert(6, "2026-05-04T00:40:00Z,a,lots")
    bad = write("bad.csv", "\n".join(lines) + "\n")
    code, _, err = run("readings", "import", str(bad))
    assert code == 2
    assert err == f"error: {bad}:7: power_w: not a number: 'lots'\n1 error; nothing was written.\n"
    assert run("record")[1:] == ("", "recorded 0 cost rows over 0 billing periods\n")
    code, _, err = run("readings", "import", str(bad), "--skip-bad")
    assert code == 0
    assert f"skipped: {bad}:7: power_w: not a number: 'lots'" in err
    assert "imported 16 new readings" in err
    assert path.exists()


def test_a_conflicting_reimport_is_refused_unless_replace(write: Write) -> None:
    path = setup_flat(write)
    run("readings", "import", str(path))
    changed = write("changed.csv", READINGS.replace("2026-05-04T00:00:00Z,a,1000", "2026-05-04T00:00:00Z,a,1500"))
    code, _, err = run("readings", "import", str(changed))
    assert code == 2
    assert err.startswith(f"error: {changed}:2: power_w: conflicts with the stored reading")
    code, _, err = run("readings", "import", str(changed), "--replace")
    assert code == 0 and "1 replaced" in err
    run("record")
    summary = json.loads(run("summary", "--json")[1])
    assert summary["total_kwh"] == 6.125  # 0.5 kW more for 15 minutes


def test_readings_without_location_need_one_when_several_are_active(write: Write) -> None:
    path = setup_flat(write)
    run("rate", "add", str(EXAMPLES / "texas_industrial.yaml"))
    run("rate", "activate", "Texas Industrial TOU")
    code, _, err = run("readings", "import", str(path))
    assert code == 2
    assert "several locations have active rates (Main Facility, West Texas Site)" in err
    assert run("readings", "import", str(path), "--location", "Main Facility")[0] == 0


def test_costs_and_bill(write: Write) -> None:
    path = setup_flat(write)
    run("readings", "import", str(path))
    run("record")
    rows = json.loads(run("costs", "--days", "30", "--json")[1])
    assert [r["period_start"] for r in rows] == ["2026-05-04T00:00:00+00:00", "2026-05-04T01:00:00+00:00"]
    assert all(r.keys() >= RECORD_KEYS for r in rows)
    miner_rows = json.loads(run("costs", "--miner", "b", "--json")[1])
    assert [r["total_kwh"] for r in miner_rows] == [2, 2]
    bills = json.loads(run("bill", "--json")[1])
    assert len(bills) == 1
    assert bills[0]["total_cost_usd"] == 0.76
    assert bills[0]["partial"] is True
    code, out, _ = run("bill")
    assert code == 0 and "Bills: Main Facility" in out


def test_record_without_an_active_rate_says_so(write: Write) -> None:
    path = write("r.csv", READINGS)
    run("readings", "import", str(path), "--location", "Nowhere")
    code, _, err = run("record")
    assert code == 2
    assert "readings at Nowhere have no active rate" in err


def test_reports_before_any_record_explain_what_to_do() -> None:
    open_db(os.environ["ELECOST_DB"])
    code, _, err = run("summary")
    assert (code, err) == (2, "error: no cost rows yet; import readings and run `elecost record` first\n")


def test_demo_runs_on_the_bundled_data(tmp_path: Path) -> None:
    code, out, err = run("demo", "--db", str(tmp_path / "demo.db"))
    assert code == 0, err
    assert "imported 1284 readings" in err
    assert "Bills: Main Facility" in out
