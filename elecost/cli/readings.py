"""`elecost readings import` and `elecost record`: readings into the store, and into cost rows."""

import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, TextIO

import typer

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from elecost.db import Database
    from elecost.readings import TextOpener

from elecost.cli.common import (
    DbOption,
    FormatOption,
    LocationOption,
    QuietOption,
    app,
    exit_codes,
    format_option,
    instant_option,
    note,
    open_database,
    optional_instant,
    readings_app,
    refuse_repeats,
    report_zone,
    stderr,
    zone_option,
)


@readings_app.command("import")
def readings_import(
    files: Annotated[
        list[Path], typer.Argument(help="Readings CSV or JSON Lines, Green Button XML, or a utility's interval CSV.")
    ],
    location: LocationOption = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="Zone for timestamps without an offset.")] = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Store the good rows, list the bad ones.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite stored readings that differ.")] = False,
    file_format: FormatOption = None,
    quiet: QuietOption = False,
    db: DbOption = None,
) -> None:
    """Store readings; a bad row means nothing is written (unless --skip-bad)."""
    from elecost.importer import import_readings

    with exit_codes():
        refuse_repeats(files)
        result = import_readings(
            open_database(db, create=True),
            files,
            location=location,
            timezone=zone_option(timezone),
            skip_bad=skip_bad,
            replace_stored=replace,
            open_text=text_opener(),
            file_format=format_option(file_format),
        )
        for problem in result.skipped:
            note(f"skipped: {problem}")
        if not quiet:
            note(
                f"imported {result.added} new readings, {result.unchanged} already stored"
                + (f", {result.replaced} replaced" if result.replaced else "")
                + (f", {len(result.skipped)} bad rows skipped" if result.skipped else "")
            )


