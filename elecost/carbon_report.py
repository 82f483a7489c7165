"""Carbon reports: JSON-ready dicts and Rich tables for `carbon list/show` and the CO2 that
`summary` and `profit` add. Data first: each `*_json` builds the values, each table shows them;
rounding happens here and nowhere before (kg and kWh to 6 decimals in JSON).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from elecost.carbon import Carbon, CarbonSummary, ProfitCarbon
from elecost.carbon_store import ZoneSummary, gco2_per_kwh
from elecost.instants import iso, local_minute
from elecost.mining import ProfitRow

if TYPE_CHECKING:
    from rich.table import Table

MICRO = Decimal("0.000001")


def _round(value: Decimal, places: int = 6) -> float:
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _optional(value: Decimal | None) -> float | None:
    return None if value is None else _round(value)


# --- carbon list / show ----------------------------------------------------------------------


def zones_json(summaries: Sequence[ZoneSummary], bindings: dict[str, str], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Each stored zone: intervals, span, min/avg/max gCO2/kWh, and the locations bound to it."""
    return [
        {
            "zone": s.zone,
            "intervals": s.intervals,
            "first": iso(s.first_s, zone),
            "last": iso(s.last_s, zone),
            "min_gco2_per_kwh": float(s.min_gco2_per_kwh),
            "avg_gco2_per_kwh": _round(s.avg_gco2_per_kwh),
            "max_gco2_per_kwh": float(s.max_gco2_per_kwh),
            "locations": sorted(place for place, bound in bindings.items() if bound == s.zone),
        }
        for s in summaries
    ]


def zones_table(summaries: Sequence[ZoneSummary], bindings: dict[str, str], zone: ZoneInfo) -> Table | str:
    from rich.table import Table  # here: the data paths load no Rich

    if not summaries:
        return "No carbon intensity series yet: `elecost carbon import FILE --zone Z`."
    table = Table(title=f"Carbon intensity series ({zone.key})", title_justify="left")
    table.add_column("zone")
    table.add_column("intervals", justify="right")
    table.add_column("from")
    table.add_column("to")
    for column in ("min", "avg", "max"):
        table.add_column(f"{column} g/kWh", justify="right")
    table.add_column("locations")
    for row in zones_json(summaries, bindings, zone):
        s = next(s for s in summaries if s.zone == row["zone"])
        locations = ", ".join(row["locations"]) or ("(all)" if len(summaries) == 1 else "")
        table.add_row(
            s.zone,
            f"{s.intervals:,}",
            local_minute(s.first_s, zone, offset=True),
            local_minute(s.last_s, zone, offset=True),
            f"{s.min_gco2_per_kwh:,.1f}",
            f"{s.avg_gco2_per_kwh:,.1f}",
            f"{s.max_gco2_per_kwh:,.1f}",
            locations,
        )
    table.caption = "A location without a binding uses the only zone when exactly one is stored."
    table.caption_justify = "left"
    return table


def intensities_json(intervals: Sequence[tuple[int, int, int]], zone: ZoneInfo) -> list[dict[str, Any]]:
    return [
        {"start": iso(start, zone), "end": iso(end, zone), "gco2_per_kwh": float(gco2_per_kwh(value))}
        for start, end, value in intervals
    ]


def intensities_table(name: str, intervals: Sequence[tuple[int, int, int]], zone: ZoneInfo) -> Table | str:
    from rich.table import Table  # here: the data paths load no Rich

    if not intervals:
        return f"No intensities of zone {name!r} in that span."
    table = Table(title=f"Carbon intensity of {name} ({zone.key})", title_justify="left")
    table.add_column("start")
    table.add_column("end")
    table.add_column("gCO2/kWh", justify="right")
    for start, end, value in intervals:
        table.add_row(
            local_minute(start, zone, offset=True),
            local_minute(end, zone, offset=True),
            f"{gco2_per_kwh(value).normalize():f}",
        )
    return table


# --- summary and profit ----------------------------------------------------------------------


def carbon_keys(carbon: Carbon | None) -> dict[str, float]:
    """The keys a summary record gains where a carbon series is stored: kg CO2 of the energy an
    intensity covers, and the kWh no intensity covers (not guessed)."""
    carbon = carbon or Carbon()
    return {"co2_kg": _round(carbon.co2_kg), "co2_uncovered_kwh": _round(carbon.uncovered_kwh)}


def add_summary_carbon(data: dict[str, Any], rows: list[dict[str, Any]], summary: CarbonSummary) -> None:
    """Add the CO2 keys to `summary --json` (the total and each group) and to its `--csv` rows."""
    data.update(carbon_keys(summary.total))
    for group in [*data["groups"], *rows]:
        group.update(carbon_keys(summary.groups.get(group["group"])))


def summary_carbon_table(summary: CarbonSummary, labels: Sequence[str], by: str) -> Table:
    """kg CO2 per group with the total, and the kWh no intensity covers."""
    from rich.table import Table  # here: the data paths load no Rich

    table = Table(title=f"CO2 by {by}", title_justify="left")
    table.add_column(by)
    table.add_column("kWh", justify="right")
    table.add_column("kg CO2", justify="right")
    table.add_column("g/kWh", justify="right")
    table.add_column("kWh without intensity", justify="right")
    for label in labels:
        table.add_row(label, *_carbon_cells(summary.groups.get(label) or Carbon()))
    table.add_row("total", *_carbon_cells(summary.total), style="bold")
    table.caption = "g/kWh: over the energy an intensity covers; the rest is counted, not guessed."
    table.caption_justify = "left"
    return table


def _carbon_cells(carbon: Carbon) -> tuple[str, str, str, str]:
    kwh = carbon.covered_kwh + carbon.uncovered_kwh
    mean = f"{carbon.co2_g / carbon.covered_kwh:,.1f}" if carbon.covered_kwh else ""
    return f"{kwh:,.3f}", f"{carbon.co2_kg:,.3f}", mean, f"{carbon.uncovered_kwh:,.3f}"


def profit_carbon_keys(carbon: ProfitCarbon | None) -> dict[str, float | None]:
    """The keys a profit row gains where a carbon series is stored (null where not known)."""
    carbon = carbon or ProfitCarbon(None, None)
    return {"co2_kg_per_day": _optional(carbon.co2_kg_per_day), "co2_kg_per_btc": _optional(carbon.co2_kg_per_btc)}


def profit_carbon_table(rows: Sequence[ProfitRow], carbon: dict[tuple[str | None, str], ProfitCarbon]) -> Table:
    """kg CO2 a day and per BTC mined, per miner and location (bold)."""
    from rich.table import Table  # here: the data paths load no Rich

    table = Table(title="CO2 per day and per BTC mined", title_justify="left")
    table.add_column("miner")
    table.add_column("kg CO2/day", justify="right")
    table.add_column("kg CO2/BTC", justify="right")
    for row in rows:
        figures = carbon.get((row.miner_ip, row.location)) or ProfitCarbon(None, None)
        table.add_row(
            row.miner_ip or f"all at {row.location}",
            "" if figures.co2_kg_per_day is None else f"{figures.co2_kg_per_day:,.3f}",
            "" if figures.co2_kg_per_btc is None else f"{figures.co2_kg_per_btc:,.1f}",
            style="bold" if row.miner_ip is None else None,
        )
    table.caption = (
        "Over the recorded energy an intensity covers; blank: no rows with intensity (nameplate rows), "
        "or per BTC without --btc-price-usd."
    )
    table.caption_justify = "left"
    return table
