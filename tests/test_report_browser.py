"""The demo database's HTML report in a real headless Chromium, checked from the page itself."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from elecost.cli import app

from chromium import Browser, chromium_binary

BINARY = chromium_binary()
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="no chromium binary installed (Debian: apt-get install chromium chromium-driver)"
)
runner = CliRunner()

FACTS = """(() => {
  const text = (selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent);
  const chart = document.querySelector("#daily-chart");
  return {
    bars: [...chart.querySelectorAll("g.bar")].map((g) => ({
      label: g.dataset.label,
      rects: [...g.querySelectorAll("rect")].map((r) => r.getBBox().height),
    })),
    chartHeight: chart.getBoundingClientRect().height,
    cards: Object.fromEntries([...document.querySelectorAll(".card [data-key]")].map((e) => [e.dataset.key, e.textContent])),
    days: text("#daily-table [data-key=total_cost_usd]"),
    bills: text(".bill [data-key=total_cost_usd]"),
    miners: text("#miners tbody tr td:first-child"),
    background: getComputedStyle(document.body).backgroundColor,
  };
})()"""


def run_json(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def number(shown: str) -> Decimal:
    """'$1,234.56/day' -> 1234.56"""
    return Decimal("".join(c for c in shown.split("/")[0].split(" ")[0] if c.isdigit() or c in ".-"))


def test_demo_report_draws_and_matches_the_cli(tmp_path: Path) -> None:
    assert BINARY is not None
    db = tmp_path / "demo.db"
    assert runner.invoke(app, ["demo", "--db", str(db)]).exit_code == 0
    page = tmp_path / "report.html"
    assert runner.invoke(app, ["report", "--html", str(page), "--db", str(db)]).exit_code == 0
    summary = run_json("summary", "--json", "--db", str(db))
    bills = run_json("bill", "--json", "--db", str(db))
    by_miner = run_json("summary", "--by", "miner", "--json", "--db", str(db))

    with Browser(BINARY) as browser:
        browser.open(page)
        facts = browser.evaluate(FACTS)
        browser.evaluate('document.querySelector("#miners th:nth-child(3)").click()')  # cost, ascending
        sorted_by_cost = browser.evaluate(
            '[...document.querySelectorAll("#miners tbody tr td:first-child")].map((e) => e.textContent)'
        )
        browser.open(page, color_scheme="dark")
        dark = browser.evaluate(FACTS)
        errors, urls = browser.console_errors(), browser.requested_urls()

    # The chart drew: a bar per day, a visible rectangle per non-zero charge of that day.
    assert [bar["label"] for bar in facts["bars"]] == [g["group"] for g in summary["groups"]]
    expected_parts = [
        sum(1 for v in [*g["tou_breakdown_usd"].values(), g["demand_charge_usd"], g["service_charge_usd"]] if v)
        for g in summary["groups"]
    ]
    assert [len(bar["rects"]) for bar in facts["bars"]] == expected_parts
    assert all(height > 1 for bar in facts["bars"] for height in bar["rects"])
    assert facts["chartHeight"] > 200
    # The totals shown are the CLI's.
    cards = facts["cards"]
    assert number(cards["total_cost_usd"]) == Decimal(str(summary["total_cost_usd"]))
    assert number(cards["total_kwh"]) == round(Decimal(str(summary["total_kwh"])), 1)
    assert number(cards["peak_power_kw"]) == round(Decimal(str(summary["peak_power_kw"])), 2)
    assert number(cards["avg_rate_usd_per_kwh"]) == round(Decimal(str(summary["avg_rate_usd_per_kwh"])), 4)
    assert [number(d) for d in facts["days"]] == [Decimal(str(g["total_cost_usd"])) for g in summary["groups"]]
    assert [number(b) for b in facts["bills"]] == [Decimal(str(b["total_cost_usd"])) for b in bills]
    # Miners, costliest first; a click on "cost" sorts them cheapest first.
    costliest = sorted(by_miner["groups"], key=lambda g: -g["total_cost_usd"])
    assert facts["miners"] == [g["group"] for g in costliest]
    assert sorted_by_cost == facts["miners"][::-1]
    # Both themes draw, without a console error, and nothing but the file itself was requested.
    assert facts["background"] != dark["background"]
    assert len(dark["bars"]) == len(facts["bars"])
    assert errors == []
    assert set(urls) == {page.resolve().as_uri()}


SERIES = """[...document.querySelectorAll(".series-section")].map((section) => ({
  title: section.querySelector("h2").textContent,
  line: section.querySelector("path.line").getBBox().width,
  shaded: [...section.querySelectorAll("rect.shade")].map((r) => r.getBBox().width),
  marks: [...section.querySelectorAll("line.mark")].map((l) => l.getBoundingClientRect().height),
}))"""


def test_the_price_and_peak_series_draw_from_a_database_with_both(tmp_path: Path) -> None:
    """The README's ERCOT files: the market's price with the hour curtailed shaded and the day's
    peak flagged, and the stored peaks, drawn with real sizes in Chromium."""
    assert BINARY is not None
    examples = Path(__file__).resolve().parent.parent / "examples"
    db = str(tmp_path / "ercot.db")
    west = ("--market", "ercot_lz_west")
    for step in (
        ["prices", "import", str(examples / "ercot_rt_example.csv"), *west, "--settlement-point", "LZ_WEST"],
        ["readings", "import", str(examples / "ercot_site_readings.csv"), "-l", "West Site"],
        ["miner", "add", "c1-s19", "--hashrate-th", "11000", "--power-w", "325000", "-l", "West Site"],
        ["miner", "add", "c2-s21", "--hashrate-th", "20000", "--power-w", "350000", "-l", "West Site"],
        ["peaks", "import", str(examples / "ercot_4cp_example.csv"), "--name", "ercot_4cp"],
        ["rate", "add", str(examples / "ercot_index.yaml")],
        ["rate", "activate", "ERCOT LZ_WEST index"],
        ["record"],
    ):
        assert runner.invoke(app, ["--db", db, *step]).exit_code == 0, step
    page = tmp_path / "report.html"
    assert runner.invoke(app, ["--db", db, "report", "--html", str(page)]).exit_code == 0

    with Browser(BINARY) as browser:
        browser.open(page)
        series = browser.evaluate(SERIES)
        errors = browser.console_errors()

    assert [s["title"] for s in series] == [
        "ercot_lz_west price at West Site",
        "Coincident peaks: West Site's load in each",
    ]
    prices, peaks = series
    assert prices["line"] > 800  # the day's prices span the plot (888 px of the 960 wide)
    assert len(prices["shaded"]) == 1 and prices["shaded"][0] > 10  # c1-s19's hour off: 1/24 of the plot
    assert len(prices["marks"]) == 1 and prices["marks"][0] > 100
    assert len(peaks["marks"]) == 4 and peaks["shaded"] == []
    assert errors == []
