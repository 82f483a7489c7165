"""The command line: parse, call the core, render, exit. No arithmetic lives here.

Exit codes (contract section 3): 0 success, 1 a failed check, 2 bad input or usage.
Heavy modules (the store, the calculator, Rich tables) are imported inside the commands, so that
`elecost --help` stays quick.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from rich.console import Console, RenderableType
    from sqlite_utils import Database

    from elecost.readings import Gap, TextOpener
    from elecost.tariffs.model import Tariff

app = typer.Typer(
    help="What your mining operation's electricity really costs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rate_app = typer.Typer(help="Manage tariffs (rates).", no_args_is_help=True)
readings_app = typer.Typer(help="Store miner power readings.", no_args_is_help=True)
app.add_typer(rate_app, name="rate")
app.add_typer(readings_app, name="readings")

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", envvar="ELECOST_DB", help="Database file [default: $ELECOST_DB, else in your data directory]."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON alone on stdout.")]
LocationOption = Annotated[str | None, typer.Option("--location", "-l", help="Location (meter).")]


def main() -> None:
    """Console-script entry point."""
    app()


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


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, markup=False, highlight=False, soft_wrap=True)


def _stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _print(renderable: RenderableType) -> None:
    _stdout().print(renderable)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _note(message: str) -> None:
    _stderr().print(message)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the core's exceptions into messages on stderr and the contract's exit codes."""
    from elecost.errors import CheckFailed, InputError, UsageError

    try:
        yield
    except InputError as exc:
        console = _stderr()
        for problem in exc.problems:
            console.print(f"error: {problem}")
        count = len(exc.problems)
        console.print(f"{count} error{'s' if count != 1 else ''}; nothing was written.")
        raise typer.Exit(2) from None
    except UsageError as exc:
        _stderr().print(f"error: {exc}")
        raise typer.Exit(2) from None
    except CheckFailed as exc:
        _stderr().print(str(exc))
        raise typer.Exit(1) from None


def _db_path(db: Path | None) -> Path:
    if db is not None:
        return db
    from platformdirs import user_data_path

    return user_data_path("elecost") / "elecost.db"


def _open(db: Path | None) -> Database:
    from elecost.store import open_db

    return open_db(_db_path(db))