def _progress_opener() -> "TextOpener | None":
    """An opener that shows a progress bar on stderr when it is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    import rich.progress

    def opener(path: Path) -> AbstractContextManager[TextIO]:
        from rich.markup import escape

        description = f"reading {escape(path.name)}"  # a file named "[/bold].csv" is a name, not markup
        return rich.progress.open(
            path, "r", encoding="utf-8-sig", newline="", description=description, console=stderr()
        )

    return opener


def text_opener(progress: bool = True) -> "TextOpener":
    """Open readings files, `-` being stdin (read once and kept: a conflict is looked up again)."""
    import io
    from contextlib import nullcontext

    shown = _progress_opener() if progress else None
    kept: list[str] = []

    def opener(path: Path) -> AbstractContextManager[IO[str]]:
        if str(path) == "-":
            if not kept:
                kept.append(sys.stdin.read().removeprefix("\ufeff"))
            return nullcontext(io.StringIO(kept[0], newline=""))
        if shown is not None:
            return shown(path)
        return path.open(encoding="utf-8-sig", newline="")

    return opener


@app.command(rich_help_panel="Track")
def record(
    since: Annotated[str | None, typer.Option("--since", help="Also redo billing periods from here.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="... up to here.")] = None,
    keep_readings: Annotated[
        int | None, typer.Option("--keep-readings", help="Then prune readings older than DAYS.", metavar="DAYS")
    ] = None,
    allocate: Annotated[
        bool | None,
        typer.Option(
            "--allocate-overhead/--no-allocate-overhead",
            help="Share each hour's site overhead (meter minus miners) among its miners' rows by kWh, "
            "or stop; kept for later runs, and switching redoes the location's rows.",
        ),
    ] = None,
    location: Annotated[
        str | None,
        typer.Option("--location", "-l", help="Where --allocate-overhead applies [default: every location]."),
    ] = None,
    quiet: QuietOption = False,
    db: DbOption = None,
) -> None:
    """Turn stored readings into hourly cost rows; safe to run from cron, never double counts."""
    from elecost.errors import UsageError
    from elecost.record import record_costs

    with exit_codes():
        database = open_database(db)
        if location is not None and allocate is None:
            raise UsageError(
                "--location says where --allocate-overhead or --no-allocate-overhead applies; "
                "record itself always records every location"
            )
        zone = report_zone(database, None)
        since_s = optional_instant(since, zone, "--since")
        until_s = optional_instant(until, zone, "--until")
        if since_s is not None and until_s is not None and since_s >= until_s:
            raise UsageError(f"--since {since} is not before --until {until}: nothing to redo")
        if keep_readings is not None and not 0 <= keep_readings <= 36_600:
            raise UsageError(f"--keep-readings: must be 0 to 36600 days, got {keep_readings}")
        if allocate is not None:  # after every check of the other options: a refused run writes nothing
            _switch_allocation(database, allocate, location, quiet)
        result = record_costs(database, since_s, until_s)
        for place, why in result.repriced.items() if not quiet else ():
            note(f"repriced {place}: {why}, so its cost rows were redone from its first reading")
        plural = "s" if result.periods != 1 else ""
        if not quiet:
            note(f"recorded {result.rows} cost rows over {result.periods} billing period{plural}")
        for place, (first, last) in sorted(result.awaiting_prices.items()):
            from elecost.instants import iso

            note(
                f"readings at {place} from {iso(first, zone)} to {iso(last, zone)} await prices; "
                "`elecost prices import` them, and the next record prices them"
            )
        if not quiet:
            from elecost.settings_store import unshared_overhead_hours

            for place, hours in unshared_overhead_hours(database).items():
                hours_keep = (
                    f"{hours} hour with no miner kWh keeps" if hours == 1 else f"{hours} hours with no miner kWh keep"
                )
                note(f"overhead allocated at {place}, but {hours_keep} a (site overhead) row: nothing to share it by")
        if keep_readings is not None:
            _keep_readings(database, keep_readings, zone, quiet)
        if result.without_rate:
            raise UsageError(
                f"readings at {', '.join(result.without_rate)} have no active rate; "
                "`elecost rate activate NAME`, then run record again"
            )


def _switch_allocation(database: "Database", allocate: bool, location: str | None, quiet: bool) -> None:
    """`record --allocate-overhead/--no-allocate-overhead [--location L]`: the setting, kept."""
    from elecost.retention import pruned_before
    from elecost.settings_store import set_allocate_overhead

    changed = set_allocate_overhead(database, allocate, location)
    if not changed and not quiet:
        where = "every location" if location is None else location
        note(f"overhead allocation was already {'on' if allocate else 'off'} at {where}")
    pruned = pruned_before(database)
    for place in changed:
        if place in pruned:  # no readings to price those periods again from
            from elecost.instants import iso

            note(
                f"readings at {place} before {iso(pruned[place], report_zone(database, None))} were pruned: "
                f"its cost rows before then stay as recorded, overhead {'not ' if allocate else ''}allocated"
            )


def _keep_readings(database: "Database", days: int, zone: "ZoneInfo", quiet: bool) -> None:
    """`record --keep-readings DAYS` (checked by `record` before it writes): prune readings older than
    DAYS before the newest one."""
    from elecost.retention import newest_reading_s

    newest = newest_reading_s(database)
    if newest is not None:
        _prune(database, newest - days * 86_400, zone, quiet)


def _prune(database: "Database", before_s: int, zone: "ZoneInfo", quiet: bool) -> None:
    from elecost.instants import iso
    from elecost.retention import prune_readings
    from elecost.store import write_transaction

    with write_transaction(database):
        result = prune_readings(database, before_s)
    if not quiet:
        for place, cut in sorted(result.cuts.items()):
            note(f"{place}: readings now start at {iso(cut, zone)} (the billing period holding the cut)")
        note(f"pruned {result.removed} readings; cost rows and daily rollups stay")


@readings_app.command("prune")
def readings_prune(
    before: Annotated[str, typer.Option("--before", help="Drop readings before this instant's billing period.")],
    quiet: QuietOption = False,
    db: DbOption = None,
) -> None:
    """Drop old readings once recorded; cost rows, rollups and bills from them stay."""
    with exit_codes():
        database = open_database(db)
        zone = report_zone(database, None)
        _prune(database, instant_option(before, zone, "--before"), zone, quiet)
