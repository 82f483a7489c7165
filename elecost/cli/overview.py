"""`report --html`: the cost report as one self-contained HTML page."""

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from elecost.cli.common import (
    DbOption,
    FromOption,
    LocationOption,
    ToOption,
    app,
    database_files,
    days_span,
    db_path,
    exit_codes,
    note,
    open_database,
    optional_instant,
    report_zone,
    write_output,
)
from elecost.cli.decide import (
    BtcPriceOption,
    DifficultyOption,
    FeesOption,
    HashpriceOption,
    PoolFeeOption,
    SubsidyOption,
    network_option,
)

if TYPE_CHECKING:
    from elecost.db import Database


@app.command(rich_help_panel="Track")
def report(
    html: Annotated[Path | None, typer.Option("--html", help="Write the report to this HTML file.")] = None,
    from_: FromOption = None,
    to: ToOption = None,
    days: Annotated[
        int | None, typer.Option("--days", min=1, help="N days: from --from, else the last N of records [default: 30].")
    ] = None,
    location: LocationOption = None,
    hashprice: HashpriceOption = None,
    btc_price: BtcPriceOption = None,
    difficulty: DifficultyOption = None,
    fees: FeesOption = "0",
    subsidy: SubsidyOption = "3.125",
    pool_fee: PoolFeeOption = "0",
    open_: Annotated[bool, typer.Option("--open", help="Open the report in the web browser.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
    db: DbOption = None,
) -> None:
    """A cost report to look at: cards, daily cost by charge, bills, miners; one HTML file, no server."""
    from elecost.errors import UsageError
    from elecost.overview import gather_overview
    from elecost.report_html import render_report

    with exit_codes():
        if html is None:
            raise UsageError("give --html FILE: the report is an HTML page")
        if not html.parent.is_dir():
            raise UsageError(f"--html: no folder {html.parent}")
        if html.is_dir():
            raise UsageError(f"--html: {html} is a folder; give a file name")
        if html.exists() and not force:
            raise UsageError(f"--html: {html} exists; give --force to overwrite it")
        if to is not None and days is not None:
            raise UsageError("give --to or --days, not both")
        network = None
        if hashprice is not None or btc_price is not None or difficulty is not None:
            network = network_option(hashprice, btc_price, difficulty, fees, subsidy, pool_fee)
        database = open_database(db)
        if html.exists() and any(path.exists() and html.samefile(path) for path in database_files(db_path(db))):
            raise UsageError(f"--html: {html} is the database; write the report to another file")
        zone = report_zone(database, location)
        start, end = _span(database, optional_instant(from_, zone, "--from"), optional_instant(to, zone, "--to"), days)
        overview = gather_overview(
            database, start, end, zone=zone, location=location, network=network, now_s=int(time.time())
        )
        write_output(html, render_report(overview))
        note(f"wrote {html} ({html.stat().st_size:,} bytes)")
    if open_:
        import webbrowser

        webbrowser.open(html.resolve().as_uri())


def _span(database: "Database", start: int | None, end: int | None, days: int | None) -> tuple[int, int]:
    """[--from, --to), else --days from --from, else the last --days (30) days of records."""
    from elecost.errors import UsageError

    if start is not None and end is not None:
        if end <= start:
            raise UsageError("--to must be after --from")
        return start, end
    if start is not None:
        if days is not None:
            return start, start + days * 86_400
        return start, days_span(database, 1)[1]
    if end is not None:
        return end - (days or 30) * 86_400, end
    return days_span(database, days or 30)
