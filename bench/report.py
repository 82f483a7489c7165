"""HTML report benchmark: a fleet's month, `elecost report --html` timed, then opened in Chromium.

    python bench/report.py [--miners 1000] [--days 30] [--step-s 900] [--repeat 3] [--keep DIR]
                           [--screenshot PNG]

Generates readings (the fleet of bench/fleet.py: the Texas seasonal TOU tariff with a demand charge,
curtailment in summer peaks, outages), imports and records them, lists the miners with hashrates,
then prints: the time `elecost report --html` takes as a whole process, the file's size, and the
time headless Chromium takes from navigation to the first frame painted after load. The report's
work depends on the hourly cost rows (miners x hours), not on the readings' spacing, so readings
every 15 minutes (--step-s 900) make the same report as 5-minute ones for a third of the set-up.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from fleet import START, TARIFF, run  # noqa: E402

from chromium import Browser, chromium_binary  # noqa: E402

MODELS = {3250: ("S19j Pro", 104), 3500: ("S21", 200), 3010: ("S19 XP", 140), 5360: ("S21 Hydro", 335)}


def plan(miners: int, steps: int, seed: int = 7) -> tuple[dict[int, int], list[int]]:
    """Which miners have an outage (and at which step), and each miner's nominal power [W]."""
    rng = random.Random(seed)
    outages = {m: rng.randrange(steps) for m in range(miners) if rng.random() < 0.1}
    return outages, [rng.choice(list(MODELS)) for _ in range(miners)]


def generate(path: Path, miners: int, days: int, step_s: int) -> int:
    """The fleet's readings every `step_s` seconds; return the number of rows."""
    steps = days * 86_400 // step_s
    outages, nominal = plan(miners, steps)
    rows = 0
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["timestamp", "miner", "power_w"])
        for step in range(steps):
            at = START + step * step_s
            stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            local_hour = (at // 3600 - 5) % 24
            weekday = ((at - 5 * 3600) // 86_400 + 3) % 7  # 1970-01-01 was a Thursday
            for miner in range(miners):
                outage = outages.get(miner)
                if outage is not None and outage <= step < outage + 7_200 // step_s:
                    continue  # two hours without readings: a gap
                power = nominal[miner] + (step * 7 + miner * 13) % 40
                if weekday < 5 and 13 <= local_hour < 20 and miner % 3 == 0:
                    power = 0  # a third of the fleet curtails during the summer peak
                writer.writerow([stamp, _name(miner), power])
                rows += 1
    return rows


def _name(miner: int) -> str:
    return f"10.{miner // 65536}.{miner // 256 % 256}.{miner % 256}"


def list_miners(db: Path, miners: int, steps: int) -> None:
    """The inventory, in-process (a thousand `miner add` processes would take minutes)."""
    from elecost.store import Miner, add_miners, open_db

    listed = [
        Miner(_name(miner), "West Texas Site", MODELS[watts][1], watts, MODELS[watts][0])
        for miner, watts in enumerate(plan(miners, steps)[1])
    ]
    add_miners(open_db(db), listed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--miners", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--step-s", type=int, default=900, help="seconds between a miner's readings")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hashprice", default="0.05", help="USD per TH/s per day, for the margins")
    parser.add_argument("--keep", type=Path, help="keep the generated files and database in DIR")
    parser.add_argument("--screenshot", type=Path, help="also save a screenshot of the report")
    options = parser.parse_args()
    work = options.keep or Path(tempfile.mkdtemp(prefix="elecost-bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        bench(work, options)
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)


def bench(work: Path, options: argparse.Namespace) -> None:
    db, readings, page = work / "fleet.db", work / "fleet.csv", work / "report.html"
    if not db.exists():
        started = time.perf_counter()
        rows = generate(readings, options.miners, options.days, options.step_s)
        run(db, "rate", "add", str(TARIFF))
        run(db, "rate", "activate", "Texas Industrial TOU")
        run(db, "readings", "import", str(readings))
        run(db, "record")
        list_miners(db, options.miners, options.days * 86_400 // options.step_s)
        run(db, "budget", "set", "--monthly-usd", str(options.miners * 300))
        print(
            f"set-up: {options.miners} miners x {options.days} days, {rows:,} readings, imported and recorded "
            f"in {time.perf_counter() - started:.0f} s"
        )
    args = ("report", "--html", str(page), "--force", "--hashprice-usd-per-th-day", options.hashprice)
    built = statistics.median(run(db, *args)[0] for _ in range(options.repeat))
    print(f"report --html (whole process):  {built:6.2f} s")
    print(f"file size:                      {page.stat().st_size / 1000:6.0f} kB")
    binary = chromium_binary()
    if binary is None:
        print("Chromium: not installed, not opened")
        return
    opened = []
    for _ in range(options.repeat):
        started = time.perf_counter()
        with Browser(binary) as browser:
            launched = time.perf_counter() - started
            painted_ms = browser.open(page)
            opened.append((painted_ms / 1000, launched))
            if options.screenshot:
                browser.screenshot(options.screenshot)
    painted, launched = statistics.median(o[0] for o in opened), statistics.median(o[1] for o in opened)
    print(
        f"opened in Chromium (navigation to first paint after load): {painted:6.2f} s "
        f"(plus {launched:.2f} s to start the browser)"
    )


if __name__ == "__main__":
    main()
