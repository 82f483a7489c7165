"""`elecost calc`: the cost of a constant load or of a readings file, nothing stored."""

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from elecost.tariffs.engine import Context
    from elecost.tariffs.model import Tariff

from elecost.cli.common import (
    DbOption,
    FormatOption,
    JsonOption,
    LocationOption,
    app,
    database_url,
    db_path,
    decimal_option,
    exit_codes,
    format_option,
    instant_option,
    open_database,
    report_gaps,
    show,
    show_json,
    zone_option,
)


def _tariff_for(db: Path | None, tariff_file: Path | None, rate: str | None, location: str | None) -> "Tariff":
    from elecost.errors import UsageError

    if tariff_file is not None and rate is not None:
        raise UsageError("give --tariff FILE or --rate NAME, not both")
    if tariff_file is not None:
        from elecost.tariffs.load import load_tariff_file

        return load_tariff_file(tariff_file)
    from elecost.store import active_rate, get_rate

    database = open_database(db)
    return get_rate(database, rate) if rate is not None else active_rate(database, location)


def _store_context(db: Path | None, tariff: "Tariff", start_s: int, end_s: int) -> "Context | None":
    """Market prices and coincident peaks from the store, for the tariffs that bill them."""
    from elecost.context import needs_store, span_context
    from elecost.errors import UsageError

    if not needs_store(tariff):
        return None
    if database_url(db_path(db)) is None and not db_path(db).exists():
        what = f"the {tariff.index.market} prices" if tariff.index else "the coincident peaks"
        raise UsageError(
            f"{tariff.name!r} is priced with {what} kept in a database, and there is none at {db_path(db)}; "
            "import them first (`elecost prices import`, `elecost peaks import`)"
        )
    return span_context(open_database(db), tariff, start_s, end_s)


@app.command(rich_help_panel="Price")
def calc(
    power: Annotated[str | None, typer.Option("--power", help="Constant load [W].")] = None,
    hours: Annotated[str | None, typer.Option("--hours", help="How long [h].")] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="Start (ISO; a date is local midnight) [default: now].")
    ] = None,
    readings: Annotated[
        Path | None,
        typer.Option("--readings", help="A readings file (CSV, JSON Lines, Green Button XML, utility interval CSV)."),
    ] = None,
    tariff: Annotated[Path | None, typer.Option("--tariff", help="A tariff file.")] = None,
    rate: Annotated[str | None, typer.Option("--rate", help="A stored rate by name.")] = None,
    location: LocationOption = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="Zone for timestamps without an offset.")] = None,
    max_gap: Annotated[
        int | None, typer.Option("--max-gap", help="Longest gap billed [s] [default: 3x median spacing].")
    ] = None,
    file_format: FormatOption = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Cost of a constant load (--power/--hours) or of a readings file; nothing is stored."""
    from elecost.errors import InputError, UsageError
    from elecost.pricing import price_constant_load, price_readings
    from elecost.readings import read_readings
    from elecost.report_data import record_json

    with exit_codes():
        chosen = _tariff_for(db, tariff, rate, location)
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(chosen.timezone)
        if readings is not None:
            if power is not None or hours is not None or start is not None:
                raise UsageError("give --readings, or --power and --hours, not both")
            from elecost.cli.readings import text_opener  # the readings commands' module: only here

            rows, problems = read_readings(
                readings, zone_option(timezone), text_opener(progress=False), format_option(file_format)
            )
            if problems:
                raise InputError(problems)
            if not rows:
                raise UsageError(f"{readings}: no readings")
            span = (min(r.timestamp_s for r in rows), max(r.timestamp_s for r in rows) + 86_400)
            priced = price_readings(chosen, rows, max_gap, _store_context(db, chosen, *span))
            report_gaps(priced.gaps, zone)
        else:
            if power is None or hours is None:
                raise UsageError("give --power W and --hours H (or --readings FILE)")
            seconds = decimal_option(hours, "--hours", maximum="87600") * 3600  # ten years
            if seconds != seconds.to_integral_value() or seconds <= 0:
                raise UsageError(f"--hours: must be a positive whole number of seconds, got {hours}")
            start_s = instant_option(start, zone, "--start") if start else int(time.time())
            context = _store_context(db, chosen, start_s, start_s + int(seconds))
            watts = decimal_option(power, "--power", maximum="1e12")
            priced = price_constant_load(chosen, watts, start_s, int(seconds), context)
        record = priced.total
        if json_out:
            show_json(record_json(record, zone))
        else:
            from elecost.report import breakdown_table

            show(breakdown_table(record, zone, f"{chosen.name} ({chosen.location}, {chosen.timezone})"))
