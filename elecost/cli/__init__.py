"""The command line: parse, call the core, render, exit. One module per command group.

Importing this package registers every command on `app`; `main` is the console script.
"""

from __future__ import annotations

from elecost.cli import calc, operator, rates, readings, reports
from elecost.cli.common import app

__all__ = ["app", "calc", "main", "operator", "rates", "readings", "reports"]


def main() -> None:
    """Console-script entry point."""
    app()
