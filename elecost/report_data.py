"""Cost records and the answers built on them -> JSON-ready dicts and CSV text (`--json`, `--csv`,
`export`). Rounding happens here and only here: money half-up to cents when shown, or to 6 decimals
in the rows of a listing; a shown total is the rounded sum of the unrounded parts (contract section
4), so it can differ by a cent from the sum of the shown parts.

Apart from the Rich tables (`elecost.report`): data output loads no Rich (issue 16).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from elecost.instants import iso

if TYPE_CHECKING:
    from elecost.budget import BudgetStatus
    from elecost.mining import Curtailment, Network, ProfitRow
    from elecost.summary import Summary
    from elecost.tariffs.charges import Line
    from elecost.tariffs.model import Tariff
    from elecost.tariffs.records import CostRecord

CENT = Decimal("0.01")
MICRO = Decimal("0.000001")


def cents(amount: Decimal) -> Decimal:
    """Round money half-up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Decimal, step: Decimal = MICRO) -> float:
    """A quantity for JSON, CSV or a table cell: rounded half-up to `step` (a millionth)."""
    return float(value.quantize(step, rounding=ROUND_HALF_UP)) + 0.0  # + 0.0: never a -0.0 in JSON or CSV


def money_text(amount: Decimal) -> str:
    """Money as tables and messages show it: cents, with thousands separated ("1,234.57")."""
    return f"{cents(amount):,.2f}"


def usd(amount: Decimal, exact: bool = False) -> float:
    """Money for JSON and CSV rows: in cents, or with `exact` (the `--csv` rows, contract section 4)
    to 6 decimals, so a spreadsheet's sums of them are exact to the cent."""
    return number(amount) if exact else float(cents(amount)) + 0.0


def record_json(record: CostRecord, zone: ZoneInfo, *, exact: bool = False) -> dict[str, Any]:
    """The contract's cost record (section 4), plus `tier_breakdown_usd` and `partial`.

    Money is in cents, or with `exact` to 6 decimals: the rows of a listing (`costs --json`,
    `export`) keep full precision so that a spreadsheet's sum of them equals the bill to the cent.
    """

    return {
        "rate_name": record.rate_name,
        "location": record.location,
        "miner_ip": record.miner_ip or None,
        "period_start": iso(record.period_start_s, zone),
        "period_end": iso(record.period_end_s, zone),
        "duration_hours": number(record.duration_hours),
        "total_kwh": number(record.energy_kwh),
        "avg_power_kw": number(record.avg_power_kw),
        "peak_power_kw": number(record.peak_power_kw),
        "avg_rate_usd_per_kwh": number(record.avg_rate_usd_per_kwh),
        "energy_cost_usd": usd(record.energy_cost_usd, exact),
        "demand_charge_usd": usd(record.demand_charge_usd, exact),
        "service_charge_usd": usd(record.service_charge_usd, exact),
        "total_cost_usd": usd(record.total_cost_usd, exact),
        "tou_breakdown_usd": {k: usd(v, exact) for k, v in record.tou_breakdown_usd.items()},
        "tier_breakdown_usd": {k: usd(v, exact) for k, v in record.tier_breakdown_usd.items()},
        "partial": record.partial,
        "lines": [line_json(line) for line in record.lines],
    }


def line_json(line: Line) -> dict[str, Any]:
    """A line item (contract section 6): money at full precision (6 decimals), so lines sum to the total."""
    return {
        "charge": line.charge,
        "label": line.label,
        "quantity": number(line.quantity),
        "unit": line.unit,
        "usd": number(line.usd),
    }


def summary_json(summary: Summary, zone: ZoneInfo) -> dict[str, Any]:
    """The contract's summary: one cost record for the span with `groups`, plus the run rate."""
    data = record_json(summary.total, zone)
    data["groups"] = [
        {"group": label, **record_json(record, zone)}
        for label, record in zip(summary.group_labels, summary.groups, strict=True)
    ]
    data["estimated_daily_cost_usd"] = float(cents(summary.daily_cost_usd))
    data["estimated_monthly_cost_usd"] = float(cents(summary.monthly_cost_usd))
    return data


