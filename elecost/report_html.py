"""An Overview -> one self-contained HTML page: cards, charts drawn as inline SVG, sortable tables.

No queries here (`elecost.overview` gathers the data) and no network when the page is viewed:
styles and the one small script are inline, fonts are the system's, charts are SVG drawn in
Python. Inline SVG beat a JavaScript charting library on both counts that matter for a file an
operator opens from a mail or a share: a chart library inlined costs ~200 kB before any data,
and the browser must run it before anything shows; SVG costs a few bytes a bar and paints as
the page parses. Every name (tariffs, periods, miners, locations) is escaped: any of them may
hold markup. Money is rounded to cents here, when drawn, as in `elecost.report_data`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext
from html import escape
from typing import TYPE_CHECKING, ClassVar, NamedTuple
from zoneinfo import ZoneInfo

from elecost.instants import local_minute, span_text
from elecost.report_data import cents
from elecost.tariffs.records import DECIMAL_CONTEXT, KIND_ORDER, CostRecord

if TYPE_CHECKING:
    # Named in annotations only: `elecost summary` draws its chart with this module's segments
    # and should not load the overview's budgets, mining and bills (issue 15).
    from elecost.overview import MinerRow, Overview, Series
    from elecost.tariffs.model import Tariff

ZERO = Decimal(0)


class Segment(NamedTuple):
    """One charge's part of a cost: `charge` is energy, demand or fixed; `label` is what the legend says."""

    charge: str
    label: str
    usd: Decimal


def charge_segments(record: CostRecord) -> list[Segment]:
    """A cost record as the charges it is made of (its line items), summing exactly to its total.

    Energy by TOU period or tier, riders, each demand charge, fixed charges and the minimum bill,
    each line's label merged across lines. A record without lines (a total read back from sums)
    falls back to its energy, demand and service amounts.
    """
    if not record.lines:
        return [
            Segment("energy", "Energy", record.energy_cost_usd),
            Segment("demand", "Demand", record.demand_charge_usd),
            Segment("fixed", "Fixed", record.service_charge_usd),
        ]
    merged: dict[tuple[str, str], Decimal] = {}
    for line in sorted(record.lines, key=lambda line: KIND_ORDER.index(line.charge)):
        kind = (
            "energy"
            if line.charge in ("energy", "rider")
            else "demand"
            if line.charge in ("demand", "coincident_peak")
            else "fixed"
        )
        key = (kind, line.label)
        with localcontext(DECIMAL_CONTEXT):
            merged[key] = merged.get(key, ZERO) + line.usd
    return [Segment(kind, label, usd) for (kind, label), usd in merged.items()]


# --- the page --------------------------------------------------------------------------------


def render_report(overview: Overview) -> str:
    """The whole page as text."""
    zone = ZoneInfo(overview.timezone)
    palette = _Palette()
    for _, record in [*overview.days, *((None, r) for _, r in overview.bills)]:
        for segment in charge_segments(record):
            palette.css_class(segment)
    where = overview.location or ", ".join(sorted({t.location for t, _ in overview.bills})) or overview.total.location
    title = f"Electricity cost: {where}"
    body = [
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="muted">{_e(span_text(overview.start_s, overview.end_s, zone))} ({_e(overview.timezone)}); '
        f"rate {_e(overview.total.rate_name)}; made {_e(local_minute(overview.made_s, zone))}</p></header>",
        _cards(overview, zone),
        _daily_section(overview, palette),
        _bills_section(overview.bills, palette),
        _miners_section(overview),
        *(_series_section(series, zone) for series in overview.series),
        '<footer class="muted">Made by elecost. Money is rounded to cents when shown; a total is the rounded sum '
        "of unrounded parts, so it can differ by a cent from the sum of the shown parts.</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{_e(title)}</title><style>{_STYLE}{palette.style()}</style></head>\n<body><main>\n"
        + "\n".join(body)
        + f"\n</main><script>{_SCRIPT}</script></body></html>\n"
    )


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _usd(amount: Decimal) -> str:
    value = cents(amount)
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def _num(value: Decimal, places: int) -> str:
    return f"{value:,.{places}f}"


