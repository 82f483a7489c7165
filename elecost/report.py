"""Cost records and the answers built on them -> Rich tables. Amounts are rounded as
`elecost.report_data` rounds them for JSON: half-up to cents when shown; a shown total is the
rounded sum of the unrounded parts (contract section 4), so it can differ by a cent from the sum
of the shown parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.segment import Segment
from rich.table import Table

from elecost.instants import iso, span_text
from elecost.report_data import money_text, number
from elecost.tariffs.records import combine

if TYPE_CHECKING:
    # Named in annotations only: importing them would make `rate list` load the store's
    # budgets, mining and summaries just to print a table of rates (issue 15).
    from rich.console import RenderableType

    from elecost.budget import BudgetStatus
    from elecost.mining import Curtailment, Network, ProfitRow
    from elecost.store import Miner
    from elecost.summary import Summary
    from elecost.tariffs.charges import Line
    from elecost.tariffs.model import Tariff
    from elecost.tariffs.records import CostRecord


def breakdown_table(record: CostRecord, zone: ZoneInfo, title: str) -> Table:
    """One cost record as a two-column table: energy by period, charges, total."""
    span = f"{span_text(record.period_start_s, record.period_end_s, zone)} ({number(record.duration_hours):g} h)"
    table = Table(title=f"{title}\n{span}", title_justify="left", min_width=64)
    table.add_column("item")
    table.add_column("kWh / kW", justify="right")
    table.add_column("USD", justify="right")
    for line in record.lines:
        table.add_row(f"{line.charge.replace('_', ' ')}: {line.label}", _quantity(line), money_text(line.usd))
    table.add_row("energy", f"{number(record.energy_kwh):,.3f} kWh", money_text(record.energy_cost_usd))
    table.add_row("average rate", f"{number(record.avg_rate_usd_per_kwh):.6f} $/kWh", "")
    table.add_row("demand charge", f"peak {number(record.peak_power_kw):,.3f} kW", money_text(record.demand_charge_usd))
    table.add_row("service charge", "", money_text(record.service_charge_usd))
    table.add_section()
    table.add_row("total", "", money_text(record.total_cost_usd), style="bold")
    if record.partial:
        table.caption = "part of a billing period: demand and service charges prorated by time"
        table.caption_justify = "left"
    return table


def _quantity(line: Line) -> str:
    """A line's quantity with its unit: kWh and kW to the Wh, days and months to 1/1000."""
    if line.unit in ("kWh", "kW"):
        return f"{number(line.quantity):,.3f} {line.unit}"
    return f"{number(line.quantity):,.3f} {line.unit}{'s' if line.quantity != 1 else ''}"


def records_table(
    records: Sequence[CostRecord],
    zone: ZoneInfo,
    title: str,
    label: str = "period",
    labels: Sequence[str] | None = None,
) -> RenderableType:
    """Cost records as rows (one per period, day, miner or location) with a totals row.

    The first column (what each row is) and the total are never squeezed out: where the terminal
    is too narrow for every column, peak kW and $/kWh are left out, then service, demand and
    energy (their money is in the total), then kWh, as far as need be, and the caption says so;
    narrower still, the labels give way. A 10,000-miner fleet's totals are that wide at 80 columns:
    Rich cropped the total column off instead, and laid out every row to do so (4.6 s).
    """
    return _FittedRecords(records, zone, title, label, labels)


class _FittedRecords:
    """A records table built at render time, when the width is known. It keeps within the width
    (`_cropped`, `_fits`), so `show` need not crop it."""

    within_width = True

    OPTIONAL = ("peak kW", "$/kWh", "service", "demand", "energy", "kWh")  # left out in this order, as need be

    def __init__(
        self, records: Sequence[CostRecord], zone: ZoneInfo, title: str, label: str, labels: Sequence[str] | None
    ) -> None:
        self.title, self.label = title, label
        self.rows = [
            [
                labels[index] if labels is not None else _row_label(record, zone, label),
                f"{number(record.energy_kwh):,.3f}",
                f"{number(record.peak_power_kw):,.3f}",
                f"{number(record.avg_rate_usd_per_kwh):.4f}",
                money_text(record.energy_cost_usd),
                money_text(record.demand_charge_usd),
                money_text(record.service_charge_usd),
                money_text(record.total_cost_usd),
            ]
            for index, record in enumerate(records)
        ]
        self.total: list[str] | None = None
        if len(records) > 1:
            total = combine(records)  # at the engine's precision: these sums never round
            self.total = [
                "total",
                f"{number(total.energy_kwh):,.3f}",
                "",
                "",
                money_text(total.energy_cost_usd),
                money_text(total.demand_charge_usd),
                money_text(total.service_charge_usd),
                money_text(total.total_cost_usd),
            ]
        self.partial = any(record.partial for record in records) and label == "period"

    def __rich_console__(self, console: Any, options: Any) -> Any:
        columns = [self.label, "kWh", "peak kW", "$/kWh", "energy", "demand", "service", "total"]
        cells = [*self.rows, *([self.total] if self.total else [])]
        widths = [max([len(columns[i]), *(len(row[i]) for row in cells)]) for i in range(len(columns))]
        keep = list(range(len(columns)))

        def room() -> int:  # what the kept columns leave the labels
            return int(options.max_width) - sum(widths[i] for i in keep[1:]) - 3 * len(keep) - 1

        label_width = min(widths[0], 16)
        left_out: list[str] = []
        for name in self.OPTIONAL:
            if room() >= label_width:
                break
            keep.remove(columns.index(name))
            left_out.append(name)
        label_width = max(min(label_width, room()), 1)  # narrower still: the labels give way, not the total
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
        if left_out:
            names = ", ".join(left_out[:-1]) + " and " + left_out[-1] if len(left_out) > 1 else left_out[0]
            captions.append(f"{names} left out to fit the terminal; --json has them")
        if captions:
            table.caption = "\n".join(captions)
            table.caption_justify = "left"
        if self.total is not None:
            table.add_section()
            table.add_row(*(self.total[i] for i in keep), style="bold")
        if not fast:
            yield from _cropped(console, options, table)
            return
        rest = [[row[i] for i in keep] for row in self.rows[1:]]
        yield from _filled_in(console, options, table, rest, [widths[i] for i in keep], ["<", *">" * (len(keep) - 1)])


