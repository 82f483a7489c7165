"""The README's Python API example runs as written (on the bundled examples) and prints November's total."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_python_api_example_runs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python API") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    script = code.group(1).replace('"site.db"', repr(str(tmp_path / "site.db")))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    total, groups = result.stdout.split(" ", 1)
    assert round(float(total), 2) == 89.25  # the example readings' bill, as `bill` gives it
    assert "10.0.0.11" in groups and "10.0.0.12" in groups
