"""Coincident peaks: import, the site's average kW in each peak from stored readings, and the charge."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from elecost.cli import app
from elecost.peaks import PeakLoad, usd_per_month

from helpers import at

runner = CliRunner()
Write = Callable[[str, str], Path]
CHICAGO = ZoneInfo("America/Chicago")

# ERCOT-style 4CP of summer 2025: one 15-minute interval in each of June to September.
FOUR_CP = """\
timestamp
2025-06-24T16:45:00-05:00
2025-07-29T17:00:00-05:00
2025-08-20T17:00:00-05:00
2025-09-04T16:45:00-05:00
"""

# June: the meter at 1 MW for the whole interval. July: the meter at 1 MW for 5 minutes, then the
# site curtailed to 0 (1000 x 300 / 900 = 333.333 kW). August: no meter, two miners at 300 and
# 200 kW (500 kW). September: no readings at all (0 kW, flagged).
READINGS = """\
timestamp,power_w,miner
2025-06-24T16:45:00-05:00,1000000,
2025-06-24T16:50:00-05:00,1000000,
2025-06-24T16:55:00-05:00,1000000,
2025-06-24T17:00:00-05:00,1000000,
2025-07-29T17:00:00-05:00,1000000,
2025-07-29T17:05:00-05:00,0,
2025-07-29T17:10:00-05:00,0,
2025-07-29T17:15:00-05:00,0,
2025-08-20T17:00:00-05:00,300000,a
2025-08-20T17:05:00-05:00,300000,a
2025-08-20T17:10:00-05:00,300000,a
2025-08-20T17:00:00-05:00,200000,b
2025-08-20T17:05:00-05:00,200000,b
2025-08-20T17:10:00-05:00,200000,b
"""


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_four_cp_site_kw_from_readings(write: Write) -> None:
    peaks = write("4cp.csv", FOUR_CP)
    assert run("readings", "import", str(write("r.csv", READINGS)), "--location", "Site")[0] == 0
    assert run("peaks", "import", str(peaks), "--name", "ercot_4cp") == (
        0,
        "",
        "ercot_4cp: imported 4 new peaks, 0 already stored\n",
    )
    assert run("peaks", "import", str(peaks), "--name", "ercot_4cp")[2] == (
        "ercot_4cp: imported 0 new peaks, 4 already stored\n"
    )
    code, out, _ = run("peaks", "show", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "name": "ercot_4cp",
            "interval_start": "2025-06-24T21:45:00+00:00",
            "interval_end": "2025-06-24T22:00:00+00:00",
            "site_kw": 1000.0,
            "no_readings": False,
            "usd_per_month": None,
        },
        {
            "name": "ercot_4cp",
            "interval_start": "2025-07-29T22:00:00+00:00",
            "interval_end": "2025-07-29T22:15:00+00:00",
            "site_kw": 333.333,
            "no_readings": False,
            "usd_per_month": None,
        },
        {
            "name": "ercot_4cp",
            "interval_start": "2025-08-20T22:00:00+00:00",
            "interval_end": "2025-08-20T22:15:00+00:00",
            "site_kw": 500.0,
            "no_readings": False,
            "usd_per_month": None,
        },
        {
            "name": "ercot_4cp",
            "interval_start": "2025-09-04T21:45:00+00:00",
            "interval_end": "2025-09-04T22:00:00+00:00",
            "site_kw": 0.0,
            "no_readings": True,
            "usd_per_month": None,
        },
    ]
    assert json.loads(run("peaks", "show", "--name", "other", "--json")[1]) == []
    assert run("peaks", "show", "--location", "Elsewhere", "--json")[1].count('"no_readings": true') == 4


def test_each_peak_adds_its_share_of_the_mean_to_every_month() -> None:
    def peak(name: str, start: str, kw: str) -> PeakLoad:
        start_s = at(start, "America/Chicago")
        return PeakLoad(name, start_s, start_s + 900, Decimal(kw), kw == "0")

    peaks = [
        peak("4cp", "2025-06-24 16:45", "1000"),
        peak("4cp", "2025-07-29 17:00", "400"),
        peak("4cp", "2025-08-20 17:00", "500"),
        peak("4cp", "2025-09-04 16:45", "0"),
        peak("4cp", "2024-08-20 17:00", "900"),  # the only peak of its year: the whole mean
    ]
    # $5.50/kW x mean(1000, 400, 500, 0) = $2,612.50 a month, each peak a quarter of its kW's worth.
    assert usd_per_month(peaks, Decimal("5.50"), CHICAGO) == [
        Decimal("1375"),
        Decimal("550"),
        Decimal("687.5"),
        Decimal(0),
        Decimal("4950"),
    ]
    assert sum(usd_per_month(peaks[:4], Decimal("5.50"), CHICAGO), Decimal(0)) == Decimal("2612.5")
    assert usd_per_month(peaks, None, CHICAGO) == [None] * 5


def test_peaks_file_errors_and_overlaps(write: Write) -> None:
    path = write(
        "p.csv", "interval_start,interval_minutes\n2025-06-24T16:45:00-05:00,30\nsoon,15\n2025-07-01T17:00:00Z,x\n"
    )
    code, _, err = run("peaks", "import", str(path))
    assert (code, err) == (
        2,
        f"error: {path}:3: interval_start: not an ISO 8601 time or epoch seconds: 'soon'\n"
        f"error: {path}:4: interval_minutes: must be a whole number > 0: 'x'\n"
        "2 errors; nothing was written.\n",
    )
    assert (
        run("peaks", "import", str(write("a.csv", "interval_start,interval_minutes\n2025-06-24T16:45:00-05:00,30\n")))[
            0
        ]
        == 0
    )
    later = write("b.csv", "timestamp\n2025-06-24T17:00:00-05:00\n")
    code, _, err = run("peaks", "import", str(later))
    assert (code, err) == (
        2,
        f"error: {later}:2: timestamp: overlaps the stored peak 2025-06-24T21:45:00+00:00 to "
        "2025-06-24T22:15:00+00:00 of 'default'; --replace overwrites it\n1 error; nothing was written.\n",
    )
    assert (
        run("peaks", "import", str(later), "--replace")[2]
        == "default: imported 0 new peaks, 0 already stored, 1 replaced\n"
    )
    assert [p["interval_start"] for p in json.loads(run("peaks", "show", "-l", "Site", "--json")[1])] == [
        "2025-06-24T22:00:00+00:00"
    ]
    code, _, err = run("peaks", "import", str(write("c.csv", "when\n1\n")))
    assert code == 2 and "header: needs a timestamp or interval_start column" in err


def test_a_billing_period_is_billed_on_the_latest_complete_year(write: Write) -> None:
    from elecost.peaks import billing_year_peaks, coincident_demand
    from elecost.store import open_db

    def peak(start: str) -> PeakLoad:
        start_s = at(start, "America/Chicago")
        return PeakLoad("4cp", start_s, start_s + 900, Decimal(0), True)

    peaks = [peak("2024-08-20 17:00"), peak("2025-06-24 16:45"), peak("2025-09-04 16:45")]
    # In September 2025 the 2025 peaks are not all past: the period is billed on 2024's.
    september = billing_year_peaks(peaks, at("2025-09-01 00:00", "America/Chicago"), CHICAGO)
    assert september is not None and (september.year, len(september.peaks)) == (2024, 1)
    october = billing_year_peaks(peaks, at("2025-10-01 00:00", "America/Chicago"), CHICAGO)
    assert october is not None and (october.year, [p.start_s for p in october.peaks]) == (
        2025,
        [peaks[1].start_s, peaks[2].start_s],
    )
    assert billing_year_peaks(peaks, at("2024-08-01 00:00", "America/Chicago"), CHICAGO) is None

    assert run("readings", "import", str(write("r.csv", READINGS)), "--location", "Site")[0] == 0
    assert run("peaks", "import", str(write("4cp.csv", FOUR_CP)), "--name", "ercot_4cp")[0] == 0
    db = open_db(os.environ["ELECOST_DB"])
    demand = coincident_demand(db, "Site", "ercot_4cp", at("2026-01-01 00:00", "America/Chicago"), CHICAGO)
    assert demand is not None and demand.year == 2025
    # mean(1000, 333.333..., 500, 0) = 458.333... kW
    assert round(demand.mean_kw, 6) == Decimal("458.333333")
    assert [p.no_readings for p in demand.peaks] == [False, False, False, True]
