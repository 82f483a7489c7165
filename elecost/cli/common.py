"""What every command shares: the Typer apps, common options, output, errors and exit codes.

Exit codes (contract section 3): 0 success, 1 a failed check, 2 bad input or usage.
Heavy modules (the store, the calculator, Rich tables) are imported inside the commands, so that
`elecost --help` stays quick.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from elecost.cli.help import lean_help

if TYPE_CHECKING:
    # json, sqlite3 and decimal too are imported where used: `--help` and `--version` need none.
    import sqlite3
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from rich.console import Console, RenderableType

    from elecost.db import Database
    from elecost.errors import Problem
    from elecost.readings import Gap
    from elecost.tariffs.model import Tariff

lean_help()  # help and usage errors render without a Markdown parser (issue 15)

app = typer.Typer(
    help="What your mining operation's electricity really costs.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # help keeps its panels, and "[h]" is a unit, not Rich markup (see cli/help.py)
)
rate_app = typer.Typer(help="Manage tariffs (rates).", no_args_is_help=True, rich_markup_mode="markdown")
readings_app = typer.Typer(help="Store miner power readings.", no_args_is_help=True, rich_markup_mode="markdown")
app.add_typer(rate_app, name="rate", rich_help_panel="Price")
app.add_typer(readings_app, name="readings", rich_help_panel="Track")

DB_HELP = (
    "Database file, or a postgresql:// URL "
    "[default: --db before the command, else $ELECOST_DB, else in your data directory]."
)
# A PostgreSQL URL given as --db or ELECOST_DB, by the Path that stands for it (a Path folds the
# URL's '//', so the text is kept as given).
_urls: dict[Path, str] = {}


def _db_value(value: str) -> Path:
    path = Path(value)
    if value.startswith(("postgresql://", "postgres://")):
        _urls[path] = value
    return path


DbOption = Annotated[Path | None, typer.Option("--db", help=DB_HELP, parser=_db_value, metavar="<path|url>")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON alone on stdout.")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print CSV alone on stdout, header row first.")]
LocationOption = Annotated[str | None, typer.Option("--location", "-l", help="Location (meter).")]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format", help="greenbutton, interval-csv or readings [default: told from the file's start or header]."
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success (for cron).")]
FromOption = Annotated[str | None, typer.Option("--from", help="From (ISO; a date is local midnight).")]
ToOption = Annotated[str | None, typer.Option("--to", help="To, excluded.")]


def _version(value: bool) -> None:
    if value:
        from elecost import __version__

        typer.echo(f"elecost {__version__}")
        raise typer.Exit()


# The database chosen for this run: `--db` before the command (set by the root callback, which
# runs on every invocation), and the path opened last, which SQLite errors name.
_chosen: dict[str, Path | None] = {"root": None, "opened": None}


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help=(
                "Database file or postgresql:// URL for any command "
                "[default: $ELECOST_DB, else elecost.db in your data directory]."
            ),
            parser=_db_value,
            metavar="<path|url>",
        ),
    ] = None,
) -> None:
    """elecost: tariffs, readings, cost rows and bills for Bitcoin miners."""
    _chosen["root"] = db
    _chosen["opened"] = None


# --- output and errors -----------------------------------------------------------------------


def stderr() -> "Console":
    from rich.console import Console

    return Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True)


def _stdout() -> "Console":
    from rich.console import Console

    return Console(highlight=False, markup=False, emoji=False)  # names are data: "[bold]x", ":V:" shown as written


def show(renderable: "RenderableType") -> None:
    # A table that lays itself out within the width (`elecost.report`'s long tables say so) is printed
    # as it is: cropping splits every line again (a 1,000-miner summary's table: 5 ms of 45). Other
    # tables are cropped as Rich does: one with a column's minimum width can come out wider.
    _stdout().print(renderable, crop=not getattr(renderable, "within_width", False))


def show_json(data: Any) -> None:
    from elecost.json_text import indented_json

    sys.stdout.write(indented_json(data) + "\n")


def data_output(json_out: bool, csv_out: bool) -> bool:
    """Whether a tabular command prints data (--json or --csv) instead of its table; both at once
    is a usage error. Called before the work, so a wrong pair costs nothing."""
    if json_out and csv_out:
        from elecost.errors import UsageError

        raise UsageError("--json and --csv: give one of them")
    return json_out or csv_out


def show_data(data: Any, csv_out: bool, rows: "list[dict[str, Any]] | None" = None) -> None:
    """--json's data, or with --csv its rows (`rows`, where the JSON is more than a list of them)."""
    if csv_out:
        from elecost.report_data import rows_csv

        sys.stdout.write(rows_csv(data if rows is None else rows))
    else:
        show_json(data)