def profit_json(row: ProfitRow, network: Network, *, exact: bool = False) -> dict[str, Any]:
    """The contract's profit row (section 5), plus where the cost came from."""
    return {
        "miner_ip": row.miner_ip,
        "location": row.location,
        "hashrate_th": number(row.hashrate_th),
        "power_w": number(row.power_w),
        "efficiency_j_per_th": number(row.efficiency_j_per_th),
        "revenue_usd_per_day": usd(row.revenue_usd_per_day, exact),
        "cost_usd_per_day": usd(row.cost_usd_per_day, exact),
        "margin_usd_per_day": usd(row.margin_usd_per_day, exact),
        "break_even_usd_per_kwh": number(row.break_even_usd_per_kwh(network)),
        "cost_source": row.cost_source,
    }


def curtail_json(item: Curtailment, zone: ZoneInfo, *, exact: bool = False) -> dict[str, Any]:
    """The contract's curtailment interval (section 5)."""
    return {
        "location": item.location,
        "start": iso(item.start_s, zone),
        "end": iso(item.end_s, zone),
        "miners": list(item.miners),
        "price_usd_per_kwh": number(item.price_usd_per_kwh),
        "energy_saved_kwh": number(item.energy_saved_kwh),
        "cost_saved_usd": usd(item.cost_saved_usd, exact),
        "revenue_forgone_usd": usd(item.revenue_forgone_usd, exact),
        "demand_saved_usd": usd(item.demand_saved_usd, exact),
        "demand_charges": list(item.demand_charges),
    }


def budget_json(status: BudgetStatus, *, exact: bool = False) -> dict[str, Any]:
    """A budget's state, JSON-ready."""
    return {
        "location": status.location or None,
        "month": status.month,
        "monthly_usd": usd(status.monthly_usd, exact),
        "month_to_date_usd": usd(status.month_to_date_usd, exact),
        "forecast_usd": usd(status.forecast_usd, exact),
        "over_budget": status.over,
    }


def budget_line(status: BudgetStatus) -> str:
    """One line a cron mail makes readable."""
    who = status.location or "all locations"
    verdict = "OVER BUDGET" if status.over else "within budget"
    return (
        f"{who}, {status.month}: forecast ${money_text(status.forecast_usd)} vs budget "
        f"${money_text(status.monthly_usd)} ({verdict}; month to date ${money_text(status.month_to_date_usd)})"
    )


def export_json(costs: Sequence[CostRecord], bills: Sequence[tuple[Tariff, CostRecord]], zone: ZoneInfo) -> str:
    """Cost rows and bills as one JSON document."""
    from elecost.json_text import indented_json

    data = {
        "costs": [record_json(r, zone, exact=True) for r in costs],
        "bills": [record_json(r, ZoneInfo(t.timezone), exact=True) for t, r in bills],
    }
    return indented_json(data) + "\n"


def export_csv(costs: Sequence[CostRecord], bills: Sequence[tuple[Tariff, CostRecord]], zone: ZoneInfo) -> str:
    """Cost rows and bills as one CSV table, `kind` telling them apart; breakdowns as JSON text."""
    import csv
    import io

    rows = [("cost", record_json(r, zone, exact=True)) for r in costs] + [
        ("bill", record_json(r, ZoneInfo(t.timezone), exact=True)) for t, r in bills
    ]
    out = io.StringIO()
    keys = list(record_json(costs[0] if costs else bills[0][1], zone)) if rows else []
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", *keys])
    for kind, data in rows:
        writer.writerow([kind, *(cell(data[k]) for k in keys)])
    return out.getvalue()


def rows_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The `--csv` of every tabular command: the same JSON-ready rows its `--json` prints, one CSV
    row each under a header of their keys (in first-seen order); nested fields as JSON text and
    formula-like text quoted by `cell`, as `export --format csv` does."""
    import csv
    import io

    listed = list(rows)
    keys: dict[str, None] = {}
    for row in listed:
        keys.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(keys))
    for row in listed:
        writer.writerow([cell(row.get(key)) for key in keys])
    return out.getvalue()


def cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as written: text that would start a formula (=, +, -, @,
    tab, CR) gets a leading apostrophe (OWASP's advice against CSV injection); numbers stay."""
    import json

    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