# --- cards -----------------------------------------------------------------------------------


def _card(label: str, value: str, detail: str = "", key: str = "", tone: str = "") -> str:
    attribute = f' data-key="{_e(key)}"' if key else ""
    tone_class = f" {tone}" if tone else ""
    return (
        f'<div class="card{tone_class}"><div class="label">{_e(label)}</div>'
        f'<div class="value"{attribute}>{_e(value)}</div><div class="detail">{detail}</div></div>'
    )


def _cards(overview: Overview, zone: ZoneInfo) -> str:
    total = overview.total
    span = span_text(overview.start_s, overview.end_s, zone)
    cards = [_card("Cost", _usd(total.total_cost_usd), _e(span), key="total_cost_usd")]
    for period in overview.periods_to_date:
        cards.append(
            _card(
                "This billing period so far" + (f": {period.location}" if len(overview.periods_to_date) > 1 else ""),
                _usd(period.cost_usd),
                f"forecast <b>{_e(_usd(period.forecast_usd))}</b> by {_e(local_minute(period.period_end_s, zone)[:10])}"
                f" (period from {_e(local_minute(period.period_start_s, zone)[:10])})",
                key="period_to_date_usd",
            )
        )
    for price in overview.prices_now:
        value = f"${price.price_usd_per_kwh:f}/kWh" if price.price_usd_per_kwh is not None else "by block"
        until = ""
        if price.next_change_s is not None:
            until = f" until {_e(local_minute(price.next_change_s, ZoneInfo(price.timezone)))}"
        if price.price_usd_per_kwh is None:
            until = " (the block depends on the billing period's use so far)"
        cards.append(
            _card(
                "Price now" + (f": {price.location}" if len(overview.prices_now) > 1 else ""),
                value,
                f"{_e(price.period)}{until}; {_e(price.rate_name)}",
            )
        )
    cards.append(
        _card(
            "Run rate",
            f"{_usd(overview.daily_run_rate_usd)}/day",
            f"{_e(_usd(overview.daily_run_rate_usd * 30))} a month (30 days), at the last 7 days' rate",
        )
    )
    cards.append(
        _card(
            "Average price",
            f"${_num(total.avg_rate_usd_per_kwh, 4)}/kWh",
            "energy charges / kWh",
            key="avg_rate_usd_per_kwh",
        )
    )
    kwh_places = 1 if total.energy_kwh < 10_000 else 0
    cards.append(_card("Energy", f"{_num(total.energy_kwh, kwh_places)} kWh", "", key="total_kwh"))
    cards.append(_card("Peak demand", f"{_num(total.peak_power_kw, 2)} kW", "highest window average", "peak_power_kw"))
    for status in overview.budgets:
        cards.append(
            _card(
                f"Budget {status.month}" + (f": {status.location}" if status.location else ""),
                "over budget" if status.over else "within budget",
                f"forecast {_e(_usd(status.forecast_usd))} of {_e(_usd(status.monthly_usd))}; "
                f"{_e(_usd(status.month_to_date_usd))} so far",
                tone="bad" if status.over else "good",
            )
        )
    return '<section class="cards">' + "".join(cards) + "</section>"


# --- charts ----------------------------------------------------------------------------------


