"""Fleet benchmark: a month of 5-minute readings from a fleet, through every command, timed.

    python bench/fleet.py [--miners 1000] [--days 30] [--repeat 3] [--keep DIR] [--db-url postgresql://...]

Generates a fleet (curtailment in summer peaks, outages, gaps) under a seasonal TOU tariff with a
demand charge, then prints the time of each step (median of --repeat runs where a step is cheap
enough to repeat), throughput against a raw sqlite3 baseline measured in the same run, database
size, the import's peak memory, and NREL PySAM on the same year of data where it is installed.
With --db-url the fleet's database is that PostgreSQL database instead of a SQLite file (its
tables are dropped and made again before each import: give a database of its own); the plain
loader stays SQLite's, so the ratios compare with the SQLite run.
Figures are printed, never asserted: speed goals live in the issue tracker.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARIFF = ROOT / "examples" / "texas_industrial.yaml"
START = int(datetime(2026, 7, 1, 5, tzinfo=UTC).timestamp())  # July 1, 00:00 in Chicago: summer TOU
STEP_S = 300


def generate_fleet(path: Path, miners: int, days: int, seed: int = 7) -> int:
    """Write the fleet's readings CSV; return the number of rows."""
    rng = random.Random(seed)
    steps = days * 86_400 // STEP_S
    outages = {m: rng.randrange(steps) for m in range(miners) if rng.random() < 0.1}
    rows = 0
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["timestamp", "miner", "power_w"])
        nominal = [rng.choice((3250, 3500, 3010, 5360)) for _ in range(miners)]
        for step in range(steps):
            at = START + step * STEP_S
            stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            local_hour = (at // 3600 - 5) % 24
            weekday = ((at - 5 * 3600) // 86_400 + 3) % 7  # 1970-01-01 was a Thursday
            for miner in range(miners):
                outage = outages.get(miner)
                if outage is not None and outage <= step < outage + 24:
                    continue  # two hours without readings: a gap
                power = nominal[miner] + (step * 7 + miner * 13) % 40
                if weekday < 5 and 13 <= local_hour < 20 and miner % 3 == 0:
                    power = 0  # a third of the fleet curtails during the summer peak
                writer.writerow([stamp, f"10.{miner // 65536}.{miner // 256 % 256}.{miner % 256}", power])
                rows += 1
    return rows


def minute_year(path: Path, days: int) -> int:
    """One miner's 1-minute readings for `days` (a year by default), for `calc --readings`."""
    rng = random.Random(3)
    with path.open("w") as out:
        out.write("timestamp,power_w\n")
        for minute in range(days * 1440):
            out.write(f"{START + minute * 60},{3300 + rng.randrange(100)}\n")
    return days * 1440


def run(db: Path | str, *args: str) -> tuple[float, int]:
    """Run an elecost command; (seconds, peak RSS in kB of that process)."""
    env = {**os.environ, "ELECOST_DB": str(db)}
    started = time.perf_counter()
    process = subprocess.Popen([str(ELECOST), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        err = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"elecost {' '.join(args)} failed: {err}")
    if process.stderr:
        process.stderr.close()
    return elapsed, usage.ru_maxrss


def median_of(repeat: int, action: Callable[[], float]) -> float:
    return statistics.median(action() for _ in range(repeat))


def baseline_import(csv_path: Path, db_path: Path) -> float:
    """The plain loader of issue 16: the csv module, each distinct timestamp parsed once (through a
    dict), INSERT OR IGNORE in one transaction into a WITHOUT ROWID table keyed (ts, miner); WAL,
    synchronous=NORMAL, SQLite's default page cache."""
    db_path.unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE readings (ts INTEGER NOT NULL, miner TEXT NOT NULL, power_w REAL NOT NULL, "
        "PRIMARY KEY (ts, miner)) WITHOUT ROWID"
    )
    stamps: dict[str, int] = {}

    def epoch(text: str) -> int:
        found = stamps.get(text)
        if found is None:
            found = stamps[text] = int(datetime.fromisoformat(text).timestamp())
        return found

    with csv_path.open(newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        with conn:
            conn.executemany(
                "INSERT OR IGNORE INTO readings VALUES (?, ?, ?)",
                ((epoch(stamp), miner, float(power)) for stamp, miner, power in rows),
            )
    conn.close()
    return time.perf_counter() - started


def quarter_hours(minutes_csv: Path, path: Path) -> Path:
    """The 1-minute file averaged into 15-minute readings (what PySAM is given)."""
    lines = minutes_csv.read_text().splitlines()[1:]
    with path.open("w") as out:
        out.write("timestamp,power_w\n")
        for i in range(0, len(lines) - 14, 15):
            chunk = lines[i : i + 15]
            power = sum(float(line.split(",")[1]) for line in chunk) / 15
            out.write(f"{chunk[0].split(',')[0]},{power}\n")
    return path


def pysam_year(minutes_csv: Path) -> float | None:
    """PySAM's Utilityrate5 on a year of the same 15-minute load (from the 1-minute file)."""
    try:
        import PySAM.Utilityrate5 as ur5
    except ImportError:
        return None
    powers = [float(line.split(",")[1]) for line in minutes_csv.read_text().splitlines()[1:]]
    load = [sum(powers[i : i + 15]) / 15 / 1000 for i in range(0, len(powers), 15)]
    started = time.perf_counter()
    model = ur5.new()
    model.Lifetime.analysis_period = 1
    model.Lifetime.system_use_lifetime_output = 0
    model.Lifetime.inflation_rate = 0
    model.SystemOutput.gen = [0.0] * len(load)
    model.SystemOutput.degradation = [0]
    model.Load.load = load
    rates = model.ElectricityRates
    rates.ur_metering_option = 4
    rates.ur_en_ts_sell_rate = 0
    rates.ur_en_ts_buy_rate = 0
    rates.ur_ec_tou_mat = [[1, 1, 1e38, 0, 0.145, 0], [2, 1, 1e38, 0, 0.052, 0], [3, 1, 1e38, 0, 0.048, 0]]
    summer = [2] * 13 + [1] * 7 + [2] * 4
    rates.ur_ec_sched_weekday = [summer if 6 <= m <= 9 else [3] * 24 for m in range(1, 13)]
    rates.ur_ec_sched_weekend = [[3] * 24 for _ in range(12)]
    rates.ur_monthly_fixed_charge = 0
    rates.ur_monthly_min_charge = 0
    rates.ur_annual_min_charge = 0
    rates.ur_dc_enable = 1
    rates.ur_dc_flat_mat = [[m, 1, 1e38, 9.5] for m in range(12)]
    rates.ur_dc_sched_weekday = [[1] * 24 for _ in range(12)]
    rates.ur_dc_sched_weekend = [[1] * 24 for _ in range(12)]
    rates.ur_dc_tou_mat = [[1, 1, 1e38, 0.0]]
    rates.rate_escalation = [0]
    rates.ur_nm_yearend_sell_rate = 0
    rates.ur_sell_eq_buy = 0
    model.execute()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--miners", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calc-days", type=int, default=365, help="days of 1-minute data for calc --readings")
    parser.add_argument("--keep", type=Path, help="keep the generated files and databases in DIR")
    parser.add_argument("--db-url", help="a postgresql:// database for the fleet (emptied first) instead of a file")
    options = parser.parse_args()
    work = options.keep or Path(tempfile.mkdtemp(prefix="elecost-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        bench(work, options.miners, options.days, options.repeat, options.calc_days, options.db_url)
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)


def empty_postgres(url: str) -> None:
    """Drop every table of the database at `url` (the next `elecost` run migrates it afresh)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def postgres_size(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else 0


def bench(work: Path, miners: int, days: int, repeat: int, calc_days: int, url: str | None = None) -> None:
    fleet = work / "fleet.csv"
    started = time.perf_counter()
    rows = generate_fleet(fleet, miners, days)
    minutes = work / "minutes.csv"
    minute_year(minutes, calc_days)
    print(
        f"fleet: {miners} miners x {days} days of 5-minute readings = {rows:,} rows "
        f"({fleet.stat().st_size / 1e6:.0f} MB CSV, generated in {time.perf_counter() - started:.1f} s)"
    )

    if url:
        print(f"database: PostgreSQL at {url}")

    def timed_import() -> float:
        db: Path | str = work / "fleet.db"
        if url:
            empty_postgres(url)
            db = url
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        run(db, "rate", "add", str(TARIFF))
        run(db, "rate", "activate", "Texas Industrial TOU")
        elapsed, rss = run(db, "readings", "import", str(fleet))
        timed_import.rss = rss  # type: ignore[attr-defined]
        return elapsed

    baseline = median_of(repeat, lambda: baseline_import(fleet, work / "baseline.db"))
    imported = median_of(repeat, timed_import)
    db: Path | str = url or work / "fleet.db"
    print(f"baseline sqlite3 plain loader: {baseline:6.2f} s  {rows / baseline:12,.0f} rows/s")
    print(
        f"readings import:              {imported:7.2f} s  {rows / imported:12,.0f} rows/s "
        f"= {baseline / imported:.0%} of baseline; peak RSS {timed_import.rss / 1024:.0f} MB"
    )  # type: ignore[attr-defined]

    record_s, record_rss = run(db, "record")
    print(
        f"record (whole month):         {record_s:7.2f} s  = {record_s / baseline:.2f}x the plain load "
        f"({baseline:.2f} s); peak RSS {record_rss / 1024:.0f} MB"
    )
    one_more_hour = work / "hour.csv"
    with fleet.open() as source, one_more_hour.open("w") as out:
        out.write(source.readline())
        lines = deque(source, maxlen=miners)  # the last step's rows, without holding the file
        last_stamp = lines[-1].split(",")[0]
        for line in lines:
            if not line.startswith(last_stamp):
                continue  # a miner out at the last step: the deque reached back into the step before
            stamp = datetime.fromisoformat(last_stamp)
            for extra in range(1, 13):
                moved = datetime.fromtimestamp(stamp.timestamp() + extra * STEP_S, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                out.write(moved + line[len(last_stamp) :])
    run(db, "readings", "import", str(one_more_hour))
    incremental, _ = run(db, "record")
    print(f"record after one more hour:   {incremental:7.2f} s")
    reports = {
        "rate list": ("rate", "list"),
        "summary --days 30": ("summary", "--days", "30"),
        "summary --by miner": ("summary", "--by", "miner"),
        "summary --by miner --json": ("summary", "--by", "miner", "--json"),
        "summary --by day": ("summary", "--by", "day"),
        "bill": ("bill",),
    }
    # Round by round, `rate list` beside the others: on a shared machine the pace drifts over a
    # minute by more than the 50 ms these are held to, and blocks of one command each would see it.
    taken: dict[str, list[float]] = {label: [] for label in reports}
    for _ in range(repeat):
        for label, args in reports.items():
            taken[label].append(run(db, *args)[0])
    trivial = statistics.median(taken.pop("rate list"))
    for label, times in taken.items():
        seconds = statistics.median(times)
        over = f"{(seconds - trivial) * 1000:+.0f} ms over `rate list`, {trivial * 1000:.0f} ms"
        print(f"{label + ':':30}{seconds:7.2f} s  ({over})")
    index_s = wholesale_bill(work, db, days, repeat)
    print(f"bill on a wholesale tariff (15-minute prices, the fleet month): {index_s:.2f} s")
    calc_s = median_of(1, lambda: run(db, "calc", "--readings", str(minutes), "--tariff", str(TARIFF))[0])
    print(f"calc --readings, {calc_days} days of 1-minute data for one miner: {calc_s:.2f} s")
    quarter_db = work / "quarter.db"
    run(quarter_db, "rate", "add", str(TARIFF))
    run(quarter_db, "rate", "activate", "Texas Industrial TOU")
    run(quarter_db, "readings", "import", str(quarter_hours(minutes, work / "quarter.csv")))
    bill_s = median_of(repeat, lambda: run(quarter_db, "bill")[0])
    pysam_s = pysam_year(minutes) if calc_days == 365 else None  # PySAM bills whole years only
    versus = f"; PySAM on the same load: {pysam_s:.3f} s (compute only, in-process)" if pysam_s else ""
    print(f"bill, {calc_days} days of 15-minute readings (whole process): {bill_s:.2f} s{versus}")
    help_s = median_of(max(repeat, 5), lambda: run(db, "--help")[0])
    print(f"elecost --help:               {help_s * 1000:7.0f} ms")
    size = (
        postgres_size(url)
        if url
        else sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists())
    )
    print(f"database size:                {size / 1e6:7.0f} MB")


def wholesale_bill(work: Path, db: Path | str, days: int, repeat: int) -> float:
    """The fleet's month billed on an index tariff (ERCOT-style 15-minute prices, a 4CP-free market
    tariff for the same site): `bill` prices every reading again, through the market's prices."""
    rng = random.Random(11)
    prices = work / "prices.csv"
    with prices.open("w") as out:
        out.write("timestamp,price_usd_per_mwh,duration_s\n")
        for step in range((days + 2) * 96):
            price = rng.uniform(-10, 60) if step % 96 < 72 else rng.uniform(40, 900)
            out.write(f"{START - 86_400 + step * 900},{price:.2f},900\n")
    tariff = work / "index.yaml"
    tariff.write_text(
        "name: Bench index\nlocation: West Texas Site\ntimezone: America/Chicago\nrate_type: index\n"
        "index: {market: bench_rt, adder_usd_per_kwh: 0.004, loss_pct: 2}\n"
        "fixed_charges: [{name: Customer charge, usd: 350, per: month}]\n"
    )
    run(db, "prices", "import", str(prices), "--market", "bench_rt")
    run(db, "rate", "add", str(tariff))
    run(db, "rate", "activate", "Bench index")
    return median_of(repeat, lambda: run(db, "bill")[0])


ELECOST = Path(sys.executable).with_name("elecost")

if __name__ == "__main__":
    main()
