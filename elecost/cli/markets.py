"""`elecost prices ...` and `elecost peaks ...`: wholesale price series and coincident peaks; and
`curtail --market`, the curtailment plan and backtest against a price series."""

from typing import TYPE_CHECKING, Annotated

import typer

from elecost.cli.common import (
    CsvOption,
    DbOption,
    JsonOption,
    LocationOption,
    app,
    data_output,
    decimal_option,
    exit_codes,
    instant_option,
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
    open_text,
    read_series_files,
    source_name,
    span_or_last_day,
)

if TYPE_CHECKING:
    from datetime import date
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from elecost.backtest import Earnings
    from elecost.db import Database

prices_app = typer.Typer(
    help="Wholesale price series (ERCOT settlement point prices and others).", no_args_is_help=True
)
peaks_app = typer.Typer(
    help="System coincident peaks (e.g. ERCOT 4CP) and the site's load in them.", no_args_is_help=True
)
app.add_typer(prices_app, name="prices", rich_help_panel="Price")
app.add_typer(peaks_app, name="peaks", rich_help_panel="Price")

MarketOption = Annotated[str, typer.Option("--market", "-m", help="Market (price series) name.")]


# --- prices ----------------------------------------------------------------------------------


@prices_app.command("import")
def prices_import(
    files: Annotated[list[str], typer.Argument(help="Price files (CSV, or ZIPs of CSVs), or - for stdin.")],
    market: MarketOption = "default",
    settlement_point: Annotated[
        str | None, typer.Option("--settlement-point", help="Keep this settlement point's (Location's) rows.")
    ] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite stored prices that differ.")] = False,
    timezone: TimezoneOption = None,
    db: DbOption = None,
) -> None:
    """Store a price series under a market name: all rows or none; re-imports change nothing."""
    from elecost.price_store import import_prices
    from elecost.prices import read_prices

    with exit_codes():
        zone = zone_option(timezone)
        rows = read_series_files(files, lambda source, handle: read_prices(source, handle, settlement_point, zone))
        counts = import_prices(open_database(db, create=True), market, rows, replace=replace)
        note_imported(market, counts, "prices")


@prices_app.command("list")
def prices_list(
    timezone: ShowZoneOption = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    db: DbOption = None,
) -> None:
    """Each stored market: intervals, first and last time, min/avg/max $/MWh."""
    from elecost.market_report import markets_json, markets_table
    from elecost.price_store import market_summaries

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        database = open_database(db)
        zone = report_zone(database, None, timezone)
        summaries = market_summaries(database)
        if wants_data:
            show_data(markets_json(summaries, zone), csv_out)
        else:
            show(markets_table(summaries, zone))


@prices_app.command("show")
def prices_show(
    market: MarketOption = "default",
    from_: SpanFromOption = None,
    to: Annotated[str | None, typer.Option("--to", help="To, excluded [default: the last price's end].")] = None,
    timezone: SpanZoneOption = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    db: DbOption = None,
) -> None:
    """A market's price intervals in a span (by default its last day)."""
    from elecost.errors import UsageError
    from elecost.market_report import prices_json, prices_table
    from elecost.price_store import markets, price_intervals, priced_until

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        database = open_database(db)
        zone = report_zone(database, None, timezone)
        last = priced_until(database, market)
        if last is None:
            raise UsageError(f"no prices for market {market!r} (markets: {', '.join(markets(database)) or 'none yet'})")
        start, end = span_or_last_day(from_, to, zone, last)
        intervals = price_intervals(database, market, start, end)
        if wants_data:
            show_data(prices_json(intervals, zone), csv_out)
        else:
            show(prices_table(market, intervals, zone))


# --- peaks -----------------------------------------------------------------------------------