FAST_ROWS = 40  # a table longer than this is laid out by Rich from its first row (see _filled_in)


def _cropped(console: Any, options: Any, table: Table) -> Any:
    """`table` as Rich lays it out, each line cut to the width as `Console.print` cuts what it prints:
    a table whose columns cannot all fit (the total is never left out) stays within the width too."""
    for line in console.render_lines(table, options, pad=False, new_lines=True):
        yield from line


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
    return span_text(record.period_start_s, record.period_end_s, zone) + (" *" if record.partial else "")


# --- summaries and bills ---------------------------------------------------------------------


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
            tou.add_row(name, f"{number(total.tou_energy_kwh.get(name, Decimal(0))):,.3f}", money_text(amount))
        parts.append(tou)
    parts.append(
        f"Run rate (last 7 days of records): ${money_text(summary.daily_cost_usd)} a day, "
        f"${money_text(summary.monthly_cost_usd)} a month (30 days)"
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
                    label, f"{line.charge.replace('_', ' ')}: {line.label}", _quantity(line), money_text(line.usd)
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


def profit_table(rows: Sequence[ProfitRow], network: Network) -> RenderableType:
    """Profit per miner, then per location (bold)."""
    hashprice = network.hashprice_usd_per_th_day * 1000
    title = f"Profit per day at ${hashprice:,.2f} per PH/s per day (pool fee {network.pool_fee_pct}%)"
    cells = [
        [
            row.miner_ip or f"all at {row.location}",
            f"{number(row.hashrate_th):,.1f}",
            f"{number(row.efficiency_j_per_th):.2f}",
            money_text(row.revenue_usd_per_day),
            money_text(row.cost_usd_per_day),
            money_text(row.margin_usd_per_day),
            f"{number(row.break_even_usd_per_kwh(network)):.4f}",
            row.cost_source.replace("recorded", "rows").replace("nameplate", "plate"),
        ]
        for row in rows
    ]
    return _ProfitTable(title, cells, [row.miner_ip is None for row in rows])


class _ProfitTable:
    """The profit table, laid out when the width is known: a fleet's from its first row (`_filled_in`).
    It keeps within the width (`_cropped`, `_fits`), so `show` need not crop it."""

    within_width = True

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
            yield from _cropped(console, options, table)
            return
        yield from _filled_in(console, options, table, plain[1:], widths, list(self.ALIGN))


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
            span_text(item.start_s, item.end_s, zone),
            f"{item.location}: {shown}" if several else shown,
            f"{number(item.price_usd_per_kwh):.4f}",
            f"{number(item.energy_saved_kwh):,.3f}",
            money_text(item.cost_saved_usd),
            money_text(item.revenue_forgone_usd),
        )
    charges = sorted({name for item in plan for name in item.demand_charges})
    if charges:
        table.caption = (
            f"$/kWh includes {', '.join(charges)}: stopping for the whole of such a window in the billing period "
            "takes the miners' kW off that charge's peak, worth its $/kW over the window's hours."
        )
        table.caption_justify = "left"
    return table


def budget_table(statuses: Sequence[BudgetStatus]) -> Table:
    """Budgets, month to date and forecasts."""
    table = Table(title="Budgets", title_justify="left")
    for column in ("location", "month", "budget", "month to date", "forecast", "status"):
        table.add_column(column, justify="right" if column in ("budget", "month to date", "forecast") else "left")
    for status in statuses:
        table.add_row(
            status.location or "(all)",
            status.month,
            money_text(status.monthly_usd),
            money_text(status.month_to_date_usd),
            money_text(status.forecast_usd),
            "OVER" if status.over else "ok",
        )
    return table


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
        (
            "overhead",
            f"allocated to the miners at {', '.join(facts['overhead_allocated'])}"
            if facts["overhead_allocated"]
            else "not allocated (`record --allocate-overhead`)",
        ),
        ("schema", facts["schema"] or ""),
    ]
    for what, value in rows:
        table.add_row(what, value)
    return table
