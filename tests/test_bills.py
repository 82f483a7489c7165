"""Bills beyond what PySAM can express, against hand calculations: DST, a cycle day on the 15th,
a leap year, 15-minute demand over 1-minute readings, and a gap. And cost rows add up to the bill."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from elecost.bills import bills
from elecost.cli import app
from elecost.importer import import_readings
from elecost.record import record_costs
from elecost.store import activate_rate, add_rates, open_db, query_cost_rows
from elecost.tariffs.load import parse_tariff

CHICAGO = ZoneInfo("America/Chicago")
TARIFF = """
name: Cycle 15
location: Site
timezone: America/Chicago
rate_type: flat
flat_rate_usd_per_kwh: 0.10
daily_service_charge_usd: 1.00
demand_charge_usd_per_kw: 10
demand_interval_minutes: 15
billing_cycle_day: 15
"""


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO)


def readings_csv(path: Path) -> Path:
    """3 kW from 2024-02-15 to 2024-03-15 local, every 15 minutes; on Feb 20 every minute, with
    9 kW from 10:05 to 10:15; no readings on Mar 1 from 12:00 to 18:00."""
    rows = ["timestamp,power_w"]
    at, end = local("2024-02-15T00:00").astimezone(CHICAGO), local("2024-03-15T00:00")
    while at < end:
        wall = at.astimezone(CHICAGO)
        one_minute_day = wall.date().isoformat() == "2024-02-20"
        in_gap = wall.date().isoformat() == "2024-03-01" and 12 <= wall.hour < 18
        if not in_gap:
            spike = one_minute_day and wall.hour == 10 and 5 <= wall.minute < 15
            rows.append(f"{at.isoformat()},{9000 if spike else 3000}")
        at = (at.astimezone(ZoneInfo("UTC")) + timedelta(minutes=1 if one_minute_day else 15)).astimezone(CHICAGO)
    path.write_text("\n".join(rows) + "\n")
    return path


def test_bill_of_a_period_with_dst_leap_day_spike_and_gap(tmp_path: Path) -> None:
    db = open_db(tmp_path / "b.db")
    add_rates(db, [parse_tariff(TARIFF, "cycle.yaml")])
    activate_rate(db, "Cycle 15")
    import_readings(db, [readings_csv(tmp_path / "r.csv")])
    (_tariff, bill), *others = bills(db)
    assert others == []
    # Feb 15 -> Mar 15 2024 is 29 days (a leap February) and 695 hours (Mar 10 has 23).
    assert (bill.period_start_s, bill.period_end_s) == (
        local("2024-02-15T00:00").timestamp(),
        local("2024-03-15T00:00").timestamp(),
    )
    assert bill.partial is False
    # 3 kW for 695 h less the 6 h gap, plus 6 kW more for 10 minutes = 2,068 kWh.
    assert bill.energy_kwh == 2068
    assert bill.energy_cost_usd == Decimal("206.8")
    # The 10:00-10:15 window: 5 min at 3 kW and 10 min at 9 kW -> 7 kW.
    assert bill.peak_power_kw == 7
    assert bill.demand_charge_usd == 70
    assert bill.service_charge_usd == 29
    assert bill.total_cost_usd == Decimal("305.8")

    record_costs(db)
    meter_rows = query_cost_rows(db, 0, 2**40, meter_only=True)
    assert len(meter_rows) == 695
    for column, expected in (
        ("total_kwh", 2068),
        ("demand_charge_usd", 70),
        ("service_charge_usd", 29),
        ("total_cost_usd", 305.8),
    ):
        assert abs(sum(r[column] for r in meter_rows) - expected) < 1e-6, column


def test_bill_command_cut_by_from_and_to_is_partial(tmp_path: Path) -> None:
    db_path = tmp_path / "b.db"
    db = open_db(db_path)
    add_rates(db, [parse_tariff(TARIFF, "cycle.yaml")])
    activate_rate(db, "Cycle 15")
    import_readings(db, [readings_csv(tmp_path / "r.csv")])
    result = CliRunner().invoke(
        app, ["bill", "--from", "2024-03-01", "--to", "2024-03-02", "--json", "--db", str(db_path)]
    )
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["partial"] is True
    assert row["period_start"] == "2024-03-01T00:00:00-06:00"
    assert row["total_kwh"] == 54  # 18 h at 3 kW: the 6 h gap is not billed
    assert row["service_charge_usd"] == 1.0
    assert row["demand_charge_usd"] == round(30 * 24 / 695, 2)  # 3 kW x $10 x 24 h of the 695-hour period


FLAT = """
name: Flat
location: Site
rate_type: flat
flat_rate_usd_per_kwh: 0.10
"""


def _calc_and_bill(tmp_path: Path, csv: str) -> tuple[dict[str, object], list[dict[str, object]]]:
    readings = tmp_path / "r.csv"
    readings.write_text(csv)
    tariff_file = tmp_path / "flat.yaml"
    tariff_file.write_text(FLAT)
    runner = CliRunner()
    calc = runner.invoke(app, ["calc", "--readings", str(readings), "--tariff", str(tariff_file), "--json"])
    assert calc.exit_code == 0, calc.output
    for args in (
        ["rate", "add", str(tariff_file)],
        ["rate", "activate", "Flat"],
        ["readings", "import", str(readings)],
    ):
        assert runner.invoke(app, args).exit_code == 0
    billed = runner.invoke(app, ["bill", "--json"])
    assert billed.exit_code == 0, billed.output
    return json.loads(calc.stdout), json.loads(billed.stdout)


def test_a_gap_across_billing_periods_is_never_billed(tmp_path: Path) -> None:
    """12 readings on 2026-11-10 and 12 on 2027-01-09: December has no power, whichever command prices it."""
    rows = ["timestamp,power_w"]
    for day in ("2026-11-10", "2027-01-09"):
        rows += [f"{day}T00:{minute:02d}:00Z,3000" for minute in range(0, 60, 5)]
    calc, bills = _calc_and_bill(tmp_path, "\n".join(rows) + "\n")
    assert calc["total_kwh"] == 6.0  # 24 readings x 5 minutes x 3 kW
    assert [(b["period_start"][:7], b["total_kwh"]) for b in bills] == [("2026-11", 3.0), ("2027-01", 3.0)]
    assert sum(b["total_cost_usd"] for b in bills) == calc["total_cost_usd"] == 0.6


def test_a_miner_with_a_single_reading_costs_the_same_in_calc_and_in_bill(tmp_path: Path) -> None:
    """A lone reading lasts the median spacing of the other miners, from a file or from the store."""
    rows = ["timestamp,miner,power_w"]
    rows += [f"2026-11-10T00:{minute:02d}:00Z,a,3000" for minute in range(0, 60, 5)]
    rows += ["2026-11-10T00:30:00Z,b,6000"]
    calc, bills = _calc_and_bill(tmp_path, "\n".join(rows) + "\n")
    assert calc["total_kwh"] == 3.5  # a: 12 x 5 min x 3 kW; b: 5 min x 6 kW
    assert [b["total_kwh"] for b in bills] == [3.5]
    assert bills[0]["total_cost_usd"] == calc["total_cost_usd"] == 0.35


def test_whole_meter_readings_beside_miners_leave_the_site_overhead_its_own_rows(tmp_path: Path) -> None:
    """A 10 kW meter and two 3 kW miners for an hour: the miners' rows and the overhead's (4 kWh:
    cooling, losses, lights) add up to the meter's, in cost rows and in the summary by miner."""
    rows = ["timestamp,miner,power_w"]
    for minute in range(0, 60, 5):
        rows += [
            f"2026-11-10T00:{minute:02d}:00Z,{miner},{watts}"
            for miner, watts in (("", 10000), ("a", 3000), ("b", 3000))
        ]
    (tmp_path / "r.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "flat.yaml").write_text(FLAT)
    runner = CliRunner()
    for args in (
        ["rate", "add", str(tmp_path / "flat.yaml")],
        ["rate", "activate", "Flat"],
        ["readings", "import", str(tmp_path / "r.csv")],
        ["record"],
    ):
        assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, ["summary", "--by", "miner", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["total_kwh"], summary["total_cost_usd"]) == (10.0, 1.0)
    assert [(g["group"], g["total_kwh"], g["total_cost_usd"]) for g in summary["groups"]] == [
        ("(site overhead)", 4.0, 0.4),
        ("a", 3.0, 0.3),
        ("b", 3.0, 0.3),
    ]


def test_calc_refuses_readings_of_two_locations_rather_than_mixing_them(tmp_path: Path) -> None:
    """The same miner name at two locations is two miners on two meters: a tariff bills one."""
    readings = tmp_path / "r.csv"
    readings.write_text(
        "timestamp,miner,location,power_w\n"
        "2026-11-10T00:00:00Z,a,North,3000\n2026-11-10T00:05:00Z,a,North,3000\n"
        "2026-11-10T00:00:00Z,a,South,5000\n2026-11-10T00:05:00Z,a,South,5000\n"
    )
    (tmp_path / "flat.yaml").write_text(FLAT)
    result = CliRunner().invoke(app, ["calc", "--readings", str(readings), "--tariff", str(tmp_path / "flat.yaml")])
    assert (result.exit_code, result.stderr) == (
        2,
        "error: the readings name several locations (North, South); a tariff bills one meter: "
        "price each location's readings on its own\n",
    )


def test_a_readings_file_without_readings_is_an_error_not_a_silent_no_op(tmp_path: Path) -> None:
    (tmp_path / "flat.yaml").write_text(FLAT)
    empty = tmp_path / "empty.csv"
    empty.write_text("timestamp,power_w\n")
    runner = CliRunner()
    assert runner.invoke(app, ["rate", "add", str(tmp_path / "flat.yaml")]).exit_code == 0
    assert runner.invoke(app, ["rate", "activate", "Flat"]).exit_code == 0
    result = runner.invoke(app, ["readings", "import", str(empty)])
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {empty}: no readings in this file\n1 error; nothing was written.\n",
    )
