"""A reconciliation (meter against miners) as JSON-ready data and Rich tables; no arithmetic beyond rounding."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import RenderableType
from rich.table import Table

from elecost.instants import iso
from elecost.reconcile import BillCheck, Reconciliation, Split
from elecost.report_data import cents, usd

MICRO = Decimal("0.000001")


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(MICRO))


def split_json(split: Split, *, exact: bool = False) -> dict[str, Any]:
    return {
        "span": split.label,
        "meter_kwh": _num(split.meter_kwh),
        "miners_kwh": _num(split.miners_kwh),
        "overhead_kwh": _num(split.overhead_kwh),
        "overhead_pct": _num(split.overhead_pct),
        "meter_usd": usd(split.meter_usd, exact),
        "miners_usd": usd(split.miners_usd, exact),
        "overhead_usd": usd(split.overhead_usd, exact),
    }


def reconciliation_json(result: Reconciliation, *, exact: bool = False) -> dict[str, Any]:
    zone = result.zone
    return {
        "location": result.location,
        "from": iso(result.start_s, zone),
        "to": iso(result.end_s, zone),
        "total": split_json(result.total, exact=exact),
        "days": [split_json(d, exact=exact) for d in result.days],
        "billing_periods": [split_json(p, exact=exact) for p in result.periods],
        "diverging_days": [split_json(d, exact=exact) for d in result.diverging],
        "meter_only": [{"start": iso(a, zone), "end": iso(b, zone)} for a, b in result.meter_only],
        "miners_only": [{"start": iso(a, zone), "end": iso(b, zone)} for a, b in result.miners_only],
        "bills": [bill_json(check, result) for check in result.bills],
    }


def bill_json(check: BillCheck, result: Reconciliation) -> dict[str, Any]:
    return {
        "period_start": iso(check.start_s, result.zone),
        "period_end": iso(check.end_s, result.zone),
        "bill_kwh": _num(check.bill_kwh),
        "bill_usd": float(cents(check.bill_usd)) if check.bill_usd is not None else None,
        "computed_kwh": _num(check.computed_kwh),
        "computed_usd": float(cents(check.computed_usd)),
        "usd_apart_pct": _num(check.usd_apart_pct),
        "kwh_apart_pct": _num(check.kwh_apart_pct),
    }


def bill_line(check: BillCheck) -> str:
    """'your bill says $41,220.18, elecost computes $41,198.40 from the meter data: 0.05% apart'."""
    parts = []
    if check.bill_usd is not None:
        apart = abs(check.usd_apart_pct or Decimal(0))
        parts.append(
            f"your bill says ${cents(check.bill_usd):,}, elecost computes ${cents(check.computed_usd):,} "
            f"from the meter data: {apart:.2f}% apart"
        )
    if check.bill_kwh is not None:
        apart = abs(check.kwh_apart_pct or Decimal(0))
        parts.append(f"{check.bill_kwh:,} kWh billed, {check.computed_kwh:,.3f} kWh metered: {apart:.2f}% apart")
    return "; ".join(parts)


def reconciliation_view(result: Reconciliation) -> list[RenderableType]:
    """Days and billing periods as tables (the meter's and miners' USD are in --json), then the
    spans where one side has no readings, then the bills."""
    parts: list[RenderableType] = []
    for title, rows in (
        ("Meter against miners, by day", [*result.days, result.total]),
        ("By billing period", result.periods),
    ):
        table = Table(title=f"{title} ({result.location})", title_justify="left")
        table.add_column("span", no_wrap=True, min_width=10)
        for column in ("meter kWh", "miners kWh", "overhead kWh", "%", "overhead $"):
            table.add_column(column, justify="right", no_wrap=True)
        for split in rows:
            pct = split.overhead_pct
            table.add_row(
                split.label,
                f"{split.meter_kwh:,.3f}",
                f"{split.miners_kwh:,.3f}",
                f"{split.overhead_kwh:,.3f}",
                "" if pct is None else f"{pct:.2f}",
                f"{cents(split.overhead_usd):,}",
                style="bold" if split.label == "total" else None,
            )
        parts.append(table)
    zone = result.zone
    for name, spans in (
        ("meter readings but no miner's", result.meter_only),
        ("miners' readings but none from the meter", result.miners_only),
    ):
        for low, high in spans[:20]:
            parts.append(f"{name}: {iso(low, zone)} to {iso(high, zone)}")
    parts.extend(bill_line(check) for check in result.bills)
    return parts
