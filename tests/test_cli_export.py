"""`export` never destroys a file it was not asked to, escapes formulas, and its rows add up."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elecost.cli import app

from conftest import EXAMPLES

runner = CliRunner()
Write = Callable[[str, str], Path]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
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


@pytest.mark.usefixtures("recorded")
def test_export_refuses_to_write_over_the_database(elecost_db: Path) -> None:
    code, _, err = run("export", "-o", os.environ["ELECOST_DB"], "--force")
    assert (code, err) == (2, f"error: --output: {elecost_db} is the database; write the export to another file\n")
    assert elecost_db.read_bytes().startswith(b"SQLite format 3")
    assert run("summary")[0] == 0


@pytest.mark.usefixtures("recorded")
def test_export_refuses_to_write_over_the_database_given_before_the_command(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    assert run("--db", str(path), "rate", "init")[0] == 0
    code, _, err = run("--db", str(path), "export", "-o", str(path))
    assert (code, err) == (2, f"error: --output: {path} is the database; write the export to another file\n")


@pytest.mark.usefixtures("recorded")
def test_export_keeps_an_existing_file_unless_forced(write: Write) -> None:
    path = write("keep.csv", "precious\n")
    code, _, err = run("export", "-o", str(path))
    assert (code, err) == (2, f"error: --output: {path} exists; add --force to overwrite it\n")
    assert path.read_text(encoding="utf-8") == "precious\n"
    code, _, err = run("export", "-o", str(path), "--force")
    assert (code, err) == (0, f"wrote 286 cost rows and 1 bills to {path}\n")
    assert path.read_text(encoding="utf-8").startswith("kind,rate_name")


@pytest.mark.usefixtures("recorded")
def test_export_to_a_folder_a_missing_folder_or_a_full_device(tmp_path: Path) -> None:
    assert run("export", "-o", str(tmp_path))[2] == f"error: --output: {tmp_path} is a folder; give a file name\n"
    missing = tmp_path / "nope" / "x.csv"
    assert run("export", "-o", str(missing))[2] == f"error: --output: the folder {missing.parent} does not exist\n"
    if Path("/dev/full").exists():
        code, _, err = run("export", "-o", "/dev/full")
        assert (code, err) == (2, "error: --output: cannot write /dev/full: No space left on device\n")


@pytest.mark.usefixtures("recorded")
def test_export_rows_add_up_to_the_bill_to_the_cent() -> None:
    code, out, _ = run("export", "--format", "json")
    assert code == 0
    data = json.loads(out)
    meter = [row for row in data["costs"] if row["miner_ip"] is None]
    (bill,) = data["bills"]
    exact = sum(Decimal(str(row["total_cost_usd"])) for row in meter)
    rounded_rows = sum(round(Decimal(str(row["total_cost_usd"])), 2) for row in meter)
    assert round(exact, 2) == round(Decimal(str(bill["total_cost_usd"])), 2) == Decimal("89.25")
    assert rounded_rows != Decimal("89.25")  # what per-row rounding gave: the rows did not add up
    assert meter[0]["total_cost_usd"] == 0.7866


@pytest.mark.usefixtures("recorded")
def test_csv_export_rows_keep_six_decimals() -> None:
    rows = list(csv.DictReader(io.StringIO(run("export", "--kind", "costs")[1])))
    meter = [row for row in rows if row["miner_ip"] == ""]
    assert round(sum(Decimal(row["total_cost_usd"]) for row in meter), 2) == Decimal("89.25")
    assert rows[1]["total_cost_usd"] == "0.261867"


@pytest.mark.usefixtures("recorded")
def test_costs_json_rows_add_up_to_the_summary() -> None:
    rows = json.loads(run("costs", "--days", "30", "--json")[1])
    total = json.loads(run("summary", "--json")[1])["total_cost_usd"]
    assert round(sum(Decimal(str(row["total_cost_usd"])) for row in rows), 2) == Decimal(str(total))
    assert rows[0]["energy_cost_usd"] == 0.7866


def test_csv_export_escapes_formulas_in_names(write: Write) -> None:
    for args in (("rate", "init"), ("rate", "activate", "Example TOU")):
        assert run(*args)[0] == 0
    readings = write(
        "r.csv",
        """
        timestamp,miner,power_w
        2026-05-04T00:00:00Z,"=HYPERLINK(""http://evil"",""x"")",1000
        2026-05-04T00:15:00Z,"=HYPERLINK(""http://evil"",""x"")",1000
        2026-05-04T00:00:00Z,@sum,1000
        2026-05-04T00:15:00Z,@sum,1000
        """,
    )
    assert run("readings", "import", str(readings))[0] == 0
    assert run("record")[0] == 0
    rows = list(csv.DictReader(io.StringIO(run("export", "--kind", "costs")[1])))
    assert {row["miner_ip"] for row in rows} == {"", '\'=HYPERLINK("http://evil","x")', "'@sum"}
