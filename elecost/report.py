"""Cost records -> JSON-ready dicts and Rich tables. Rounding happens here and only here.

Money is rounded half-up to cents when shown; a shown total is the rounded sum of the unrounded
parts (contract section 4), so it can differ by a cent from the sum of the shown parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from elecost.instants import iso
from elecost.tariffs.load import tariff_to_mapping
from elecost.tariffs.model import DemandTier, Tariff, Tier, TouPeriod, mask_account
from elecost.tariffs.schedule import price_in_force

if TYPE_CHECKING:
    # Named in annotations only: importing them would make `rate list` load the store's
    # budgets, mining and summaries just to print a table of rates (issue 15).
    from rich.console import RenderableType

    from elecost.budget import BudgetStatus
    from elecost.mining import Curtailment, Network, ProfitRow
    from elecost.store import Miner
    from elecost.summary import Summary
    from elecost.tariffs.charges import Line
    from elecost.tariffs.engine import CostRecord

CENT = Decimal("0.01")
MICRO = Decimal("0.000001")


def cents(amount: Decimal) -> Decimal:
    """Round money half-up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _number(value: Decimal, step: Decimal = MICRO) -> float:
    return float(value.quantize(step, rounding=ROUND_HALF_UP))


def usd(amount: Decimal, exact: bool = False) -> float:
    """Money for JSON and CSV rows: in cents, or with `exact` (the `--csv` rows, contract section 4)
    to 6 decimals, so a spreadsheet's sums of them are exact to the cent."""
    return _number(amount) if exact else float(cents(amount))


def record_json(record: CostRecord, zone: ZoneInfo, *, exact: bool = False) -> dict[str, Any]:
    """The contract's cost record (section 4), plus `tier_breakdown_usd` and `partial`.

    Money is in cents, or with `exact` to 6 decimals: the rows of a listing (`costs --json`,
    `export`) keep full precision so that a spreadsheet's sum of them equals the bill to the cent.
    """

    def money(amount: Decimal) -> float:
        return _number(amount) if exact else float(cents(amount))

    return {
        "rate_name": record.rate_name,
        "location": record.location,
        "miner_ip": record.miner_ip or None,
        "period_start": iso(record.period_start_s, zone),
        "period_end": iso(record.period_end_s, zone),
        "duration_hours": _number(record.duration_hours),
        "total_kwh": _number(record.energy_kwh),
        "avg_power_kw": _number(record.avg_power_kw),
        "peak_power_kw": _number(record.peak_power_kw),
        "avg_rate_usd_per_kwh": _number(record.avg_rate_usd_per_kwh),
        "energy_cost_usd": money(record.energy_cost_usd),
        "demand_charge_usd": money(record.demand_charge_usd),
        "service_charge_usd": money(record.service_charge_usd),
        "total_cost_usd": money(record.total_cost_usd),
        "tou_breakdown_usd": {k: money(v) for k, v in record.tou_breakdown_usd.items()},
        "tier_breakdown_usd": {k: money(v) for k, v in record.tier_breakdown_usd.items()},
        "partial": record.partial,
        "lines": [line_json(line) for line in record.lines],
    }


def line_json(line: Line) -> dict[str, Any]:
    """A line item (contract section 6): money at full precision (6 decimals), so lines sum to the total."""
    return {
        "charge": line.charge,
        "label": line.label,
        "quantity": _number(line.quantity),
        "unit": line.unit,
        "usd": _number(line.usd),
    }


def _money(amount: Decimal) -> str:
    return f"{cents(amount):,.2f}"


def breakdown_table(record: CostRecord, zone: ZoneInfo, title: str) -> Table:
    """One cost record as a two-column table: energy by period, charges, total."""
    span = f"{_span(record.period_start_s, record.period_end_s, zone)} ({_number(record.duration_hours):g} h)"
    table = Table(title=f"{title}\n{span}", title_justify="left", min_width=64)
    table.add_column("item")
    table.add_column("kWh / kW", justify="right")
    table.add_column("USD", justify="right")
    for line in record.lines:
        table.add_row(f"{line.charge.replace('_', ' ')}: {line.label}", _quantity(line), _money(line.usd))
    table.add_row("energy", f"{_number(record.energy_kwh):,.3f} kWh", _money(record.energy_cost_usd))
    table.add_row("average rate", f"{_number(record.avg_rate_usd_per_kwh):.6f} $/kWh", "")
    table.add_row("demand charge", f"peak {_number(record.peak_power_kw):,.3f} kW", _money(record.demand_charge_usd))
    table.add_row("service charge", "", _money(record.service_charge_usd))
    table.add_section()
    table.add_row("total", "", _money(record.total_cost_usd), style="bold")
    if record.partial:
        table.caption = "part of a billing period: demand and service charges prorated by time"
        table.caption_justify = "left"
    return table


