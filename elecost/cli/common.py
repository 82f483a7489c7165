"""What every command shares: the Typer apps, common options, output, errors and exit codes.

Exit codes (contract section 3): 0 success, 1 a failed check, 2 bad input or usage.
Heavy modules (the store, the calculator, Rich tables) are imported inside the commands, so that
`elecost --help` stays quick.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from rich.console import Console, RenderableType
    from sqlite_utils import Database

    from elecost.readings import Gap
    from elecost.tariffs.model import Tariff

app = typer.Typer(
    help="What your mining operation's electricity really costs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rate_app = typer.Typer(help="Manage tariffs (rates).", no_args_is_help=True)
readings_app = typer.Typer(help="Store miner power readings.", no_args_is_help=True)
app.add_typer(rate_app, name="rate", rich_help_panel="Price")
app.add_typer(readings_app, name="readings", rich_help_panel="Track")

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", envvar="ELECOST_DB", help="Database file [default: $ELECOST_DB, else in your data directory]."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON alone on stdout.")]
LocationOption = Annotated[str | None, typer.Option("--location", "-l", help="Location (meter).")]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format", help="greenbutton, interval-csv or readings [default: told from the file's start or header]."
    ),
]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"elecost {version('elecost')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """elecost: tariffs, readings, cost rows and bills for Bitcoin miners."""


# --- output and errors -----------------------------------------------------------------------


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, markup=False, highlight=False, soft_wrap=True)


def _stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def show(renderable: RenderableType) -> None:
    _stdout().print(renderable)


def show_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def note(message: str) -> None:
    stderr().print(message)


@contextmanager
def exit_codes() -> Iterator[None]:
    """Turn the core's exceptions into messages on stderr and the contract's exit codes."""
    from elecost.errors import CheckFailed, InputError, UsageError

    try:
        yield
    except InputError as exc:
        console = stderr()
        for problem in exc.problems:
            console.print(f"error: {problem}")
        count = len(exc.problems)
        console.print(f"{count} error{'s' if count != 1 else ''}; nothing was written.")
        raise typer.Exit(2) from None
    except UsageError as exc:
        stderr().print(f"error: {exc}")
        raise typer.Exit(2) from None
    except CheckFailed as exc:
        stderr().print(str(exc))
        raise typer.Exit(1) from None


def _db_path(db: Path | None) -> Path:
    if db is not None:
        return db
    from platformdirs import user_data_path

    return user_data_path("elecost") / "elecost.db"


def open_database(db: Path | None) -> Database:
    from elecost.store import open_db

    return open_db(_db_path(db))


def decimal_option(text: str, option: str) -> Decimal:
    from elecost.errors import UsageError

    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UsageError(f"{option}: not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise UsageError(f"{option}: must be a number >= 0, got {text}")
    return value


def instant_option(text: str, zone: ZoneInfo, option: str) -> int:
    from elecost.errors import UsageError
    from elecost.instants import parse_instant

    try:
        return parse_instant(text, zone)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def optional_instant(text: str | None, zone: ZoneInfo, option: str) -> int | None:
    """An instant option that may be left out."""
    return None if text is None else instant_option(text, zone, option)


def format_option(name: str | None) -> str | None:
    """A readings file format (`--format`), checked."""
    from elecost.errors import UsageError
    from elecost.meterdata import FORMATS

    if name is not None and name not in FORMATS:
        raise UsageError(f"--format: must be one of {', '.join(FORMATS)}, got {name!r}")
    return name


def zone_option(name: str | None) -> ZoneInfo | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from elecost.errors import UsageError

    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--timezone: not an IANA time zone such as America/Chicago: {name!r}") from None


def report_gaps(gaps: list[Gap], zone: ZoneInfo) -> None:
    from elecost.instants import iso

    for gap in gaps[:20]:
        hours = (gap.end_s - gap.start_s) / 3600
        who = gap.miner or "whole meter"
        span = f"{iso(gap.start_s, zone)} to {iso(gap.end_s, zone)}"
        note(f"warning: {who} at {gap.location}: no readings {span} ({hours:g} h), not billed")
    if len(gaps) > 20:
        note(f"warning: {len(gaps) - 20} more gaps not shown")


def report_zone(database: Database, location: str | None) -> ZoneInfo:
    """The zone dates are read and shown in: the location's active rate's, else UTC."""
    from zoneinfo import ZoneInfo

    from elecost.store import active_rates

    rates = active_rates(database)
    if location is not None and location in rates:
        return ZoneInfo(rates[location].timezone)
    zones = {t.timezone for t in rates.values()}
    return ZoneInfo(zones.pop() if len(zones) == 1 else "UTC")


def days_span(database: Database, days: int) -> tuple[int, int]:
    """The last `days` days of recorded costs: back from the end of the newest cost row."""
    from elecost.summary import newest_cost_end

    end = newest_cost_end(database)
    if end is None:
        from elecost.errors import UsageError

        raise UsageError("no cost rows yet; import readings and run `elecost record` first")
    return end - days * 86_400, end


def load_files(files: list[Path]) -> list[Tariff]:
    from elecost.errors import InputError
    from elecost.tariffs.load import load_tariff_file

    tariffs, problems = [], []
    for path in files:
        try:
            tariffs.append(load_tariff_file(path))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return tariffs


def example_files() -> list[Path]:
    from importlib.resources import files

    folder = files("elecost.examples")
    return [Path(str(folder / name)) for name in ("flat.yaml", "tou.yaml")]
