"""Names and help text are shown exactly as written: Rich markup is never read from data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from elecost.cli import app

runner = CliRunner()
Write = Callable[[str, str], Path]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_a_rate_named_with_markup_lists_as_written(write: Write) -> None:
    path = write(
        "peak.yaml",
        """
        name: Peak [/bold] plan
        location: "[bold]x[/bold]"
        rate_type: flat
        flat_rate_usd_per_kwh: 0.1
        """,
    )
    code, _, err = run("rate", "add", str(path))
    assert (code, err) == (0, "added rate 'Peak [/bold] plan' (flat, [bold]x[/bold])\n")
    for _ in range(2):  # and on every later run
        code, out, _ = run("rate", "list")
        assert code == 0
        assert "Peak [/bold] plan" in out
        assert "[bold]x[/bold]" in out


def test_help_keeps_units_and_defaults_in_brackets() -> None:
    code, out, _ = run("calc", "--help")
    assert code == 0
    assert "How long [h]." in out
    assert "[default: now]" in out
    assert "Constant load [W]." in out


def test_root_help_offers_completion() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert "--install-completion" in out
    assert "--db" in out
