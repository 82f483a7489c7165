"""Daily rollups kept by `record` equal the rows they sum, however the rows came (cron batches, late
readings, rescaled demand), and a summary read through them equals one read from the rows."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from test_record import START, readings, write_batch

from elecost.db import Database
from elecost.importer import import_readings
from elecost.record import record_costs
from elecost.rollups import rebuild_days, roll_up_written
from elecost.store import COST_COLUMNS, LINE_COLUMNS, WrittenRows, activate_rate, add_rates, open_db
from elecost.summary import miner_totals
from elecost.tariffs.charges import Line
from elecost.tariffs.load import load_tariff_file
from elecost.tariffs.periods import local_days

from conftest import EXAMPLES


def line_totals(
    db: Database, start_s: int, end_s: int, *, location: str | None = None, miners: bool
) -> dict[str, list[Line]]:
    """The lines of the cost rows starting in [start_s, end_s), added up per miner (or per meter
    location when not `miners`) from the rows themselves: what the rollups must give."""
    who = "c.miner_ip" if miners else "c.location"
    where = "c.miner_ip != ''" if miners else "c.miner_ip = ''"
    params: list[Any] = [start_s, end_s]
    if location is not None:
        where += " AND c.location = ?"
        params.append(location)
    out: dict[str, list[Line]] = {}
    for name, charge, label, unit, part, period, tier, quantity, usd in db.execute(
        f"SELECT {who}, k.charge, k.label, k.unit, k.part, k.period, k.tier, "
        "CASE k.unit WHEN 'kW' THEN max(l.quantity) ELSE coalesce(sum(l.quantity), 0) END, coalesce(sum(l.usd), 0) "
        "FROM costs c NOT INDEXED JOIN cost_lines l ON l.cost_id = c.id JOIN line_kinds k ON k.id = l.kind_id "
        f"WHERE c.period_start_s >= ? AND c.period_start_s < ? AND {where} GROUP BY {who}, k.id",
        params,
    ):
        out.setdefault(name, []).append(
            Line(charge, label, Decimal(repr(float(quantity))), unit, Decimal(repr(float(usd))), part, period, tier)
        )
    return out


def rollups(db: Database) -> dict[tuple[object, ...], tuple[float, ...]]:
    """The rollup tables by key, the rate's name in the key (compared exactly), the numbers apart."""
    out = {}
    for row in db.execute("SELECT * FROM cost_days"):
        out[("day", *row[:3], row[7])] = tuple(row[3:7]) + tuple(row[8:])
    for row in db.execute("SELECT * FROM cost_day_lines"):
        out[("line", *row[:4])] = tuple(row[4:])
    return out


def close(a: dict[tuple[object, ...], tuple[float, ...]], b: dict[tuple[object, ...], tuple[float, ...]]) -> None:
    assert a.keys() == b.keys()
    for key, values in a.items():
        assert values == pytest.approx(b[key], rel=1e-9, abs=1e-9), key


