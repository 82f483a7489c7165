"""The poll benchmark runs end to end on a tiny fake fleet (its figures are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "poll.py"


def test_poll_benchmark_runs_on_a_tiny_fleet() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--miners", "20", "--timeout", "1.5"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("fake fleet: 20 miners on 127.0.0.1")
    assert lines[1].startswith("poll --once --timeout 1.5 --concurrency 500: ")
    assert lines[2] == "  outcomes: 14 api, 2 nameplate, 4 no answer"
    assert lines[3].startswith("  within 60 s: ")