def _quantity(line: Line) -> str:
    """A line's quantity with its unit: kWh and kW to the Wh, days and months to 1/1000."""
    if line.unit in ("kWh", "kW"):
        return f"{_number(line.quantity):,.3f} {line.unit}"
    return f"{_number(line.quantity):,.3f} {line.unit}{'s' if line.quantity != 1 else ''}"


def records_table(
    records: Sequence[CostRecord],
    zone: ZoneInfo,
    title: str,
    label: str = "period",
    labels: Sequence[str] | None = None,
) -> RenderableType:
    """Cost records as rows (one per period, day, miner or location) with a totals row.

    The first column (what each row is) is never squeezed out: where the terminal is too narrow
    for every column, peak kW and $/kWh are left out (the caption says so) before the labels.
    """
    return _FittedRecords(records, zone, title, label, labels)


class _FittedRecords:
    """A records table built at render time, when the width is known."""

    OPTIONAL = ("peak kW", "$/kWh")

    def __init__(
        self, records: Sequence[CostRecord], zone: ZoneInfo, title: str, label: str, labels: Sequence[str] | None
    ) -> None:
        self.title, self.label = title, label
        self.rows = [
            [
                labels[index] if labels is not None else _row_label(record, zone, label),
                f"{_number(record.energy_kwh):,.3f}",
                f"{_number(record.peak_power_kw):,.3f}",
                f"{_number(record.avg_rate_usd_per_kwh):.4f}",
                _money(record.energy_cost_usd),
                _money(record.demand_charge_usd),
                _money(record.service_charge_usd),
                _money(record.total_cost_usd),
            ]
            for index, record in enumerate(records)
        ]
        self.total: list[str] | None = None
        if len(records) > 1:
            zero = Decimal(0)
            self.total = [
                "total",
                f"{_number(sum((r.energy_kwh for r in records), zero)):,.3f}",
                "",
                "",
                _money(sum((r.energy_cost_usd for r in records), zero)),
                _money(sum((r.demand_charge_usd for r in records), zero)),
                _money(sum((r.service_charge_usd for r in records), zero)),
                _money(sum((r.total_cost_usd for r in records), zero)),
            ]
        self.partial = any(record.partial for record in records) and label == "period"

    def __rich_console__(self, console: Any, options: Any) -> Any:
        columns = [self.label, "kWh", "peak kW", "$/kWh", "energy", "demand", "service", "total"]
        cells = [*self.rows, *([self.total] if self.total else [])]
        widths = [max([len(columns[i]), *(len(row[i]) for row in cells)]) for i in range(len(columns))]
        label_width = min(widths[0], 16)
        keep = list(range(len(columns)))
        if label_width + sum(widths[1:]) + 3 * len(columns) + 1 > options.max_width:
            keep = [i for i in keep if columns[i] not in self.OPTIONAL]
        fast = len(self.rows) > FAST_ROWS and _plain_cells(cells) and _fits(widths, keep, options)
        table = Table(title=self.title, title_justify="left")
        for i in keep:
            width = widths[i] if fast else None  # only the first row is given to Rich: keep every row's widths
            if i == 0:
                table.add_column(columns[i], min_width=label_width, width=width)
            else:
                table.add_column(columns[i], justify="right", no_wrap=True, width=width)
        for row in self.rows[:1] if fast else self.rows:
            table.add_row(*(row[i] for i in keep))
        captions = []
        if self.partial:
            captions.append("* part of a billing period: demand and service charges prorated by time")
        if len(keep) < len(columns):
            captions.append("peak kW and $/kWh left out to fit the terminal; --json has them")
        if captions:
            table.caption = "\n".join(captions)
            table.caption_justify = "left"
        if self.total is not None:
            table.add_section()
            table.add_row(*(self.total[i] for i in keep), style="bold")
        if not fast:
            yield table
            return
        rest = [[row[i] for i in keep] for row in self.rows[1:]]
        yield from _filled_in(console, options, table, rest, [widths[i] for i in keep], ["<", *">" * (len(keep) - 1)])


