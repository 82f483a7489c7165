"""What `record --allocate-overhead` adds to pricing a fleet: the engine's rows for one billing
period of a metered fleet, then the allocation of each hour's overhead row, timed.

    python bench/allocate.py [--miners 1000] [--days 7] [--repeat 3]

The cycle collector is off, as in `record`. Prints the median of --repeat runs of each step
(noisy on a shared machine: compare the two figures of one run, not runs of different days).
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from elecost.tariffs.allocation import allocate_overhead  # noqa: E402
from elecost.tariffs.charges import KindKey  # noqa: E402
from elecost.tariffs.engine import price_hours_for_store  # noqa: E402
from elecost.tariffs.load import load_tariff_file  # noqa: E402
from elecost.tariffs.periods import billing_periods  # noqa: E402

START = int(datetime(2026, 7, 1, 5, tzinfo=UTC).timestamp())
STEP_S = 300


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--miners", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tariff = load_tariff_file(ROOT / "examples" / "texas_industrial.yaml")
    end = START + args.days * 86_400
    loads: dict[str, list[tuple[int, int, int]]] = {}
    for miner in range(args.miners):
        power_mw = (3250 + miner % 40) * 1000
        loads[f"m{miner}"] = [(at, at + STEP_S, power_mw) for at in range(START, end, STEP_S)]
    site_mw = sum(rows[0][2] for rows in loads.values()) * 108 // 100 + 40_000_000
    loads[""] = [(at, at + STEP_S, site_mw) for at in range(START, end, STEP_S)]
    (period,) = billing_periods(ZoneInfo(tariff.timezone), tariff.billing_cycle_day, START, end)
    kinds: dict[KindKey, int] = {}

    def kind_id(key: KindKey) -> int:
        return kinds.setdefault(key, len(kinds))

    pricing, sharing = [], []
    gc.disable()  # as `record` prices (elecost.record._without_cycle_collection)
    for _ in range(args.repeat):
        started = time.perf_counter()
        _, rows = price_hours_for_store(tariff, loads, *period, (START, end), kind_id)
        pricing.append(time.perf_counter() - started)
        started = time.perf_counter()
        shared = allocate_overhead(rows)
        sharing.append(time.perf_counter() - started)
    print(f"{args.miners} miners x {args.days} days: {len(rows):,} miner and overhead rows -> {len(shared):,}")
    print(f"pricing (price_hours_for_store): {statistics.median(pricing):.2f} s (median of {args.repeat})")
    print(f"allocating the overhead:         {statistics.median(sharing):.2f} s (median of {args.repeat})")


if __name__ == "__main__":
    main()
