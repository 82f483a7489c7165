"""Cost records -> bar charts for the terminal (Rich), stacked by charge, fitting 80 columns."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.console import Group
from rich.text import Text

from elecost.instants import iso
from elecost.report_data import cents
from elecost.report_html import Segment, charge_segments

if TYPE_CHECKING:
    from elecost.summary import Summary
    from elecost.tariffs.records import CostRecord

WIDTH = 80
_ENERGY_STYLES = ("blue", "cyan", "bright_blue", "bright_cyan", "magenta", "bright_magenta")
_STYLES = {"demand": "dark_orange", "fixed": "grey50"}


def cost_bars(labels: Sequence[str], records: Sequence[CostRecord], title: str, width: int = WIDTH) -> Group:
    """One bar per record (a day, a miner...), its length the record's cost, its parts the charges.

    Bars share one scale (the largest cost fills the space left by the labels and amounts);
    credits (negative parts) are left out of the bar but not of the amount printed beside it.
    """
    label_w = min(max((len(label) for label in labels), default=0), 20)
    amounts = [f"{cents(r.total_cost_usd):,.2f}" for r in records]
    amount_w = max((len(a) for a in amounts), default=0)
    bar_w = max(width - label_w - amount_w - 2, 10)
    stacks = [[s for s in charge_segments(r) if s.usd > 0] for r in records]
    biggest = max((sum((s.usd for s in stack), Decimal(0)) for stack in stacks), default=Decimal(0))
    styles: dict[tuple[str, str], str] = {}
    lines: list[Text] = [Text(title, style="bold")]
    for label, amount, stack in zip(labels, amounts, stacks, strict=True):
        line = Text(_fit(label, label_w).ljust(label_w) + " ")
        drawn, running = 0, Decimal(0)
        for segment in stack:
            running += segment.usd
            end = round(running / biggest * bar_w) if biggest else 0
            line.append("█" * (end - drawn), style=_style(styles, segment))
            drawn = end
        line.append(" " * (bar_w - drawn) + " " + amount.rjust(amount_w))
        lines.append(line)
    legend = Text("USD" + ("; " if styles else ""), style="dim")
    rank = {"demand": 1, "fixed": 2}  # energy parts first, as stacked
    for index, ((_charge, name), style) in enumerate(sorted(styles.items(), key=lambda i: rank.get(i[0][0], 0))):
        legend.append(("  " if index else "") + "█ ", style=style)
        legend.append(name)
    lines.append(legend)
    return Group(*lines)


def summary_chart(summary: Summary, zone: ZoneInfo, by: str, days: int) -> Group:
    """`summary --chart`: the groups as bars, then the total and the run rate."""
    total = summary.total
    dates = f"{iso(total.period_start_s, zone)[:10]} to {iso(total.period_end_s, zone)[:10]}"
    bars = cost_bars(summary.group_labels, summary.groups, f"Cost by {by}, last {days} days of records ({dates})")
    closing = Text(
        f"total ${cents(total.total_cost_usd):,.2f}; run rate (last 7 days of records) "
        f"${cents(summary.daily_cost_usd):,.2f} a day"
    )
    return Group(bars, closing)


def _fit(label: str, width: int) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _style(styles: dict[tuple[str, str], str], segment: Segment) -> str:
    key = (segment.charge, segment.label)
    if key not in styles:
        if segment.charge in _STYLES:
            styles[key] = _STYLES[segment.charge]
        else:
            used = sum(1 for charge, _ in styles if charge not in _STYLES)
            styles[key] = _ENERGY_STYLES[used % len(_ENERGY_STYLES)]
    return styles[key]
