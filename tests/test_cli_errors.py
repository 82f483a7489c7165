"""Every usage error of the command line: exit 2, one line on stderr, asserted word for word."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elecost.cli import app
from elecost.cli.readings import _progress_opener
from elecost.store import open_db

from conftest import EXAMPLES

runner = CliRunner()
FLAT = str(EXAMPLES / "flat.yaml")
TOU = str(EXAMPLES / "tou.yaml")
HASHPRICE = ("--hashprice-usd-per-th-day", "0.05")


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stderr


def tou_site() -> None:
    for args in (("rate", "init"), ("rate", "activate", "Example TOU")):
        assert run(*args)[0] == 0


def recorded_site() -> None:
    tou_site()
    assert run("readings", "import", str(EXAMPLES / "readings.csv"))[0] == 0
    assert run("record")[0] == 0


def nothing() -> None:
    pass


def empty_db() -> None:
    """An empty database where ELECOST_DB points (read-only commands refuse a missing one)."""
    open_db(os.environ["ELECOST_DB"])


CASES: list[tuple[Callable[[], None], tuple[str, ...], str]] = [
    (
        nothing,
        ("calc", "--power", "1", "--hours", "1", "--tariff", FLAT, "--rate", "X"),
        "give --tariff FILE or --rate NAME, not both",
    ),
    (
        nothing,
        ("calc", "--power", "1", "--hours", "1.0001", "--tariff", FLAT),
        "--hours: must be a positive whole number of seconds, got 1.0001",
    ),
    (nothing, ("calc", "--power", "-1", "--hours", "1", "--tariff", FLAT), "--power: must be a number >= 0, got -1"),
    (
        nothing,
        ("calc", "--power", "1", "--hours", "1", "--start", "soon", "--tariff", FLAT),
        "--start: not an ISO 8601 time or epoch seconds: 'soon'",
    ),
    (
        nothing,
        ("calc", "--readings", FLAT, "--power", "1", "--tariff", FLAT),
        "give --readings, or --power and --hours, not both",
    ),
    (
        nothing,
        ("readings", "import", FLAT, "--timezone", "Mars/Base"),
        "--timezone: not an IANA time zone such as America/Chicago: 'Mars/Base'",
    ),
    (
        empty_db,
        ("calc", "--power", "1", "--hours", "1"),
        "no active rate; add one with `elecost rate add FILE` and `elecost rate activate NAME`",
    ),
    (
        empty_db,
        ("rate", "activate", "Nope"),
        "no rate named 'Nope' (rates: none yet; `elecost rate init` adds examples)",
    ),
    (
        empty_db,
        ("rate", "current", "--location", "Nowhere"),
        "no active rate for location 'Nowhere'; use `elecost rate activate NAME`",
    ),
    (empty_db, ("costs",), "no cost rows yet; import readings and run `elecost record` first"),
    (empty_db, ("budget", "check"), "no budget set; use `elecost budget set --monthly-usd N [--location L]`"),
    (
        empty_db,
        ("profit", *HASHPRICE),
        "no miners with a hashrate; add them with `elecost miner add NAME --hashrate-th X --power-w W`",
    ),
    (
        tou_site,
        ("profit", *HASHPRICE, "--btc-price-usd", "1"),
        "give --hashprice-usd-per-th-day, or --btc-price-usd and --difficulty, not both",
    ),
    (tou_site, ("profit", *HASHPRICE, "--pool-fee-pct", "100"), "--pool-fee-pct: must be below 100, got 100"),
    (tou_site, ("profit", "--btc-price-usd", "1", "--difficulty", "0"), "--difficulty must be above 0"),
    (
        tou_site,
        ("curtail", *HASHPRICE),
        "no miners with a hashrate and nameplate power there; add them with `elecost miner add NAME --hashrate-th X --power-w W`",
    ),
    (
        tou_site,
        ("curtail", "--location", "Nowhere", *HASHPRICE),
        "no active rate for location 'Nowhere'; use `elecost rate activate NAME` "
        "(locations with an active rate: 'Main Facility')",
    ),
    (tou_site, ("rate", "update", "Example Flat", TOU), "a rate named 'Example TOU' already exists"),
    (
        recorded_site,
        ("summary", "--by", "week"),
        "--by: must be one of day, miner, location, period, client, got 'week'",
    ),
    (recorded_site, ("bill", "--from", "2026-11-03", "--to", "2026-11-02"), "--to must be after --from"),
    (recorded_site, ("export", "--format", "xlsx"), "--format: csv or json, got 'xlsx'"),
    (recorded_site, ("export", "--kind", "rows"), "--kind: costs, bills or all, got 'rows'"),
]


@pytest.mark.parametrize(("given", "args", "message"), CASES, ids=[c[2][:40] for c in CASES])
def test_usage_error(given: Callable[[], None], args: tuple[str, ...], message: str) -> None:
    given()
    assert run(*args) == (2, f"error: {message}\n")


def test_curtail_date_must_be_a_date() -> None:
    tou_site()
    assert run("miner", "add", "m", "--hashrate-th", "100", "--power-w", "3000")[0] == 0
    assert run("curtail", "--date", "July 1st", *HASHPRICE) == (
        2,
        "error: --date: not an ISO date such as 2026-07-01: 'July 1st'\n",
    )


def test_names_print_as_written_not_as_markup(write: Callable[[str, str], Path]) -> None:
    path = write("red.yaml", "name: '[red]bold[/red]'\nrate_type: flat\nflat_rate_usd_per_kwh: x\n")
    code, err = run("rate", "add", str(path))
    assert code == 2
    assert err.startswith(f"error: {path}:3: flat_rate_usd_per_kwh: must be a number, got 'x'")
    run("rate", "init")
    assert run("rate", "show", "[red]bold[/red]")[1] == (
        "error: no rate named '[red]bold[/red]' (rates: Example Flat, Example TOU)\n"
    )


def test_no_progress_bar_when_stderr_is_not_a_terminal() -> None:
    assert _progress_opener() is None


def test_a_miner_may_not_take_the_site_overheads_name(write: Callable[[str, str], Path]) -> None:
    """With a whole-meter reading, `record` writes the site's overhead as miner '(site overhead)':
    a miner of that name would share its rows' key. Refused at import, in every row and format,
    and by `miner add` (whose miners `miners poll` reads)."""
    tou_site()
    csv = write(
        "r.csv",
        """
        timestamp,miner,power_w
        2026-05-04T00:00:00Z,a,3000
        2026-05-04T00:00:00Z,(site overhead),3000
        2026-05-04T00:05:00Z, (site overhead) ,3000
        2026-05-04T00:05:00Z,(site overhead)s,3000
        """,
    )
    lines = write("r.jsonl", '{"timestamp": "2026-05-04T00:00:00Z", "miner": "(site overhead)", "power_w": 1}\n')
    message = "miner: '(site overhead)' is elecost's name for a site's overhead; name the miner otherwise"
    assert run("readings", "import", str(csv)) == (
        2,
        f"error: {csv}:3: {message}\nerror: {csv}:4: {message}\n2 errors; nothing was written.\n",
    )
    assert run("readings", "import", str(lines)) == (2, f"error: {lines}:1: {message}\n1 error; nothing was written.\n")
    with open_db(Path(os.environ["ELECOST_DB"])) as db:
        assert db.execute("SELECT count(*) FROM readings").fetchone()[0] == 0
    assert run("miner", "add", "(site overhead)", "--location", "Site") == (2, f"error: {message.split(': ', 1)[1]}\n")
    # Skipped, a refused row's later timestamp does not widen the span `record` is to redo.
    late = write(
        "late.csv", "timestamp,miner,power_w\n2026-05-04T00:00:00Z,a,3000\n2026-06-04T00:00:00Z,(site overhead),1\n"
    )
    assert run("readings", "import", str(late), "--skip-bad")[0] == 0
    with open_db(Path(os.environ["ELECOST_DB"])) as db:
        assert db.execute("SELECT start_s, end_s FROM dirty").fetchall() == [(1_777_852_800, 1_777_852_800)]