class _Palette:
    """A CSS class per charge label, the same in every chart of the page."""

    _ENERGY = ("#2f6fdf", "#86b3ff", "#1a4496", "#4fb3c8", "#a8d8e6", "#5a5fd6")
    _OTHER: ClassVar[dict[str, str]] = {"demand": "#e8862a", "fixed": "#9a9aa6"}

    def __init__(self) -> None:
        self.classes: dict[tuple[str, str], str] = {}
        self.colors: dict[str, str] = {}

    def css_class(self, segment: Segment) -> str:
        key = (segment.charge, segment.label)
        if key not in self.classes:
            name = f"s{len(self.classes)}"
            if segment.charge in self._OTHER:
                color = self._OTHER[segment.charge]
            else:
                used = sum(1 for charge, _ in self.classes if charge not in self._OTHER)
                color = self._ENERGY[used % len(self._ENERGY)]
            self.classes[key] = name
            self.colors[name] = color
        return self.classes[key]

    def style(self) -> str:
        return "".join(f".{name}{{fill:{color};background:{color}}}" for name, color in self.colors.items())

    def legend(self, segments: Iterable[Segment]) -> str:
        """Energy parts first (in order of appearance), then demand, then fixed charges."""
        rank = {"demand": 1, "fixed": 2}
        shown = []
        for segment in sorted(segments, key=lambda s: rank.get(s.charge, 0)):
            name = self.css_class(segment)
            item = f'<span><i class="{name}"></i>{_e(segment.label)}</span>'
            if item not in shown:
                shown.append(item)
        return '<div class="legend">' + "".join(shown) + "</div>"


def _nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 x 10^k) that cuts `span` into about `ticks` parts."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))


def _stacked_bars(
    bars: Sequence[tuple[str, str, list[Segment]]], palette: _Palette, css_id: str, height: int = 300
) -> str:
    """Vertical stacked bars: one per (axis label, full label, segments); positive parts stack up
    from zero, credits down. Each bar is a <g class="bar"> holding one <rect> per non-zero part."""
    width, left, right, top, bottom = 960, 64, 8, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    highs = [sum((s.usd for s in segs if s.usd > 0), ZERO) for _, _, segs in bars]
    lows = [sum((s.usd for s in segs if s.usd < 0), ZERO) for _, _, segs in bars]
    high, low = float(max(highs, default=ZERO)), float(min(lows, default=ZERO))
    step = _nice_step(high - low)
    high = math.ceil(high / step) * step if high > 0 else 0.0
    low = math.floor(low / step) * step if low < 0 else 0.0
    if high == low:
        high = step
    scale = plot_h / (high - low)

    def y(value: float) -> float:
        return top + (high - value) * scale

    out = [f'<svg id="{css_id}" class="chart" viewBox="0 0 {width} {height}" role="img">']
    tick = low
    while tick <= high + step / 2:
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"${tick:,.{_places(step)}f}</text>"
        )
        tick += step
    band = plot_w / max(len(bars), 1)
    bar_w = min(max(band * 0.72, 1.0), 56.0)
    every = max(1, math.ceil(28 / band))
    for index, (axis_label, label, segments) in enumerate(bars):
        x = left + index * band + (band - bar_w) / 2
        total = sum((s.usd for s in segments), ZERO)
        out.append(f'<g class="bar" data-label="{_e(label)}" data-total="{cents(total)}">')
        up, down = 0.0, 0.0
        for segment in segments:
            value = float(segment.usd)
            if cents(segment.usd) == 0:
                continue
            if value > 0:
                y0, y1 = y(up + value), y(up)
                up += value
            else:
                y0, y1 = y(down), y(down + value)
                down += value
            out.append(
                f'<rect class="{palette.css_class(segment)}" x="{x:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" '
                f'height="{max(y1 - y0, 0.5):.1f}"><title>{_e(label)}: {_e(segment.label)} '
                f"{_e(_usd(segment.usd))} of {_e(_usd(total))}</title></rect>"
            )
        out.append("</g>")
        if index % every == 0:
            out.append(
                f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{height - 8}" text-anchor="middle">'
                f"{_e(axis_label)}</text>"
            )
    out.append("</svg>")
    return "".join(out)


def _places(step: float) -> int:
    return 0 if step >= 1 and step == int(step) else 2


