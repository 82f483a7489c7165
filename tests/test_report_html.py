"""The HTML cost report and the terminal chart: segments, escaping, the series seam, the command."""

from __future__ import annotations

import json
import re
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from elecost.budget import BudgetStatus
from elecost.cli import app
from elecost.overview import MinerRow, Overview, PriceNow, Series
from elecost.pricing import price_constant_load
from elecost.report_html import charge_segments, render_report
from elecost.tariffs.model import Tariff
from elecost.tariffs.records import DECIMAL_CONTEXT, CostRecord, combine

from conftest import EXAMPLES
from helpers import at, example, tariff

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def demo_database(path: Path) -> Path:
    code, _, _ = run("demo", "--db", str(path))
    assert code == 0
    return path


# --- segments --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["flat.yaml", "tou.yaml", "tiered.yaml", "texas_industrial.yaml"])
@settings(max_examples=25)
@given(watts=st.integers(min_value=0, max_value=2_000_000), hours=st.integers(min_value=1, max_value=24 * 40))
def test_segments_add_up_to_the_total(name: str, watts: int, hours: int) -> None:
    record = price_constant_load(example(name), Decimal(watts), at("2026-07-03"), hours * 3600).total
    segments = charge_segments(record)
    with localcontext(DECIMAL_CONTEXT):
        assert sum(s.usd for s in segments) == record.total_cost_usd
    kinds = [s.charge for s in segments]
    assert kinds == sorted(kinds, key=["energy", "demand", "fixed"].index)


def test_segments_name_tou_periods_and_tier_blocks() -> None:
    tou = price_constant_load(example("tou.yaml"), Decimal(3000), at("2026-05-04"), 86_400).total
    assert [(s.label, s.usd) for s in charge_segments(tou)] == [
        ("Off-Peak", Decimal("2.40")),
        ("Peak", Decimal("7.56")),
    ]
    tiered = price_constant_load(example("tiered.yaml"), Decimal(3000), at("2026-05-04"), 800 * 3600).total
    labels = [s.label for s in charge_segments(tiered) if s.charge == "energy"]
    assert labels == list(tiered.tier_breakdown_usd)


# --- the page, from data passed in -----------------------------------------------------------

HOSTILE = '<script>alert("x")</script>'


def hostile_tariff() -> Tariff:
    """The Texas tariff, its name, location and a TOU period's name all markup."""
    text = (EXAMPLES / "texas_industrial.yaml").read_text()
    for plain in ("Texas Industrial TOU", "West Texas Site", "Summer Peak"):
        text = text.replace(plain, f"'{HOSTILE}'" if plain != "Summer Peak" else HOSTILE)
    return tariff(text)


def record(start: str, hours: int = 24, watts: int = 3000) -> CostRecord:
    return price_constant_load(hostile_tariff(), Decimal(watts), at(start, "America/Chicago"), hours * 3600).total


def overview(**changes: object) -> Overview:
    days = [(f"2026-07-0{d}", record(f"2026-07-0{d}")) for d in (6, 7, 8)]
    total = record("2026-07-06", hours=72)
    miner = MinerRow(f"<img src=x onerror=alert(1)>{HOSTILE}", HOSTILE, Decimal(72), Decimal(9), Decimal(3))
    fields: dict[str, object] = {
        "start_s": total.period_start_s,
        "end_s": total.period_end_s,
        "made_s": total.period_end_s,
        "timezone": "America/Chicago",
        "location": HOSTILE,
        "total": total,
        "days": days,
        "bills": [],
        "miners": [miner],
        "network": None,
        "daily_run_rate_usd": Decimal(3),
    }
    fields.update(changes)
    return Overview(**fields)  # type: ignore[arg-type]


def test_every_name_is_escaped() -> None:
    total = record("2026-07-06", hours=72)
    page = render_report(
        overview(
            bills=[(hostile_tariff(), total)],
            prices_now=[PriceNow(HOSTILE, HOSTILE, "America/Chicago", HOSTILE, Decimal("0.145"), None)],
            budgets=[BudgetStatus(HOSTILE, Decimal(100), "2026-07", Decimal(90), Decimal(120))],
        )
    )
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # the page's own sorting script, and no other
    assert page.count("&lt;script&gt;") >= 8  # title, header, chart, legend, bill, miner, price, budget


def test_daily_chart_has_a_bar_per_day_and_a_rect_per_nonzero_charge() -> None:
    page = render_report(overview())
    chart = re.search(r'<svg id="daily-chart".*?</svg>', page, re.S)
    assert chart is not None
    bars = re.findall(r'<g class="bar".*?</g>', chart.group(0), re.S)
    assert len(bars) == 3
    # Weekday summer days on the Texas tariff: peak and off-peak energy, demand, fixed.
    assert [bar.count("<rect") for bar in bars] == [4, 4, 4]


