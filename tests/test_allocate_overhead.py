"""`record --allocate-overhead`: each hour's site overhead shared among its miners' rows by kWh."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hourly import fleets, milli
from typer.testing import CliRunner

from elecost.cli import app
from elecost.rownames import SITE_OVERHEAD
from elecost.store import open_db
from elecost.tariffs.allocation import allocate_overhead, split
from elecost.tariffs.engine import KindKey, price_hours_for_store
from elecost.tariffs.periods import billing_periods
from elecost.tariffs.usage import Load

from helpers import example

runner = CliRunner()
# Flat energy, a demand charge on the meter's peak and a daily fixed charge.
TARIFF = (
    "name: Flat\nlocation: Site\nrate_type: flat\nflat_rate_usd_per_kwh: 0.10\n"
    "daily_service_charge_usd: 1.00\ndemand_charge_usd_per_kw: 10.00\n"
)
SAME = {"rel": 1e-12, "abs": 1e-9}


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def readings(path: Path, hours: int = 3, miner_hours: int = 2) -> Path:
    """Miners a (3 kW) and b (5 kW) every 15 minutes for `miner_hours` from 2026-11-01 00:00 UTC;
    the meter reads 8% above them plus 10 kW of cooling (18.64 kW) while they run, and the
    cooling alone (10 kW) after, up to `hours`."""
    rows = ["timestamp,miner,power_w"]
    for quarter in range(hours * 4):
        at = f"2026-11-01T{quarter // 4:02d}:{quarter % 4 * 15:02d}:00Z"
        running = quarter < miner_hours * 4
        rows.append(f"{at},,{18640 if running else 10000}")
        if running:
            rows += [f"{at},a,3000", f"{at},b,5000"]
    path.write_text("\n".join(rows) + "\n")
    return path


def site(tmp_path: Path, *record: str) -> None:
    (tmp_path / "t.yaml").write_text(TARIFF)
    for args in (
        ["rate", "add", str(tmp_path / "t.yaml")],
        ["rate", "activate", "Flat"],
        ["readings", "import", str(readings(tmp_path / "r.csv"))],
        ["record", *record],
    ):
        code, _, err = run(*args)
        assert code == 0, err


def stored(db: Path) -> dict[tuple[int, str], tuple[float, float, float, float, float]]:
    """(hour start, miner) -> (kWh, energy, demand, service, total USD) of every stored cost row."""
    with open_db(db) as conn:
        return {
            (start, miner): (kwh, energy, demand, service, total)
            for start, miner, kwh, energy, demand, service, total in conn.execute(
                "SELECT period_start_s, miner_ip, total_kwh, energy_cost_usd, demand_charge_usd, "
                "service_charge_usd, total_cost_usd FROM costs"
            )
        }


def day_rollups(db: Path) -> dict[str, tuple[float, float]]:
    with open_db(db) as conn:
        return {
            miner: (kwh, energy + demand + service)
            for miner, kwh, energy, demand, service in conn.execute(
                "SELECT miner_ip, total_kwh, energy_cost_usd, demand_charge_usd, service_charge_usd FROM cost_days"
            )
        }


def assert_same(ours: dict[str, tuple[float, float]], theirs: dict[str, tuple[float, float]]) -> None:
    assert ours.keys() == theirs.keys()
    for key, amounts in theirs.items():
        assert ours[key] == pytest.approx(amounts, **SAME)


# By hand. The meter's hour while the miners run: 18.64 kWh x 0.10 = 1.864, the demand charge
# 18.64 kW x 10.00 = 186.40 over November's 720 hours = 0.258889 an hour, the daily 1.00 / 24 =
# 0.041667 an hour: 2.164556. Shared by kWh 3 : 5, a gets 3/8 of every amount (6.99 kWh,
# 0.811708) and b 5/8 (11.65 kWh, 1.352847). The third hour (cooling only, 10 kWh: 1.00 +
# 0.258889 + 0.041667 = 1.300556) has no miner kWh to share it by: it keeps its overhead row.
HOUR = Fraction("1.864") + Fraction("186.40") / 720 + Fraction(1, 24)
COOLING_HOUR = Fraction("1.00") + Fraction("186.40") / 720 + Fraction(1, 24)


def test_hand_computed_site_shares_energy_demand_and_fixed_overhead_by_kwh(tmp_path: Path, elecost_db: Path) -> None:
    site(tmp_path, "--allocate-overhead")
    rows = stored(elecost_db)
    first = 1_793_491_200  # 2026-11-01T00:00Z
    for hour in (first, first + 3600):
        meter = rows[(hour, "")]
        a, b = rows[(hour, "a")], rows[(hour, "b")]
        assert (hour, SITE_OVERHEAD) not in rows
        assert a[0] == pytest.approx(6.99, **SAME) and b[0] == pytest.approx(11.65, **SAME)
        assert a[4] == pytest.approx(float(HOUR * 3 / 8), **SAME)
        assert b[4] == pytest.approx(float(HOUR * 5 / 8), **SAME)
        assert a[2] == pytest.approx(float(Fraction("186.40") / 720 * 3 / 8), **SAME)  # demand
        assert b[3] == pytest.approx(float(Fraction(1, 24) * 5 / 8), **SAME)  # the daily charge
        for column in range(5):
            assert a[column] + b[column] == pytest.approx(meter[column], **SAME)
    kept = rows[(first + 7200, SITE_OVERHEAD)]
    assert kept[0] == pytest.approx(10.0, **SAME) and kept[4] == pytest.approx(float(COOLING_HOUR), **SAME)
    assert {miner for start, miner in rows if start == first + 7200} == {"", SITE_OVERHEAD}

    code, out, err = run("summary", "--by", "miner", "--json")
    assert code == 0, err
    data = json.loads(out)
    groups = {group["group"]: group for group in data["groups"]}
    assert (groups["a"]["total_kwh"], groups["a"]["total_cost_usd"]) == (13.98, 1.62)  # 2 x 0.811708
    assert (groups["b"]["total_kwh"], groups["b"]["total_cost_usd"]) == (23.3, 2.71)  # 2 x 1.352847
    assert groups[SITE_OVERHEAD]["total_cost_usd"] == 1.3
    assert data["total_cost_usd"] == round(float(2 * HOUR + COOLING_HOUR), 2) == 5.63
    (bill,) = json.loads(run("bill", "--json")[1])
    assert bill["total_cost_usd"] == 5.63 and bill["total_kwh"] == 47.28
    assert day_rollups(elecost_db)["a"] == pytest.approx((13.98, float(HOUR * 3 / 4)), **SAME)


def test_record_says_which_hours_keep_their_overhead_row(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(TARIFF)
    for args in (["rate", "add", str(tmp_path / "t.yaml")], ["rate", "activate", "Flat"]):
        assert run(*args)[0] == 0
    assert run("readings", "import", str(readings(tmp_path / "r.csv")))[0] == 0
    assert run("record", "--allocate-overhead")[2] == (
        "recorded 8 cost rows over 1 billing period\n"
        "overhead allocated at Site, but 1 hour with no miner kWh keeps a (site overhead) row: nothing to share it by\n"
    )
    assert run("record")[2] == (
        "recorded 0 cost rows over 0 billing periods\n"
        "overhead allocated at Site, but 1 hour with no miner kWh keeps a (site overhead) row: nothing to share it by\n"
    )
    assert run("record", "--quiet") == (0, "", "")


def test_switching_on_and_off_re_records_the_location_and_its_rollups(tmp_path: Path, elecost_db: Path) -> None:
    site(tmp_path)
    before = stored(elecost_db)
    rollups_before = day_rollups(elecost_db)
    assert before[(1_793_491_200, SITE_OVERHEAD)][0] == pytest.approx(10.64, **SAME)
    assert set(rollups_before) == {"", "a", "b", SITE_OVERHEAD}

    code, _, err = run("record", "--allocate-overhead")
    assert (code, err) == (
        0,
        "repriced Site: overhead allocation switched on, so its cost rows were redone from its first reading\n"
        "recorded 8 cost rows over 1 billing period\n"
        "overhead allocated at Site, but 1 hour with no miner kWh keeps a (site overhead) row: nothing to share it by\n",
    )
    on = stored(elecost_db)
    assert len(on) == 8 and on[(1_793_491_200, "a")][0] == pytest.approx(6.99, **SAME)
    rollups = day_rollups(elecost_db)
    assert rollups["a"] == pytest.approx((13.98, float(HOUR * 3 / 4)), **SAME)
    assert rollups[SITE_OVERHEAD] == pytest.approx((10.0, float(COOLING_HOUR)), **SAME)  # the third hour alone
    assert rollups[""] == pytest.approx(rollups_before[""], **SAME)
    # cron runs later keep it on
    assert run("record", "--quiet") == (0, "", "")
    assert stored(elecost_db) == on

    code, _, err = run("record", "--no-allocate-overhead")
    assert (code, err) == (
        0,
        "repriced Site: overhead allocation switched off, so its cost rows were redone from its first reading\n"
        "recorded 10 cost rows over 1 billing period\n",
    )
    off = stored(elecost_db)
    assert off.keys() == before.keys()
    for key, amounts in before.items():
        assert off[key] == pytest.approx(amounts, **SAME)
    assert_same(day_rollups(elecost_db), rollups_before)
    assert run("record", "--no-allocate-overhead")[2] == (
        "overhead allocation was already off at every location\nrecorded 0 cost rows over 0 billing periods\n"
    )


def test_the_setting_is_per_location(tmp_path: Path, elecost_db: Path) -> None:
    site(tmp_path)
    other = TARIFF.replace("Flat", "Other").replace("Site", "Yard")
    (tmp_path / "o.yaml").write_text(other)
    readings(tmp_path / "y.csv")
    for args in (
        ["rate", "add", str(tmp_path / "o.yaml")],
        ["rate", "activate", "Other"],
        ["readings", "import", str(tmp_path / "y.csv"), "--location", "Yard"],
    ):
        assert run(*args)[0] == 0, args
    code, _, err = run("record", "--allocate-overhead", "--location", "Yard")
    assert code == 0, err
    with open_db(elecost_db) as conn:
        overhead = dict(
            conn.execute("SELECT location, count(*) FROM costs WHERE miner_ip = ? GROUP BY location", [SITE_OVERHEAD])
        )
    assert overhead == {"Site": 3, "Yard": 1}


def test_re_running_and_incremental_imports_never_double_count(tmp_path: Path, elecost_db: Path) -> None:
    """Readings arriving an hour at a time with allocation on end as one import recorded at once."""
    whole = readings(tmp_path / "whole.csv").read_text().splitlines()
    (tmp_path / "t.yaml").write_text(TARIFF)
    for args in (["rate", "add", str(tmp_path / "t.yaml")], ["rate", "activate", "Flat"], ["record", "-q"]):
        assert run(*args)[0] == 0
    assert run("record", "--allocate-overhead", "-q")[0] == 0
    # a fourth hour whose meter peak (30 kW) raises the demand charge billed in the earlier hours
    rise = [
        f"2026-11-01T03:{minute:02d}:00Z,{miner},{watts}"
        for minute in (0, 15, 30, 45)
        for miner, watts in (("", 30000), ("a", 3000), ("b", 5000))
    ]
    (tmp_path / "whole.csv").write_text("\n".join([*whole, *rise]) + "\n")
    body = [*whole[1:], *rise]
    for part, chunk in enumerate((body[:9], body[9:15], body[15:28], body[28:])):
        path = tmp_path / f"part{part}.csv"
        path.write_text("\n".join([whole[0], *chunk]) + "\n")
        assert run("readings", "import", str(path))[0] == 0
        assert run("record", "-q")[0] == 0
        assert run("record", "-q")[0] == 0
    step = stored(elecost_db)

    fresh = tmp_path / "fresh.db"
    for args in (
        ["rate", "add", str(tmp_path / "t.yaml")],
        ["rate", "activate", "Flat"],
        ["readings", "import", str(tmp_path / "whole.csv")],
        ["record", "--allocate-overhead", "-q"],
    ):
        assert run(*args, "--db", str(fresh))[0] == 0
    once = stored(fresh)
    assert step.keys() == once.keys()
    for key, amounts in once.items():
        assert step[key] == pytest.approx(amounts, **SAME)
    assert_same(day_rollups(elecost_db), day_rollups(fresh))


def test_summary_by_client_does_not_allocate_twice(tmp_path: Path) -> None:
    site(tmp_path, "--allocate-overhead")
    assert run("miner", "add", "a", "--client", "Acme", "--location", "Site")[0] == 0
    code, out, err = run("summary", "--by", "client", "--json")
    assert code == 0, err
    data = json.loads(out)
    groups = {group["group"]: group for group in data["groups"]}
    # a's rows already hold its share; the kept cooling hour is shared 3 : 5 (a : the rest).
    assert groups["Acme"]["total_cost_usd"] == round(float(HOUR * 3 / 4 + COOLING_HOUR * 3 / 8), 2) == 2.11
    assert groups["Acme"]["overhead_usd"] == round(float(COOLING_HOUR * 3 / 8), 2) == 0.49
    assert groups["(no client)"]["total_cost_usd"] == round(float(HOUR * 5 / 4 + COOLING_HOUR * 5 / 8), 2) == 3.52
    assert data["total_cost_usd"] == 5.63


def test_export_rows_add_up_to_the_bill(tmp_path: Path) -> None:
    site(tmp_path, "--allocate-overhead")
    code, out, err = run("export", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    rows = data["costs"] if isinstance(data, dict) else data
    miners = [row for row in rows if row.get("miner_ip")]
    meter = [row for row in rows if not row.get("miner_ip")]
    assert sum(row["total_cost_usd"] for row in miners) == pytest.approx(sum(r["total_cost_usd"] for r in meter))
    assert {row["miner_ip"] for row in miners} == {"a", "b", SITE_OVERHEAD}


def test_cli_refuses_location_without_the_flag_and_unknown_locations(tmp_path: Path) -> None:
    site(tmp_path)
    assert run("record", "--location", "Site") == (
        2,
        "",
        "error: --location says where --allocate-overhead or --no-allocate-overhead applies; "
        "record itself always records every location\n",
    )
    assert run("record", "--allocate-overhead", "--location", "Nowhere") == (
        2,
        "",
        "error: no readings or active rate at 'Nowhere'; locations: Site\n",
    )


def test_split_adds_up_exactly() -> None:
    assert split(Decimal("1.00"), [Decimal(1), Decimal(2)]) == [Decimal(1) / 3, Decimal("1.00") - Decimal(1) / 3]
    assert sum(split(Decimal("0.07"), [Decimal(3), Decimal(3), Decimal(1)])) == Decimal("0.07")


@settings(max_examples=40, deadline=None)
@given(
    fleet=fleets(),
    meter_w=st.lists(st.integers(0, 30_000), min_size=1, max_size=12),
    which=st.sampled_from(["texas_industrial.yaml", "tiered.yaml", "tou.yaml", "flat.yaml"]),
)
def test_allocated_miner_rows_add_up_to_the_meter(fleet: dict[str, list[Load]], meter_w: list[int], which: str) -> None:
    """For random miners and a random meter, every hour's allocated miner rows (and the overhead
    row an hour without miner kWh keeps) add up to the meter's row, line by line."""
    tariff = example(which)
    loads = milli(fleet)
    first = min(rows[0][0] for rows in loads.values())
    last = max(rows[-1][1] for rows in loads.values())
    step = -(-(last - first) // len(meter_w))
    loads[""] = [(first + i * step, min(last, first + (i + 1) * step), w * 1000) for i, w in enumerate(meter_w)]
    kinds: dict[KindKey, int] = {}

    def kind_id(key: KindKey) -> int:
        return kinds.setdefault(key, len(kinds))

    for start, end in billing_periods(ZoneInfo(tariff.timezone), tariff.billing_cycle_day, first, last):
        meter, rows = price_hours_for_store(tariff, loads, start, end, (start, end), kind_id)
        allocated = allocate_overhead(rows)
        by_hour: dict[int, list[tuple[float, float, float, float]]] = defaultdict(list)
        lines: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
        for name, row_start, _, kwh, _, energy, demand, service, row_lines in allocated:
            by_hour[row_start].append((kwh, energy, demand, service))
            assert sum(usd for _, _, usd in row_lines) == pytest.approx(energy + demand + service, **SAME)
            for kind, quantity, usd in row_lines:
                lines[row_start][kind][0] += quantity
                lines[row_start][kind][1] += usd
            if name == SITE_OVERHEAD:  # kept only where no miner drew energy
                assert all(r[3] <= 0 for r in allocated if r[1] == row_start and r[0] != SITE_OVERHEAD)
        for record in meter:
            parts = by_hour[record.period_start_s]
            scale = 1 + float(record.total_cost_usd)
            for column, amount in enumerate(
                (record.energy_kwh, record.energy_cost_usd, record.demand_charge_usd, record.service_charge_usd)
            ):
                assert sum(part[column] for part in parts) == pytest.approx(float(amount), rel=1e-12, abs=1e-9 * scale)
            for line in record.lines:
                kind = kinds[(line.charge, line.label, line.unit, line.part, line.period, line.tier)]
                quantity, usd = lines[record.period_start_s][kind]
                assert usd == pytest.approx(float(line.usd), rel=1e-12, abs=1e-9 * scale)
                assert quantity == pytest.approx(float(line.quantity), rel=1e-12, abs=1e-9)


def test_reconcile_reports_the_same_overhead_with_allocation_on(tmp_path: Path) -> None:
    """The stored miner rows hold the overhead then; reconcile prices the miners' own cost again."""
    site(tmp_path)
    code, off, err = run("reconcile", "--json")
    assert code == 0, err
    # the miners' own: 0.80 of energy an hour and 8 / 18.64 of the hour's demand and daily shares
    own = 2 * (Fraction("0.80") + (HOUR - Fraction("1.864")) * Fraction(8) / Fraction("18.64"))
    total = json.loads(off)["total"]
    assert (
        (total["miners_usd"], total["overhead_usd"])
        == (round(float(own), 2), round(float(2 * HOUR + COOLING_HOUR - own), 2))
        == (1.86, 3.77)
    )
    assert run("record", "--allocate-overhead", "-q")[0] == 0
    code, on, err = run("reconcile", "--json")
    assert code == 0, err
    assert json.loads(on) == json.loads(off)


def test_the_allocation_benchmark_runs_on_a_tiny_fleet() -> None:
    bench = Path(__file__).resolve().parent.parent / "bench" / "allocate.py"
    result = subprocess.run(
        [sys.executable, str(bench), "--miners", "3", "--days", "1", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("3 miners x 1 days: 96 miner and overhead rows -> 72\n")
    assert "allocating the overhead:" in result.stdout


def test_switching_says_which_pruned_periods_keep_their_rows(tmp_path: Path, elecost_db: Path) -> None:
    rows = ["timestamp,miner,power_w"]
    for quarter in range(16):  # 2026-10-31 22:00 to 2026-11-01 02:00 UTC: two billing periods
        at = 1_793_484_000 + quarter * 900
        rows += [f"{at},,18640", f"{at},a,3000", f"{at},b,5000"]
    (tmp_path / "r.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "t.yaml").write_text(TARIFF)
    for args in (
        ["rate", "add", str(tmp_path / "t.yaml")],
        ["rate", "activate", "Flat"],
        ["readings", "import", str(tmp_path / "r.csv")],
        ["record"],
        ["readings", "prune", "--before", "2026-11-01T01:00"],
    ):
        code, _, err = run(*args)
        assert code == 0, err
    assert run("record", "--allocate-overhead") == (
        0,
        "",
        "readings at Site before 2026-11-01T00:00:00+00:00 were pruned: its cost rows before then stay as "
        "recorded, overhead not allocated\n"
        "repriced Site: overhead allocation switched on, so its cost rows were redone from its first reading\n"
        "recorded 6 cost rows over 1 billing period\n",
    )
    rows = stored(elecost_db)
    assert {miner for start, miner in rows if start < 1_793_491_200} == {"", "a", "b", SITE_OVERHEAD}
    assert {miner for start, miner in rows if start >= 1_793_491_200} == {"", "a", "b"}


@pytest.mark.parametrize(
    "bad",
    [
        ["--since", "garbage"],
        ["--since", "2026-11-03", "--until", "2026-11-02"],
        ["--keep-readings", "99999"],
    ],
)
def test_a_refused_record_does_not_switch_the_allocation(tmp_path: Path, elecost_db: Path, bad: list[str]) -> None:
    """`record --no-allocate-overhead` with a bad other option exits 2 and writes nothing: the setting stays
    on, and the next cron `record` redoes nothing."""
    site(tmp_path, "--allocate-overhead")
    before = stored(elecost_db)
    code, _, err = run("record", "--no-allocate-overhead", *bad)
    assert code == 2 and err.startswith("error: ")
    code, _, err = run("record")
    assert code == 0
    assert "repriced" not in err and "recorded 0 cost rows" in err
    assert stored(elecost_db) == before


def test_info_names_the_locations_whose_overhead_is_allocated(tmp_path: Path, elecost_db: Path) -> None:
    site(tmp_path, "--allocate-overhead")
    code, out, _ = run("info", "--json")
    assert code == 0 and json.loads(out)["overhead_allocated"] == ["Site"]
    assert "│ overhead     │ allocated to the miners at Site" in run("info")[1]
    assert run("record", "--no-allocate-overhead")[0] == 0
    code, out, _ = run("info")
    assert code == 0 and "│ overhead     │ not allocated (`record --allocate-overhead`)" in out
