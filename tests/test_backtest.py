"""Curtailment against market prices: the plan by hand, hysteresis, minimum off time, and the backtest."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from elecost.backtest import Earnings, EnergyPrice, Rig, Rule, off_schedule
from elecost.cli import app

from conftest import EXAMPLES

runner = CliRunner()
Write = Callable[[str, str], Path]
HOUR = 3600
T0 = 1_782_864_000  # 2026-07-01T00:00:00Z
S19 = Rig("s19", Decimal(3250), Decimal(110))  # 29.5 J/TH: breaks even at $70.52/MWh at $0.05/TH/day
S21 = Rig("s21", Decimal(3500), Decimal(200))  # 17.5 J/TH: at $119.05/MWh


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def hourly(prices: list[int]) -> list[tuple[int, int, Decimal]]:
    return [(T0 + i * HOUR, T0 + (i + 1) * HOUR, Decimal(p)) for i, p in enumerate(prices)]


def site(write: Write, prices: list[int]) -> None:
    lines = ["timestamp,price_usd_per_mwh,duration_s", *(f"{T0 + i * HOUR},{p},3600" for i, p in enumerate(prices))]
    assert run("prices", "import", str(write("p.csv", "\n".join(lines) + "\n")), "-m", "rt")[0] == 0
    for rig in (S19, S21):
        args = ("miner", "add", rig.name, "--hashrate-th", str(rig.hashrate_th), "--power-w", str(rig.power_w))
        assert run(*args, "--location", "Site")[0] == 0


def test_a_strike_between_two_price_levels(write: Write) -> None:
    site(write, [20, 100, 20, 100])
    code, out, _ = run("curtail", "--market", "rt", "--strike-usd-per-mwh", "60", "--json")
    assert code == 0
    plan = json.loads(out)
    # Both miners off in the $100 hours only; 6.75 kW x 1 h x $0.10/kWh = $0.675 each; no hashprice given.
    assert [(p["start"], p["end"], p["miners"], p["price_usd_per_mwh"]) for p in plan] == [
        ("2026-07-01T01:00:00+00:00", "2026-07-01T02:00:00+00:00", ["s19", "s21"], 100.0),
        ("2026-07-01T03:00:00+00:00", "2026-07-01T04:00:00+00:00", ["s19", "s21"], 100.0),
    ]
    assert [(p["energy_saved_kwh"], p["cost_saved_usd"], p["revenue_forgone_usd"]) for p in plan] == [
        (6.75, 0.68, None),
        (6.75, 0.68, None),
    ]
    # With losses and an adder the site pays 0.100 x 1.05 + 0.004 = $0.109/kWh; a TH/s earns $0.05 a day.
    code, out, _ = run("curtail", "--market", "rt", "--strike-usd-per-mwh", "60", "--loss-pct", "5",
                       "--adder-usd-per-kwh", "0.004", "--hashprice-usd-per-th-day", "0.05",
                       "--from", "2026-07-01T01:00Z", "--to", "2026-07-01T02:00Z", "--json")  # fmt: skip
    (item,) = json.loads(out)
    assert (item["price_usd_per_kwh"], item["cost_saved_usd"], item["revenue_forgone_usd"]) == (0.109, 0.74, 0.65)


def test_own_break_even_stops_the_least_efficient_first() -> None:
    earnings = Earnings(Decimal(0), Decimal("0.05"))
    states = off_schedule([S19, S21], hourly([20, 100, 150, 20]), Rule(), EnergyPrice(), earnings)
    assert states == {"s19": [False, True, True, False], "s21": [False, False, True, False]}


def test_hysteresis_and_minimum_off_time() -> None:
    rule = Rule(Decimal(60), hysteresis_usd_per_mwh=Decimal(10))
    assert off_schedule([S21], hourly([20, 100, 55, 50, 20]), rule, EnergyPrice(), None) == {
        "s21": [False, True, True, False, False]  # back on only at 60 - 10 = 50
    }
    rule = Rule(Decimal(60), min_off_s=2 * HOUR)
    assert off_schedule([S21], hourly([20, 100, 20, 20, 100]), rule, EnergyPrice(), None) == {
        "s21": [False, True, True, False, True]  # off for at least two hours
    }


def test_hashprice_series_moves_the_break_even(write: Write) -> None:
    site(write, [100, 100, 100, 100])
    hashprice = write("h.csv", f"timestamp,hashprice_usd_per_th_day\n{T0},0.05\n{T0 + 2 * HOUR},0.08\n")
    code, out, _ = run("curtail", "--market", "rt", "--hashprice-file", str(hashprice), "--json")
    # s19 breaks even at $70.52/MWh, then at $112.84/MWh: off for the first two hours only.
    assert code == 0
    assert [(p["start"], p["end"], p["miners"], p["revenue_forgone_usd"]) for p in json.loads(out)] == [
        ("2026-07-01T00:00:00+00:00", "2026-07-01T02:00:00+00:00", ["s19"], 0.46)  # 110 x 0.05 x 2 / 24
    ]
    btc = write("b.csv", f"timestamp,btc_price_usd,difficulty\n{T0 + HOUR},86350,110.57e12\n")
    code, _, err = run("curtail", "--market", "rt", "--hashprice-file", str(btc))
    assert code == 2
    assert (
        err
        == "error: the hashprice series starts at 2026-07-01T01:00:00+00:00, after the price interval at 2026-07-01T00:00:00+00:00\n"
    )


def test_a_span_without_prices_is_refused(write: Write) -> None:
    site(write, [20, 100])
    code, _, err = run("curtail", "--market", "rt", "--strike-usd-per-mwh", "60", "--to", "2026-07-01T03:00Z")
    assert (code, err) == (
        2,
        "error: market 'rt' has no price from 2026-07-01T02:00:00+00:00; import prices for it first\n",
    )
    code, _, err = run("curtail", "--market", "nope", "--strike-usd-per-mwh", "60")
    assert (code, err) == (2, "error: no prices for market 'nope' (markets: rt)\n")
    code, _, err = run("curtail", "--strike-usd-per-mwh", "60")
    assert (code, err) == (
        2,
        "error: --backtest, --strike-usd-per-mwh, --hashprice-file, --from, --to, --timezone need --market\n",
    )


def test_backtest_over_a_generated_month(write: Write) -> None:
    """30 days of 15-minute prices: $20 at night, $35 by day, $400 from 17:00 to 19:00 UTC. Both
    miners really ran all month, except that s19 was switched off in each evening spike."""
    days, quarters = 30, 96
    prices, readings = [], []
    for q in range(days * quarters):
        hour = q % quarters // 4
        start = T0 + q * 900
        price = 400 if 17 <= hour < 19 else 35 if 7 <= hour < 22 else 20
        prices.append(f"{start},{price}")
        readings.append(f"{start},3500,s21")
        readings.append(f"{start},{0 if price == 400 else 3250},s19")
    assert (
        run("prices", "import", str(write("p.csv", "\n".join(["timestamp,price_usd_per_mwh", *prices]))), "-m", "rt")[0]
        == 0
    )
    path = write("r.csv", "\n".join(["timestamp,power_w,miner", *readings]))
    assert run("readings", "import", str(path), "--location", "Site")[0] == 0
    for rig in (S19, S21):
        run(
            "miner", "add", rig.name, "--hashrate-th", str(rig.hashrate_th), "--power-w", str(rig.power_w), "-l", "Site"
        )
    code, out, _ = run("curtail", "--market", "rt", "--backtest", "--strike-usd-per-mwh", "60",
                       "--hashprice-usd-per-th-day", "0.05", "--from", "2026-07-01", "--to", "2026-07-31", "--json")  # fmt: skip
    assert code == 0
    result = json.loads(out)
    rows = {(r["miner"], r["schedule"]): r for r in result["rows"]}
    # The plan stops both miners 2 h a day: 6.75 kW x 60 h x $0.40 = $162.00 saved, and
    # 310 TH/s x $0.05 x 60 / 24 = $38.75 forgone.
    plan = rows[(None, "plan")]
    assert (plan["uptime_pct"], plan["energy_saved_usd"], plan["revenue_forgone_usd"], plan["net_usd"]) == (
        91.67,
        162.0,
        38.75,
        123.25,
    )
    # What was run: s19 off 60 h (3.25 kW x 60 h x $0.40 = $78.00; 110 x 0.05 x 60 / 24 = $13.75).
    assert [rows[("s19", "actual")][k] for k in ("uptime_pct", "energy_saved_usd", "revenue_forgone_usd")] == [
        91.67,
        78.0,
        13.75,
    ]
    assert rows[("s21", "actual")]["uptime_pct"] == 100.0
    assert rows[(None, "actual")]["net_usd"] == 64.25
    assert result["plan_minus_actual_usd"] == 59.0
    code, out, err = run("curtail", "--market", "rt", "--backtest", "--strike-usd-per-mwh", "60",
                         "--hashprice-usd-per-th-day", "0.05")  # fmt: skip
    assert code == 0 and err == "following the plan would have netted $59.00 more than what was run\n"
    code, _, err = run("curtail", "--market", "rt", "--backtest", "--strike-usd-per-mwh", "60")
    assert (code, err) == (2, "error: --backtest needs a hashprice: NETWORK options or --hashprice-file\n")
    run("miner", "add", "s9", "--hashrate-th", "14", "--power-w", "1400", "-l", "Site")
    code, _, err = run("curtail", "--market", "rt", "--backtest", "--strike-usd-per-mwh", "60",
                       "--hashprice-usd-per-th-day", "0.05")  # fmt: skip
    assert (code, err.splitlines()[0]) == (
        0,
        "warning: s9 never ran in this span by the readings (none, or all below half the nameplate power); "
        "check the readings' miner names against `elecost miner list`",
    )


def test_the_readme_example() -> None:
    """The README's ERCOT transcript, on the example files: the figures it shows."""
    west = ("--market", "ercot_lz_west")
    assert (
        run("prices", "import", str(EXAMPLES / "ercot_rt_example.csv"), *west, "--settlement-point", "LZ_WEST")[0] == 0
    )
    assert run("readings", "import", str(EXAMPLES / "ercot_site_readings.csv"), "-l", "West Site")[0] == 0
    assert run("miner", "add", "c1-s19", "--hashrate-th", "11000", "--power-w", "325000", "-l", "West Site")[0] == 0
    assert run("miner", "add", "c2-s21", "--hashrate-th", "20000", "--power-w", "350000", "-l", "West Site")[0] == 0
    assert run("peaks", "import", str(EXAMPLES / "ercot_4cp_example.csv"), "--name", "ercot_4cp")[0] == 0
    peaks = json.loads(run("peaks", "show", "--json")[1])
    assert [(p["site_kw"], p["no_readings"]) for p in peaks] == [(0, True), (0, True), (675, False), (0, True)]
    code, out, _ = run("curtail", *west, "--hashprice-usd-per-th-day", "0.05", "--backtest", "--json")
    assert (code, json.loads(out)["plan_minus_actual_usd"]) == (0, 676.23)
    # The site on the index tariff: its bill's lines, and what each peak adds a month.
    assert run("rate", "add", str(EXAMPLES / "ercot_index.yaml"))[0] == 0
    assert run("rate", "activate", "ERCOT LZ_WEST index")[0] == 0
    code, out, _ = run("bill", "--json")
    (bill,) = json.loads(out)
    assert [(line["label"], line["usd"]) for line in bill["lines"]] == [
        ("ercot_lz_west", 1247.32995),
        ("Adder", 63.5),
        ("Customer charge", 11.290323),
    ]
    assert bill["total_cost_usd"] == 1322.12
    peaks = json.loads(run("peaks", "show", "--json")[1])
    assert [p["usd_per_month"] for p in peaks] == [0, 0, 928.13, 0]


def test_break_even_in_market_terms_with_losses_and_an_adder() -> None:
    """The S21 breaks even at $0.05 x 1000 / (17.5 x 24) = $0.119048/kWh; with 5% losses and a
    $0.004 adder that is a market price of (0.119048 - 0.004) / 1.05 x 1000 = $109.57/MWh."""
    energy = EnergyPrice(Decimal("0.004"), Decimal(5))
    earnings = Earnings(Decimal(0), Decimal("0.05"))
    states = off_schedule([S21], hourly([109, 110]), Rule(), energy, earnings)
    assert states == {"s21": [False, True]}
    threshold = energy.market_usd_per_mwh(Decimal("0.05") / (Decimal("17.5") * Decimal("0.024")))
    assert round(threshold, 2) == Decimal("109.57")
    assert round(energy.usd_per_kwh(threshold), 6) == Decimal("0.119048")
