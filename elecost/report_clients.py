"""`summary --by client` and `export --by client`: the clients' rows as JSON, a table and CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from elecost.instants import iso
from elecost.report_data import cell, money_text, number, record_json, usd

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from rich.table import Table

    from elecost.clients import ClientSummary


def client_rows(summary: ClientSummary, zone: ZoneInfo, *, exact: bool = False) -> list[dict[str, Any]]:
    """One cost record per client (its allocated overhead included) with `group` = the client,
    and `overhead_kwh`, `overhead_usd`: the part of it that is the client's share of the overhead."""
    rows = []
    for client in summary.clients:
        data = {"group": client.client, **record_json(client.record, zone, exact=exact)}
        data["overhead_kwh"] = number(client.overhead_kwh)
        data["overhead_usd"] = usd(client.overhead_usd, exact)
        rows.append(data)
    return rows


def client_summary_json(summary: ClientSummary, zone: ZoneInfo) -> dict[str, Any]:
    """The summary's shape: one cost record for the span (the meter's) with the clients as `groups`."""
    return {**record_json(summary.total, zone), "groups": client_rows(summary, zone)}


def client_table(summary: ClientSummary, zone: ZoneInfo, span: str) -> Table:
    """A row per client, its own kWh and cost beside its share of the overhead, and the meter's total."""
    from rich.table import Table  # here: the rows as data load no Rich

    total = summary.total
    dates = f"{iso(total.period_start_s, zone)[:10]} to {iso(total.period_end_s, zone)[:10]}"
    table = Table(title=f"Costs by client, {span} ({dates})", title_justify="left")
    columns = ("client", "own kWh", "own USD", "overhead kWh", "overhead USD", "kWh", "energy", "demand")
    for column in (*columns, "service", "total USD"):
        table.add_column(column, justify="left" if column == "client" else "right", no_wrap=column == "client")
    for client in summary.clients:
        record = client.record
        table.add_row(
            client.client,
            f"{number(record.energy_kwh - client.overhead_kwh):,.3f}",
            money_text(record.total_cost_usd - client.overhead_usd),
            f"{number(client.overhead_kwh):,.3f}",
            money_text(client.overhead_usd),
            f"{number(record.energy_kwh):,.3f}",
            money_text(record.energy_cost_usd),
            money_text(record.demand_charge_usd),
            money_text(record.service_charge_usd),
            money_text(record.total_cost_usd),
        )
    table.add_section()
    table.add_row(
        "total (meter)",
        "",
        "",
        "",
        "",
        f"{number(total.energy_kwh):,.3f}",
        money_text(total.energy_cost_usd),
        money_text(total.demand_charge_usd),
        money_text(total.service_charge_usd),
        money_text(total.total_cost_usd),
    )
    return table


def client_csv(summary: ClientSummary, zone: ZoneInfo) -> str:
    """The clients' rows as CSV, money to 6 decimals so that the rows add up to the meter's total."""
    import csv
    import io

    rows = client_rows(summary, zone, exact=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    keys = list(rows[0])
    writer.writerow(keys)
    for data in rows:
        writer.writerow([cell(data[k]) for k in keys])
    return out.getvalue()


def client_export_json(summary: ClientSummary, zone: ZoneInfo) -> str:
    """The clients' rows as a JSON list, money to 6 decimals."""
    from elecost.json_text import indented_json

    return indented_json(client_rows(summary, zone, exact=True)) + "\n"