FAST_ROWS = 40  # a table longer than this is laid out by Rich from its first row (see _filled_in)


def _filled_in(
    console: Any,
    options: Any,
    table: Table,
    rest: Sequence[Sequence[str]],
    widths: Sequence[int],
    align: Sequence[str],
) -> Any:
    """`table` (given its first body row, at fixed column widths) as Rich lays it out, with `rest` after
    that first row, in its layout: Rich measures and wraps every cell of a fleet's thousand rows (seconds),
    a format string does not. The cells must be plain ASCII and fit their widths (`_plain_cells`, `_fits`)."""
    lines = console.render_lines(table, options, pad=False, new_lines=True)
    first = next(index for index, line in enumerate(lines) if "".join(s.text for s in line).startswith("┡"))
    yield from (segment for line in lines[: first + 2] for segment in line)
    template = (
        "│"
        + "│".join(f" {{{n}:{side}{width}}} " for n, (side, width) in enumerate(zip(align, widths, strict=True)))
        + "│\n"
    )
    yield Segment("".join(template.format(*row) for row in rest))
    yield from (segment for line in lines[first + 2 :] for segment in line)


def _plain_cells(cells: Sequence[Sequence[str]]) -> bool:
    """Whether every cell is printable text one terminal column per character (what a format string pads right)."""
    return all(cell.isprintable() and cell.isascii() for row in cells for cell in row)


def _fits(widths: Sequence[int], keep: Sequence[int], options: Any) -> bool:
    """Whether the kept columns at their widths fit the terminal (no cell wraps, Rich keeps those widths)
    and Rich draws its Unicode box there (an ASCII-only or legacy Windows console gets another box, whose
    lines `_filled_in` does not write)."""
    unicode_box = not options.ascii_only and not options.legacy_windows
    return unicode_box and sum(widths[i] for i in keep) + 3 * len(keep) + 1 <= options.max_width


def _row_label(record: CostRecord, zone: ZoneInfo, label: str) -> str:
    if label == "miner":
        return record.miner_ip or "(whole meter)"
    if label == "location":
        return record.location
    return _span(record.period_start_s, record.period_end_s, zone) + (" *" if record.partial else "")


def _span(start_s: int, end_s: int, zone: ZoneInfo) -> str:
    """'2026-11-01 to 11-04' for whole days, else '2026-11-01 07:00 to 21:00' and the like."""
    start = iso(start_s, zone)[:16].replace("T", " ")
    end = iso(end_s, zone)[:16].replace("T", " ")
    if start.endswith("00:00") and end.endswith("00:00"):
        start, end = start[:10], end[:10]
    if end[:4] == start[:4]:
        end = end[5:] if end[:10] != start[:10] else end[11:]
    return f"{start} to {end}"


# --- rates -----------------------------------------------------------------------------------


def rate_json(tariff: Tariff) -> dict[str, Any]:
    """A tariff as contract keys, account number masked."""
    data = tariff_to_mapping(tariff)
    if "account_number" in data:
        data["account_number"] = mask_account(data["account_number"])
    return data


def rate_yaml(tariff: Tariff, *, mask: bool) -> str:
    """A tariff as YAML in the contract's key order (what `rate add` reads)."""
    import yaml

    data = rate_json(tariff) if mask else tariff_to_mapping(tariff)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)