@peaks_app.command("import")
def peaks_import(
    file: Annotated[str, typer.Argument(help="CSV of peak interval starts (timestamp or interval_start), or -.")],
    name: Annotated[str, typer.Option("--name", help="Name of this set of peaks.")] = "default",
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite stored peaks the file's overlap.")] = False,
    timezone: TimezoneOption = None,
    db: DbOption = None,
) -> None:
    """Store the starts of system coincident-peak intervals: all or none; re-imports change nothing."""
    from elecost.peaks import read_peaks
    from elecost.price_store import import_peaks

    with exit_codes():
        with open_text(file) as handle:
            rows = read_peaks(source_name(file), handle, zone_option(timezone))
        counts = import_peaks(open_database(db, create=True), name, rows, replace=replace)
        note_imported(name, counts, "peaks")


@peaks_app.command("show")
def peaks_show(
    name: Annotated[str | None, typer.Option("--name", help="Only this set of peaks.")] = None,
    location: LocationOption = None,
    timezone: ShowZoneOption = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    db: DbOption = None,
) -> None:
    """Each peak, the site's average kW in it (from stored readings), and what it adds per month."""
    from elecost.market_report import peaks_json, peaks_table
    from elecost.peaks import peak_loads, usd_per_month

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        database = open_database(db)
        place = site_location(database, location)
        zone = report_zone(database, place, timezone)
        peaks = peak_loads(database, place, name)
        charges = usd_per_month(peaks, coincident_peak_usd_per_kw(database, place), zone)
        if wants_data:
            show_data(peaks_json(peaks, charges, zone, exact=csv_out), csv_out)
        else:
            show(peaks_table(peaks, charges, zone))


def coincident_peak_usd_per_kw(database: "Database", location: str) -> "Decimal | None":
    """The $/kW of the location's active tariff's coincident-peak charge (None: no such charge)."""
    from elecost.store import active_rates

    tariff = active_rates(database).get(location)
    return tariff.coincident_peak.usd_per_kw if tariff is not None and tariff.coincident_peak else None


def site_location(database: "Database", location: str | None) -> str:
    """The named location, else that of the only active rate, else the only one with miners."""
    from elecost.errors import UsageError
    from elecost.importer import only_active_location
    from elecost.price_store import reading_locations

    if location is not None:
        return location
    try:
        return only_active_location(database)
    except UsageError:
        places = reading_locations(database)
        if len(places) == 1:
            return places[0]
        listed = ", ".join(places) or "none have readings yet"
        raise UsageError(f"name a location with --location ({listed})") from None


# --- curtailment against prices --------------------------------------------------------------


