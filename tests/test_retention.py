"""`readings prune` and `record --keep-readings`: old readings go, cost rows, rollups and bills stay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_record import readings, write_batch
from typer.testing import CliRunner

from elecost.cli import app
from elecost.store import open_db

from conftest import EXAMPLES
from helpers import at

runner = CliRunner()
CUT = at("2026-07-15T00:00", "America/Chicago")  # the Texas tariff's billing period turns on the 15th


def cost_rows(db_path: Path) -> dict[tuple[str, int], tuple[float, ...]]:
    with open_db(db_path) as db:
        return {
            (miner, start): (kwh, usd)
            for miner, start, kwh, usd in db.execute(
                "SELECT miner_ip, period_start_s, total_kwh, total_cost_usd FROM costs"
            ).fetchall()
        }


def recorded_site(tmp_path: Path) -> None:
    for args in (
        ["rate", "add", str(EXAMPLES / "texas_industrial.yaml")],
        ["rate", "activate", "Texas Industrial TOU"],
        ["readings", "import", str(write_batch(tmp_path / "r.csv", readings(3)))],
        ["record"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output


def test_prune_keeps_cost_rows_and_a_re_record_leaves_the_pruned_periods_alone(
    tmp_path: Path, elecost_db: Path
) -> None:
    recorded_site(tmp_path)
    before = cost_rows(elecost_db)
    bills = runner.invoke(app, ["bill", "--from", "2026-06-15", "--json"])
    assert bills.exit_code == 0, bills.output
    with open_db(elecost_db) as db:
        stored = db.execute("SELECT count(*) FROM readings").fetchone()[0]
        kept = db.execute("SELECT count(*) FROM readings WHERE timestamp_s >= ?", [CUT - 300]).fetchone()[0]
    result = runner.invoke(app, ["readings", "prune", "--before", "2026-07-16T12:00"])
    assert result.exit_code == 0, result.output
    assert f"pruned {stored - kept} readings; cost rows and daily rollups stay" in result.output
    with open_db(elecost_db) as db:
        firsts = db.execute("SELECT min(timestamp_s) FROM readings GROUP BY miner_id").fetchall()
    assert {first for (first,) in firsts} == {CUT - 300}  # each miner's last reading before the cut stays
    assert cost_rows(elecost_db) == before
    summary = runner.invoke(app, ["summary", "--by", "miner", "--json"])
    assert summary.exit_code == 0, summary.output
    # The pruned period's bill, from its cost rows (`--from` reaches back past the readings).
    again = runner.invoke(app, ["bill", "--from", "2026-06-15", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)[0] == json.loads(bills.output)[0]
    # Without --from too: the bills start where the cost rows do, not where the readings now do.
    default = runner.invoke(app, ["bill", "--json"])
    assert json.loads(default.output)[0] == json.loads(bills.output)[0]
    # A re-record from before the cut, and a late reading there, leave the pruned period's rows as they were.
    late = write_batch(tmp_path / "late.csv", [(CUT - 86_400 - 150, "a", 9000)])
    assert runner.invoke(app, ["readings", "import", str(late)]).exit_code == 0
    assert runner.invoke(app, ["record", "--since", "2026-07-01"]).exit_code == 0
    after = cost_rows(elecost_db)
    assert after.keys() == before.keys()
    for key, values in before.items():
        assert after[key] == pytest.approx(values, rel=1e-9, abs=1e-9), key


def test_record_keep_readings_prunes_after_recording(tmp_path: Path, elecost_db: Path) -> None:
    recorded_site(tmp_path)
    before = cost_rows(elecost_db)
    result = runner.invoke(app, ["record", "--keep-readings", "1"])  # newest reading Jul 16 23:55: cut Jul 15
    assert result.exit_code == 0, result.output
    assert "pruned " in result.output
    with open_db(elecost_db) as db:
        assert db.execute("SELECT min(timestamp_s) FROM readings").fetchone()[0] == CUT - 300
    assert cost_rows(elecost_db) == before
    bad = runner.invoke(app, ["record", "--keep-readings", "-1"])
    assert bad.exit_code == 2
    assert "--keep-readings: must be 0 to 36600 days, got -1" in bad.output


def test_readings_waiting_for_record_are_not_pruned(tmp_path: Path, elecost_db: Path) -> None:
    for args in (
        ["rate", "add", str(EXAMPLES / "texas_industrial.yaml")],
        ["rate", "activate", "Texas Industrial TOU"],
        ["readings", "import", str(write_batch(tmp_path / "r.csv", readings(3)))],
    ):
        assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, ["readings", "prune", "--before", "2026-07-20"])
    assert result.exit_code == 0, result.output
    assert "pruned 0 readings" in result.output
