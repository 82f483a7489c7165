"""The command line: parse, call the core, render, exit. One module per command group.

Importing this package registers every command on `app`; `main` is the console script.
"""

from __future__ import annotations

# isort: off
# Import order is the order of the help's panels: price, track, decide.
from elecost.cli import calc, rates, markets, readings, reports, overview
from elecost.cli import decide, miners, info, reconcile
from elecost.cli.common import app

# isort: on

__all__ = [
    "app",
    "calc",
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
