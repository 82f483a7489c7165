"""`elecost reconcile`: the utility's meter against the miners, and bills against the meter data."""

from pathlib import Path
from typing import Annotated

import typer

from elecost.cli.common import (
    CsvOption,
    DbOption,
    FromOption,
    JsonOption,
    LocationOption,
    ToOption,
    app,
    data_output,
    decimal_option,
    exit_codes,
    open_database,
    optional_instant,
    show,
    show_data,
)


@app.command(rich_help_panel="Track")
def reconcile(
    from_: FromOption = None,
    to: ToOption = None,
    location: LocationOption = None,
    bill_kwh: Annotated[str | None, typer.Option("--bill-kwh", help="The utility bill's kWh for --from..--to.")] = None,
    bill_usd: Annotated[
        str | None, typer.Option("--bill-usd", help="The utility bill's total for --from..--to.")
    ] = None,
    bills_file: Annotated[
        Path | None, typer.Option("--bills", help="A CSV of past bills: period_start,period_end,kwh,usd.")
    ] = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    db: DbOption = None,
) -> None:
    """The meter's kWh and cost against the sum of the miners', per day and billing period."""
    from zoneinfo import ZoneInfo

    from elecost.errors import UsageError
    from elecost.reconcile import read_bill_figures
    from elecost.reconcile import reconcile as reconcile_meter
    from elecost.reconcile_report import reconciliation_json, reconciliation_view
    from elecost.store import active_rate, reading_span

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        database = open_database(db)
        tariff = active_rate(database, location)
        zone = ZoneInfo(tariff.timezone)
        span = reading_span(database, tariff.location)
        start = optional_instant(from_, zone, "--from")
        end = optional_instant(to, zone, "--to")
        if span is None:
            raise UsageError(f"no readings at {tariff.location!r}; import the meter's and the miners' first")
        start = span[0] if start is None else start
        end = span[1] + 86_400 if end is None else end  # the last readings last their spacing
        figures = read_bill_figures(bills_file, zone) if bills_file is not None else []
        if bill_kwh is not None or bill_usd is not None:
            kwh = decimal_option(bill_kwh, "--bill-kwh") if bill_kwh is not None else None
            usd = decimal_option(bill_usd, "--bill-usd") if bill_usd is not None else None
            figures.append((start, end, kwh, usd))
        result = reconcile_meter(database, start, end, tariff.location, figures)
        if wants_data:
            data = reconciliation_json(result, exact=csv_out)
            rows = [{"kind": "day", **day} for day in data["days"]]
            rows += [{"kind": "billing_period", **period} for period in data["billing_periods"]]
            show_data(data, csv_out, [*rows, {"kind": "total", **data["total"]}])
        else:
            for part in reconciliation_view(result):
                show(part)