def _daily_section(overview: Overview, palette: _Palette) -> str:
    bars = []
    all_segments: list[Segment] = []
    previous_month = ""
    for label, record in overview.days:
        segments = charge_segments(record)
        all_segments.extend(segments)
        month = label[:7]
        axis = label[8:10].lstrip("0") if month == previous_month else _month_day(label)
        previous_month = month
        bars.append((axis, label, segments))
    nonzero = [s for s in all_segments if cents(s.usd) != 0]
    rows = "".join(
        f"<tr><td>{_e(label)}</td><td data-v='{record.energy_kwh:.3f}'>{_num(record.energy_kwh, 1)}</td>"
        + "".join(f"<td>{_e(_usd(s.usd))}</td>" for s in _columns(record, overview))
        + f"<td data-key='total_cost_usd'>{_e(_usd(record.total_cost_usd))}</td></tr>"
        for label, record in overview.days
    )
    header = "".join(f"<th>{_e(s.label)}</th>" for s in _columns(overview.total, overview))
    return (
        '<section><h2>Daily cost</h2><p class="muted">By charge: energy by TOU period or block, demand, fixed. '
        "Hover a bar for its parts.</p>"
        + palette.legend(nonzero)
        + _stacked_bars(bars, palette, "daily-chart")
        + f'<details><summary>The days as a table</summary><table id="daily-table"><thead><tr><th>day</th><th>kWh</th>'
        f"{header}<th>total</th></tr></thead><tbody>{rows}</tbody></table></details></section>"
    )


def _columns(record: CostRecord, overview: Overview) -> list[Segment]:
    """The record's segments in the order of the span's total, so table columns line up."""
    mine = {(s.charge, s.label): s.usd for s in charge_segments(record)}
    order = [(s.charge, s.label) for s in charge_segments(overview.total)]
    order += [key for key in mine if key not in order]
    return [Segment(charge, label, mine.get((charge, label), ZERO)) for charge, label in order]


def _month_day(label: str) -> str:
    from datetime import date

    day = date.fromisoformat(label)
    return f"{day:%b} {day.day}"


def _bills_section(rows: Sequence[tuple[Tariff, CostRecord]], palette: _Palette) -> str:
    if not rows:
        return (
            '<section><h2>Bills</h2><p class="muted">No bill: no location has both an active rate and readings.</p>'
            "</section>"
        )
    biggest = max((sum((s.usd for s in charge_segments(r) if s.usd > 0), ZERO) for _, r in rows), default=ZERO)
    several = len({t.location for t, _ in rows}) > 1
    items = []
    for index, (tariff, record) in enumerate(rows):
        zone = ZoneInfo(tariff.timezone)
        label = span_text(record.period_start_s, record.period_end_s, zone) + (" *" if record.partial else "")
        if several:
            label = f"{tariff.location}: {label}"
        segments = [s for s in charge_segments(record) if cents(s.usd) != 0]
        parts = "".join(
            f'<i class="{palette.css_class(s)}" style="width:{_share(s.usd, biggest)}%" '
            f'title="{_e(s.label)} {_e(_usd(s.usd))}"></i>'
            for s in segments
            if s.usd > 0
        )
        lines = "".join(
            f"<tr><td>{_e(s.label)}</td><td>{_e(_usd(s.usd))}</td></tr>" for s in charge_segments(record) if s.usd
        )
        items.append(
            f'<div class="bill" data-bill="{index}"><div class="bill-head"><span>{_e(label)}</span>'
            f'<span class="muted">{_num(record.energy_kwh, 1)} kWh, peak {_num(record.peak_power_kw, 2)} kW</span>'
            f'<b data-key="total_cost_usd">{_e(_usd(record.total_cost_usd))}</b></div>'
            f'<div class="hbar">{parts}</div><table class="lines">{lines}</table></div>'
        )
    note = ""
    if any(record.partial for _, record in rows):
        note = '<p class="muted">* part of a billing period: demand and fixed charges prorated by time.</p>'
    return '<section><h2>Bills</h2><div class="bills">' + "".join(items) + "</div>" + note + "</section>"


def _share(usd: Decimal, biggest: Decimal) -> str:
    return f"{float(usd / biggest * 100):.2f}" if biggest > 0 else "0"