@pytest.mark.parametrize("example", ["texas_industrial.yaml", "tiered.yaml"])
def test_rollups_kept_by_cron_runs_equal_a_rebuild_and_summaries_equal_the_rows(tmp_path: Path, example: str) -> None:
    db = open_db(tmp_path / "cron.db")
    tariff = load_tariff_file(EXAMPLES / example)
    add_rates(db, [tariff])
    activate_rate(db, tariff.name)
    rows = readings(4)
    late = rows[2000:2400]  # after later readings are recorded: hours and days redone
    timely = rows[:2000] + rows[2400:]
    batches = [timely[:1500], timely[1500:4000], late, timely[4000:5200], timely[5200:]]  # the spike mid-way
    for index, batch in enumerate(batches):
        import_readings(db, [write_batch(tmp_path / f"b{index}.csv", batch)])
        record_costs(db)
    kept = rollups(db)
    assert kept
    db.execute("DELETE FROM cost_days")
    db.execute("DELETE FROM cost_day_lines")
    rebuild_days(db, tariff.location, local_days(ZoneInfo(tariff.timezone), START, START + 7 * 86_400))
    close(kept, rollups(db))
    record_costs(db, since_s=0)  # a re-record rebuilds the days, never adds to them
    close(kept, rollups(db))

    day = 86_400
    for start, end in ((0, 2**40), (START + 3_600 * 5, START + 4 * day + 1_800), (START + day, START + 3 * day)):
        groups = miner_totals(db, start, end, None)
        assert [name for name, _ in groups] == ["a", "b", "c", "d"]
        lines = line_totals(db, start, end, miners=True)
        for name, record in groups:
            expected = db.execute(
                "SELECT total(total_kwh), max(peak_power_kw), total(energy_cost_usd), total(demand_charge_usd), "
                "total(service_charge_usd) FROM costs WHERE miner_ip = ? AND period_start_s >= ? AND period_start_s < ?",
                [name, start, end],
            ).fetchone()
            got = (
                record.energy_kwh,
                record.peak_power_kw,
                record.energy_cost_usd,
                record.demand_charge_usd,
                record.service_charge_usd,
            )
            assert [float(value) for value in got] == pytest.approx(list(expected), rel=1e-9)
            assert [line.label for line in record.lines] == [line.label for line in lines[name]]
            for ours, theirs in zip(record.lines, lines[name], strict=True):
                assert float(ours.usd) == pytest.approx(float(theirs.usd), rel=1e-9)
                assert float(ours.quantity) == pytest.approx(float(theirs.quantity), rel=1e-9)


def test_a_database_with_cost_rows_gets_its_rollups_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_db(path)
    tariff = load_tariff_file(EXAMPLES / "texas_industrial.yaml")
    add_rates(db, [tariff])
    activate_rate(db, tariff.name)
    import_readings(db, [write_batch(tmp_path / "all.csv", readings(7)[:3000])])
    record_costs(db)
    kept = rollups(db)
    assert kept
    # As before migration 009: no rollup tables.
    db.execute("DROP TABLE cost_days")
    db.execute("DROP TABLE cost_day_lines")
    db.execute("DELETE FROM _sqlite_migrations WHERE name = '009_cost_days'")
    db.close()
    close(kept, rollups(open_db(path)))


@pytest.mark.parametrize("order", ["as written", "shuffled"])
def test_days_rolled_up_from_written_rows_equal_the_days_rebuilt_from_the_table(tmp_path: Path, order: str) -> None:
    db = open_db(tmp_path / "written.db")
    tariff = load_tariff_file(EXAMPLES / "texas_industrial.yaml")
    add_rates(db, [tariff])
    activate_rate(db, tariff.name)
    import_readings(db, [write_batch(tmp_path / "all.csv", readings(8)[:4000])])
    record_costs(db)
    rows = db.execute(f"SELECT {', '.join(COST_COLUMNS)} FROM costs ORDER BY id").fetchall()
    lines = db.execute(f"SELECT {', '.join(LINE_COLUMNS)} FROM cost_lines ORDER BY cost_id, position").fetchall()
    if order == "shuffled":  # a day's rows are no longer one run: the days are read back from the table instead
        random.Random(3).shuffle(rows)
        place = {row[0]: at for at, row in enumerate(rows)}
        lines.sort(key=lambda line: (place[line[0]], line[1]))  # each row's lines still after it
    days = list(local_days(ZoneInfo(tariff.timezone), START + 7_200, START + 4 * 86_400))[1:-1]  # not the edges
    db.execute("DELETE FROM cost_days")
    db.execute("DELETE FROM cost_day_lines")
    rebuild_days(db, tariff.location, days)
    from_table = rollups(db)
    db.execute("DELETE FROM cost_days")
    db.execute("DELETE FROM cost_day_lines")
    roll_up_written(db, tariff.location, days, WrittenRows(rows, lines))
    from_rows = rollups(db)
    assert {key[2] for key in from_rows} == {day_start for day_start, _ in days}  # the days given, no other
    close(from_rows, from_table)