def rate_sheet(tariff: Tariff, *, mask: bool = True) -> list[RenderableType]:
    """A tariff as the utility's sheet reads: seasons, periods and their hours, tiers, demand
    charges and their windows, fixed and minimum charges. Every figure as stored, unrounded."""
    from elecost.tariffs.urdb import month_span

    daily = tariff.tier_bounds == "daily"
    head = [_plain(text) for text in (tariff.utility_name, tariff.description) if text]
    head.append(
        f"Meter {_plain(tariff.location)!r}, clock {tariff.timezone}; billing periods start on day "
        f"{tariff.billing_cycle_day} at 00:00; demand is the highest {tariff.demand_interval_minutes}-minute average."
    )
    if tariff.active:
        head.append("Active for its meter.")
    parts: list[RenderableType] = [Text(tariff.name, style="bold"), "\n".join(head)]

    laddered = tariff.laddered
    energy = Table(title="Energy, $/kWh" + (_tier_note(daily) if laddered else ""), title_justify="left")
    for column in ("months", "period", "when"):
        energy.add_column(column)
    energy.add_column("$/kWh", justify="right")
    seasons: dict[tuple[int, ...], dict[tuple[str, tuple[Tier, ...]], list[TouPeriod]]] = {}
    for period in tariff.energy_periods:
        key = (period.name, period.ladder)  # a name at two prices shows twice
        seasons.setdefault(tuple(period.months), {}).setdefault(key, []).append(period)
    for number, (months, by_name) in enumerate(seasons.items()):
        if number:
            energy.add_section()
        for index, ((name, _), periods) in enumerate(by_name.items()):
            energy.add_row(
                _months_text(months, month_span) if index == 0 else "",
                _plain(name),
                _when((p.days, p.start_min, p.end_min) for p in periods),
                _ladder_text(periods[0].ladder, daily),
            )
    parts.append(energy)
    if tariff.riders:
        riders = Table(title="Riders, $/kWh on every kWh", title_justify="left")
        for column in ("rider", "months", "$/kWh"):
            riders.add_column(column, justify="right" if column == "$/kWh" else "left")
        for rider in tariff.riders:
            riders.add_row(_plain(rider.name), _months_text(rider.months, month_span), f"{rider.usd_per_kwh:f}")
        parts.append(riders)
    if tariff.all_demand_charges:
        demand = Table(title="Demand charges, $/kW of each charge's own peak", title_justify="left")
        for column in ("charge", "months", "when", "$/kW"):
            demand.add_column(column, justify="right" if column == "$/kW" else "left")
        for charge in tariff.all_demand_charges:
            price = _demand_text(charge.tiers)
            if charge.ratchet is not None:
                price += f"\nat least {charge.ratchet.pct:f}% of the\nlast {charge.ratchet.periods} periods' peak"
            windows = _when((w.days, w.start_min, w.end_min) for w in charge.windows) if charge.windows else "all hours"
            demand.add_row(_plain(charge.name), _months_text(charge.months, month_span), windows, price)
        parts.append(demand)
    other = Table(title="Fixed and other charges", title_justify="left")
    other.add_column("charge")
    other.add_column("amount", justify="right")
    for fixed in tariff.all_fixed_charges:
        other.add_row(_plain(fixed.name), f"{fixed.usd:f} $/{fixed.per}")
    if tariff.minimum_bill_usd:
        other.add_row("Minimum bill", f"{tariff.minimum_bill_usd:f} $ a billing period")
    if tariff.coincident_peak is not None:
        peak = tariff.coincident_peak
        other.add_row(f"Coincident peak ({_plain(peak.peaks)!r} peaks)", f"{peak.usd_per_kw:f} $/kW")
    if tariff.holidays:
        named = [f"{tariff.holidays.country}" + (f"-{tariff.holidays.subdiv}" if tariff.holidays.subdiv else "")]
        named = (named if tariff.holidays.country else []) + [d.isoformat() for d in sorted(tariff.holidays.dates)]
        other.add_row("Holidays, priced as Sundays", ", ".join(named))
    if tariff.account_number:
        other.add_row("Account number", mask_account(tariff.account_number) if mask else tariff.account_number)
    if other.row_count:
        parts.append(other)
    return parts


def _plain(text: str | None) -> str:
    """Text from a tariff, shown as written (output reads no Rich markup: see `cli.common`)."""
    return text or ""


def _tier_note(daily: bool) -> str:
    if daily:
        return "; tier bounds per day, times the days of the billing period, shared by all periods"
    return "; tier bounds per billing period, shared by all periods"


def _months_text(months: Sequence[int], span: Callable[[Sequence[int]], str]) -> str:
    return "all year" if tuple(months) == tuple(range(1, 13)) else span(months)


def _when(spans: Iterable[tuple[Sequence[int], int, int]]) -> str:
    """'Mon-Fri 08:00-12:00, 18:00-21:00' lines, one per set of days."""
    by_days: dict[tuple[int, ...], list[str]] = {}
    for days, start, end in spans:
        by_days.setdefault(tuple(days), []).append(_clock_span(start, end))
    return "\n".join(f"{_days_text(days)} {', '.join(hours)}" for days, hours in by_days.items())