def _miners_section(overview: Overview) -> str:
    rows = overview.miners
    if not rows:
        return ""
    economics = any(r.margin_usd_per_day is not None for r in rows)
    several = len({r.location for r in rows}) > 1
    columns = ["miner", *(["location"] if several else []), "kWh", "cost", "all-in $/kWh", "cost/day"]
    if economics:
        columns += ["revenue/day", "margin/day", "break-even $/kWh"]
    header = "".join(f'<th tabindex="0">{_e(c)}</th>' for c in columns)
    body = "".join(_miner_row(row, several, economics) for row in rows)
    if economics and overview.network is not None:
        price = overview.network.hashprice_usd_per_th_day
        intro = (
            f"Least profitable first, at a hashprice of ${price:f} per TH/s per day (pool fee "
            f"{overview.network.pool_fee_pct:f}%). Click a column to sort."
        )
    else:
        intro = (
            "Costliest first. Give --hashprice-usd-per-th-day (and miners' hashrates) for margins. "
            "Click a column to sort."
        )
    return (
        f'<section><h2>Miners</h2><p class="muted">{_e(intro)}</p><div class="scroll">'
        f'<table id="miners" class="sortable"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'
        "</div></section>"
    )


def _miner_row(row: MinerRow, several: bool, economics: bool) -> str:
    def cell(value: Decimal | None, text: str, tone: bool = False) -> str:
        if value is None:
            return "<td>-</td>"
        css = ' class="neg"' if tone and value < 0 else ""
        return f'<td data-v="{value:.6f}"{css}>{_e(text)}</td>'

    cells = [f"<td>{_e(row.miner)}</td>"]
    if several:
        cells.append(f"<td>{_e(row.location)}</td>")
    cells += [
        cell(row.energy_kwh, _num(row.energy_kwh, 1)),
        cell(row.cost_usd, _usd(row.cost_usd)),
        cell(row.avg_rate_usd_per_kwh, _num(row.avg_rate_usd_per_kwh, 4)),
        cell(row.cost_usd_per_day, _usd(row.cost_usd_per_day)),
    ]
    if economics:
        margin = row.margin_usd_per_day
        revenue, even = row.revenue_usd_per_day, row.break_even_usd_per_kwh
        cells += [
            cell(revenue, _usd(revenue) if revenue is not None else ""),
            cell(margin, _usd(margin) if margin is not None else "", tone=True),
            cell(even, _num(even, 4) if even is not None else ""),
        ]
    return "<tr>" + "".join(cells) + "</tr>"


def _series_section(series: Series, zone: ZoneInfo) -> str:
    """A step chart of a series (each value holds until the next point), marks flagged."""
    if not series.points:
        return ""
    width, height, left, right, top, bottom = 960, 220, 64, 8, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    points = sorted(series.points)
    spacing = points[-1][0] - points[-2][0] if len(points) > 1 else 3600
    first, last = points[0][0], points[-1][0] + spacing
    values = [float(v) for _, v in points]
    low, high = min(0.0, *values), max(0.0, *values)
    step = _nice_step(high - low)
    high = math.ceil(high / step) * step if high > 0 else 0.0
    low = math.floor(low / step) * step if low < 0 else 0.0
    if high == low:
        high = step

    def x(instant: int) -> float:
        return left + (instant - first) / (last - first) * plot_w

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * plot_h

    out = [f'<svg class="chart series" viewBox="0 0 {width} {height}" role="img">']
    tick = low
    while tick <= high + step / 2:
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{tick:,.{_places(step)}f}</text>"
        )
        tick += step
    for begin, end, label in series.shaded:
        out.append(
            f'<rect class="shade" x="{x(begin):.1f}" y="{top}" width="{max(x(end) - x(begin), 1):.1f}" '
            f'height="{plot_h}"><title>{_e(label)} ({_e(local_minute(begin, zone))})</title></rect>'
        )
    path = []
    for index, (start, value) in enumerate(points):
        end = points[index + 1][0] if index + 1 < len(points) else last
        path.append(f"{'M' if index == 0 else 'L'}{x(start):.1f},{y(float(value)):.1f}H{x(end):.1f}")
    out.append(f'<path class="line" d="{"".join(path)}"/>')
    for at, label in series.marks:
        out.append(
            f'<line class="mark" x1="{x(at):.1f}" x2="{x(at):.1f}" y1="{top}" y2="{top + plot_h}">'
            f"<title>{_e(label)} ({_e(local_minute(at, zone))})</title></line>"
        )
    first_label, last_label = _e(local_minute(first, zone)), _e(local_minute(last, zone))
    out.append(
        f'<text class="axis" x="{left}" y="{height - 8}">{first_label}</text>'
        f'<text class="axis" x="{width - right}" y="{height - 8}" text-anchor="end">{last_label}</text>'
    )
    out.append("</svg>")
    return (
        f'<section class="series-section"><h2>{_e(series.title)}</h2><p class="muted">{_e(series.unit)}</p>'
        f"{''.join(out)}</section>"
    )


