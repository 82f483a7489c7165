"""A long records table (a fleet's `summary --by miner`) is laid out by Rich from its first row and the
rest filled in: the output is the one Rich gives when it lays out every row, in a pipe and in a
colour terminal, at any width (too narrow a terminal: Rich lays out every row, as before)."""

from __future__ import annotations

import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

import elecost.report
from elecost.report import records_table
from elecost.tariffs.records import CostRecord

NAMES = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=24
)  # ASCII: the fast path
MONEY = st.decimals(min_value=0, max_value=10**7, places=6)


def record(name: str, kwh: Decimal, usd: Decimal) -> CostRecord:
    return CostRecord(
        rate_name="Texas Industrial TOU",
        location="West Texas Site",
        miner_ip=name,
        period_start_s=1_783_746_000,
        period_end_s=1_783_746_000 + 30 * 86_400,
        energy_kwh=kwh,
        peak_power_kw=kwh / 720,
        energy_cost_usd=usd,
        demand_charge_usd=usd / 7,
        service_charge_usd=Decimal("0.03"),
        lines=[],
    )


def render(records: list[CostRecord], width: int, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        highlight=False,
        markup=False,
        emoji=False,  # as elecost's console: a name is shown as written
        force_terminal=terminal,
        color_system="truecolor" if terminal else None,
    )
    console.print(records_table(records, ZoneInfo("America/Chicago"), "Costs, last 30 days", label="miner"))
    return out.getvalue()


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(st.tuples(NAMES, MONEY, MONEY), min_size=41, max_size=60),
    width=st.sampled_from([50, 80, 100, 160]),
    terminal=st.booleans(),
)
def test_a_long_table_prints_as_rich_lays_out_every_row(
    rows: list[tuple[str, Decimal, Decimal]], width: int, terminal: bool
) -> None:
    records = [record(name, kwh, usd) for name, kwh, usd in rows]
    fast = render(records, width, terminal)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(elecost.report, "FAST_ROWS", 10**9)
        assert fast == render(records, width, terminal)


def test_a_fleet_table_is_not_laid_out_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken for a fleet in an 80-column pipe: Rich sees two rows (the first and the total)."""
    seen: list[int] = []
    real = elecost.report.Table.add_row

    def counting(self: object, *cells: object, **kw: object) -> None:
        seen.append(1)
        real(self, *cells, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(elecost.report.Table, "add_row", counting)
    records = [record(f"10.0.{i // 256}.{i % 256}", Decimal(500 + i), Decimal(30 + i)) for i in range(1000)]
    text = render(records, 80, False)
    assert len(seen) == 2
    assert text.count("\n") > 1000
    assert "│ 10.0.3.231 │" in text


@settings(max_examples=20, deadline=None)
@given(
    rows=st.lists(st.tuples(NAMES, MONEY, MONEY), min_size=41, max_size=60),
    width=st.sampled_from([60, 100, 160]),
    terminal=st.booleans(),
)
def test_a_fleets_profit_table_prints_as_rich_lays_out_every_row(
    rows: list[tuple[str, Decimal, Decimal]], width: int, terminal: bool
) -> None:
    from elecost.mining import Network, ProfitRow
    from elecost.report import profit_table

    miners = [
        ProfitRow(name, "West Texas Site", Decimal(100) + kwh % 100, 3000 + usd, kwh / 100, usd / 100, "recorded")
        for name, kwh, usd in rows
    ]
    location = ProfitRow(
        None, "West Texas Site", Decimal(5000), Decimal(150000), Decimal(300), Decimal(250), "recorded"
    )
    table = profit_table([*miners, location], Network(Decimal("0.05"), Decimal(2)))

    def shown() -> str:
        out = io.StringIO()
        color = "truecolor" if terminal else None
        Console(
            file=out,
            width=width,
            highlight=False,
            markup=False,
            emoji=False,
            force_terminal=terminal,
            color_system=color,
        ).print(table)
        return out.getvalue()

    fast = shown()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(elecost.report, "FAST_ROWS", 10**9)
        assert fast == shown()


class _AsciiTerminal(io.StringIO):
    encoding = "ascii"  # what Rich reads to draw its ASCII box instead of the Unicode one


def test_a_long_table_on_an_ascii_only_console_is_richs_own_ascii_table() -> None:
    """An ASCII-only console (LANG=C, PYTHONIOENCODING=ascii) gets Rich's ASCII box: the rows are not
    filled in with the Unicode box's lines, and nothing fails looking for them."""
    records = [record(f"10.0.0.{i}", Decimal(500 + i), Decimal(30 + i)) for i in range(60)]

    def shown() -> str:
        out = _AsciiTerminal()
        Console(file=out, width=100, highlight=False, markup=False, emoji=False).print(
            records_table(records, ZoneInfo("America/Chicago"), "Costs, last 30 days", label="miner")
        )
        return out.getvalue()

    text = shown()
    assert "| 10.0.0.59 " in text and text.isascii()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(elecost.report, "FAST_ROWS", 10**9)
        assert text == shown()


