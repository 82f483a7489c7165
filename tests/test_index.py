"""Energy at a market's price (rate_type: index) and the coincident-peak charge, by hand and
against NREL PySAM's time-series buy rate."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elecost.cli import app
from elecost.tariffs.engine import Context, price_loads
from elecost.tariffs.load import parse_tariff
from elecost.tariffs.usage import Load

runner = CliRunner()

INDEX = """
name: Index
location: Mine
rate_type: index
index: {market: m, adder_usd_per_kwh: 0.004, loss_pct: 2}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def prices_csv(path: Path, prices: list[tuple[str, float]]) -> Path:
    return write(path, "timestamp,price_usd_per_mwh,duration_s\n" + "".join(f"{t},{p},900\n" for t, p in prices))


def test_energy_at_the_market_price_with_losses_an_adder_and_a_negative_price(tmp_path: Path) -> None:
    prices = [("2026-07-01T00:00:00Z", 20), ("2026-07-01T00:15:00Z", -10), ("2026-07-01T00:30:00Z", 100)]
    prices.append(("2026-07-01T00:45:00Z", 40))
    assert run("prices", "import", str(prices_csv(tmp_path / "p.csv", prices)), "--market", "m")[0] == 0
    readings = write(
        tmp_path / "r.csv",
        "timestamp,power_w,duration_s\n" + "".join(f"2026-07-01T00:{m:02d}:00Z,1000000,900\n" for m in (0, 15, 30, 45)),
    )
    code, out, err = run(
        "calc", "--readings", str(readings), "--tariff", str(write(tmp_path / "i.yaml", INDEX)), "--json"
    )
    assert code == 0, err
    record = json.loads(out)
    # 250 kWh in each quarter hour at (20 - 10 + 100 + 40) $/MWh x 1.02, and 1,000 kWh x $0.004.
    assert [(line["label"], line["quantity"], line["usd"]) for line in record["lines"]] == [
        ("m", 1000.0, 38.25),
        ("Adder", 1000.0, 4.0),
    ]
    assert record["total_cost_usd"] == 42.25


def test_a_span_without_a_price_is_refused_naming_the_first_missing_interval(tmp_path: Path) -> None:
    prices = [("2026-07-01T00:00:00Z", 20), ("2026-07-01T00:15:00Z", 30), ("2026-07-01T00:45:00Z", 40)]
    assert run("prices", "import", str(prices_csv(tmp_path / "p.csv", prices)), "--market", "m")[0] == 0
    tariff = write(tmp_path / "i.yaml", INDEX)
    code, _, err = run(
        "calc", "--power", "1000", "--hours", "1", "--start", "2026-07-01T00:00:00Z", "--tariff", str(tariff)
    )
    assert (code, err) == (
        2,
        "error: no m price from 2026-07-01T00:30:00+00:00, the first interval without one; "
        "import it with `elecost prices import`\n",
    )


def test_record_prices_up_to_the_last_price_and_the_rest_once_it_comes(tmp_path: Path) -> None:
    tariff = write(tmp_path / "i.yaml", INDEX)
    assert run("rate", "add", str(tariff))[0] == 0 and run("rate", "activate", "Index")[0] == 0
    readings = "timestamp,power_w\n" + "".join(
        f"2026-07-01T0{h}:{m:02d}:00Z,600000\n" for h in (0, 1) for m in range(0, 60, 5)
    )
    assert run("readings", "import", str(write(tmp_path / "r.csv", readings)))[0] == 0
    first = [(f"2026-07-01T00:{m:02d}:00Z", 50) for m in (0, 15, 30, 45)]
    second = [(f"2026-07-01T01:{m:02d}:00Z", 80) for m in (0, 15, 30, 45)]
    assert run("prices", "import", str(prices_csv(tmp_path / "p1.csv", first)), "--market", "m")[0] == 0
    code, _, err = run("record")
    assert code == 0
    assert err == (
        "recorded 1 cost rows over 1 billing period\n"
        "readings at Mine from 2026-07-01T01:00:00+00:00 to 2026-07-01T01:55:00+00:00 await prices; "
        "`elecost prices import` them, and the next record prices them\n"
    )
    assert run("prices", "import", str(prices_csv(tmp_path / "p2.csv", second)), "--market", "m")[0] == 0
    assert run("record")[0] == 0
    code, out, _ = run("costs", "--days", "1", "--json")
    rows = json.loads(out)
    # 600 kWh an hour at $0.05 x 1.02 and then $0.08 x 1.02, plus the adder.
    assert [row["total_cost_usd"] for row in rows] == [
        round(600 * (0.05 * 1.02 + 0.004), 2),
        round(600 * (0.08 * 1.02 + 0.004), 2),
    ]
    code, out, _ = run("bill", "--json")
    assert json.loads(out)[0]["total_cost_usd"] == pytest.approx(sum(row["total_cost_usd"] for row in rows), abs=0.005)