def _clock_span(start_min: int, end_min: int) -> str:
    if (start_min, end_min) in ((0, 1440), (0, 0)):
        return "all day"
    return f"{start_min // 60:02d}:{start_min % 60:02d}-{end_min // 60:02d}:{end_min % 60:02d}"


def _days_text(days: Sequence[int]) -> str:
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    chosen = sorted(days)
    if len(chosen) == 7:
        return "every day"
    if len(chosen) > 1 and chosen == list(range(chosen[0], chosen[-1] + 1)):
        return f"{names[chosen[0]]}-{names[chosen[-1]]}"
    return ", ".join(names[d] for d in chosen)


def _ladder_text(ladder: Sequence[Tier], daily: bool) -> str:
    if len(ladder) == 1:
        return f"{ladder[0].rate_usd_per_kwh:f}"
    unit = "kWh/day" if daily else "kWh"
    return "\n".join(
        f"{t.rate_usd_per_kwh:f} " + (f"to {t.up_to_kwh:,f} {unit}" if t.up_to_kwh is not None else "above")
        for t in ladder
    )


def _demand_text(tiers: Sequence[DemandTier]) -> str:
    if len(tiers) == 1:
        return f"{tiers[0].usd_per_kw:f}"
    return "\n".join(
        f"{t.usd_per_kw:f} " + (f"to {t.up_to_kw:,f} kW" if t.up_to_kw is not None else "above") for t in tiers
    )


def rates_table(tariffs: Sequence[Tariff]) -> Table:
    """Stored tariffs, one row each."""
    table = Table(title="Rates", title_justify="left")
    table.add_column("name")
    table.add_column("location")
    table.add_column("type", no_wrap=True)
    table.add_column("prices $/kWh", ratio=2)
    table.add_column("$/day", justify="right", no_wrap=True)
    table.add_column("$/kW", justify="right", no_wrap=True)
    table.caption = "* active. $/day: service charge; $/kW: demand charge. `elecost rate show NAME`: all of it."
    table.caption_justify = "left"
    for tariff in tariffs:
        table.add_row(
            tariff.name + (" *" if tariff.active else ""),
            tariff.location,
            tariff.rate_type,
            _prices(tariff),
            f"{sum((c.usd for c in tariff.all_fixed_charges if c.per == 'day'), Decimal(0)):f}",
            f"{sum((c.tiers[0].usd_per_kw for c in tariff.all_demand_charges), Decimal(0)):f}",
        )
    return table


def _prices(tariff: Tariff) -> str:
    """Energy prices in short: one rate, a ladder, or each period's rate(s)."""
    periods = tariff.energy_periods
    if len(periods) == 1:
        ladder = periods[0].ladder
        if len(ladder) == 1:
            return f"{ladder[0].rate_usd_per_kwh}"
        return ", ".join(
            f"{t.rate_usd_per_kwh} " + (f"to {t.up_to_kwh} kWh" if t.up_to_kwh else "above") for t in ladder
        )
    seen: dict[str, str] = {}
    for period in periods:
        seen.setdefault(period.name, "/".join(str(t.rate_usd_per_kwh) for t in period.ladder))
    return ", ".join(f"{name} {rate}" for name, rate in seen.items())


def current_price(tariff: Tariff, now_s: int, market_price: tuple[int, int, Decimal] | None = None) -> dict[str, Any]:
    """The price in force at `now_s` and when it next changes, JSON-ready.

    For an index tariff, `market_price` is its market's price interval in force now, else the
    latest one stored: the price shown is that $/MWh as $/kWh with losses and riders (the adder).
    """
    zone = ZoneInfo(tariff.timezone)
    name, rate, next_change = price_in_force(tariff, now_s)
    if tariff.index is not None:
        rate = next_change = None
        if market_price is not None:
            start, next_change, usd_per_mwh = market_price
            riders = sum((r.usd_per_kwh for r in tariff.riders), Decimal(0))
            rate = tariff.index.usd_per_kwh(usd_per_mwh) + riders
            name = f"{tariff.index.market} ${usd_per_mwh}/MWh from {iso(start, zone)}"
        else:
            name = f"{tariff.index.market}: no prices imported"
    return {
        "rate_name": tariff.name,
        "location": tariff.location,
        "now": iso(now_s, zone),
        "period": name,
        "price_usd_per_kwh": float(rate) if rate is not None else None,
        "next_change": iso(next_change, zone) if next_change is not None else None,
        "daily_service_charge_usd": float(tariff.daily_service_charge_usd),
        "demand_charge_usd_per_kw": float(tariff.demand_charge_usd_per_kw),
    }