_STYLE = """
:root{--bg:#f6f6f3;--fg:#1c1c1f;--muted:#6a6a72;--card:#fff;--line:#e2e2dd;--neg:#c0392b;--pos:#1e8449;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#131316;--fg:#e9e9ec;--muted:#9a9aa3;--card:#1d1d22;--line:#313138;
--neg:#ff7b6b;--pos:#5fd08a}}
body{margin:0;background:var(--bg);color:var(--fg);font-size:15px;line-height:1.4}
main{max-width:1040px;margin:0 auto;padding:24px 20px 40px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px}
.muted,footer{color:var(--muted);font-size:13px;margin:0 0 8px}footer{margin-top:32px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px;margin-top:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:24px;font-weight:650;margin:2px 0;font-variant-numeric:tabular-nums}
.card .detail{color:var(--muted);font-size:12.5px}.card.bad .value{color:var(--neg)}.card.good .value{color:var(--pos)}
.chart{width:100%;height:auto;display:block;background:var(--card);border:1px solid var(--line);border-radius:10px}
.grid{stroke:var(--line);stroke-width:1}.axis{fill:var(--muted);font-size:12px}
.bar rect:hover{opacity:.8}.line{fill:none;stroke:#2f6fdf;stroke-width:2}.mark{stroke:#e8862a;stroke-width:2}
.shade{fill:var(--muted);opacity:.2}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:6px 0 10px;font-size:13px}
.legend i,.hbar i{display:inline-block}
.legend i{width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-1px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:13.5px}
th,td{padding:4px 10px;text-align:right;border-bottom:1px solid var(--line);white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{color:var(--muted);font-weight:600}
.sortable th{cursor:pointer;user-select:none}.sortable th[aria-sort=ascending]::after{content:" \\25B2"}
.sortable th[aria-sort=descending]::after{content:" \\25BC"}
.scroll{max-height:560px;overflow:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}
.scroll table{width:100%}.scroll thead th{position:sticky;top:0;background:var(--card)}
td.neg{color:var(--neg)}details{margin-top:8px}summary{cursor:pointer;color:var(--muted);font-size:13px}
.bills{display:grid;gap:10px}
.bill{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 14px}
.bill-head{display:flex;gap:14px;align-items:baseline}.bill-head b{margin-left:auto;font-size:18px}
.hbar{display:flex;height:14px;margin:8px 0;border-radius:4px;overflow:hidden;background:var(--line)}
.hbar i{height:100%}.lines td{border:0;padding:1px 12px 1px 0}
"""

_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, column) {
    function sort() {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column], y = b.cells[column];
        var u = x.dataset.v, w = y.dataset.v, order;
        if (u === undefined && w === undefined) order = x.textContent.localeCompare(y.textContent);
        else if (u === undefined) return 1;
        else if (w === undefined) return -1;
        else order = parseFloat(u) - parseFloat(w);
        return ascending ? order : -order;
      });
      var fragment = document.createDocumentFragment();
      rows.forEach(function (row) { fragment.appendChild(row); });
      body.appendChild(fragment);
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (event) { if (event.key === "Enter") sort(); });
  });
});
"""