def test_a_4cp_charge_bills_the_mean_site_kw_of_last_summers_peaks(tmp_path: Path) -> None:
    tariff = write(
        tmp_path / "cp.yaml",
        "name: CP\nlocation: Mine\nrate_type: flat\nflat_rate_usd_per_kwh: 0.05\n"
        "coincident_peak: {peaks: cp, usd_per_kw: 5.50}\n",
    )
    assert run("rate", "add", str(tariff))[0] == 0 and run("rate", "activate", "CP")[0] == 0
    peaks = write(tmp_path / "peaks.csv", "interval_start\n2025-07-15T21:00:00Z\n2025-08-12T21:15:00Z\n")
    assert run("peaks", "import", str(peaks), "--name", "cp")[0] == 0
    rows = ["timestamp,power_w,duration_s"]
    rows += ["2025-07-15T21:00:00Z,1000000,900", "2025-08-12T21:15:00Z,500000,900"]
    rows += [f"2026-01-{day:02d}T00:00:00Z,100000,86400" for day in range(1, 32)]
    assert run("readings", "import", str(write(tmp_path / "r.csv", "\n".join(rows) + "\n")))[0] == 0
    code, out, err = run("bill", "--from", "2026-01-01", "--to", "2026-02-01", "--json")
    assert code == 0, err
    (january,) = json.loads(out)
    assert [line for line in january["lines"] if line["charge"] == "coincident_peak"] == [
        {"charge": "coincident_peak", "label": "Coincident peak", "quantity": 750.0, "unit": "kW", "usd": 4125.0}
    ]
    assert january["demand_charge_usd"] == 4125.0
    code, out, _ = run("peaks", "show", "--json")
    assert [(p["site_kw"], p["usd_per_month"]) for p in json.loads(out)] == [(1000.0, 2750.0), (500.0, 1375.0)]


@pytest.mark.parametrize("steps_per_hour", [1, 4])
def test_monthly_energy_equals_pysam_time_series_buy_rate(steps_per_hour: int) -> None:
    """A year of hourly prices (negative nights, summer evening spikes) and an hourly or 15-minute
    load, billed month by month against PySAM's time-series buy rate (one rate per load step)."""
    monthly_bills = pytest.importorskip("pysam_runner").monthly_bills
    rng = random.Random(12 + steps_per_hour)
    start = int(datetime(2018, 1, 1, tzinfo=UTC).timestamp())
    step_s = 3600 // steps_per_hour
    prices = []
    for hour in range(8760):
        price = rng.uniform(-20, 60)
        if hour % 24 in (18, 19) and 4000 < hour < 6500:
            price = rng.uniform(1000, 5000)
        prices.append((start + hour * 3600, start + hour * 3600 + 3600, Decimal(str(round(price, 2)))))
    load = [round(rng.uniform(0, 2000), 3) if rng.random() > 0.05 else 0.0 for _ in range(8760 * steps_per_hour)]
    tariff = parse_tariff("name: I\nrate_type: index\nindex: {market: m, loss_pct: 2}\n", "i.yaml")
    loads = [Load(start + i * step_s, start + (i + 1) * step_s, Decimal(repr(kw)) * 1000) for i, kw in enumerate(load)]
    ours = price_loads(tariff, loads, start, start + 8760 * 3600, Context(prices=prices))
    buy = [float(p / 1000 * Decimal("1.02")) for _, _, p in prices for _ in range(steps_per_hour)]
    flat = [[1] * 24 for _ in range(12)]
    settings = {
        "ur_metering_option": 4,
        "ur_en_ts_buy_rate": 1,
        "ur_ts_buy_rate": buy,
        "ur_dc_enable": 0,
        "ur_ec_tou_mat": [[1, 1, 1e38, 0, 0.0, 0.0]],
        "ur_ec_sched_weekday": flat,
        "ur_ec_sched_weekend": flat,
        "ur_monthly_fixed_charge": 0,
        "ur_monthly_min_charge": 0,
    }
    theirs = monthly_bills(load, settings)
    assert len(ours) == 12
    for month, record in enumerate(ours):
        assert float(record.energy_cost_usd) == pytest.approx(theirs["energy"][month], abs=1e-6), month


def test_profit_and_curtail_on_an_index_tariff(tmp_path: Path) -> None:
    """Profit prices a miner without cost rows on the market's latest prices; the tariff-based
    curtailment plan points to the market one, since an index tariff has no schedule to plan on."""
    tariff = write(tmp_path / "i.yaml", INDEX)
    assert run("rate", "add", str(tariff))[0] == 0 and run("rate", "activate", "Index")[0] == 0
    prices = [(f"2026-07-01T{h:02d}:00:00Z", 40 if h % 2 else 60) for h in range(24)]
    lines = "timestamp,price_usd_per_mwh,duration_s\n" + "".join(f"{t},{p},3600\n" for t, p in prices)
    assert run("prices", "import", str(write(tmp_path / "p.csv", lines)), "--market", "m")[0] == 0
    assert run("miner", "add", "s21", "--hashrate-th", "200", "--power-w", "3500", "-l", "Mine")[0] == 0
    code, out, err = run("profit", "--hashprice-usd-per-th-day", "0.05", "--json")
    assert code == 0, err
    miner = json.loads(out)[0]
    # 84 kWh a day at ($50 x 1.02 + $4) per MWh on average: $4.62 a day.
    assert (miner["cost_usd_per_day"], miner["cost_source"]) == (4.62, "nameplate")
    code, _, err = run("curtail", "--date", "2026-07-01", "--hashprice-usd-per-th-day", "0.05")
    assert (code, err) == (
        2,
        "error: Mine: its tariff 'Index' is priced by the market 'm'; plan against its prices with "
        "`elecost curtail --market m`\n",
    )