def note(message: str) -> None:
    stderr().print(message)


@contextmanager
def exit_codes() -> Iterator[None]:
    """Turn the core's exceptions into messages on stderr and the contract's exit codes.

    Every command runs inside it, so it also gives the cycle collector back to a run that
    `elecost.cli.main` took for a help run (see there)."""
    import gc
    import sqlite3

    from elecost.errors import CheckFailed, InputError, UsageError

    gc.enable()
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
    except sqlite3.Error as exc:
        stderr().print(f"error: {database_fault(exc, _chosen['opened'])}")
        raise typer.Exit(2) from None
    except Exception as exc:
        if not type(exc).__module__.startswith("psycopg"):
            raise
        # The PostgreSQL server's own words (it never repeats a password), without a traceback.
        stderr().print(f"error: the PostgreSQL database: {str(exc).strip()}")
        raise typer.Exit(2) from None


def database_fault(exc: "sqlite3.Error", path: Path | None) -> str:
    """A SQLite error as what the user can do about it (no traceback: one place for every command)."""
    from elecost.store import BUSY_TIMEOUT_MS

    where = f"the database {path}" if path is not None else "the database"
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return f"another elecost run holds {where} (waited {BUSY_TIMEOUT_MS // 1000} s); try again when it has finished"
    if "full" in lowered:
        return f"the disk holding {where} is full; nothing was written"
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return f"{where} is not an elecost database, or is damaged ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"cannot write {where}: the file or its folder is read-only ({text})"
    if "unable to open" in lowered or "i/o" in lowered:
        return f"cannot open {where}: check that it is a file you may read and write ({text})"
    return f"{where}: {text}"


def root_db() -> Path | None:
    """The --db given before the command, if any."""
    return _chosen["root"]


def db_path(db: Path | None) -> Path:
    """The subcommand's --db, else the one before the command, else $ELECOST_DB, else the default."""
    chosen = db or _chosen["root"]
    if chosen is not None:
        return chosen
    if os.environ.get("ELECOST_DB"):
        return _db_value(os.environ["ELECOST_DB"])
    from platformdirs import user_data_path

    return user_data_path("elecost") / "elecost.db"


def database_url(path: Path) -> str | None:
    """The postgresql:// URL a `db_path` stands for, as given; None for a SQLite file."""
    return _urls.get(path)


def open_database(db: Path | None, *, create: bool = False) -> "Database":
    """Open the database; only commands that store something (`create`) may create it.

    A read-only command given a mistyped path says so instead of leaving an empty database
    (and its folders) behind.
    """
    from elecost.errors import UsageError
    from elecost.store import open_db

    path = db_path(db)
    if path in _urls:  # a PostgreSQL server: no file to check or create
        _chosen["opened"] = None
        return open_db(_urls[path])
    _chosen["opened"] = path
    if path.is_dir():
        raise UsageError(f"--db: {path} is a folder; give a database file, e.g. {path / 'elecost.db'}")
    if not create and not path.exists():
        raise UsageError(
            f"no database at {path}; check --db and ELECOST_DB "
            "(`elecost rate init` or `elecost readings import` creates one)"
        )
    return open_db(path)


