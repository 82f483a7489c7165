"""The decisions: `miner ...`, `profit`, `curtail`, `budget ...` and `export`."""

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from elecost.cli.common import (
    CsvOption,
    DbOption,
    FromOption,
    JsonOption,
    LocationOption,
    ToOption,
    app,
    check_days,
    check_output,
    data_output,
    decimal_option,
    exit_codes,
    instant_option,
    note,
    open_database,
    optional_instant,
    report_zone,
    show,
    show_data,
    show_json,
    write_output,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from elecost.db import Database
    from elecost.mining import Network

miner_app = typer.Typer(
    help="The miner inventory: nameplate hashrate and power.", no_args_is_help=True, rich_markup_mode="markdown"
)
budget_app = typer.Typer(
    help="Monthly budgets and the check a cron job runs.", no_args_is_help=True, rich_markup_mode="markdown"
)
app.add_typer(miner_app, name="miner", rich_help_panel="Decide")
app.add_typer(budget_app, name="budget", rich_help_panel="Decide")

HashpriceOption = Annotated[
    str | None, typer.Option("--hashprice-usd-per-th-day", help="Hashprice [USD per TH/s per day].")
]
BtcPriceOption = Annotated[str | None, typer.Option("--btc-price-usd", help="Bitcoin price [USD].")]
DifficultyOption = Annotated[str | None, typer.Option("--difficulty", help="Network difficulty.")]
FeesOption = Annotated[str, typer.Option("--fees-btc-per-block", help="Transaction fees per block [BTC].")]
SubsidyOption = Annotated[str, typer.Option("--subsidy-btc", help="Block subsidy [BTC].")]
PoolFeeOption = Annotated[str, typer.Option("--pool-fee-pct", help="Pool fee [%].")]


def network_option(
    hashprice: str | None, btc_price: str | None, difficulty: str | None, fees: str, subsidy: str, pool_fee: str
) -> "Network":
    """The NETWORK options (contract section 5) as a Network: a hashprice, or what makes one."""
    from elecost.errors import UsageError
    from elecost.mining import Network, hashprice_usd_per_th_day

    fee = decimal_option(pool_fee, "--pool-fee-pct")
    if fee >= 100:
        raise UsageError(f"--pool-fee-pct: must be below 100, got {pool_fee}")
    if hashprice is not None:
        if btc_price is not None or difficulty is not None:
            raise UsageError("give --hashprice-usd-per-th-day, or --btc-price-usd and --difficulty, not both")
        return Network(decimal_option(hashprice, "--hashprice-usd-per-th-day"), fee)
    if btc_price is None or difficulty is None:
        raise UsageError("give --hashprice-usd-per-th-day X, or --btc-price-usd P and --difficulty D")
    price = hashprice_usd_per_th_day(
        decimal_option(btc_price, "--btc-price-usd"),
        decimal_option(difficulty, "--difficulty"),
        decimal_option(fees, "--fees-btc-per-block"),
        decimal_option(subsidy, "--subsidy-btc"),
    )
    return Network(price, fee)


# --- miners ----------------------------------------------------------------------------------


@miner_app.command("add")
def miner_add(
    name: Annotated[
        str, typer.Argument(help="Name or IP, as in the readings' miner column; or a range, 10.0.0.10-10.0.0.50.")
    ],
    hashrate_th: Annotated[str | None, typer.Option("--hashrate-th", help="Hashrate [TH/s].")] = None,
    power_w: Annotated[str | None, typer.Option("--power-w", help="Nameplate power [W].")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model, e.g. S21.")] = None,
    location: LocationOption = None,
    host: Annotated[str | None, typer.Option("--host", help="Address of its API [default: the name].")] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Port of its API [default: 4028].")
    ] = None,
    client: Annotated[
        str | None, typer.Option("--client", help="The hosting client it belongs to ('' clears).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Add a miner (or a range of IPs) to the inventory, or update it."""
    from elecost.errors import UsageError
    from elecost.importer import only_active_location
    from elecost.minerapi import address_range
    from elecost.rownames import taken_name
    from elecost.store import Miner, add_miners

    with exit_codes():
        try:
            names = address_range(name)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if names is not None and host is not None:
            raise UsageError("--host gives one miner's address; a range names its own addresses")
        if names is None and (taken := taken_name(name)):
            raise UsageError(taken)
        hashrate = None if hashrate_th is None else float(decimal_option(hashrate_th, "--hashrate-th", "1e9"))
        power = None if power_w is None else float(decimal_option(power_w, "--power-w", "1e12"))
        database = open_database(db, create=True)
        place = location or only_active_location(database)
        add_miners(database, [Miner(n, place, hashrate, power, model, host, port, client) for n in names or [name]])
        who = f"{len(names)} miners {names[0]} to {names[-1]}" if names else f"miner {name!r}"
        note(
            f"{who} at {place!r}: {hashrate or '?'} TH/s, {power or '?'} W" + (f", client {client!r}" if client else "")
        )


@miner_app.command("list")
def miner_list(
    location: LocationOption = None, json_out: JsonOption = False, csv_out: CsvOption = False, db: DbOption = None
) -> None:
    """List the inventory."""
    from elecost.store import list_miners

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        miners = list_miners(open_database(db), location)
        if wants_data:
            show_data([dict(m.__dict__) for m in miners], csv_out)
        else:
            from elecost.report import miners_table

            show(miners_table(miners))


@miner_app.command("remove")
def miner_remove(name: str, location: LocationOption = None, db: DbOption = None) -> None:
    """Take a miner off the inventory (its readings and cost rows stay)."""
    from elecost.errors import UsageError
    from elecost.store import remove_miner

    with exit_codes():
        if not remove_miner(open_database(db), name, location):
            raise UsageError(f"no miner named {name!r} in the inventory")
        note(f"removed miner {name!r}")


# --- profit and curtailment ------------------------------------------------------------------


@app.command(rich_help_panel="Decide")
def profit(
    days: Annotated[int, typer.Option("--days", min=1, help="Costs over the last N days of records.")] = 30,
    hashprice: HashpriceOption = None,
    btc_price: BtcPriceOption = None,
    difficulty: DifficultyOption = None,
    fees: FeesOption = "0",
    subsidy: SubsidyOption = "3.125",
    pool_fee: PoolFeeOption = "0",
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    db: DbOption = None,
) -> None:
    """Per miner and location: revenue, electricity cost, margin per day, and break-even $/kWh."""
    from elecost.carbon_report import profit_carbon_keys, profit_carbon_table
    from elecost.cli.carbon import profit_co2
    from elecost.mining import profit as profit_rows
    from elecost.report_data import profit_json
    from elecost.rollups import newest_cost_end

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        network = network_option(hashprice, btc_price, difficulty, fees, subsidy, pool_fee)
        database = open_database(db)
        now = int(time.time())
        end = newest_cost_end(database) or now
        rows = profit_rows(database, network, end - check_days(days) * 86_400, end, now)
        co2 = profit_co2(database, rows, end - check_days(days) * 86_400, end, btc_price)  # None: no carbon series
        if wants_data:
            data = [profit_json(row, network, exact=csv_out) for row in rows]
            if co2 is not None:
                data = [
                    {**item, **profit_carbon_keys(co2.get((row.miner_ip, row.location)))}
                    for item, row in zip(data, rows, strict=True)
                ]
            show_data(data, csv_out)
        else:
            from elecost.report import profit_table

            show(profit_table(rows, network))
            if co2 is not None:
                show(profit_carbon_table(rows, co2))


@app.command(rich_help_panel="Decide")
def curtail(
    date: Annotated[str | None, typer.Option("--date", help="First local day (ISO date) [default: today].")] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="How many days to plan (at most a year).")] = 1,
    location: LocationOption = None,
    hashprice: HashpriceOption = None,
    btc_price: BtcPriceOption = None,
    difficulty: DifficultyOption = None,
    fees: FeesOption = "0",
    subsidy: SubsidyOption = "3.125",
    pool_fee: PoolFeeOption = "0",
    market: Annotated[str | None, typer.Option("--market", help="Plan against this price series.")] = None,
    strike: Annotated[str | None, typer.Option("--strike-usd-per-mwh", help="Off above this market price.")] = None,
    hysteresis: Annotated[str, typer.Option("--hysteresis-usd-per-mwh", help="Back on this far below.")] = "0",
    min_off: Annotated[int, typer.Option("--min-off-minutes", min=0, help="Minimum off time.")] = 0,
    adder: Annotated[str, typer.Option("--adder-usd-per-kwh", help="Added to each kWh's market price.")] = "0",
    loss: Annotated[str, typer.Option("--loss-pct", help="Losses on the market price [%].")] = "0",
    hashprice_file: Annotated[str | None, typer.Option("--hashprice-file", help="Hashprice series CSV.")] = None,
    backtest: Annotated[bool, typer.Option("--backtest", help="Compare the readings with the plan.")] = False,
    from_: Annotated[str | None, typer.Option("--from", help="With --market: from (ISO).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="With --market: to, excluded.")] = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="With --market: zone of times.")] = None,
    json_out: JsonOption = False,
    csv_out: CsvOption = False,
    db: DbOption = None,
) -> None:
    """When running each miner loses money, and what stopping then saves: a plan for cron or a fleet tool."""
    from elecost.mining import curtailment_plan
    from elecost.report_data import curtail_json

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        if market is not None:
            from elecost.cli.markets import curtail_against_prices, market_earnings

            database = open_database(db)
            earnings = market_earnings(hashprice_file, hashprice, btc_price, difficulty, fees, subsidy, pool_fee)
            curtail_against_prices(
                database,
                market=market,
                location=location,
                first_day=date,
                days=days,
                from_=from_,
                to=to,
                timezone=timezone,
                strike=strike,
                hysteresis=hysteresis,
                min_off_minutes=min_off,
                adder=adder,
                loss=loss,
                earnings=earnings,
                backtest_run=backtest,
                json_out=json_out,
                csv_out=csv_out,
            )
            return
        if backtest or strike or hashprice_file or from_ or to or timezone:
            from elecost.errors import UsageError

            raise UsageError(
                "--backtest, --strike-usd-per-mwh, --hashprice-file, --from, --to, --timezone need --market"
            )
        network = network_option(hashprice, btc_price, difficulty, fees, subsidy, pool_fee)
        database = open_database(db)
        plan = curtailment_plan(database, network, date, check_days(days, 366), location, int(time.time()))
        zone = report_zone(database, location)
        if wants_data:
            show_data([curtail_json(item, zone, exact=csv_out) for item in plan], csv_out)
        else:
            from elecost.report import curtail_table

            show(curtail_table(plan, zone))


# --- budgets ---------------------------------------------------------------------------------


@budget_app.command("set")
def budget_set(
    monthly_usd: Annotated[str, typer.Option("--monthly-usd", help="Budget per calendar month [USD].")],
    location: LocationOption = None,
    db: DbOption = None,
) -> None:
    """Set the monthly budget of a location (without --location: of the whole operation)."""
    from elecost.store import set_budget

    with exit_codes():
        amount = decimal_option(monthly_usd, "--monthly-usd", maximum="1e12")
        set_budget(open_database(db, create=True), location or "", amount)
        note(f"budget for {location or 'the whole operation'}: ${amount:,.2f} a month")


AtOption = Annotated[str | None, typer.Option("--at", help="As of this time (ISO) [default: now].")]


@budget_app.command("show")
def budget_show(
    at: AtOption = None, json_out: JsonOption = False, csv_out: CsvOption = False, db: DbOption = None
) -> None:
    """Each budget: month-to-date cost and the forecast to month end."""
    from elecost.budget import budget_status
    from elecost.report_data import budget_json

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        database = open_database(db)
        statuses = budget_status(database, _at(database, at))
        if wants_data:
            show_data([budget_json(s, exact=csv_out) for s in statuses], csv_out)
        else:
            from elecost.report import budget_table

            show(budget_table(statuses))


@budget_app.command("check")
def budget_check(at: AtOption = None, json_out: JsonOption = False, db: DbOption = None) -> None:
    """Exit 1, with a one-line message, when a forecast exceeds its budget."""
    from elecost.budget import budget_status
    from elecost.errors import CheckFailed
    from elecost.report_data import budget_json, budget_line

    with exit_codes():
        database = open_database(db)
        at_s = _at(database, at)
        statuses = budget_status(database, at_s)
        _warn_if_stale(database, at_s)
        if json_out:
            show_json([budget_json(s) for s in statuses])
        over = [s for s in statuses if s.over]
        if over:
            raise CheckFailed("\n".join(budget_line(s) for s in over))
        if not json_out:
            for status in statuses:
                show(budget_line(status))


STALE_S = 2 * 86_400  # cron records every few minutes: two days without a row is a stopped job


def _warn_if_stale(database: "Database", at_s: int) -> None:
    """A forecast from cost rows weeks old says "within budget" about a month it has not seen."""
    from elecost.instants import iso
    from elecost.rollups import newest_cost_end

    newest = newest_cost_end(database)
    if newest is not None and at_s - newest > STALE_S:
        days = (at_s - newest) / 86_400
        note(
            f"warning: the newest cost row ends {iso(newest, report_zone(database, None))}, {days:.1f} days ago; "
            "the forecast does not see since then: import readings and run `elecost record`"
        )


def _at(database: "Database", at: str | None) -> int:
    if at is None:
        return int(time.time())
    return instant_option(at, report_zone(database, None), "--at")


# --- export ----------------------------------------------------------------------------------


@app.command(rich_help_panel="Decide")
def export(
    format_: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    from_: FromOption = None,
    to: ToOption = None,
    kind: Annotated[str, typer.Option("--kind", help="costs, bills or all.")] = "all",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
    by: Annotated[str | None, typer.Option("--by", help="client: a row per hosting client instead.")] = None,
    db: DbOption = None,
) -> None:
    """Cost rows (every meter and miner row) and bills, for a spreadsheet."""
    from elecost.bills import bills
    from elecost.errors import UsageError
    from elecost.report_data import export_csv, export_json
    from elecost.summary import export_rows

    with exit_codes():
        if format_ not in ("csv", "json"):
            raise UsageError(f"--format: csv or json, got {format_!r}")
        if kind not in ("costs", "bills", "all"):
            raise UsageError(f"--kind: costs, bills or all, got {kind!r}")
        database = open_database(db)
        if output is not None:
            check_output(output, force)
        zone = report_zone(database, None)
        start = optional_instant(from_, zone, "--from")
        end = optional_instant(to, zone, "--to")
        if by is not None:
            _export_clients(database, by, format_, start, end, zone, output)
            return
        costs = export_rows(database, start, end) if kind != "bills" else []
        bill_rows = bills(database, start, end) if kind != "costs" else []
        text = export_json(costs, bill_rows, zone) if format_ == "json" else export_csv(costs, bill_rows, zone)
        if output is None:
            sys.stdout.write(text)
        else:
            write_output(output, text)
            note(f"wrote {len(costs)} cost rows and {len(bill_rows)} bills to {output}")


def _export_clients(
    database: "Database",
    by: str,
    format_: str,
    start: int | None,
    end: int | None,
    zone: "ZoneInfo",
    output: Path | None,
) -> None:
    from elecost.clients import client_summary
    from elecost.errors import UsageError
    from elecost.report_clients import client_csv, client_export_json

    if by != "client":
        raise UsageError(f"--by: only client, got {by!r}")
    result = client_summary(database, start, end)
    text = client_export_json(result, zone) if format_ == "json" else client_csv(result, zone)
    if output is None:
        sys.stdout.write(text)
    else:
        write_output(output, text)
        note(f"wrote {len(result.clients)} client rows to {output}")