def _decimal(text: str, option: str) -> Decimal:
    from elecost.errors import UsageError

    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UsageError(f"{option}: not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise UsageError(f"{option}: must be a number >= 0, got {text}")
    return value


def _instant(text: str, zone: ZoneInfo, option: str) -> int:
    from elecost.errors import UsageError
    from elecost.instants import parse_instant

    try:
        return parse_instant(text, zone)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def _zone(name: str | None) -> ZoneInfo | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from elecost.errors import UsageError

    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--timezone: not an IANA time zone such as America/Chicago: {name!r}") from None


def _report_gaps(gaps: list[Gap], zone: ZoneInfo) -> None:
    from elecost.instants import iso

    for gap in gaps[:20]:
        hours = (gap.end_s - gap.start_s) / 3600
        who = gap.miner or "whole meter"
        span = f"{iso(gap.start_s, zone)} to {iso(gap.end_s, zone)}"
        _note(f"warning: {who} at {gap.location}: no readings {span} ({hours:g} h), not billed")
    if len(gaps) > 20:
        _note(f"warning: {len(gaps) - 20} more gaps not shown")


# --- calc ------------------------------------------------------------------------------------


def _tariff_for(db: Path | None, tariff_file: Path | None, rate: str | None, location: str | None) -> Tariff:
    from elecost.errors import UsageError

    if tariff_file is not None and rate is not None:
        raise UsageError("give --tariff FILE or --rate NAME, not both")
    if tariff_file is not None:
        from elecost.tariffs.load import load_tariff_file

        return load_tariff_file(tariff_file)
    from elecost.store import active_rate, get_rate

    database = _open(db)
    return get_rate(database, rate) if rate is not None else active_rate(database, location)


@app.command()
def calc(
    power: Annotated[str | None, typer.Option("--power", help="Constant load [W].")] = None,
    hours: Annotated[str | None, typer.Option("--hours", help="How long [h].")] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="Start (ISO; a date is local midnight) [default: now].")
    ] = None,
    readings: Annotated[Path | None, typer.Option("--readings", help="A readings file (CSV or JSON Lines).")] = None,
    tariff: Annotated[Path | None, typer.Option("--tariff", help="A tariff file.")] = None,
    rate: Annotated[str | None, typer.Option("--rate", help="A stored rate by name.")] = None,
    location: LocationOption = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="Zone for timestamps without an offset.")] = None,
    max_gap: Annotated[
        int | None, typer.Option("--max-gap", help="Longest gap billed [s] [default: 3x median spacing].")
    ] = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Cost of a constant load (--power/--hours) or of a readings file; nothing is stored."""
    from elecost.errors import InputError, UsageError
    from elecost.pricing import price_constant_load, price_readings
    from elecost.readings import read_readings
    from elecost.report import breakdown_table, record_json

    with _errors():
        chosen = _tariff_for(db, tariff, rate, location)
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(chosen.timezone)
        if readings is not None:
            if power is not None or hours is not None or start is not None:
                raise UsageError("give --readings, or --power and --hours, not both")
            rows, problems = read_readings(readings, _zone(timezone))
            if problems:
                raise InputError(problems)
            if not rows:
                raise UsageError(f"{readings}: no readings")
            priced = price_readings(chosen, rows, max_gap)
            _report_gaps(priced.gaps, zone)
        else:
            if power is None or hours is None:
                raise UsageError("give --power W and --hours H (or --readings FILE)")
            seconds = _decimal(hours, "--hours") * 3600
            if seconds != seconds.to_integral_value() or seconds <= 0:
                raise UsageError(f"--hours: must be a positive whole number of seconds, got {hours}")
            start_s = _instant(start, zone, "--start") if start else int(time.time())
            priced = price_constant_load(chosen, _decimal(power, "--power"), start_s, int(seconds))
        record = priced.total
        if json_out:
            _print_json(record_json(record, zone))
        else:
            _print(breakdown_table(record, zone, f"{chosen.name} ({chosen.location}, {chosen.timezone})"))


# --- rates -----------------------------------------------------------------------------------


def _load_files(files: list[Path]) -> list[Tariff]:
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


def _example_files() -> list[Path]:
    from importlib.resources import files

    folder = files("elecost.examples")
    return [Path(str(folder / name)) for name in ("flat.yaml", "tou.yaml")]


@rate_app.command("add")
def rate_add(files: Annotated[list[Path], typer.Argument(help="Tariff files (YAML).")], db: DbOption = None) -> None:
    """Add tariffs from files; every file is checked before any is stored."""
    from elecost.store import add_rates

    with _errors():
        tariffs = _load_files(files)
        add_rates(_open(db), tariffs)
        for tariff in tariffs:
            _note(f"added rate {tariff.name!r} ({tariff.rate_type}, {tariff.location})")


@rate_app.command("init")
def rate_init(db: DbOption = None) -> None:
    """Add the example tariffs: flat $0.12 + $0.50/day, and TOU $0.08/$0.18."""
    from elecost.store import add_rates, list_rates

    with _errors():
        database = _open(db)
        known = {t.name for t in list_rates(database)}
        tariffs = [t for t in _load_files(_example_files()) if t.name not in known]
        add_rates(database, tariffs)
        for tariff in tariffs:
            _note(f"added rate {tariff.name!r}")
        if not tariffs:
            _note("the example rates are already there")
        _note('next: elecost rate activate "Example TOU"  (or "Example Flat")')


@rate_app.command("list")
def rate_list(json_out: JsonOption = False, db: DbOption = None) -> None:
    """List stored tariffs."""
    from elecost.report import rate_json, rates_table
    from elecost.store import list_rates

    with _errors():
        tariffs = list_rates(_open(db))
        if json_out:
            _print_json([rate_json(t) for t in tariffs])
        else:
            _print(rates_table(tariffs))


@rate_app.command("show")
def rate_show(name: str, json_out: JsonOption = False, db: DbOption = None) -> None:
    """Show one tariff in full (account number masked)."""
    from elecost.report import rate_json, rate_yaml
    from elecost.store import get_rate

    with _errors():
        tariff = get_rate(_open(db), name)
        if json_out:
            _print_json(rate_json(tariff))
        else:
            sys.stdout.write(rate_yaml(tariff, mask=True))


@rate_app.command("export")
def rate_export(name: str, db: DbOption = None) -> None:
    """Print a tariff as YAML that `rate add` reads back (account number included)."""
    from elecost.report import rate_yaml
    from elecost.store import get_rate

    with _errors():
        sys.stdout.write(rate_yaml(get_rate(_open(db), name), mask=False))


@rate_app.command("update")
def rate_update(name: str, file: Path, db: DbOption = None) -> None:
    """Replace a stored tariff by the one in FILE (it stays active if it was)."""
    from elecost.store import update_rate

    with _errors():
        (tariff,) = _load_files([file])
        update_rate(_open(db), name, tariff)
        _note(f"updated rate {name!r}")


@rate_app.command("remove")
def rate_remove(name: str, db: DbOption = None) -> None:
    """Delete a stored tariff (cost rows keep its name)."""
    from elecost.store import remove_rate

    with _errors():
        remove_rate(_open(db), name)
        _note(f"removed rate {name!r}")


@rate_app.command("activate")
def rate_activate(name: str, db: DbOption = None) -> None:
    """Make a tariff the active one of its location."""
    from elecost.store import activate_rate

    with _errors():
        tariff = activate_rate(_open(db), name)
        _note(f"rate {tariff.name!r} is now active for {tariff.location!r}")


@rate_app.command("current")
def rate_current(location: LocationOption = None, json_out: JsonOption = False, db: DbOption = None) -> None:
    """The active tariff and the price in force now, with when it next changes."""
    from elecost.report import current_price
    from elecost.store import active_rate

    with _errors():
        tariff = active_rate(_open(db), location)
        data = current_price(tariff, int(time.time()))
        if json_out:
            _print_json(data)
        else:
            _print(
                f"{data['rate_name']} ({data['location']}): {data['period']} at "
                f"${data['price_usd_per_kwh']}/kWh now ({data['now']}); next change {data['next_change'] or 'never'}"
            )


# --- readings, record ------------------------------------------------------------------------


@readings_app.command("import")
def readings_import(
    files: Annotated[list[Path], typer.Argument(help="CSV or JSON Lines files.")],
    location: LocationOption = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="Zone for timestamps without an offset.")] = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Store the good rows, list the bad ones.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite stored readings that differ.")] = False,
    db: DbOption = None,
) -> None:
    """Store readings; a bad row means nothing is written (unless --skip-bad)."""
    from elecost.importer import import_readings

    with _errors():
        result = import_readings(
            _open(db),
            files,
            location=location,
            timezone=_zone(timezone),
            skip_bad=skip_bad,
            replace_stored=replace,
            open_text=_progress_opener(),
        )
        for problem in result.skipped:
            _note(f"skipped: {problem}")
        _note(
            f"imported {result.added} new readings, {result.unchanged} already stored"
            + (f", {result.replaced} replaced" if result.replaced else "")
            + (f", {len(result.skipped)} bad rows skipped" if result.skipped else "")
        )


def _progress_opener() -> TextOpener | None:
    """An opener that shows a progress bar on stderr when it is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    import rich.progress

    def opener(path: Path) -> AbstractContextManager[TextIO]:
        return rich.progress.open(
            path, "r", encoding="utf-8", newline="", description=f"reading {path.name}", console=_stderr()
        )

    return opener