def curtail_against_prices(
    database: "Database",
    *,
    market: str,
    location: str | None,
    first_day: str | None,
    days: int,
    from_: str | None,
    to: str | None,
    timezone: str | None,
    strike: str | None,
    hysteresis: str,
    min_off_minutes: int,
    adder: str,
    loss: str,
    earnings: "Earnings | None",
    backtest_run: bool,
    json_out: bool,
    csv_out: bool = False,
) -> None:
    """`curtail --market`: the plan over a span of the market's prices, or its backtest."""
    from datetime import date as calendar_date
    from datetime import timedelta
    from decimal import Decimal

    from elecost.backtest import (
        EnergyPrice,
        Rule,
        backtest,
        covered_prices,
        curtailment_plan,
        fleet_of,
        off_schedule,
        running_schedule,
    )
    from elecost.errors import UsageError
    from elecost.market_report import backtest_json, backtest_table, plan_json, plan_table
    from elecost.price_store import market_summaries
    from elecost.store import list_miners

    place = site_location(database, location)
    zone = report_zone(database, place, timezone)
    fleet = fleet_of(list_miners(database, place))
    if not fleet:
        raise UsageError(
            f"no miners with a hashrate and nameplate power at {place!r}; add them with "
            "`elecost miner add NAME --hashrate-th X --power-w W`"
        )
    series = {s.market: s for s in market_summaries(database)}
    if market not in series:
        raise UsageError(f"no prices for market {market!r} (markets: {', '.join(series) or 'none yet'})")
    start, end = series[market].first_s, series[market].last_s
    if first_day is not None:
        try:
            day = calendar_date.fromisoformat(first_day)
        except ValueError:
            raise UsageError(f"--date: not an ISO date such as 2026-07-01: {first_day!r}") from None
        start, end = _midnight_s(day, zone), _midnight_s(day + timedelta(days=days), zone)
    start = instant_option(from_, zone, "--from") if from_ is not None else start
    end = instant_option(to, zone, "--to") if to is not None else end
    if end <= start:
        raise UsageError("--to must be after --from")
    if backtest_run and earnings is None:
        raise UsageError("--backtest needs a hashprice: NETWORK options or --hashprice-file")
    rule = Rule(
        decimal_option(strike, "--strike-usd-per-mwh") if strike is not None else None,
        decimal_option(hysteresis, "--hysteresis-usd-per-mwh"),
        min_off_minutes * 60,
    )
    energy = EnergyPrice(decimal_option(adder, "--adder-usd-per-kwh"), decimal_option(loss, "--loss-pct"))
    intervals = covered_prices(database, market, start, end, zone)
    if backtest_run:
        off = off_schedule(fleet, intervals, rule, energy, earnings)
        running = running_schedule(database, place, fleet, intervals)
        idle = [name for name, states in running.items() if not any(states)]
        if idle:
            note(
                f"warning: {', '.join(idle)} never ran in this span by the readings (none, or all below half the "
                "nameplate power); check the readings' miner names against `elecost miner list`"
            )
        outcomes = backtest(fleet, intervals, running, off, energy, earnings)
        if json_out or csv_out:
            data = backtest_json(market, place, start, end, outcomes, zone, exact=csv_out)
            show_data(data, csv_out, data["rows"])
            return
        show(backtest_table(outcomes))
        site = {o.schedule: o for o in outcomes if o.miner is None}
        plan_net, actual_net = site["plan"].net_usd or Decimal(0), site["actual"].net_usd or Decimal(0)
        gain = plan_net - actual_net
        word = "more" if gain >= 0 else "less"
        note(f"following the plan would have netted ${abs(gain):,.2f} {word} than what was run")
        return
    plan = curtailment_plan(fleet, intervals, rule, energy, earnings)
    if json_out or csv_out:
        show_data(plan_json(place, plan, zone, exact=csv_out), csv_out)
    else:
        show(plan_table(plan, zone))


def _midnight_s(day: "date", zone: "ZoneInfo") -> int:
    from datetime import datetime

    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())


def market_earnings(
    hashprice_file: str | None,
    hashprice: str | None,
    btc_price: str | None,
    difficulty: str | None,
    fees: str,
    subsidy: str,
    pool_fee: str,
) -> "Earnings | None":
    """What a TH/s earns: a `--hashprice-file` series, else the NETWORK options, else None (a plan
    on a strike price alone, without revenue)."""
    from elecost.backtest import Earnings, read_hashprice_series
    from elecost.cli.decide import network_option
    from elecost.errors import UsageError

    if hashprice_file is None:
        if hashprice is None and btc_price is None and difficulty is None:
            return None
        network = network_option(hashprice, btc_price, difficulty, fees, subsidy, pool_fee)
        return Earnings(network.pool_fee_pct, network.hashprice_usd_per_th_day)
    if hashprice is not None or btc_price is not None or difficulty is not None:
        raise UsageError("give --hashprice-file or the NETWORK options, not both")
    fee = decimal_option(pool_fee, "--pool-fee-pct")
    if fee >= 100:
        raise UsageError(f"--pool-fee-pct: must be below 100, got {pool_fee}")
    with open_text(hashprice_file) as handle:
        return read_hashprice_series(
            source_name(hashprice_file),
            handle,
            fee,
            fees_btc_per_block=decimal_option(fees, "--fees-btc-per-block"),
            subsidy_btc=decimal_option(subsidy, "--subsidy-btc"),
        )
