"""`elecost rate ...`: add, list, show, export, update, remove, activate tariffs; the price now."""

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    pass

from elecost.cli.common import (
    CsvOption,
    DbOption,
    JsonOption,
    LocationOption,
    data_output,
    example_files,
    exit_codes,
    load_files,
    note,
    open_database,
    rate_app,
    show,
    show_data,
    show_json,
)


@rate_app.command("add")
def rate_add(files: Annotated[list[Path], typer.Argument(help="Tariff files (YAML).")], db: DbOption = None) -> None:
    """Add tariffs from files; every file is checked before any is stored."""
    from elecost.store import add_rates

    with exit_codes():
        tariffs = load_files(files)
        add_rates(open_database(db, create=True), tariffs)
        for tariff in tariffs:
            note(f"added rate {tariff.name!r} ({tariff.rate_type}, {tariff.location})")


@rate_app.command("init")
def rate_init(db: DbOption = None) -> None:
    """Add the example tariffs: flat $0.12 + $0.50/day, and TOU $0.08/$0.18."""
    from elecost.store import add_rates, list_rates

    with exit_codes():
        database = open_database(db, create=True)
        known = {t.name for t in list_rates(database)}
        tariffs = [t for t in load_files(example_files()) if t.name not in known]
        add_rates(database, tariffs)
        for tariff in tariffs:
            note(f"added rate {tariff.name!r}")
        if not tariffs:
            note("the example rates are already there")
        note('next: elecost rate activate "Example TOU"  (or "Example Flat")')


@rate_app.command("list")
def rate_list(json_out: JsonOption = False, csv_out: CsvOption = False, db: DbOption = None) -> None:
    """List stored tariffs."""
    from elecost.report_rates import rate_json, rates_table
    from elecost.store import list_rates

    with exit_codes():
        wants_data = data_output(json_out, csv_out)
        tariffs = list_rates(open_database(db))
        if wants_data:
            show_data([rate_json(t) for t in tariffs], csv_out)
        else:
            show(rates_table(tariffs))


@rate_app.command("show")
def rate_show(name: str, json_out: JsonOption = False, db: DbOption = None) -> None:
    """Show one tariff as its sheet reads: periods and hours, tiers, demand, fixed charges (account masked)."""
    from rich.console import Group

    from elecost.report_rates import rate_json, rate_sheet
    from elecost.store import get_rate

    with exit_codes():
        tariff = get_rate(open_database(db), name)
        if json_out:
            show_json(rate_json(tariff))
        else:
            show(Group(*rate_sheet(tariff)))


@rate_app.command("export")
def rate_export(name: str, db: DbOption = None) -> None:
    """Print a tariff as YAML that `rate add` reads back (account number included)."""
    from elecost.report_rates import rate_yaml
    from elecost.store import get_rate

    with exit_codes():
        sys.stdout.write(rate_yaml(get_rate(open_database(db), name), mask=False))


@rate_app.command("import-urdb")
def rate_import_urdb(
    file: Annotated[
        str, typer.Argument(help="An OpenEI URDB rate item, or an API response with items (JSON); - for stdin.")
    ],
    timezone: Annotated[
        str, typer.Option("--timezone", help="IANA zone of the utility's clock, e.g. America/Chicago (URDB has none).")
    ],
    location: LocationOption = None,
    name: Annotated[str | None, typer.Option("--name", help="Tariff name (default: the item's name).")] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="The URDB label of the item to take from a response with several.")
    ] = None,
    activate: Annotated[bool, typer.Option("--activate", help="Make it the active tariff of its location.")] = False,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Add a tariff from OpenEI's Utility Rate Database; what elecost cannot bill is named in warnings."""
    from elecost.cli.common import zone_option
    from elecost.errors import InputError, Problem, UsageError
    from elecost.report_rates import rate_json
    from elecost.store import add_rates
    from elecost.tariffs.urdb import SeveralItems, import_urdb

    with exit_codes():
        zone_option(timezone)
        source = "stdin" if file == "-" else file
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError([Problem(source, None, "", f"cannot read: {exc}")]) from exc
        try:
            imported = import_urdb(
                text, source, timezone=timezone, location=location, name=name, label=label, active=activate
            )
        except SeveralItems as exc:
            listed = "".join(f"\n  {item}" for item in exc.items)
            raise UsageError(f"{source} holds {len(exc.items)} rate items; pick one with --label:{listed}") from None
        for warning in imported.warnings:
            note(f"warning: {warning}")
        tariff = imported.tariff
        add_rates(open_database(db, create=True), [tariff])
        state = "active" if tariff.active else "not active"
        note(f"added rate {tariff.name!r} ({tariff.location}, {tariff.timezone}, {state})")
        if json_out:
            show_json({"rate": rate_json(tariff), "warnings": list(imported.warnings)})


@rate_app.command("update")
def rate_update(name: str, file: Path, db: DbOption = None) -> None:
    """Replace a stored tariff by the one in FILE (it stays active if it was, unless FILE says `active:`)."""
    from elecost.store import update_rate

    with exit_codes():
        (tariff,) = load_files([file])
        update_rate(open_database(db), name, tariff, _says_active(file))
        note(f"updated rate {name!r}")


def _says_active(file: Path) -> bool | None:
    """The file's `active:` where it gives one (a validated file: bounded, plain data)."""
    import yaml

    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    value = data.get("active") if isinstance(data, dict) else None
    return value if isinstance(value, bool) else None


@rate_app.command("remove")
def rate_remove(name: str, db: DbOption = None) -> None:
    """Delete a stored tariff (cost rows keep its name)."""
    from elecost.store import remove_rate

    with exit_codes():
        remove_rate(open_database(db), name)
        note(f"removed rate {name!r}")


@rate_app.command("activate")
def rate_activate(name: str, db: DbOption = None) -> None:
    """Make a tariff the active one of its location."""
    from elecost.store import activate_rate

    with exit_codes():
        tariff = activate_rate(open_database(db), name)
        note(f"rate {tariff.name!r} is now active for {tariff.location!r}")


@rate_app.command("deactivate")
def rate_deactivate(name: str, db: DbOption = None) -> None:
    """Keep a tariff stored but active nowhere (its location then has no active rate)."""
    from elecost.store import deactivate_rate

    with exit_codes():
        tariff = deactivate_rate(open_database(db), name)
        note(f"rate {tariff.name!r} is no longer active; {tariff.location!r} has no active rate now")


@rate_app.command("current")
def rate_current(location: LocationOption = None, json_out: JsonOption = False, db: DbOption = None) -> None:
    """The active tariff and the price in force now, with when it next changes."""
    from elecost.report_rates import current_price
    from elecost.store import active_rate

    with exit_codes():
        database = open_database(db)
        tariff = active_rate(database, location)
        now = int(time.time())
        market = None
        if tariff.index is not None:
            from elecost.price_store import latest_price

            market = latest_price(database, tariff.index.market, now)
        data = current_price(tariff, now, market)
        if json_out:
            show_json(data)
        else:
            show(
                f"{data['rate_name']} ({data['location']}): {data['period']} at "
                f"${data['price_usd_per_kwh']}/kWh now ({data['now']}); next change {data['next_change'] or 'never'}"
            )