# --- summaries and bills ---------------------------------------------------------------------


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


def summary_view(summary: Summary, zone: ZoneInfo, by: str, span: str) -> list[RenderableType]:
    """The summary as tables: the groups with a totals row, then the TOU breakdown and run rate.
    `span` names the span asked for ("last 30 days of records", "from ... to ...")."""
    total = summary.total
    dates = f"{iso(total.period_start_s, zone)[:10]} to {iso(total.period_end_s, zone)[:10]}"
    title = f"Costs, {span} ({dates})"
    groups = records_table(summary.groups, zone, title, label=by, labels=summary.group_labels)
    parts: list[RenderableType] = [groups]
    if total.tou_breakdown_usd and by != "period":
        tou = Table(title="Energy by TOU period", title_justify="left")
        tou.add_column("period")
        tou.add_column("kWh", justify="right")
        tou.add_column("USD", justify="right")
        for name, amount in total.tou_breakdown_usd.items():
            tou.add_row(name, f"{_number(total.tou_energy_kwh.get(name, Decimal(0))):,.3f}", _money(amount))
        parts.append(tou)
    parts.append(
        f"Run rate (last 7 days of records): ${_money(summary.daily_cost_usd)} a day, "
        f"${_money(summary.monthly_cost_usd)} a month (30 days)"
    )
    return parts


def bill_view(rows: Sequence[tuple[Tariff, CostRecord]]) -> list[RenderableType]:
    """Bills as one table per location: a row per billing period, breakdowns beneath."""
    parts: list[RenderableType] = []
    by_location: dict[str, list[tuple[Tariff, CostRecord]]] = {}
    for tariff, record in rows:
        by_location.setdefault(tariff.location, []).append((tariff, record))
    for location, items in by_location.items():
        tariff = items[0][0]
        zone = ZoneInfo(tariff.timezone)
        records = [record for _, record in items]
        parts.append(records_table(records, zone, f"Bills: {location} on {tariff.name!r} ({tariff.timezone})"))
        breakdown = Table(title="Line items", title_justify="left")
        breakdown.add_column("billing period")
        breakdown.add_column("charge")
        breakdown.add_column("quantity", justify="right")
        breakdown.add_column("USD", justify="right")
        for record in records:
            label = _row_label(record, zone, "period")
            for line in record.lines:
                breakdown.add_row(
                    label, f"{line.charge.replace('_', ' ')}: {line.label}", _quantity(line), _money(line.usd)
                )
        if breakdown.row_count:
            parts.append(breakdown)
    if not parts:
        parts.append("no bills: no location has both an active rate and readings in that span")
    return parts


# --- miners, profit, curtailment, budgets, export ---------------------------------------------


def miners_table(miners: Sequence[Miner]) -> Table:
    """The miner inventory."""
    table = Table(title="Miners", title_justify="left")
    addressed = any(m.host or m.port for m in miners)  # the API column only where some miner needs it
    hosted = ("client",) if any(m.client for m in miners) else ()  # its column only where some miner has one
    for column in ("name", "location", *hosted, "model", "TH/s", "W", "J/TH", *(("API",) if addressed else ())):
        table.add_column(column, justify="right" if column in ("TH/s", "W", "J/TH") else "left")
    for miner in miners:
        efficiency = f"{miner.power_w / miner.hashrate_th:.1f}" if miner.power_w and miner.hashrate_th else ""
        api = (f"{miner.host or miner.name}:{miner.port or 4028}",) if addressed else ()
        table.add_row(
            miner.name,
            miner.location,
            *((miner.client or "",) if hosted else ()),
            miner.model or "",
            f"{miner.hashrate_th:g}" if miner.hashrate_th is not None else "",
            f"{miner.power_w:g}" if miner.power_w is not None else "",
            efficiency,
            *api,
        )
    return table