def test_series_section_draws_the_series_it_is_given() -> None:
    start = at("2026-08-01", "America/Chicago")
    prices = Series(
        title="ERCOT <West> prices",
        unit="$/MWh",
        points=[(start + i * 900, Decimal(-15 if i == 5 else 20 + i % 7 * 15)) for i in range(96)],
        marks=[(start + 17 * 3600, "4CP <August>")],
    )
    page = render_report(overview(series=[prices]))
    section = re.search(r'<section class="series-section">.*?</section>', page, re.S)
    assert section is not None
    text = section.group(0)
    assert "ERCOT &lt;West&gt; prices" in text and "4CP &lt;August&gt;" in text
    path = re.search(r'<path class="line" d="([^"]+)"', text)
    assert path is not None and path.group(1).count("H") == 96  # one level per point
    assert text.count('<line class="mark"') == 1
    assert re.search(r'text-anchor="end">-\d', text)  # a negative price gets an axis below zero
    assert "series-section" not in render_report(overview())


def test_the_report_draws_the_markets_price_and_the_peaks_from_the_database(tmp_path: Path) -> None:
    """The README's ERCOT site on its index tariff: the day's 96 prices with c1-s19's hour off
    (18:00, by its readings) shaded and the 4CP peak of that day flagged; then the four stored
    peaks with the site's kW in each (675 kW in the one with readings)."""
    west = ("--market", "ercot_lz_west")
    for step in (
        ["prices", "import", str(EXAMPLES / "ercot_rt_example.csv"), *west, "--settlement-point", "LZ_WEST"],
        ["readings", "import", str(EXAMPLES / "ercot_site_readings.csv"), "-l", "West Site"],
        ["miner", "add", "c1-s19", "--hashrate-th", "11000", "--power-w", "325000", "-l", "West Site"],
        ["miner", "add", "c2-s21", "--hashrate-th", "20000", "--power-w", "350000", "-l", "West Site"],
        ["peaks", "import", str(EXAMPLES / "ercot_4cp_example.csv"), "--name", "ercot_4cp"],
        ["rate", "add", str(EXAMPLES / "ercot_index.yaml")],
        ["rate", "activate", "ERCOT LZ_WEST index"],
        ["record"],
    ):
        assert run(*step)[0] == 0, step
    page = tmp_path / "r.html"
    assert run("report", "--html", str(page))[0] == 0
    sections = re.findall(r'<section class="series-section">.*?</section>', page.read_text(), re.S)
    prices, peaks = sections
    assert "<h2>ercot_lz_west price at West Site</h2>" in prices
    path = re.search(r'<path class="line" d="([^"]+)"', prices)
    assert path is not None and path.group(1).count("H") == 96
    assert re.findall(r'<rect class="shade"[^>]*><title>([^<]*)</title>', prices) == ["off: c1-s19 (2025-08-20 18:00)"]
    assert re.findall(r'<line class="mark"[^>]*><title>([^<]*)</title>', prices) == [
        "ercot_4cp: 675 kW (2025-08-20 17:15)"
    ]
    assert "<h2>Coincident peaks: West Site&#x27;s load in each</h2>" in peaks
    marks = re.findall(r'<line class="mark"[^>]*><title>([^<]*)</title>', peaks)
    assert marks == [
        "ercot_4cp: 0 kW (no readings) (2025-06-23 16:45)",
        "ercot_4cp: 0 kW (no readings) (2025-07-30 17:00)",
        "ercot_4cp: 675 kW (2025-08-20 17:15)",
        "ercot_4cp: 0 kW (no readings) (2025-09-04 16:30)",
    ]


def test_a_report_without_prices_or_peaks_has_no_series(tmp_path: Path) -> None:
    db = demo_database(tmp_path / "demo.db")
    page = tmp_path / "r.html"
    assert run("report", "--html", str(page), "--db", str(db))[0] == 0
    assert "series-section" not in page.read_text()


# --- the command -----------------------------------------------------------------------------


def test_report_writes_one_file_and_refuses_to_overwrite(tmp_path: Path) -> None:
    db = demo_database(tmp_path / "demo.db")
    page = tmp_path / "report.html"
    code, _, err = run("report", "--html", str(page), "--db", str(db))
    assert code == 0 and err.startswith(f"wrote {page} (")
    first = page.read_text()
    assert "Electricity cost: Main Facility" in first
    code, _, err = run("report", "--html", str(page), "--db", str(db))
    assert (code, err) == (2, f"error: --html: {page} exists; give --force to overwrite it\n")
    assert page.read_text() == first
    code, _, _ = run("report", "--html", str(page), "--force", "--db", str(db), "--from", "2026-11-02")
    assert code == 0 and page.read_text() != first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "error: give --html FILE: the report is an HTML page\n"),
        (("--html", "x.html", "--to", "2026-11-03", "--days", "2"), "error: give --to or --days, not both\n"),
        (("--html", "x.html", "--from", "2026-11-03", "--to", "2026-11-02"), "error: --to must be after --from\n"),
        (("--html", "no/such/x.html"), "error: --html: no folder no/such\n"),
        (
            ("--html", "x.html", "--from", "2027-01-01"),
            "error: no cost rows in that span; import readings and run `elecost record` first\n",
        ),
    ],
)
def test_report_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    db = demo_database(tmp_path / "demo.db")
    code, _, err = run("report", *args, "--db", str(db))
    assert (code, err) == (2, message)
    assert not (Path.cwd() / "x.html").exists()


