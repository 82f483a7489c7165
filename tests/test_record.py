"""`record` run after every batch of readings, as cron runs it, gives the rows a run from scratch gives."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from elecost.importer import import_readings
from elecost.record import record_costs
from elecost.store import activate_rate, add_rates, cost_records, open_db, query_cost_rows, rows_are_current
from elecost.tariffs.load import load_tariff_file

from conftest import EXAMPLES

DATA = Path(__file__).resolve().parent / "data"

START = 1_783_746_000  # 2026-07-11 00:00 in Chicago; the Texas tariff's cycle turns on the 15th
STEP_S = 300
COLUMNS = ("total_kwh", "peak_power_kw", "energy_cost_usd", "demand_charge_usd", "service_charge_usd", "total_cost_usd")


def readings(seed: int) -> list[tuple[int, str, int]]:
    """Four miners every 5 minutes for 6 days; one outage; a spike late on the 5th day."""
    rng = random.Random(seed)
    rows = []
    for step in range(6 * 288):
        at = START + step * STEP_S
        for miner in ("a", "b", "c", "d"):
            if miner == "c" and 400 <= step < 430:
                continue
            power = rng.randrange(2800, 3600)
            if miner == "d" and step in (1300, 1301, 1302):
                power = 9000
            rows.append((at, miner, power))
    return rows


def write_batch(path: Path, rows: list[tuple[int, str, int]]) -> Path:
    path.write_text("timestamp,miner,power_w\n" + "".join(f"{t},{m},{p}\n" for t, m, p in rows))
    return path


def snapshot(db_path: Path) -> dict[tuple[str, int], tuple[float, ...]]:
    with open_db(db_path) as db:
        return {
            (row["miner_ip"], row["period_start_s"]): tuple(row[c] for c in COLUMNS)
            for row in query_cost_rows(db, 0, 2**40)
        }


@pytest.mark.parametrize(
    ("example", "seed"),
    [
        (EXAMPLES / "texas_industrial.yaml", 1),
        (EXAMPLES / "tiered.yaml", 2),
        (EXAMPLES / "flat.yaml", 3),
        (EXAMPLES / "entergy_arkansas_lps_tou.yaml", 5),
        (DATA / "tou_tiers_minimum.yaml", 6),
    ],
)
def test_record_after_each_batch_equals_record_from_scratch(tmp_path: Path, example: Path, seed: int) -> None:
    db = open_db(tmp_path / "cron.db")
    tariff = load_tariff_file(example)
    add_rates(db, [tariff])
    activate_rate(db, tariff.name)
    rows = readings(seed)
    rng = random.Random(seed)
    late = rows[2000:2400]  # readings that arrive late, after later ones are recorded
    timely = rows[:2000] + rows[2400:]
    cuts = sorted(rng.sample(range(1, len(timely)), 8))
    batches = [timely[a:b] for a, b in zip([0, *cuts], [*cuts, len(timely)], strict=True)]
    batches.insert(5, late)
    for index, batch in enumerate(batches):
        import_readings(db, [write_batch(tmp_path / f"b{index}.csv", batch)])
        record_costs(db)
    incremental = snapshot(tmp_path / "cron.db")
    record_costs(db, since_s=0)
    scratch = snapshot(tmp_path / "cron.db")
    assert incremental.keys() == scratch.keys()
    for key, values in scratch.items():
        assert incremental[key] == pytest.approx(values, rel=1e-9, abs=1e-9), key
    for record in cost_records(db, query_cost_rows(db, 0, 2**40)):
        assert float(sum((line.usd for line in record.lines), Decimal(0))) == pytest.approx(
            float(record.total_cost_usd), abs=1e-9
        )


def test_a_bill_from_current_cost_rows_equals_the_bill_from_readings(tmp_path: Path) -> None:
    from elecost.bills import bills

    db = open_db(tmp_path / "b.db")
    tariff = load_tariff_file(EXAMPLES / "texas_industrial.yaml")
    add_rates(db, [tariff])
    activate_rate(db, tariff.name)
    import_readings(db, [write_batch(tmp_path / "all.csv", readings(4))])
    from_readings = [record for _, record in bills(db)]
    record_costs(db)
    assert all(rows_are_current(db, tariff, r.period_start_s, r.period_start_s + 1) for r in from_readings[1:])
    from_rows = [record for _, record in bills(db)]
    assert len(from_rows) == len(from_readings) == 2
    for ours, theirs in zip(from_rows, from_readings, strict=True):
        assert (ours.period_start_s, ours.period_end_s, ours.partial) == (
            theirs.period_start_s,
            theirs.period_end_s,
            theirs.partial,
        )
        assert float(ours.total_cost_usd) == pytest.approx(float(theirs.total_cost_usd), abs=1e-6)
        assert float(ours.demand_charge_usd) == pytest.approx(float(theirs.demand_charge_usd), abs=1e-9)
    # A reading changed after `record`: the bill prices the readings again.
    import_readings(db, [write_batch(tmp_path / "late.csv", [(START + 3 * 86_400 + 7, "e", 5000)])])
    assert [r.energy_kwh for _, r in bills(db)] != [r.energy_kwh for r in from_rows]


def test_miners_reading_past_the_meter_are_recorded_as_far_as_the_meter_reads(tmp_path: Path, elecost_db: Path) -> None:
    """A meter whose readings stop before its miners' (its file comes later): `record` prices up to the
    meter's last reading, and the miners' later readings wait for it, never counted in a demand window
    past the span (this ended in a ZeroDivisionError traceback, found by a randomized run)."""
    db = open_db(elecost_db)
    tariff = load_tariff_file(EXAMPLES / "texas_industrial.yaml")
    add_rates(db, [tariff])
    activate_rate(db, tariff.name)
    meter = tmp_path / "meter.csv"
    meter.write_text("timestamp,power_w\n" + "".join(f"{START + s * 900},7000\n" for s in range(8)))
    miners = tmp_path / "miners.csv"
    miners.write_text(
        "timestamp,miner,power_w\n" + "".join(f"{START + s * 900},{m},3000\n" for s in range(12) for m in "ab")
    )
    import_readings(db, [meter, miners], location=tariff.location)
    record_costs(db)
    rows = query_cost_rows(db, START, START + 86_400)
    assert {row["miner_ip"] for row in rows} == {"", "a", "b", "(site overhead)"}
    assert max(row["period_end_s"] for row in rows) == START + 2 * 3600
    miner_kwh = sum(row["total_kwh"] for row in rows if row["miner_ip"] in ("a", "b"))
    assert miner_kwh == pytest.approx(2 * 3.0 * 2)  # two miners at 3 kW for the meter's two hours
