"""The meter against the miners: a generated site whose overhead is known by construction."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from elecost.cli import app

runner = CliRunner()
FLAT = "name: Flat\nlocation: Site\nrate_type: flat\nflat_rate_usd_per_kwh: 0.10\n"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def site(tmp_path: Path) -> None:
    """Miners a (3 kW) and b (5 kW) every 15 minutes for three days, none on the second; the
    meter reads 1.08 x the miners + 40 kW of cooling (48.64 kW) throughout."""
    rows = ["timestamp,miner,power_w"]
    for day in (1, 2, 3):
        for quarter in range(96):
            at = f"2026-11-{day:02d}T{quarter // 4:02d}:{quarter % 4 * 15:02d}:00Z"
            rows.append(f"{at},,48640")
            if day != 2:
                rows += [f"{at},a,3000", f"{at},b,5000"]
    (tmp_path / "r.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "flat.yaml").write_text(FLAT)
    for args in (
        ["rate", "add", str(tmp_path / "flat.yaml")],
        ["rate", "activate", "Flat"],
        ["readings", "import", str(tmp_path / "r.csv")],
        ["record"],
    ):
        assert run(*args)[0] == 0


def test_reconciliation_reports_the_overhead_the_missing_day_and_the_bill(tmp_path: Path) -> None:
    site(tmp_path)
    code, out, err = run("reconcile", "--bill-usd", "351.00", "--bill-kwh", "3500", "--json")
    assert code == 0, err
    data = json.loads(out)
    day = {"meter_kwh": 1167.36, "miners_kwh": 192.0, "overhead_kwh": 975.36, "overhead_pct": 83.552632}
    day |= {"meter_usd": 116.74, "miners_usd": 19.2, "overhead_usd": 97.54}
    missing = {"meter_kwh": 1167.36, "miners_kwh": 0.0, "overhead_kwh": 1167.36, "overhead_pct": 100.0}
    missing |= {"meter_usd": 116.74, "miners_usd": 0.0, "overhead_usd": 116.74}
    assert data["days"] == [
        {"span": "2026-11-01", **day},
        {"span": "2026-11-02", **missing},
        {"span": "2026-11-03", **day},
    ]
    assert data["total"]["overhead_kwh"] == 975.36 * 2 + 1167.36
    assert data["diverging_days"][0]["span"] == "2026-11-02"
    assert data["meter_only"] == [{"start": "2026-11-02T00:00:00+00:00", "end": "2026-11-03T00:00:00+00:00"}]
    assert data["miners_only"] == []
    (bill,) = data["bills"]
    assert (bill["bill_usd"], bill["computed_usd"], bill["usd_apart_pct"]) == (351.0, 350.21, -0.225641)
    assert (bill["computed_kwh"], bill["kwh_apart_pct"]) == (3502.08, 0.059429)
    code, out, _ = run("reconcile", "--bill-usd", "351.00")
    out = " ".join(out.split())
    assert "2026-11-02 │ 1,167.360 │ 0.000 │ 1,167.360 │ 100.00 │ 116.74 │" in out
    assert "your bill says $351.00, elecost computes $350.21 from the meter data: 0.23% apart" in out
    assert "meter readings but no miner's: 2026-11-02T00:00:00+00:00 to 2026-11-03T00:00:00+00:00" in out


def test_reconciliation_needs_meter_readings(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text(
        "timestamp,miner,power_w\n2026-11-01T00:00:00Z,a,3000\n2026-11-01T00:15:00Z,a,3000\n"
    )
    (tmp_path / "flat.yaml").write_text(FLAT)
    for args in (
        ["rate", "add", str(tmp_path / "flat.yaml")],
        ["rate", "activate", "Flat"],
        ["readings", "import", str(tmp_path / "r.csv")],
    ):
        assert run(*args)[0] == 0
    code, _, err = run("reconcile")
    assert code == 2
    assert err.startswith("error: reconciling 'Site' needs the meter's readings")


def test_past_bills_from_a_csv(tmp_path: Path) -> None:
    site(tmp_path)
    (tmp_path / "bills.csv").write_text("period_start,period_end,kwh,usd\n2026-11-01,2026-11-02,1167.36,116.74\n")
    code, out, err = run("reconcile", "--bills", str(tmp_path / "bills.csv"), "--json")
    assert code == 0, err
    (bill,) = json.loads(out)["bills"]
    assert (bill["computed_usd"], bill["computed_kwh"], bill["kwh_apart_pct"]) == (116.74, 1167.36, 0.0)
    (tmp_path / "bad.csv").write_text("period_start,period_end,kwh,usd\n2026-11-01,2026-11-02,lots,1\n")
    code, _, err = run("reconcile", "--bills", str(tmp_path / "bad.csv"))
    assert (code, err) == (
        2,
        f"error: {tmp_path / 'bad.csv'}:2: kwh: not a number: 'lots'\n1 error; nothing was written.\n",
    )