def profit_json(row: ProfitRow, network: Network, *, exact: bool = False) -> dict[str, Any]:
    """The contract's profit row (section 5), plus where the cost came from."""
    return {
        "miner_ip": row.miner_ip,
        "location": row.location,
        "hashrate_th": _number(row.hashrate_th),
        "power_w": _number(row.power_w),
        "efficiency_j_per_th": _number(row.efficiency_j_per_th),
        "revenue_usd_per_day": usd(row.revenue_usd_per_day, exact),
        "cost_usd_per_day": usd(row.cost_usd_per_day, exact),
        "margin_usd_per_day": usd(row.margin_usd_per_day, exact),
        "break_even_usd_per_kwh": _number(row.break_even_usd_per_kwh(network)),
        "cost_source": row.cost_source,
    }


def profit_table(rows: Sequence[ProfitRow], network: Network) -> RenderableType:
    """Profit per miner, then per location (bold)."""
    hashprice = network.hashprice_usd_per_th_day * 1000
    title = f"Profit per day at ${hashprice:,.2f} per PH/s per day (pool fee {network.pool_fee_pct}%)"
    cells = [
        [
            row.miner_ip or f"all at {row.location}",
            f"{_number(row.hashrate_th):,.1f}",
            f"{_number(row.efficiency_j_per_th):.2f}",
            _money(row.revenue_usd_per_day),
            _money(row.cost_usd_per_day),
            _money(row.margin_usd_per_day),
            f"{_number(row.break_even_usd_per_kwh(network)):.4f}",
            row.cost_source.replace("recorded", "rows").replace("nameplate", "plate"),
        ]
        for row in rows
    ]
    return _ProfitTable(title, cells, [row.miner_ip is None for row in rows])


class _ProfitTable:
    """The profit table, laid out when the width is known: a fleet's from its first row (`_filled_in`)."""

    COLUMNS = ("miner", "TH/s", "J/TH", "revenue", "cost", "margin", "b/e", "from")
    ALIGN = "<>>>>>><"

    def __init__(self, title: str, cells: list[list[str]], bold: list[bool]) -> None:
        self.title, self.cells, self.bold = title, cells, bold

    def __rich_console__(self, console: Any, options: Any) -> Any:
        plain = [cells for cells, bold in zip(self.cells, self.bold, strict=True) if not bold]
        widths = [max([len(column), *(len(row[i]) for row in self.cells)]) for i, column in enumerate(self.COLUMNS)]
        fast = (
            len(plain) > FAST_ROWS
            and not any(self.bold[: len(plain)])  # the locations' rows (bold) come after the miners'
            and _plain_cells([self.COLUMNS, *self.cells])
            and _fits(widths, range(len(widths)), options)
        )
        table = Table(title=self.title, title_justify="left")
        table.add_column("miner", width=widths[0] if fast else None)
        for i, column in enumerate(self.COLUMNS[1:-1], start=1):
            table.add_column(column, justify="right", no_wrap=True, width=widths[i] if fast else None)
        table.add_column("from", width=widths[-1] if fast else None)
        table.caption = "USD a day; b/e: break-even $/kWh; from: the miner's cost rows, or its nameplate power."
        table.caption_justify = "left"
        for cells, bold in zip(self.cells, self.bold, strict=True):
            if fast and not bold and cells is not plain[0]:
                continue
            table.add_row(*cells, style="bold" if bold else None)
        if not fast:
            yield table
            return
        yield from _filled_in(console, options, table, plain[1:], widths, list(self.ALIGN))


def curtail_json(item: Curtailment, zone: ZoneInfo, *, exact: bool = False) -> dict[str, Any]:
    """The contract's curtailment interval (section 5)."""
    return {
        "location": item.location,
        "start": iso(item.start_s, zone),
        "end": iso(item.end_s, zone),
        "miners": list(item.miners),
        "price_usd_per_kwh": _number(item.price_usd_per_kwh),
        "energy_saved_kwh": _number(item.energy_saved_kwh),
        "cost_saved_usd": usd(item.cost_saved_usd, exact),
        "revenue_forgone_usd": usd(item.revenue_forgone_usd, exact),
        "demand_saved_usd": usd(item.demand_saved_usd, exact),
        "demand_charges": list(item.demand_charges),
    }


