"""Carbon benchmark: what the kg CO2 add to `summary` and `profit` on a fleet's month of cost rows.

    python bench/carbon.py [--miners 1000] [--days 30] [--repeat 3]

Writes hourly cost rows (one meter row and one per miner per hour) straight into a fresh
database, and a zone's hourly intensities over them, then prints the median time of
`summary_carbon` by day and by miner and of `profit_carbon`, beside reading the miners' rows
alone. Figures are printed, never asserted; the machine is shared, so take them as rough.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from elecost.carbon import profit_carbon, summary_carbon  # noqa: E402
from elecost.carbon_store import energy_rows, import_carbon  # noqa: E402
from elecost.mining import ProfitRow  # noqa: E402
from elecost.prices import SeriesRow  # noqa: E402
from elecost.store import open_db, write_transaction  # noqa: E402

START = 1_782_882_000  # 2026-07-01 05:00 UTC


def fill(path: Path, miners: int, days: int) -> int:
    """Cost rows and intensities; returns the number of cost rows."""
    db = open_db(path)
    hours = days * 24
    rows = []
    for hour in range(hours):
        start = START + hour * 3600
        site_kwh = 0.0
        for miner in range(miners):
            kwh = 3.0 + (miner % 7) * 0.25
            site_kwh += kwh
            rows.append(("t", "site", f"m{miner}", start, start + 3600, START, 1.0, kwh, kwh, kwh, "r", 0.1, kwh / 10))
        rows.append(("t", "site", "", start, start + 3600, START, 1.0, site_kwh, site_kwh, site_kwh, "r", 0.1, 0.0))
    with write_transaction(db):
        db.executemany(
            "INSERT INTO costs (timestamp, location, miner_ip, period_start_s, period_end_s, billing_period_start_s, "
            "duration_hours, total_kwh, avg_power_kw, peak_power_kw, rate_name, avg_rate_usd_per_kwh, "
            "energy_cost_usd, demand_charge_usd, service_charge_usd, total_cost_usd, tou_breakdown_usd) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, '{}')",
            [(*row, row[-1]) for row in rows],
        )
    series = [
        SeriesRow("bench", hour, START + hour * 3600, START + (hour + 1) * 3600, (300 + hour % 150) * 1_000_000)
        for hour in range(hours)
    ]
    import_carbon(db, "ERCOT", series, replace=False)
    return len(rows)


def median_s(step: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        step()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--miners", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        began = time.perf_counter()
        count = fill(path, args.miners, args.days)
        took = time.perf_counter() - began
        print(f"{count:,} cost rows ({args.miners} miners, {args.days} days) written in {took:.1f} s")
        db = open_db(path)
        end = START + args.days * 86_400
        profit_rows = [
            ProfitRow(f"m{m}", "site", Decimal(100), Decimal(3000), Decimal(5), Decimal(7), "recorded")
            for m in range(args.miners)
        ]
        steps: dict[str, Callable[[], object]] = {
            "the rows alone (energy_rows of the miners)": lambda: energy_rows(db, START, end, miners=True),
            "summary_carbon --by day": lambda: summary_carbon(db, START, end, by="day"),
            "summary_carbon --by miner": lambda: summary_carbon(db, START, end, by="miner"),
            "profit_carbon": lambda: profit_carbon(db, profit_rows, START, end, Decimal(100_000)),
        }
        for name, step in steps.items():
            print(f"{name:40} {median_s(step, args.repeat):6.2f} s (median of {args.repeat})")


if __name__ == "__main__":
    main()
