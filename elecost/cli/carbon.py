"""`elecost carbon ...`: carbon intensity series per grid zone; and the CO2 that `summary` and
`profit` add where a series is stored."""

from typing import TYPE_CHECKING, Annotated

import typer

from elecost.cli.common import (
    CsvOption,
    DbOption,
    JsonOption,
    app,
    data_output,
    exit_codes,
    note,
    open_database,
    report_zone,
    show,
    show_data,
    zone_option,
)
from elecost.cli.series_files import (
    ShowZoneOption,
    SpanFromOption,
    SpanZoneOption,
    TimezoneOption,
    note_imported,
    read_series_files,
    span_or_last_day,
)

if TYPE_CHECKING:
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from elecost.carbon import CarbonSummary, ProfitCarbon
    from elecost.db import Database
    from elecost.mining import ProfitRow

carbon_app = typer.Typer(
    help="Carbon intensity series (gCO2/kWh) per grid zone, for kg CO2 in summary and profit.",
    no_args_is_help=True,
)
app.add_typer(carbon_app, name="carbon", rich_help_panel="Price")

ZoneOption = Annotated[str, typer.Option("--zone", "-z", help="Grid zone (series) name, e.g. ERCOT.")]


@carbon_app.command("import")
def carbon_import(
    files: Annotated[list[str], typer.Argument(help="CSV files timestamp,gco2_per_kwh[,duration_s], or - for stdin.")],
    zone: ZoneOption,
    location: Annotated[
        list[str] | None,
        typer.Option("--location", "-l", help="Weigh this location's energy with the zone (repeatable)."),
    ] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite stored intensities that differ.")] = False,
    timezone: TimezoneOption = None,
    db: DbOption = None,
) -> None:
    """Store a zone's intensity series: all rows or none; re-imports change nothing."""
    from elecost.carbon import read_carbon
    from elecost.carbon_store import import_carbon

    with exit_codes():
        time_zone = zone_option(timezone)
        rows = read_series_files(files, lambda source, handle: read_carbon(source, handle, time_zone))
        counts, before = import_carbon(
            open_database(db, create=True), zone, rows, replace=replace, locations=location or []
        )
        note_imported(zone, counts, "intensities")
        for place, previous in before.items():
            was = "" if previous in (None, zone) else f" (was {previous!r})"
            note(f"location {place!r} uses zone {zone!r}{was}")


@carbon_app.command("list")
def carbon_list(
    timezone: ShowZoneOption = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    db: DbOption = None,
) -> None:
    """Each stored zone: intervals, first and last time, min/avg/max gCO2/kWh, locations bound."""
    from elecost.carbon_report import zones_json, zones_table
    from elecost.carbon_store import location_zones, zone_summaries

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        database = open_database(db)
        time_zone = report_zone(database, None, timezone)
        summaries = zone_summaries(database)
        bindings = location_zones(database)
        if wants_data:
            data = zones_json(summaries, bindings, time_zone)
            if csv_out:
                data = [{**row, "locations": " ".join(row["locations"])} for row in data]
            show_data(data, csv_out)
        else:
            show(zones_table(summaries, bindings, time_zone))


@carbon_app.command("show")
def carbon_show(
    zone: Annotated[str | None, typer.Option("--zone", "-z", help="Grid zone [default: the only one stored].")] = None,
    from_: SpanFromOption = None,
    to: Annotated[str | None, typer.Option("--to", help="To, excluded [default: the last interval's end].")] = None,
    timezone: SpanZoneOption = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    db: DbOption = None,
) -> None:
    """A zone's intensity intervals in a span (by default its last day)."""
    from elecost.carbon_report import intensities_json, intensities_table
    from elecost.carbon_store import intensity_intervals, zone_summaries
    from elecost.errors import UsageError

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        database = open_database(db)
        time_zone = report_zone(database, None, timezone)
        series = {s.zone: s for s in zone_summaries(database)}
        listed = ", ".join(series) or "none yet"
        if zone is None:
            if len(series) != 1:
                raise UsageError(f"name a zone with --zone (zones: {listed})")
            zone = next(iter(series))
        if zone not in series:
            raise UsageError(f"no carbon intensity for zone {zone!r} (zones: {listed})")
        start, end = span_or_last_day(from_, to, time_zone, series[zone].last_s)
        intervals = intensity_intervals(database, zone, start, end)
        if wants_data:
            show_data(intensities_json(intervals, time_zone), csv_out)
        else:
            show(intensities_table(zone, intervals, time_zone))


# --- what summary and profit add -------------------------------------------------------------


def summary_co2(
    database: "Database",
    start: int,
    end: int,
    by: str,
    miner: str | None,
    location: str | None,
    zone: "ZoneInfo",
) -> "CarbonSummary | None":
    """The summary's CO2 (None: no series stored, and the summary stays as it was)."""
    from elecost.store import has_carbon

    if not has_carbon(database):
        return None
    from elecost.carbon import summary_carbon

    return summary_carbon(database, start, end, by=by, miner=miner, location=location, zone=zone)


def profit_co2(
    database: "Database", rows: "list[ProfitRow]", start: int, end: int, btc_price: str | None
) -> "dict[tuple[str | None, str], ProfitCarbon] | None":
    """Each profit row's CO2 per day and per BTC (None: no series stored)."""
    from elecost.store import has_carbon

    if not has_carbon(database):
        return None
    from elecost.carbon import profit_carbon
    from elecost.cli.common import decimal_option

    price: Decimal | None = None if btc_price is None else decimal_option(btc_price, "--btc-price-usd")
    return profit_carbon(database, rows, start, end, price)
