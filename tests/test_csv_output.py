"""`--csv` on every tabular command: the `--json` rows as CSV, header first, money at full precision
(contract section 4), so a spreadsheet's sum of the rows is the bill to the cent."""

from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elecost.cli import app
from elecost.report_data import rows_csv

from conftest import EXAMPLES

runner = CliRunner()
WEST = ("--market", "ercot_lz_west")
HASHPRICE = ("--hashprice-usd-per-th-day", "0.05")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def ercot(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The README's ERCOT site (prices, readings, miners, 4CP peaks, the index tariff), recorded,
    with a budget: built once, read by every test through `--db`."""
    path = str(tmp_path_factory.mktemp("ercot") / "ercot.db")
    steps = [
        ["prices", "import", str(EXAMPLES / "ercot_rt_example.csv"), *WEST, "--settlement-point", "LZ_WEST"],
        ["readings", "import", str(EXAMPLES / "ercot_site_readings.csv"), "-l", "West Site"],
        ["miner", "add", "c1-s19", "--hashrate-th", "11000", "--power-w", "325000", "-l", "West Site"],
        ["miner", "add", "c2-s21", "--hashrate-th", "20000", "--power-w", "350000", "-l", "West Site"],
        ["peaks", "import", str(EXAMPLES / "ercot_4cp_example.csv"), "--name", "ercot_4cp"],
        ["rate", "add", str(EXAMPLES / "ercot_index.yaml")],
        ["rate", "activate", "ERCOT LZ_WEST index"],
        ["record"],
        ["budget", "set", "--monthly-usd", "1000"],
    ]
    for step in steps:
        code, _, err = run("--db", path, *step)
        assert code == 0, (step, err)
    return path


def table(out: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(out))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def csv_of(db: str, *args: str) -> tuple[list[str], list[dict[str, str]]]:
    code, out, err = run("--db", db, *args, "--csv")
    assert code == 0, err
    return table(out)


RECORD = [
    "rate_name",
    "location",
    "miner_ip",
    "period_start",
    "period_end",
    "duration_hours",
    "total_kwh",
    "avg_power_kw",
    "peak_power_kw",
    "avg_rate_usd_per_kwh",
    "energy_cost_usd",
    "demand_charge_usd",
    "service_charge_usd",
    "total_cost_usd",
    "tou_breakdown_usd",
    "tier_breakdown_usd",
    "partial",
    "lines",
]
DAY = "--from", "2025-08-20", "--to", "2025-08-21"


def test_costs_csv_rows_keep_full_precision(ercot: str) -> None:
    header, rows = csv_of(ercot, "costs", *DAY)
    assert header == RECORD
    assert len(rows) == 24
    first = rows[0]
    assert (first["period_start"], first["total_kwh"], first["total_cost_usd"]) == (
        "2025-08-20T00:00:00-05:00",
        "675.0",
        "19.76328",
    )
    assert json.loads(first["lines"])[1] == {
        "charge": "rider",
        "label": "Adder",
        "quantity": 675.0,
        "unit": "kWh",
        "usd": 2.7,
    }


def test_costs_csv_rows_sum_to_the_bill_and_the_summary_to_the_cent(ercot: str) -> None:
    _, rows = csv_of(ercot, "costs", *DAY)
    total = sum((Decimal(row["total_cost_usd"]) for row in rows), Decimal(0))
    (bill,) = json.loads(run("--db", ercot, "bill", "--json")[1])
    summary = json.loads(run("--db", ercot, "summary", *DAY, "--json")[1])
    cents = total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert (
        cents == Decimal(str(bill["total_cost_usd"])) == Decimal(str(summary["total_cost_usd"])) == Decimal("1322.12")
    )
    _, bill_rows = csv_of(ercot, "bill")
    assert bill_rows[0]["total_cost_usd"] == "1322.120273"


def test_summary_csv_is_its_groups(ercot: str) -> None:
    header, rows = csv_of(ercot, "summary", *DAY, "--by", "day")
    assert header == ["group", *RECORD]
    assert [(r["group"], r["total_kwh"], r["total_cost_usd"]) for r in rows] == [
        ("2025-08-20", "15875.0", "1322.120273")
    ]


def test_bill_csv(ercot: str) -> None:
    header, rows = csv_of(ercot, "bill")
    assert header == RECORD
    assert (rows[0]["period_start"], rows[0]["energy_cost_usd"], rows[0]["partial"]) == (
        "2025-08-20T00:00:00-05:00",
        "1310.82995",
        "True",
    )


def test_rate_list_csv_writes_nested_fields_as_json(ercot: str) -> None:
    header, rows = csv_of(ercot, "rate", "list")
    assert header[:5] == ["name", "description", "location", "timezone", "rate_type"]
    assert rows[0]["name"] == "ERCOT LZ_WEST index"
    assert json.loads(rows[0]["index"]) == {"market": "ercot_lz_west", "loss_pct": 2, "adder_usd_per_kwh": 0.004}


def test_miner_list_csv(ercot: str) -> None:
    header, rows = csv_of(ercot, "miner", "list")
    assert header == ["name", "location", "hashrate_th", "power_w", "model", "host", "port", "client"]
    assert rows[1] == {
        "name": "c2-s21",
        "location": "West Site",
        "hashrate_th": "20000.0",
        "power_w": "350000.0",
        "model": "",
        "host": "",
        "port": "",
        "client": "",
    }


def test_profit_csv(ercot: str) -> None:
    header, rows = csv_of(ercot, "profit", *HASHPRICE)
    assert header == [
        "miner_ip",
        "location",
        "hashrate_th",
        "power_w",
        "efficiency_j_per_th",
        "revenue_usd_per_day",
        "cost_usd_per_day",
        "margin_usd_per_day",
        "break_even_usd_per_kwh",
        "cost_source",
    ]
    s21 = next(row for row in rows if row["miner_ip"] == "c2-s21")
    assert (s21["revenue_usd_per_day"], s21["break_even_usd_per_kwh"]) == ("1000.0", "0.119048")
    # money at 6 decimals: the miners' costs per day add up to the site's (the bill's $1,322.120273)
    site = next(row for row in rows if row["miner_ip"] == "")
    miners = [Decimal(row["cost_usd_per_day"]) for row in rows if row["miner_ip"]]
    assert sum(miners) == Decimal(site["cost_usd_per_day"]) == Decimal("1322.120273")


def test_curtail_market_plan_and_backtest_csv(ercot: str) -> None:
    header, rows = csv_of(ercot, "curtail", *WEST, *HASHPRICE)
    assert header == [
        "location",
        "start",
        "end",
        "miners",
        "price_usd_per_mwh",
        "price_usd_per_kwh",
        "energy_saved_kwh",
        "cost_saved_usd",
        "revenue_forgone_usd",
    ]
    assert rows[0]["start"] == "2025-08-20T16:00:00-05:00"
    assert json.loads(rows[0]["miners"]) == ["c1-s19"]
    header, rows = csv_of(ercot, "curtail", *WEST, *HASHPRICE, "--backtest")
    assert header[:3] == ["miner", "schedule", "uptime_pct"]
    assert (rows[0]["miner"], rows[0]["schedule"], rows[0]["uptime_pct"]) == ("c1-s19", "actual", "95.83")


def test_curtail_tariff_plan_csv(tmp_path: Path) -> None:
    """A 30 J/TH miner breaks even at $0.069/kWh at $0.05/TH/day: on $0.10 it stops every hour."""
    (tmp_path / "flat.yaml").write_text("name: Flat\nlocation: Site\nrate_type: flat\nflat_rate_usd_per_kwh: 0.10\n")
    for step in (
        ["rate", "add", str(tmp_path / "flat.yaml")],
        ["rate", "activate", "Flat"],
        ["miner", "add", "m1", "--hashrate-th", "100", "--power-w", "3000", "-l", "Site"],
    ):
        assert run(*step)[0] == 0
    code, out, err = run("curtail", *HASHPRICE, "--date", "2026-11-01", "--csv")
    assert code == 0, err
    header, rows = table(out)
    assert header == [
        "location",
        "start",
        "end",
        "miners",
        "price_usd_per_kwh",
        "energy_saved_kwh",
        "cost_saved_usd",
        "revenue_forgone_usd",
        "demand_saved_usd",
        "demand_charges",
    ]
    assert rows[0]["miners"] == '["m1"]'
    assert rows[0]["price_usd_per_kwh"] == "0.1"


def test_budget_show_csv(ercot: str) -> None:
    header, rows = csv_of(ercot, "budget", "show", "--at", "2025-08-21")
    assert header == ["location", "month", "monthly_usd", "month_to_date_usd", "forecast_usd", "over_budget"]
    assert (rows[0]["location"], rows[0]["month"], rows[0]["monthly_usd"]) == ("", "2025-08", "1000.0")


def test_prices_list_and_show_csv(ercot: str) -> None:
    header, rows = csv_of(ercot, "prices", "list")
    assert header == [
        "market",
        "intervals",
        "first",
        "last",
        "min_usd_per_mwh",
        "avg_usd_per_mwh",
        "max_usd_per_mwh",
    ]
    assert rows == [
        {
            "market": "ercot_lz_west",
            "intervals": "96",
            "first": "2025-08-20T00:00:00-05:00",
            "last": "2025-08-21T00:00:00-05:00",
            "min_usd_per_mwh": "-3.6",
            "avg_usd_per_mwh": "100.3625",
            "max_usd_per_mwh": "1314.4",
        }
    ]
    header, rows = csv_of(ercot, "prices", "show", *WEST)
    assert header == ["start", "end", "price_usd_per_mwh"]
    assert rows[0] == {
        "start": "2025-08-20T00:00:00-05:00",
        "end": "2025-08-20T00:15:00-05:00",
        "price_usd_per_mwh": "22.65",
    }


def test_peaks_show_csv(ercot: str) -> None:
    header, rows = csv_of(ercot, "peaks", "show")
    assert header == ["name", "interval_start", "interval_end", "site_kw", "no_readings", "usd_per_month"]
    assert [(r["site_kw"], r["usd_per_month"]) for r in rows] == [
        ("0.0", "0.0"),
        ("0.0", "0.0"),
        ("675.0", "928.125"),  # 675 kW x $5.50 x 3 / 12 months, unrounded
        ("0.0", "0.0"),
    ]


def test_reconcile_csv_rows_say_their_kind(tmp_path: Path) -> None:
    """The meter (10 kW) and one miner (8 kW) for a day on $0.10/kWh: 48 kWh of overhead."""
    rows = ["timestamp,miner,power_w"]
    for hour in range(24):
        rows += [f"2026-11-01T{hour:02d}:00:00Z,,10000", f"2026-11-01T{hour:02d}:00:00Z,a,8000"]
    (tmp_path / "r.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "flat.yaml").write_text("name: Flat\nlocation: Site\nrate_type: flat\nflat_rate_usd_per_kwh: 0.10\n")
    for step in (
        ["rate", "add", str(tmp_path / "flat.yaml")],
        ["rate", "activate", "Flat"],
        ["readings", "import", str(tmp_path / "r.csv")],
        ["record"],
    ):
        assert run(*step)[0] == 0
    code, out, err = run("reconcile", "--csv")
    assert code == 0, err
    header, found = table(out)
    assert header[:2] == ["kind", "span"]
    assert "overhead_kwh" in header
    assert [row["kind"] for row in found] == ["day", "billing_period", "total"]
    assert (found[0]["span"], found[0]["overhead_kwh"]) == ("2026-11-01", "48.0")


def test_json_and_csv_together_is_a_usage_error(ercot: str) -> None:
    code, out, err = run("--db", ercot, "costs", "--json", "--csv")
    assert (code, out, err) == (2, "", "error: --json and --csv: give one of them\n")


def test_rows_csv_quotes_formulas_and_keeps_every_key() -> None:
    text = rows_csv([{"name": "=SUM(A1)", "usd": 1.5}, {"name": "b", "extra": {"k": 1}}])
    assert text == 'name,usd,extra\n\'=SUM(A1),1.5,\nb,,"{""k"": 1}"\n'