def test_report_margins_need_a_hashprice_and_hashrates(tmp_path: Path) -> None:
    db = demo_database(tmp_path / "demo.db")
    run("miner", "add", "10.0.0.12", "--hashrate-th", "110", "--power-w", "3250", "--db", str(db))
    page = tmp_path / "r.html"
    run("report", "--html", str(page), "--db", str(db))
    assert "margin/day" not in page.read_text()
    run("report", "--html", str(page), "--force", "--db", str(db), "--hashprice-usd-per-th-day", "0.05")
    rows = re.findall(r"<tr><td>(10\.0\.0\.\d+)</td>(.*?)</tr>", page.read_text())
    # The one miner with a hashrate has a margin and comes first; the others follow, costliest first.
    assert [name for name, _ in rows] == ["10.0.0.12", "10.0.0.11", "10.0.0.13"]
    assert "<td>-</td>" not in rows[0][1] and rows[1][1].count("<td>-</td>") == 3


def test_summary_chart_fits_80_columns_with_a_bar_per_day(tmp_path: Path) -> None:
    db = demo_database(tmp_path / "demo.db")
    code, out, _ = run("summary", "--chart", "--db", str(db))
    lines = out.splitlines()
    assert code == 0
    assert max(len(line) for line in lines) <= 80
    days = [line for line in lines if re.match(r"2026-11-0\d ", line)]
    assert [d.split()[-1] for d in days] == ["30.11", "29.02", "30.11"]
    assert days[0].count("█") == 80 - len("2026-11-01 ") - len(" 30.11")  # the biggest day fills the width
    assert lines[-1] == "total $89.25; run rate (last 7 days of records) $29.75 a day"
    code, out, _ = run("summary", "--chart", "--json", "--db", str(db))
    assert json.loads(out)["total_cost_usd"] == 89.25


def test_report_open_hands_the_file_to_the_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    db = demo_database(tmp_path / "demo.db")
    page = tmp_path / "report.html"
    code, _, _ = run("report", "--html", str(page), "--open", "--db", str(db))
    assert code == 0 and opened == [page.resolve().as_uri()]


def test_segments_of_a_total_over_a_tou_and_a_tiered_meter() -> None:
    tou = price_constant_load(example("tou.yaml"), Decimal(3000), at("2026-05-04"), 86_400).total
    tiered = price_constant_load(example("tiered.yaml"), Decimal(3000), at("2026-05-04"), 86_400).total
    both = combine([tou, tiered])
    segments = charge_segments(both)
    with localcontext(DECIMAL_CONTEXT):
        assert sum(s.usd for s in segments) == both.total_cost_usd
    energy = [s.label for s in segments if s.charge == "energy"]
    assert energy == [*tou.tou_breakdown_usd, *tiered.tier_breakdown_usd]


def test_segments_of_a_record_without_lines_are_its_three_amounts() -> None:
    stored = price_constant_load(example("tou.yaml"), Decimal(3000), at("2026-05-04"), 86_400).total
    stored.lines = []
    assert [(s.label, s.usd) for s in charge_segments(stored)] == [
        ("Energy", Decimal("9.96")),
        ("Demand", Decimal(0)),
        ("Fixed", Decimal(0)),
    ]


def test_the_report_never_writes_over_the_database_or_into_a_folder(tmp_path: Path) -> None:
    db = demo_database(tmp_path / "demo.db")
    code, _, err = run("report", "--html", str(db), "--force", "--db", str(db))
    assert (code, err) == (2, f"error: --html: {db} is the database; write the report to another file\n")
    code, _, err = run("report", "--html", str(tmp_path), "--force", "--db", str(db))
    assert (code, err) == (2, f"error: --html: {tmp_path} is a folder; give a file name\n")
    assert run("summary", "--db", str(db), "--json")[0] == 0  # the database is intact


def test_curtailed_hours_merge_and_name_at_most_five_miners(tmp_path: Path, elecost_db: Path) -> None:
    """Six miners on in the first hour, all off for the next two: one shaded span of two hours."""
    from elecost.overview import curtailed_hours
    from elecost.store import open_db

    t0 = at("2026-11-01", "UTC")
    rows = ["timestamp,miner,power_w"]
    for hour, power in ((0, 3000), (1, 0), (2, 0)):
        rows += [f"{t0 + hour * 3600},m{n},{power}" for n in range(6)]
    (tmp_path / "r.csv").write_text("\n".join(rows) + "\n")
    assert run("readings", "import", str(tmp_path / "r.csv"), "-l", "Site")[0] == 0
    for n in range(6):
        assert run("miner", "add", f"m{n}", "--hashrate-th", "100", "--power-w", "3000", "-l", "Site")[0] == 0
    spans = curtailed_hours(open_db(elecost_db), "Site", t0, t0 + 3 * 3600)
    assert spans == [(t0 + 3600, t0 + 3 * 3600, "off: m0, m1, m2, m3, m4 and 1 more")]