def curtail_table(plan: Sequence[Curtailment], zone: ZoneInfo) -> Table | str:
    """The curtailment plan, one row per interval."""
    if not plan:
        return "No curtailment: every miner earns more than its electricity costs at every hour."
    table = Table(title="Curtailment plan: stop these miners in these intervals", title_justify="left")
    table.add_column("when")
    table.add_column("miners", min_width=10)
    for column in ("$/kWh", "kWh saved", "$ saved", "$ forgone"):
        table.add_column(column, justify="right", no_wrap=True)
    several = len({item.location for item in plan}) > 1
    for item in plan:
        shown = ", ".join(item.miners[:4]) + (f" +{len(item.miners) - 4}" if len(item.miners) > 4 else "")
        table.add_row(
            _span(item.start_s, item.end_s, zone),
            f"{item.location}: {shown}" if several else shown,
            f"{_number(item.price_usd_per_kwh):.4f}",
            f"{_number(item.energy_saved_kwh):,.3f}",
            _money(item.cost_saved_usd),
            _money(item.revenue_forgone_usd),
        )
    charges = sorted({name for item in plan for name in item.demand_charges})
    if charges:
        table.caption = (
            f"$/kWh includes {', '.join(charges)}: stopping for the whole of such a window in the billing period "
            "takes the miners' kW off that charge's peak, worth its $/kW over the window's hours."
        )
        table.caption_justify = "left"
    return table


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
        f"{who}, {status.month}: forecast ${_money(status.forecast_usd)} vs budget ${_money(status.monthly_usd)} "
        f"({verdict}; month to date ${_money(status.month_to_date_usd)})"
    )


def budget_table(statuses: Sequence[BudgetStatus]) -> Table:
    """Budgets, month to date and forecasts."""
    table = Table(title="Budgets", title_justify="left")
    for column in ("location", "month", "budget", "month to date", "forecast", "status"):
        table.add_column(column, justify="right" if column in ("budget", "month to date", "forecast") else "left")
    for status in statuses:
        table.add_row(
            status.location or "(all)",
            status.month,
            _money(status.monthly_usd),
            _money(status.month_to_date_usd),
            _money(status.forecast_usd),
            "OVER" if status.over else "ok",
        )
    return table


def export_json(costs: Sequence[CostRecord], bills: Sequence[tuple[Tariff, CostRecord]], zone: ZoneInfo) -> str:
    """Cost rows and bills as one JSON document."""
    import json

    data = {
        "costs": [record_json(r, zone, exact=True) for r in costs],
        "bills": [record_json(r, ZoneInfo(t.timezone), exact=True) for t, r in bills],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


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
        writer.writerow([kind, *(_cell(data[k]) for k in keys)])
    return out.getvalue()


def rows_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The `--csv` of every tabular command: the same JSON-ready rows its `--json` prints, one CSV
    row each under a header of their keys (in first-seen order); nested fields as JSON text and
    formula-like text quoted by `_cell`, as `export --format csv` does."""
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
        writer.writerow([_cell(row.get(key)) for key in keys])
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as written: text that would start a formula (=, +, -, @,
    tab, CR) gets a leading apostrophe (OWASP's advice against CSV injection); numbers stay."""
    import json

    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def facts_table(facts: dict[str, Any]) -> Table:
    """`elecost info` as a two-column table."""
    table = Table(title="elecost database", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    active = ", ".join(f"{place}: {name}" for place, name in sorted(facts["active_rates"].items()))
    rows = [
        ("database", facts["database"]),
        ("size", f"{facts['size_bytes'] / 1_048_576:,.1f} MiB"),
        ("rates", f"{facts['rates']} ({active or 'none active'})"),
        ("miners", f"{facts['miners']:,}"),
        (
            "readings",
            f"{facts['readings']:,}"
            + (f", {facts['first_reading']} to {facts['last_reading']}" if facts["readings"] else ""),
        ),
        ("cost rows", f"{facts['cost_rows']:,}"),
        ("last record", facts["last_record"] or "never"),
        ("new readings", "waiting for `elecost record`" if facts["waiting_for_record"] else "none"),
        ("schema", facts["schema"] or ""),
    ]
    for what, value in rows:
        table.add_row(what, value)
    return table