def check_output(output: Path, force: bool) -> None:
    """Refuse an --output that would destroy something: the database (never), an existing file
    (unless --force), a folder, or a place that does not exist. Checked before any work."""
    from elecost.errors import UsageError

    database = _chosen["opened"]
    if (
        database is not None
        and database.exists()
        and output.exists()
        and any(target.exists() and output.samefile(target) for target in database_files(database))
    ):
        raise UsageError(f"--output: {output} is the database; write the export to another file")
    if output.is_dir():
        raise UsageError(f"--output: {output} is a folder; give a file name")
    if not output.parent.is_dir():
        raise UsageError(f"--output: the folder {output.parent} does not exist")
    if output.exists() and not force and output.is_file():
        raise UsageError(f"--output: {output} exists; add --force to overwrite it")


def database_files(database: Path) -> list[Path]:
    """A SQLite database's file and the files beside it that are part of it (WAL, shared memory)."""
    return [database, *(database.with_name(database.name + end) for end in ("-wal", "-shm", "-journal"))]


def write_output(output: Path, text: str) -> None:
    """Write a file whole: a regular file through a temporary one and a rename, so a full disk
    leaves the old file as it was; a device (/dev/stdout, /dev/full) directly."""
    from elecost.errors import UsageError

    try:
        if output.exists() and not output.is_file():
            with output.open("w", encoding="utf-8") as handle:
                handle.write(text)
            return
        temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        try:
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(output)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as exc:
        raise UsageError(f"--output: cannot write {output}: {exc.strerror or exc}") from None


def decimal_option(text: str, option: str, maximum: str = "1e18") -> "Decimal":
    """A number >= 0 from an option, bounded where it enters (1e400 would be stored as inf)."""
    from decimal import Decimal, InvalidOperation

    from elecost.errors import UsageError

    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UsageError(f"{option}: not a number: {text[:40]!r}") from None
    if not value.is_finite() or value < 0:
        raise UsageError(f"{option}: must be a number >= 0, got {text[:40]}")
    if value > Decimal(maximum):
        raise UsageError(f"{option}: must be at most {maximum}, got {text[:40]}")
    return value


def instant_option(text: str, zone: "ZoneInfo", option: str) -> int:
    from elecost.errors import UsageError
    from elecost.instants import parse_instant

    try:
        return parse_instant(text, zone)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def optional_instant(text: str | None, zone: "ZoneInfo", option: str) -> int | None:
    """An instant option that may be left out."""
    return None if text is None else instant_option(text, zone, option)


def format_option(name: str | None) -> str | None:
    """A readings file format (`--format`), checked."""
    from elecost.errors import UsageError
    from elecost.meterdata import FORMATS

    if name is not None and name not in FORMATS:
        raise UsageError(f"--format: must be one of {', '.join(FORMATS)}, got {name!r}")
    return name


def zone_option(name: str | None) -> "ZoneInfo | None":
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from elecost.errors import UsageError

    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--timezone: not an IANA time zone such as America/Chicago: {name!r}") from None


def report_gaps(gaps: "list[Gap]", zone: "ZoneInfo") -> None:
    from elecost.instants import iso

    for gap in gaps[:20]:
        hours = (gap.end_s - gap.start_s) / 3600
        who = gap.miner or "whole meter"
        span = f"{iso(gap.start_s, zone)} to {iso(gap.end_s, zone)}"
        note(f"warning: {who} at {gap.location}: no readings {span} ({hours:g} h), not billed")
    if len(gaps) > 20:
        note(f"warning: {len(gaps) - 20} more gaps not shown")


def report_zone(database: "Database", location: str | None, timezone: str | None = None) -> "ZoneInfo":
    """The zone dates are read and shown in: `timezone` (a command's --timezone) where given, else
    the location's active rate's, else UTC."""
    from zoneinfo import ZoneInfo

    from elecost.store import active_rates

    chosen = zone_option(timezone)
    if chosen is not None:
        return chosen

    rates = active_rates(database)
    if location is not None and location in rates:
        return ZoneInfo(rates[location].timezone)
    zones = {t.timezone for t in rates.values()}
    return ZoneInfo(zones.pop() if len(zones) == 1 else "UTC")


MAX_DAYS = 36_600  # a hundred years of records; 3,000,000 days reached past the year 9999