@app.command()
def record(
    since: Annotated[str | None, typer.Option("--since", help="Also redo billing periods from here.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="... up to here.")] = None,
    db: DbOption = None,
) -> None:
    """Turn stored readings into hourly cost rows; safe to run from cron, never double counts."""
    from elecost.errors import UsageError
    from elecost.record import record_costs

    with _errors():
        database = _open(db)
        zone = _report_zone(database, None)
        result = record_costs(
            database,
            _instant(since, zone, "--since") if since else None,
            _instant(until, zone, "--until") if until else None,
        )
        plural = "s" if result.periods != 1 else ""
        _note(f"recorded {result.rows} cost rows over {result.periods} billing period{plural}")
        if result.without_rate:
            raise UsageError(
                f"readings at {', '.join(result.without_rate)} have no active rate; "
                "`elecost rate activate NAME`, then run record again"
            )


def _report_zone(database: Database, location: str | None) -> ZoneInfo:
    """The zone dates are read and shown in: the location's active rate's, else UTC."""
    from zoneinfo import ZoneInfo

    from elecost.store import active_rates

    rates = active_rates(database)
    if location is not None and location in rates:
        return ZoneInfo(rates[location].timezone)
    zones = {t.timezone for t in rates.values()}
    return ZoneInfo(zones.pop() if len(zones) == 1 else "UTC")


def _days_span(database: Database, days: int) -> tuple[int, int]:
    from elecost.summary import newest_cost_end

    end = newest_cost_end(database)
    if end is None:
        from elecost.errors import UsageError

        raise UsageError("no cost rows yet; import readings and run `elecost record` first")
    return end - days * 86_400, end


# --- reports ---------------------------------------------------------------------------------


@app.command()
def costs(
    days: Annotated[int, typer.Option("--days", min=1, help="The last N days of recorded costs.")] = 1,
    miner: Annotated[str | None, typer.Option("--miner", help="One miner's rows instead of the meter's.")] = None,
    location: LocationOption = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List hourly cost rows (the whole meter's, or one miner's)."""
    from elecost.report import record_json, records_table
    from elecost.summary import cost_rows

    with _errors():
        database = _open(db)
        start, end = _days_span(database, days)
        zone = _report_zone(database, location)
        records = cost_rows(database, start, end, miner=miner, location=location)
        if json_out:
            _print_json([record_json(r, zone) for r in records])
        else:
            _print(records_table(records, zone, f"Cost rows, last {days} day(s) of records"))


@app.command()
def summary(
    days: Annotated[int, typer.Option("--days", min=1, help="The last N days of recorded costs.")] = 30,
    by: Annotated[str, typer.Option("--by", help="Group by day, miner, location or period.")] = "day",
    miner: Annotated[str | None, typer.Option("--miner", help="One miner only.")] = None,
    location: LocationOption = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Totals over the last N days, grouped, with the TOU breakdown and the run rate."""
    from elecost.report import summary_json, summary_view
    from elecost.summary import cost_summary

    with _errors():
        database = _open(db)
        start, end = _days_span(database, days)
        zone = _report_zone(database, location)
        result = cost_summary(database, start, end, by=by, miner=miner, location=location, zone=zone)
        if json_out:
            _print_json(summary_json(result, zone))
        else:
            for part in summary_view(result, zone, by, days):
                _print(part)


@app.command()
def bill(
    from_: Annotated[str | None, typer.Option("--from", help="From (ISO; a date is local midnight).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="To, excluded.")] = None,
    location: LocationOption = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One row per billing period from stored readings: energy, demand, service, total."""
    from zoneinfo import ZoneInfo

    from elecost.bills import bills
    from elecost.report import bill_view, record_json

    with _errors():
        database = _open(db)
        zone = _report_zone(database, location)
        rows = bills(
            database,
            _instant(from_, zone, "--from") if from_ else None,
            _instant(to, zone, "--to") if to else None,
            location,
        )
        if json_out:
            _print_json([record_json(r, ZoneInfo(t.timezone)) for t, r in rows])
        else:
            for part in bill_view(rows):
                _print(part)


@app.command()
def demo(
    db: Annotated[Path | None, typer.Option("--db", help="Database file [default: a throw-away one].")] = None,
) -> None:
    """Run the main job on the bundled example data, in a throw-away database."""
    import tempfile
    from importlib.resources import files

    from elecost.importer import import_readings
    from elecost.record import record_costs
    from elecost.store import activate_rate, add_rates

    with _errors():
        path = db or Path(tempfile.mkdtemp(prefix="elecost-demo-")) / "demo.db"
        database = _open(path)
        add_rates(database, _load_files(_example_files()))
        activate_rate(database, "Example TOU")
        sample = Path(str(files("elecost.examples") / "readings.csv"))
        imported = import_readings(database, [sample])
        recorded = record_costs(database)
        _note(f"demo database: {path}")
        _note(
            f"added the example rates, activated 'Example TOU', imported {imported.added} readings from {sample.name},"
        )
        _note(f"recorded {recorded.rows} hourly cost rows. Try: elecost --db {path} summary --by miner")
    summary(days=30, by="day", miner=None, location=None, json_out=False, db=path)
    bill(from_=None, to=None, location=None, json_out=False, db=path)
