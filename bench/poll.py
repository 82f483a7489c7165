"""Poll benchmark: one `elecost miner poll --once` round over a fleet of fake miners on loopback.

    python bench/poll.py [--miners 2000] [--timeout 2] [--concurrency 500]

Starts the fake miner APIs of tests/fakeminers.py in a child process (a mixed fleet: three
firmwares reporting power, stock Antminers that do not, and a tenth each slow, hanging and
dead), lists them in a throw-away database, then times one poll round as a whole `elecost`
process. Prints the figures, never asserts them: the goal is a round of 2,000 miners within 60 s
(and 5,000 within a 60 s interval), on the same 2 cores as the fake miners themselves.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--miners", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=500)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from elecost.store import Miner, add_miners, open_db

    fleet = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fakeminers.py"), str(args.miners)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fleet.stdout is not None
        miners = json.loads(fleet.stdout.readline())
        with tempfile.TemporaryDirectory() as folder:
            db_path = Path(folder) / "poll.db"
            add_miners(
                open_db(db_path),
                [
                    Miner(f"m{i:05d}", "Bench", 100.0, 3100.0, None, "127.0.0.1", m["port"])
                    for i, m in enumerate(miners)
                ],
            )
            command = [
                sys.executable, "-m", "elecost", "miner", "poll", "--once", "--json",
                "--timeout", str(args.timeout), "--concurrency", str(args.concurrency),
            ]  # fmt: skip
            started = time.perf_counter()
            done = subprocess.run(
                command, env={**os.environ, "ELECOST_DB": str(db_path)}, capture_output=True, text=True, check=True
            )
            seconds = time.perf_counter() - started
        rows = json.loads(done.stdout)
    finally:
        if fleet.stdin is not None:
            fleet.stdin.close()
        fleet.wait(timeout=60)
    sources: dict[str, int] = {}
    for row in rows:
        sources[row["source"]] = sources.get(row["source"], 0) + 1
    kinds: dict[str, int] = {}
    for miner in miners:
        kinds[miner["kind"]] = kinds.get(miner["kind"], 0) + 1
    print(f"fake fleet: {args.miners} miners on 127.0.0.1 ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
    print(
        f"poll --once --timeout {args.timeout:g} --concurrency {args.concurrency}: "
        f"{seconds:.1f} s for {len(rows)} miners"
    )
    print(f"  outcomes: {', '.join(f'{n} {s}' for s, n in sorted(sources.items()))}")
    print(f"  within 60 s: {'yes' if seconds <= 60 else 'NO'} ({seconds / len(rows) * 1000:.2f} ms per miner)")


if __name__ == "__main__":
    main()
