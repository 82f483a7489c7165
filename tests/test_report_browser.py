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
