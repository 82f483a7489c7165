"""The store under real conditions: concurrent cron runs, a killed import, an old schema."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from elecost.db import Database, SQLiteDatabase
from elecost.migrations import migrations
from elecost.record import record_costs
from elecost.store import activate_rate, add_rates, open_db
from elecost.tariffs.load import load_tariff_file

from conftest import EXAMPLES


def elecost(db: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ELECOST_DB": str(db)}
    return subprocess.Popen(
        [sys.executable, "-m", "elecost", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(run: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = run.communicate()
    return run.returncode, err


def fleet_file(path: Path, miners: int, steps: int) -> Path:
    """`miners` miners at 3000 W, one reading every 5 minutes for `steps` steps from 2026-05-01."""
    start = 1_777_593_600
    with path.open("w") as out:
        out.write("timestamp,miner,power_w\n")
        for step in range(steps):
            for miner in range(miners):
                out.write(f"{start + step * 300},m{miner},3000\n")
    return path


def prepared(db_path: Path) -> Database:
    db = open_db(db_path)
    add_rates(db, [load_tariff_file(EXAMPLES / "flat.yaml")])
    activate_rate(db, "Example Flat")
    return db


def count(db_path: Path, table: str) -> int:
    with open_db(db_path) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_two_record_runs_at_once_neither_fail_nor_double_count(tmp_path: Path, elecost_db: Path) -> None:
    prepared(elecost_db)
    source = fleet_file(tmp_path / "r.csv", miners=20, steps=12 * 24 * 3)
    assert finish(elecost(elecost_db, "readings", "import", str(source)))[0] == 0
    runs = [elecost(elecost_db, "record") for _ in range(2)]
    results = [finish(run) for run in runs]
    assert [code for code, _ in results] == [0, 0], results
    # Exactly one of them did the work; the other found nothing left to do.
    assert sorted(err.split(" cost rows")[0] for _, err in results) == ["recorded 0", "recorded 1512"]
    summary = subprocess.run(
        [sys.executable, "-m", "elecost", "summary", "--json"],
        env={**os.environ, "ELECOST_DB": str(elecost_db)},
        capture_output=True,
        text=True,
        check=True,
    )
    # 20 miners x 3 kW x 72 h = 4,320 kWh at $0.12 = 518.40, plus 3 days x 0.50.
    assert json.loads(summary.stdout)["total_cost_usd"] == 519.90


@pytest.mark.sqlite_only  # a file's journal under SIGKILL; PostgreSQL's transactions are the server's own
def test_a_killed_import_leaves_the_database_as_before(tmp_path: Path, elecost_db: Path) -> None:
    prepared(elecost_db).close()
    source = fleet_file(tmp_path / "big.csv", miners=100, steps=2000)  # 200,000 readings
    for delay in (0.3, 0.9, 1.4, 1.7, 1.9):
        run = elecost(elecost_db, "readings", "import", str(source))
        time.sleep(delay)
        run.send_signal(signal.SIGKILL)
        finish(run)
        assert count(elecost_db, "readings") in (0, 200_000)
        if count(elecost_db, "readings"):
            break
    assert finish(elecost(elecost_db, "readings", "import", str(source)))[0] == 0
    assert count(elecost_db, "readings") == 200_000
    assert open_db(elecost_db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.sqlite_only
def test_a_first_version_database_upgrades_itself(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    old = SQLiteDatabase(path)
    migrations.apply(old, stop_before="002_breakdowns")
    old.execute(
        "INSERT INTO costs (timestamp, location, miner_ip, period_start_s, period_end_s, billing_period_start_s, "
        "duration_hours, total_kwh, avg_power_kw, peak_power_kw, rate_name, avg_rate_usd_per_kwh, energy_cost_usd, "
        "demand_charge_usd, service_charge_usd, total_cost_usd, tou_breakdown_usd) "
        "VALUES ('t', 'Main Facility', '', 0, 3600, 0, 1, 3, 3, 3, 'Old', 0.12, 0.36, 0, 0, 0.36, '{}')"
    )
    old.close()
    db = open_db(path)
    assert [m.name for m in migrations.applied(db)] == [
        "001_initial",
        "002_breakdowns",
        "003_inventory_and_budgets",
        "004_cost_rows_by_miner",
        "005_charges_and_lines",
        "006_reprice",
        "007_prices_and_peaks",
        "008_miner_addresses",
        "009_cost_days",
        "010_pruned",
        "011_miner_clients",
        "012_carbon",
        "013_location_settings",
        "014_cost_rows_one_key",
        "015_cost_days_by_miner",
        "016_cost_day_lines_by_miner",
    ]
    # Rows made before line items are dropped, and their span is left for `record` to price again.
    assert db.execute("SELECT count(*) FROM costs").fetchone()[0] == 0
    assert list(db.query("SELECT location, start_s, end_s FROM dirty")) == [
        {"location": "Main Facility", "start_s": 0, "end_s": 0}
    ]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    add_rates(db, [load_tariff_file(EXAMPLES / "flat.yaml")])
    assert record_costs(db).rows == 0


# Locations and miners whose names sort tightly: a prefix of another, digits as text, the meter ''.
PLACES = ("Site", "Site B", "West")
MINERS = ("", "(site overhead)", "10.0.0.10", "10.0.0.9", "a")
HOUR = 3600


def stored_rows(db: Database) -> list[tuple[str, str, int, int, float]]:
    """Cost rows at every location, of most miners ('a' at two locations only), some hours missing;
    written straight into the table: (location, miner, start, end, total USD) of each."""
    from elecost.store import COST_COLUMNS

    rows, kept = [], []
    for place_index, place in enumerate(PLACES):
        for miner_index, miner in enumerate(MINERS):
            if miner == "a" and place == "West":
                continue
            for hour in range(6):
                if (hour + miner_index + place_index) % 4 == 3:  # gaps, at other hours for each
                    continue
                start = 1_780_000_000 + hour * HOUR
                usd = float(len(rows) + 1)
                rows.append(
                    (len(rows) + 1, "t", place, miner, start, start + HOUR, start, 1.0, 2.0, 2.0, 2.0, None, "r",
                     0.5, usd, 0.0, 0.0, usd, "{}")
                )  # fmt: skip
                kept.append((place, miner, start, start + HOUR, usd))
    with db.write_transaction():
        db.copy_rows("costs", COST_COLUMNS, rows)
    return kept


def test_cost_rows_are_read_along_their_key_for_any_location_and_miner(elecost_db: Path) -> None:
    """The reads that walk the key (migration 014) find exactly the rows a filter of them all finds."""
    from elecost.carbon_store import energy_rows
    from elecost.rollups import newest_cost_end, rebuild_days
    from elecost.store import cost_names, cost_totals, first_cost_row_s, query_cost_rows

    with open_db(elecost_db) as db:
        assert newest_cost_end(db) is None
        assert cost_names(db, "miners") == cost_names(db, "locations") == []
        rows = stored_rows(db)
        with db.write_transaction():  # as `record` keeps them with its rows
            for place in PLACES:
                rebuild_days(db, place, [(1_779_926_400, 1_780_012_800), (1_780_012_800, 1_780_099_200)])
        start, end = 1_780_000_000 + HOUR, 1_780_000_000 + 4 * HOUR
        for place in (None, *PLACES, "Nowhere"):
            for miner in (None, *MINERS, "nobody"):
                for meter_only in (False, True):
                    who = "" if miner is None and meter_only else miner
                    expected = sorted(
                        (s, p, m)
                        for p, m, s, _, _ in rows
                        if start <= s < end and place in (None, p) and who in (None, m)
                    )
                    found = query_cost_rows(db, start, end, miner=miner, location=place, meter_only=meter_only)
                    assert [(r["period_start_s"], r["location"], r["miner_ip"]) for r in found] == expected
                if miner is not None:
                    usd = sum(u for p, m, s, _, u in rows if start <= s < end and place in (None, p) and m == miner)
                    assert cost_totals(db, start, end, location=place, miner=miner)[0] == pytest.approx(usd)
            miners = sorted((p, m, s) for p, m, s, _, _ in rows if start <= s < end and place in (None, p) and m)
            assert sorted(row[:3] for row in energy_rows(db, start, end, miners=True, location=place)) == miners
        for place in PLACES:
            assert first_cost_row_s(db, place) == min(s for p, _, s, _, _ in rows if p == place)
        assert first_cost_row_s(db, "Nowhere") is None
        assert newest_cost_end(db) == max(e for _, _, _, e, _ in rows)
        assert cost_names(db, "miners") == sorted({m for _, m, _, _, _ in rows if m})
        assert cost_names(db, "locations") == list(PLACES)
        if db.dialect == "sqlite":  # the key alone: no index by time or by miner to keep up
            indexes = db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'costs'")
            assert [row[0] for row in indexes] == ["sqlite_autoindex_costs_1"]
