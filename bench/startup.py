"""Start-up benchmark: how long each everyday command takes as a whole process, against the floor.

    python bench/startup.py [--repeat 5] [--keep DIR] [--against LABEL=SOURCE_DIR ...]

The floor is `python -c "import typer, rich.console"`: what any Typer + Rich command line pays
before doing anything. Each command runs `--repeat` times as a fresh process (the `elecost`
console script beside this interpreter, else `python -m elecost`), and the median wall time is
printed with its ratio to the floor's median; the floor and the commands run in interleaved
rounds, so a shared machine's load shifts all of them alike. So is the median CPU time
(user + system) of each process, which moves less than the wall time under load.
Modules run from bytecode, as `pip install .` leaves them (it compiles every module): the runs
write and read it in a throw-away PYTHONPYCACHEPREFIX, after one untimed warm-up round, whatever
PYTHONDONTWRITEBYTECODE says (set, it would make every run compile elecost's modules from source,
~30 ms that no installed elecost pays).
`--against before=/tmp/old` also runs every command from another source tree (a checkout of an
older commit, or of a merge: PYTHONPATH=SOURCE_DIR ahead of this install) in the same rounds, each
on its own small database, and prints its ratios beside this tree's.
Every command runs on a small database: the bundled flat tariff, active, and one day of one
miner's readings, recorded (`calc --power` prices with the active tariff).
Figures are printed, never asserted (issue 15 names the targets: 1.3x for --help, a
subcommand's help and --version, 1.6x for rate list, rate current and summary, 2x for calc).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAT = ROOT / "examples" / "flat.yaml"
FLAT_NAME = "Example Flat"
FLOOR_LABEL = 'python -c "import typer, rich.console"'

COMMANDS: list[tuple[str, list[str]]] = [
    ("--help", ["--help"]),
    ("rate list --help", ["rate", "list", "--help"]),
    ("--version", ["--version"]),
    ("rate list", ["rate", "list"]),
    ("rate current", ["rate", "current"]),
    ("summary", ["summary"]),
    ("calc --power 3000 --hours 24", ["calc", "--power", "3000", "--hours", "24"]),
]


def elecost_command() -> list[str]:
    """The installed console script if it sits beside this interpreter (as `pip install .` puts it)."""
    script = Path(sys.executable).parent / "elecost"
    return [str(script)] if script.exists() else [sys.executable, "-m", "elecost"]


def timed_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) [s] of one fresh process.

    The CPU time is what the process itself spent, so it moves less than the wall time when
    other jobs share the cores. A failing command stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def medians(runs: list[tuple[list[str], dict[str, str]]], repeat: int) -> list[tuple[float, float]]:
    """Median wall and CPU time of each command (arguments, environment), run in `repeat` rounds
    of one run each, so that the floor and every command sample the same stretch of a shared
    machine's load. A first, untimed round writes the bytecode."""
    for argv, env in runs:
        timed_once(argv, env)
    samples: list[list[tuple[float, float]]] = [[] for _ in runs]
    for _ in range(repeat):
        for index, (argv, env) in enumerate(runs):
            samples[index].append(timed_once(argv, env))
    return [(statistics.median(w for w, _ in one), statistics.median(c for _, c in one)) for one in samples]


def small_database(workdir: Path, env: dict[str, str]) -> None:
    """The flat example tariff, active, and one miner's readings over the last day, recorded."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    readings = workdir / "readings.csv"
    lines = ["timestamp,miner,power_w"]
    for step in range(24 * 12):
        at = now - timedelta(days=1) + timedelta(minutes=5 * step)
        lines.append(f"{at.isoformat().replace('+00:00', 'Z')},10.0.0.1,3250")
    readings.write_text("\n".join(lines) + "\n")
    command = elecost_command()
    steps = (
        ["rate", "add", str(FLAT)],
        ["rate", "activate", FLAT_NAME],
        ["readings", "import", str(readings)],
        ["record"],
    )
    for args in steps:
        subprocess.run([*command, *args], env=env, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Keep the small database in this directory.")
    parser.add_argument(
        "--against", action="append", default=[], metavar="LABEL=SOURCE_DIR", help="Also time another source tree."
    )
    args = parser.parse_args()
    others = [tuple(item.split("=", 1)) for item in args.against]
    if any(len(other) != 2 for other in others):
        parser.error("--against: give LABEL=SOURCE_DIR")

    workdir = Path(tempfile.mkdtemp(prefix="elecost-startup-")) if args.keep is None else args.keep
    workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, ELECOST_DB=str(workdir / "small.db"), COLUMNS="80")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    envs = [env]
    for label, source in others:
        envs.append(dict(env, ELECOST_DB=str(workdir / f"small-{label}.db"), PYTHONPATH=str(Path(source).resolve())))
    try:
        for one in envs:
            small_database(workdir, one)
        command = elecost_command()
        runs = [([sys.executable, "-c", "import typer, rich.console"], env)]
        runs += [([*command, *argv], one) for _, argv in COMMANDS for one in envs]
        (floor, floor_cpu), *results = medians(runs, args.repeat)
        heads = "".join(f"  {other:>15}" for other, _ in others)
        print(f"{'':<40} {'wall':>9} {'ratio':>6}  {'cpu':>9} {'ratio':>6}" + heads)
        print(f"{FLOOR_LABEL:<40} {floor:7.3f} s {1:5.2f}x  {floor_cpu:7.3f} s {1:5.2f}x  (the floor)")
        for index, (label, _) in enumerate(COMMANDS):
            (wall, cpu), *theirs = results[index * len(envs) : (index + 1) * len(envs)]
            line = f"{'elecost ' + label:<40} {wall:7.3f} s {wall / floor:5.2f}x  {cpu:7.3f} s {cpu / floor_cpu:5.2f}x"
            print(line + "".join(f"  {w / floor:5.2f}x / {c / floor_cpu:4.2f}x" for w, c in theirs))
        if others:
            print("beside each other tree: its wall / cpu ratios to the same floor")
        print(f"medians of {args.repeat} runs each; {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
