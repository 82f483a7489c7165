"""The command line: parse, call the core, render, exit. One module per command group.

Importing this package registers every command on `app`; `main` is the console script.

The command modules do not use `from __future__ import annotations`: Typer reads every command's
signature on every run, and string annotations are compiled and evaluated twice per parameter,
which doubled that part of start-up (issue 15). Names imported only for type checking are quoted.
"""

from __future__ import annotations

# isort: off
# Import order is the order of the help's panels: price, track, decide.
from elecost.cli import calc, rates, markets, readings, reports, overview
from elecost.cli import decide, miners, info, reconcile
from elecost.cli import carbon
from elecost.cli.common import app

# isort: on

__all__ = [
    "app",
    "calc",
    "carbon",
    "decide",
    "info",
    "main",
    "markets",
    "miners",
    "overview",
    "rates",
    "readings",
    "reconcile",
    "reports",
]


def main() -> None:
    """Console-script entry point."""
    app()