def check_days(days: int, maximum: int = MAX_DAYS) -> int:
    """Bound --days where it enters."""
    from elecost.errors import UsageError

    if days > maximum:
        raise UsageError(f"--days: must be at most {maximum:,}, got {days:,}")
    return days


def days_span(database: "Database", days: int, zone: "ZoneInfo | None" = None) -> tuple[int, int]:
    """The last `days` whole local days of recorded costs, the newest row's day included: from
    local midnight `days` days before the end of that day, to that end."""
    from datetime import UTC, datetime, timedelta

    from elecost.instants import local_instant
    from elecost.rollups import newest_cost_end

    end = newest_cost_end(database)
    if end is None:
        from elecost.errors import UsageError

        raise UsageError("no cost rows yet; import readings and run `elecost record` first")
    if zone is None:
        return end - days * 86_400, end
    last_day = datetime.fromtimestamp(end - 1, UTC).astimezone(zone).date()

    def midnight(day_offset: int) -> int:
        day = datetime.combine(last_day + timedelta(days=day_offset), datetime.min.time())
        return local_instant(day, zone, day.date().isoformat(), date_only=True)

    return midnight(1 - days), midnight(1)


def report_span(
    database: "Database", days: int, zone: "ZoneInfo", from_: str | None, to: str | None
) -> tuple[int, int, str]:
    """The span of a report and how to name it: --from/--to where given (half-open), else the
    last `days` whole local days of records."""
    if from_ is None and to is None:
        start, end = days_span(database, check_days(days), zone)
        return start, end, f"last {days} day{'s' if days != 1 else ''} of records"
    start, end = days_span(database, 1, zone)
    start_s = optional_instant(from_, zone, "--from")
    end_s = optional_instant(to, zone, "--to")
    if start_s is not None and end_s is not None and start_s >= end_s:
        from elecost.errors import UsageError

        raise UsageError(f"--from {from_} is not before --to {to}")
    return (
        start_s if start_s is not None else -(2**62),
        end_s if end_s is not None else end,
        f"from {from_ or 'the first record'} to {to or 'the last'}",
    )


def check_names(database: "Database", miner: str | None, location: str | None) -> None:
    """An unknown --miner or --location is an error naming those that have cost rows, not an
    empty table."""
    from elecost.errors import UsageError
    from elecost.store import cost_names

    for option, given, kind in (("--miner", miner, "miners"), ("--location", location, "locations")):
        if given is None:
            continue
        known = cost_names(database, kind)
        if given not in known:
            shown = ", ".join(repr(name) for name in known[:20]) + (
                f" and {len(known) - 20} more" if len(known) > 20 else ""
            )
            raise UsageError(f"{option}: no cost rows for {given!r}; {kind} with cost rows: {shown or 'none yet'}")


MAX_TARIFF_BYTES = 1_048_576  # a tariff with a year of hourly prices is under 200 kB


def repeats(files: list[Path]) -> "dict[Path, list[Problem]]":
    """Files named twice (`a.csv ./a.csv`): a problem for the second, which would do nothing
    (readings) or be refused as "already exists" (tariffs)."""
    from elecost.errors import Problem

    seen: set[Path] = set()
    out: dict[Path, list[Problem]] = {}
    for path in files:
        key = path.resolve() if str(path) != "-" else path
        if key in seen:
            out[path] = [Problem(str(path), None, "", "given twice; give each file once")]
        seen.add(key)
    return out


def refuse_repeats(files: list[Path]) -> None:
    from elecost.errors import InputError

    problems = [problem for found in repeats(files).values() for problem in found]
    if problems:
        raise InputError(problems)


def load_files(files: list[Path]) -> "list[Tariff]":
    from elecost.errors import InputError, Problem
    from elecost.tariffs.load import load_tariff_file

    tariffs, problems = [], []
    repeated = repeats(files)
    for path in files:
        if path in repeated:
            problems.extend(repeated.pop(path))
            continue
        if path.is_file() and path.stat().st_size > MAX_TARIFF_BYTES:
            problems.append(Problem(str(path), None, "", "over 1 MB: not a tariff file"))
            continue
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
