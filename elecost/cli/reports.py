"""Reports from the store: `costs`, `summary`, `bill`, and `demo` on the bundled data."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from elecost.db import Database

from elecost.cli.common import (
    CsvOption,
    DbOption,
    FromOption,
    JsonOption,
    LocationOption,
    ToOption,
    app,
    check_names,
    data_output,
    example_files,
    exit_codes,
    load_files,
    note,
    open_database,
    optional_instant,
    report_span,
    report_zone,
    root_db,
    show,
    show_data,
)


@app.command(rich_help_panel="Track")
def costs(
    days: Annotated[int, typer.Option("--days", min=1, help="The last N local days of records.")] = 1,
    from_: FromOption = None,
    to: ToOption = None,
    miner: Annotated[str | None, typer.Option("--miner", help="One miner's rows instead of the meter's.")] = None,
    location: LocationOption = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    db: DbOption = None,
) -> None:
    """List hourly cost rows (the whole meter's, or one miner's)."""
    from elecost.report_data import record_json
    from elecost.summary import cost_rows

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        database = open_database(db)
        check_names(database, miner, location)
        zone = report_zone(database, location)
        start, end, label = report_span(database, days, zone, from_, to)
        records = cost_rows(database, start, end, miner=miner, location=location)
        if wants_data:
            show_data([record_json(r, zone, exact=True) for r in records], csv_out)
        else:
            from elecost.report import records_table

            show(records_table(records, zone, f"Cost rows, {label}"))


@app.command(rich_help_panel="Track")
def summary(
    days: Annotated[int, typer.Option("--days", min=1, help="The last N local days of records.")] = 30,
    from_: FromOption = None,
    to: ToOption = None,
    by: Annotated[str, typer.Option("--by", help="Group by day, miner, location, period or client.")] = "day",
    miner: Annotated[str | None, typer.Option("--miner", help="One miner only.")] = None,
    location: LocationOption = None,
    chart: Annotated[bool, typer.Option("--chart", help="Bars stacked by charge instead of the table.")] = False,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    db: DbOption = None,
) -> None:
    """Totals over the last N days (or --from/--to), grouped, with the TOU breakdown and the run rate."""
    from elecost.cli.carbon import summary_co2
    from elecost.report_data import record_json, summary_json
    from elecost.summary import cost_summary

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        database = open_database(db)
        check_names(database, miner, location)
        zone = report_zone(database, location)
        start, end, label = report_span(database, days, zone, from_, to)
        if by == "client":
            _client_summary(database, start, end, location, zone, label, miner, json_out, csv_out)
            return
        result = cost_summary(
            database, start, end, by=by, miner=miner, location=location, zone=zone, group_lines=wants_data or chart
        )
        co2 = summary_co2(database, start, end, by, miner, location, zone)  # None: no carbon series
        if wants_data:
            rows = (
                [
                    {"group": label, **record_json(record, zone, exact=True)}
                    for label, record in zip(result.group_labels, result.groups, strict=True)
                ]
                if csv_out
                else []  # --json: the groups are in its data already
            )
            data = summary_json(result, zone)
            if co2 is not None:
                from elecost.carbon_report import add_summary_carbon

                add_summary_carbon(data, rows, co2)
            show_data(data, csv_out, rows if csv_out else None)
        elif chart:
            from elecost.report_chart import summary_chart  # and the HTML report's charge colours

            show(summary_chart(result, zone, by, days))
        else:
            from elecost.report import summary_view

            for part in summary_view(result, zone, by, label):
                show(part)
            if co2 is not None:
                from elecost.carbon_report import summary_carbon_table

                show(summary_carbon_table(co2, result.group_labels, by))


def _client_summary(
    database: "Database",
    start: int,
    end: int,
    location: str | None,
    zone: "ZoneInfo",
    label: str,
    miner: str | None,
    json_out: bool,
    csv_out: bool,
) -> None:
    from elecost.clients import client_summary
    from elecost.errors import UsageError
    from elecost.report_clients import client_rows, client_summary_json, client_table

    if miner is not None:
        raise UsageError("--by client: not with --miner (a miner belongs to one client)")
    result = client_summary(database, start, end, location)
    if json_out or csv_out:
        show_data(client_summary_json(result, zone), csv_out, client_rows(result, zone, exact=True))
    else:
        show(client_table(result, zone, label))


@app.command(rich_help_panel="Track")
def bill(
    from_: FromOption = None,
    to: ToOption = None,
    location: LocationOption = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    db: DbOption = None,
) -> None:
    """One row per billing period from stored readings: energy, demand, service, total."""
    from zoneinfo import ZoneInfo

    from elecost.bills import bills
    from elecost.report_data import record_json

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        database = open_database(db)
        zone = report_zone(database, location)
        rows = bills(
            database,
            optional_instant(from_, zone, "--from"),
            optional_instant(to, zone, "--to"),
            location,
        )
        if wants_data:
            # CSV rows keep full precision, so a spreadsheet's sum of them is the bill to the cent
            show_data([record_json(r, ZoneInfo(t.timezone), exact=csv_out) for t, r in rows], csv_out)
        else:
            from elecost.report import bill_view

            for part in bill_view(rows):
                show(part)


@app.command(rich_help_panel="Track")
def demo(
    db: Annotated[Path | None, typer.Option("--db", help="Database file [default: a throw-away one].")] = None,
) -> None:
    """Run the main job on the bundled example data, in a throw-away database."""
    import tempfile
    from importlib.resources import files

    from elecost.importer import import_readings
    from elecost.record import record_costs
    from elecost.store import activate_rate, add_rates

    with exit_codes():
        path = db or root_db() or Path(tempfile.mkdtemp(prefix="elecost-demo-")) / "demo.db"
        database = open_database(path, create=True)
        add_rates(database, load_files(example_files()))
        activate_rate(database, "Example TOU")
        sample = Path(str(files("elecost.examples") / "readings.csv"))
        imported = import_readings(database, [sample])
        recorded = record_costs(database)
        note(f"demo database: {path}")
        note(
            f"added the example rates, activated 'Example TOU', imported {imported.added} readings from {sample.name},"
        )
        note(f"recorded {recorded.rows} hourly cost rows. Try: elecost --db {path} summary --by miner")
    summary(days=30, from_=None, to=None, by="day", miner=None, location=None, json_out=False, csv_out=False, db=path)
    bill(from_=None, to=None, location=None, json_out=False, csv_out=False, db=path)
