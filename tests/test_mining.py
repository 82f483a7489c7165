"""Miners, profit, break-even, curtailment, budgets and export: the operator's questions."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from elecost.cli import app
from elecost.mining import Network, break_even_usd_per_kwh, hashprice_usd_per_th_day

from conftest import EXAMPLES

runner = CliRunner()
SUBSIDY = Decimal("3.125")
FEES = SUBSIDY * Decimal("0.0193") / (1 - Decimal("0.0193"))  # fees are 1.93% of the block reward


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_worked_hashprice_and_break_even() -> None:
    hashprice = hashprice_usd_per_th_day(Decimal(86_350), Decimal("110.57e12"), FEES)
    assert round(hashprice * 1000, 2) == Decimal("50.06")  # USD per PH/s per day
    s21 = break_even_usd_per_kwh(Network(hashprice), Decimal(3500), Decimal(200))
    assert round(s21, 3) == Decimal("0.119")
    with_fee = break_even_usd_per_kwh(Network(hashprice, Decimal(2)), Decimal(3500), Decimal(200))
    assert with_fee == s21 * Decimal("0.98")


def site() -> None:
    assert run("rate", "init")[0] == 0
    assert run("rate", "activate", "Example TOU")[0] == 0
    assert run("miner", "add", "10.0.0.11", "--hashrate-th", "200", "--power-w", "3500", "--model", "S21")[0] == 0
    assert run("miner", "add", "10.0.0.12", "--hashrate-th", "110", "--power-w", "3250", "--model", "S19")[0] == 0


def test_miner_inventory() -> None:
    site()
    miners = json.loads(run("miner", "list", "--json")[1])
    assert [(m["name"], m["location"], m["hashrate_th"]) for m in miners] == [
        ("10.0.0.11", "Main Facility", 200.0),
        ("10.0.0.12", "Main Facility", 110.0),
    ]
    assert run("miner", "remove", "10.0.0.12")[0] == 0
    assert [m["name"] for m in json.loads(run("miner", "list", "--json")[1])] == ["10.0.0.11"]
    assert run("miner", "remove", "10.0.0.12")[:3:2] == (2, "error: no miner named '10.0.0.12' in the inventory\n")


def test_profit_from_recorded_costs_and_from_nameplate() -> None:
    site()
    run("miner", "add", "10.0.0.99", "--hashrate-th", "100", "--power-w", "3000")  # no readings
    assert run("readings", "import", str(EXAMPLES / "readings.csv"))[0] == 0
    assert run("record")[0] == 0
    code, out, err = run("profit", "--hashprice-usd-per-th-day", "0.05", "--pool-fee-pct", "2", "--json")
    assert code == 0, err
    rows = {(r["miner_ip"], r["location"]): r for r in json.loads(out)}
    s21 = rows[("10.0.0.11", "Main Facility")]
    assert s21["revenue_usd_per_day"] == 9.8  # 0.05 x 200 x 0.98
    assert s21["cost_source"] == "recorded"
    # 10.0.0.11 used 235.796 kWh for $32.62 over the 72 hours of the example readings.
    assert s21["cost_usd_per_day"] == pytest.approx(32.62 / 3, abs=0.01)
    assert s21["margin_usd_per_day"] == pytest.approx(9.8 - 32.62 / 3, abs=0.01)
    nameplate = rows[("10.0.0.99", "Main Facility")]
    assert nameplate["cost_source"] == "nameplate"
    assert nameplate["cost_usd_per_day"] == 9.96  # 3 kW around the clock on the TOU example
    assert nameplate["break_even_usd_per_kwh"] == pytest.approx(0.05 * 0.98 / (30 * 0.024), abs=1e-6)
    location = rows[(None, "Main Facility")]
    assert location["hashrate_th"] == 410
    assert set(s21) >= {
        "miner_ip", "location", "hashrate_th", "power_w", "efficiency_j_per_th", "revenue_usd_per_day",
        "cost_usd_per_day", "margin_usd_per_day", "break_even_usd_per_kwh",
    }  # fmt: skip


def test_profit_from_btc_price_and_difficulty() -> None:
    site()
    code, out, _ = run(
        "profit", "--btc-price-usd", "86350", "--difficulty", "110.57e12", "--fees-btc-per-block", str(FEES), "--json"
    )
    assert code == 0
    s21 = next(r for r in json.loads(out) if r["miner_ip"] == "10.0.0.11")
    assert s21["revenue_usd_per_day"] == pytest.approx(10.01, abs=0.01)
    assert round(s21["break_even_usd_per_kwh"], 3) == 0.119


def test_network_options_must_be_complete() -> None:
    site()
    code, _, err = run("profit", "--btc-price-usd", "86350")
    assert (code, err) == (2, "error: give --hashprice-usd-per-th-day X, or --btc-price-usd P and --difficulty D\n")


def test_curtailment_stops_exactly_during_the_peak() -> None:
    site()
    # 10.0.0.11 breaks even at 0.05 x 200 / (3500 x 0.024) = 0.119 $/kWh: above off-peak 0.08,
    # below peak 0.18. 10.0.0.12 (0.05 x 110 / 78) = 0.0705: it loses money at every hour.
    code, out, err = run("curtail", "--date", "2026-07-01", "--hashprice-usd-per-th-day", "0.05", "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert [(p["start"], p["end"], p["miners"]) for p in plan] == [
        ("2026-07-01T00:00:00+00:00", "2026-07-01T07:00:00+00:00", ["10.0.0.12"]),
        ("2026-07-01T07:00:00+00:00", "2026-07-01T21:00:00+00:00", ["10.0.0.11", "10.0.0.12"]),
        ("2026-07-01T21:00:00+00:00", "2026-07-02T00:00:00+00:00", ["10.0.0.12"]),
    ]
    peak = plan[1]
    assert peak["price_usd_per_kwh"] == 0.18
    assert peak["energy_saved_kwh"] == pytest.approx(6.75 * 14)
    assert peak["cost_saved_usd"] == pytest.approx(6.75 * 14 * 0.18, abs=0.005)
    assert peak["revenue_forgone_usd"] == pytest.approx(0.05 * 310 * 14 / 24, abs=0.005)
    code, out, _ = run("curtail", "--date", "2026-07-01", "--hashprice-usd-per-th-day", "0.2", "--json")
    assert json.loads(out) == []


def test_curtailment_counts_the_tou_demand_a_whole_window_of_stopping_saves() -> None:
    """Entergy Arkansas: on-peak energy costs 0.03855 $/kWh, far below an S21's 0.119 break-even,
    but the summer on-peak demand charge ($18.887/kW) over July 2026's 154 on-peak hours (22
    weekdays, 3 July a holiday, x 7 h) adds 0.12264 $/kWh: stopping 13:00-20:00 pays."""
    assert run("rate", "add", str(EXAMPLES / "entergy_arkansas_lps_tou.yaml"))[0] == 0
    assert run("rate", "activate", "Entergy Arkansas LPS-TOU")[0] == 0
    run("miner", "add", "s21", "--hashrate-th", "200", "--power-w", "3500", "--location", "Arkansas Mine")
    code, out, err = run("curtail", "--date", "2026-07-01", "--hashprice-usd-per-th-day", "0.05", "--json")
    assert code == 0, err
    (window,) = json.loads(out)
    assert (window["start"], window["end"], window["miners"]) == (
        "2026-07-01T13:00:00-05:00",
        "2026-07-01T20:00:00-05:00",
        ["s21"],
    )
    per_kwh = 18.887 / 154
    assert window["price_usd_per_kwh"] == pytest.approx(0.01973 + 0.01882 + per_kwh, abs=1e-6)
    assert window["demand_charges"] == ["Summer on-peak demand"]
    assert window["demand_saved_usd"] == pytest.approx(3.5 * 7 * per_kwh, abs=0.005)
    # On the holiday the window does not apply, and nothing is worth stopping for.
    code, out, _ = run("curtail", "--date", "2026-07-03", "--hashprice-usd-per-th-day", "0.05", "--json")
    assert json.loads(out) == []
    code, out, _ = run("curtail", "--date", "2026-07-01", "--hashprice-usd-per-th-day", "0.05")
    assert "Summer on-peak demand: stopping for the whole of such a window" in " ".join(out.split())


def test_budget_check_fails_over_and_passes_under() -> None:
    site()
    run("readings", "import", str(EXAMPLES / "readings.csv"))
    run("record")
    # By Nov 4 00:00 the month cost $89.25 over 72 h: $29.75 a day, 27 days left -> $892.49.
    assert run("budget", "set", "--monthly-usd", "800")[0] == 0
    code, _, err = run("budget", "check", "--at", "2026-11-04T00:00:00Z")
    assert code == 1
    assert err == ("all locations, 2026-11: forecast $892.49 vs budget $800.00 (OVER BUDGET; month to date $89.25)\n")
    assert run("budget", "set", "--monthly-usd", "900", "--location", "Main Facility")[0] == 0
    assert run("budget", "set", "--monthly-usd", "1000")[0] == 0
    code, out, _ = run("budget", "check", "--at", "2026-11-04T00:00:00Z")
    assert code == 0
    assert "Main Facility, 2026-11: forecast $892.49 vs budget $900.00 (within budget" in out
    statuses = json.loads(run("budget", "show", "--at", "2026-11-04T00:00:00Z", "--json")[1])
    assert [(s["location"], s["over_budget"]) for s in statuses] == [(None, False), ("Main Facility", False)]


def test_export_csv_and_json() -> None:
    site()
    run("readings", "import", str(EXAMPLES / "readings.csv"))
    run("record")
    code, out, _ = run("export", "--format", "csv", "--from", "2026-11-01", "--to", "2026-11-02")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    costs = [r for r in rows if r["kind"] == "cost"]
    assert len(costs) == 24 * 4  # the meter and three miners, every hour of Nov 1
    assert next(r for r in rows if r["kind"] == "bill")["partial"] == "True"
    data = json.loads(run("export", "--format", "json", "--kind", "bills")[1])
    assert data["costs"] == [] and data["bills"][0]["total_cost_usd"] == 89.248867  # exact; 89.25 shown


def test_curtail_says_when_the_miners_location_has_no_active_rate() -> None:
    assert run("rate", "add", str(EXAMPLES / "entergy_arkansas_lps_tou.yaml"))[0] == 0
    run("miner", "add", "s21", "--hashrate-th", "200", "--power-w", "3500", "--location", "Arkansas Mine")
    code, _, err = run("curtail", "--date", "2026-07-01", "--hashprice-usd-per-th-day", "0.05")
    assert (code, err) == (
        2,
        "error: the miners at 'Arkansas Mine' have no active rate; `elecost rate activate NAME` for their location\n",
    )