def test_a_10000_miner_table_at_80_columns_leaves_out_columns_not_the_total() -> None:
    """A fleet's month is millions of dollars and kWh: at 80 columns the totals row leaves no room for
    every column. Service (then demand) goes, with the caption saying so; the total column stays whole."""
    records = [record(f"10.0.{n // 256}.{n % 256}", Decimal(2_304) + n, Decimal(140) + n) for n in range(10_000)]
    text = render(records, 80, terminal=False)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[2].split() == ["┃", "miner", "┃", "kWh", "┃", "energy", "┃", "demand", "┃", "total", "┃"]
    assert lines[-3].split("│")[-2].strip() == "58,737,442.86"  # the totals row's total, not cut off
    assert lines[-1].strip() == "peak kW, $/kWh and service left out to fit the terminal; --json has them"
    assert len(lines) == 10_000 + 8  # title, 3 header lines, rows, rule, totals, bottom, caption


@pytest.mark.parametrize("count", [5, 50])
def test_at_any_width_the_total_column_stays_whole(count: int) -> None:
    """Narrower and narrower: columns are left out, then the labels give way; the total is never cut."""
    records = [record(f"10.0.0.{n}", Decimal(2_304_000 + n), Decimal(140_000 + n)) for n in range(count)]
    total = sum((r.total_cost_usd for r in records), Decimal(0)).quantize(Decimal("0.01"))
    for width in range(26, 140):
        lines = render(records, width, terminal=False).splitlines()
        assert max(len(line) for line in lines) <= width, width
        totals = next(line for line in lines if line.startswith("│ total"))
        assert totals.rstrip().endswith(f" {total:,.2f} │"), (width, totals)
    caption = "peak kW, $/kWh, service, demand, energy and kWh left out to fit the terminal; --json has them"
    assert caption in " ".join(render(records, 40, terminal=False).split())


def test_elecost_prints_a_name_with_colons_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    """A miner named like an emoji code (":V:") is data: Rich would print it as an emoji, and a
    fleet's table (`_filled_in`) as written; elecost's console prints it as written everywhere."""
    from elecost.cli.common import show

    show(records_table([record(":V:", Decimal(1), Decimal(1))], ZoneInfo("America/Chicago"), "Costs", label="miner"))
    assert "│ :V: " in capsys.readouterr().out


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(st.tuples(NAMES, MONEY, MONEY), min_size=1, max_size=60),
    width=st.sampled_from([20, 30, 50, 80, 160]),
    terminal=st.booleans(),
)
def test_a_records_table_keeps_within_the_width_so_cropping_changes_nothing(
    rows: list[tuple[str, Decimal, Decimal]], width: int, terminal: bool
) -> None:
    """Why `show` prints them uncropped (`within_width`): cropped or not, the records table and the
    profit table print the same, however narrow the console."""
    from elecost.mining import Network, ProfitRow
    from elecost.report import profit_table

    records = records_table([record(*row) for row in rows], ZoneInfo("America/Chicago"), "Costs", label="miner")
    profits = [
        ProfitRow(n, "Site", Decimal(100) + kwh % 100, 3000 + usd, kwh / 100, usd / 100, "recorded")
        for n, kwh, usd in rows
    ]
    for table in (records, profit_table(profits, Network(Decimal("0.05"), Decimal(2)))):
        assert getattr(table, "within_width", False)
        printed = []
        for crop in (True, False):
            out = io.StringIO()
            color = "truecolor" if terminal else None
            console = Console(file=out, width=width, emoji=False, force_terminal=terminal, color_system=color)
            console.print(table, crop=crop)
            printed.append(out.getvalue())
        assert printed[0] == printed[1]


def test_show_crops_a_table_that_comes_out_wider_than_the_console(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A column's minimum width can make Rich's table wider than the console: `show` crops it."""
    from rich.table import Table

    from elecost.cli.common import show

    monkeypatch.setenv("COLUMNS", "50")
    table = Table(title="Reconciliation")
    table.add_column("span", no_wrap=True, min_width=30)
    table.add_column("meter kWh", justify="right", min_width=30)
    table.add_row("2026-11-01 to 2026-11-02", "1,234.567")
    show(table)
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) == 50
