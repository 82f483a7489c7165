"""Wholesale benchmark: a year of ERCOT real-time prices and a summer of readings, timed.

    python bench/prices.py [--miners 20] [--keep DIR]

Generates a year of 15-minute settlement point prices for two points in ERCOT's NP6-905-CD format
(35,040 intervals each, both DST days), and 15-minute readings of a fleet of three models over
June to August, then times each step as a whole `elecost` process: prices import (one point of
the two), the same import again (changes nothing), prices list, the curtailment plan over the
summer, and its backtest. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

CENTRAL = ZoneInfo("America/Chicago")
HEADER = (
    "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag"
)
MODELS = [("s19", 110, 3250), ("s19xp", 140, 3010), ("s21", 200, 3500)]


def hours_of(day: date) -> list[tuple[int, str]]:
    """ERCOT's hours ending of a Central day: 23 on spring-forward, 25 (HE02 twice) on fall-back."""
    after = day + timedelta(days=1)
    length = midnight(after) - midnight(day)  # instants: aware datetimes of one zone subtract as wall clocks
    if length == 23 * 3600:
        return [(h, "N") for h in range(1, 25) if h != 3]
    if length == 25 * 3600:
        return [(1, "N"), (2, "N"), (2, "Y"), *[(h, "N") for h in range(3, 25)]]
    return [(h, "N") for h in range(1, 25)]


def midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=CENTRAL).timestamp())


def price(rng: random.Random, day: date, hour_ending: int) -> float:
    base = 22 + 18 * (7 <= hour_ending <= 22) - 20 * (10 <= hour_ending <= 14) * rng.random()
    if day.month in (6, 7, 8, 9) and 17 <= hour_ending <= 20 and rng.random() < 0.3:
        base += rng.choice([150, 400, 1200, 3500])
    return round(base + rng.gauss(0, 6), 2)


def generate_prices(path: Path, year: int) -> int:
    rng = random.Random(7)
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        day = date(year, 1, 1)
        while day.year == year:
            text = day.strftime("%m/%d/%Y")
            for hour, flag in hours_of(day):
                for quarter in range(1, 5):
                    value = price(rng, day, hour)
                    out.write(f"{text},{hour:02d},{quarter},LZ_WEST,LZ,{value},{flag}\n")
                    out.write(f"{text},{hour:02d},{quarter},HB_NORTH,HU,{value * 0.95:.2f},{flag}\n")
                    rows += 2
            day += timedelta(days=1)
    return rows


def generate_readings(path: Path, miners: int, start_s: int, end_s: int) -> int:
    """Every miner at nameplate, except that the s19s were switched off at 18:00-19:00 UTC."""
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("timestamp,power_w,miner\n")
        for instant in range(start_s, end_s, 900):
            evening = datetime.fromtimestamp(instant, UTC).hour == 23
            for index in range(miners):
                model, _, power = MODELS[index % len(MODELS)]
                out.write(f"{instant},{0 if evening and model == 's19' else power},m{index:03d}-{model}\n")
                rows += 1
    return rows


def timed(label: str, args: list[str], env_db: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "elecost", *args, "--db", str(env_db)], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{label} failed ({result.returncode}): {result.stderr}")
    print(f"{label:<58} {elapsed:7.2f} s   {result.stderr.strip().splitlines()[-1] if result.stderr else ''}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--miners", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="Keep the generated files and database here.")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="elecost-prices-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "prices.db"
    db.unlink(missing_ok=True)
    prices_csv, readings_csv = folder / "rt.csv", folder / "readings.csv"
    summer = (
        int(datetime(2026, 6, 1, 5, tzinfo=UTC).timestamp()),
        int(datetime(2026, 9, 1, 5, tzinfo=UTC).timestamp()),
    )
    print(f"prices: {generate_prices(prices_csv, 2026):,} rows; readings: ", end="")
    print(f"{generate_readings(readings_csv, options.miners, *summer):,} rows ({options.miners} miners)")
    market = ["--market", "lz_west"]
    timed(
        "prices import (a year, one point of two)",
        ["prices", "import", str(prices_csv), *market, "--settlement-point", "LZ_WEST"],
        db,
    )
    timed(
        "prices import again (changes nothing)",
        ["prices", "import", str(prices_csv), *market, "--settlement-point", "LZ_WEST"],
        db,
    )
    timed("prices list", ["prices", "list"], db)
    timed("readings import", ["readings", "import", str(readings_csv), "--location", "West"], db)
    for index in range(options.miners):
        model, hashrate, power = MODELS[index % len(MODELS)]
        subprocess.run(
            [sys.executable, "-m", "elecost", "miner", "add", f"m{index:03d}-{model}", "--hashrate-th", str(hashrate),
             "--power-w", str(power), "--location", "West", "--db", str(db)],
            capture_output=True, check=True,
        )  # fmt: skip
    span = ["--from", "2026-06-01T05:00Z", "--to", "2026-09-01T05:00Z", "--hashprice-usd-per-th-day", "0.05"]
    timed("curtail --market (summer plan, own break-even)", ["curtail", *market, *span, "--json"], db)
    timed("curtail --market --backtest (summer)", ["curtail", *market, *span, "--backtest"], db)
    print(f"database: {db.stat().st_size / 1e6:.1f} MB")
    if options.keep is None:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
