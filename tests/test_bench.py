"""The benchmark runs end to end on a tiny fleet (its figures are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "fleet.py"


def test_benchmark_runs_on_a_tiny_fleet() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--miners", "3", "--days", "2", "--repeat", "1", "--calc-days", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    printed = result.stdout
    for figure in (
        "baseline sqlite3",
        "readings import",
        "record (whole month)",
        "record after one more hour",
        "summary --days 30",
        "summary --by miner",
        "bill",
        "calc --readings",
        "elecost --help",
        "database size",
    ):
        assert figure in printed, printed


def test_report_benchmark_runs_on_a_tiny_fleet() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH.with_name("report.py")), "--miners", "3", "--days", "2", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    for figure in ("set-up:", "report --html (whole process):", "file size:", "Chromium"):  # opened, or not installed
        assert figure in result.stdout, result.stdout
