"""Tariff files: what loads, and one test per error message, asserting the message."""

from __future__ import annotations

import itertools
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elecost.errors import InputError
from elecost.tariffs.load import load_tariff_file, parse_tariff, tariff_from_mapping, tariff_to_mapping
from elecost.tariffs.model import MINUTES_PER_DAY, TouPeriod
from elecost.tariffs.schedule import Schedule, coverage_problems

from conftest import EXAMPLES

TOU_OK = """
name: T
rate_type: tou
tou_schedule:
  - name: Off-Peak
    rate: 0.08
    days: [0, 1, 2, 3, 4, 5, 6]
    start_hour: 21
    end_hour: 7
  - name: Peak
    rate: 0.18
    days: [mon, tue, wed, thu, fri, sat, sun]
    start_hour: 7
    end_hour: 21
"""


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_tariff(textwrap.dedent(text).lstrip("\n"), "t.yaml")
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_load_and_round_trip(path: Path) -> None:
    tariff = load_tariff_file(path)
    again = tariff_from_mapping(tariff_to_mapping(tariff), "again")
    assert again == tariff


def test_rates_are_exact_decimals_from_the_text() -> None:
    tariff = parse_tariff("name: F\nrate_type: flat\nflat_rate_usd_per_kwh: 0.1\n", "f.yaml")
    assert tariff.flat_rate_usd_per_kwh == Decimal("0.1")
    assert tariff.location == "default"
    assert tariff.timezone == "UTC"


def test_an_old_api_rate_body_in_json_is_a_tariff() -> None:
    body = '{"id": 3, "name": "My Flat Rate", "rate_type": "flat", "flat_rate_usd_per_kwh": 0.12,'
    body += ' "daily_service_charge_usd": 0.50, "active": true, "tou_schedule": null}'
    tariff = parse_tariff(body, "body.json")
    assert (tariff.name, tariff.flat_rate_usd_per_kwh, tariff.active) == ("My Flat Rate", Decimal("0.12"), True)


def test_hh_mm_times_and_midnight_ends() -> None:
    tariff = parse_tariff(
        textwrap.dedent("""
        name: T
        rate_type: tou
        tou_schedule:
          - {name: A, rate: 0.1, start: "00:00", end: "07:30"}
          - {name: B, rate: 0.2, start: "07:30", end: "24:00"}
        """),
        "t.yaml",
    )
    assert [(p.start_min, p.end_min) for p in tariff.tou_schedule] == [(0, 450), (450, 1440)]


ERRORS = [
    (
        "name: [unclosed\n",
        "t.yaml:2: not valid YAML: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence from line 1)",
    ),
    ("", "t.yaml:1: the file is empty; a tariff needs name and rate_type"),
    ("- a\n- b\n", "t.yaml:1: a tariff file holds one mapping (key: value lines)"),
    (
        "name: A\nname: B\nrate_type: flat\nflat_rate_usd_per_kwh: 1\n",
        "t.yaml:2: name: duplicate key (first given on line 1)",
    ),
    (
        "name: !!python/object/apply:os.system ['echo hi']\nrate_type: flat\n",
        "t.yaml:1: not allowed: the tag 'tag:yaml.org,2002:python/object/apply:os.system'; tariffs hold plain data",
    ),
    (
        "name: !!python/name:os.system\nrate_type: flat\n",
        "t.yaml:1: not allowed: could not determine a constructor for the tag",
    ),
    ("name: A\nrate_typ: flat\n", "t.yaml:2: rate_typ: unknown key; did you mean 'rate_type'?"),
    ("rate_type: flat\nflat_rate_usd_per_kwh: 1\n", "t.yaml:1: name: required"),
    ("name: ''\nrate_type: flat\nflat_rate_usd_per_kwh: 1\n", "t.yaml:1: name: must be non-empty text, got ''"),
    (
        "name: A\nrate_type: flat\nflat_rate_usd_per_kwh: cheap\n",
        "t.yaml:3: flat_rate_usd_per_kwh: must be a number, got 'cheap'",
    ),
    (
        "name: A\nrate_type: flat\nflat_rate_usd_per_kwh: -0.1\n",
        "t.yaml:3: flat_rate_usd_per_kwh: must be a number >= 0, got -0.1",
    ),
    (
        "name: A\nrate_type: flat\nflat_rate_usd_per_kwh: 1\nbilling_cycle_day: 32\n",
        "t.yaml:4: billing_cycle_day: must be a whole number 1..31, got 32",
    ),
    (
        "name: A\nrate_type: flat\nflat_rate_usd_per_kwh: 1\nactive: maybe\n",
        "t.yaml:4: active: must be true or false, got 'maybe'",
    ),
    ("name: A\n", "t.yaml:1: rate_type: required: one of flat, tou, tiered, index"),
    ("name: A\nrate_type: fixed\n", "t.yaml:2: rate_type: must be one of flat, tou, tiered, index, got 'fixed'"),
    (
        "name: A\nrate_type: flat\nflat_rate_usd_per_kwh: 1\ntimezone: Mars/Olympus\n",
        "t.yaml:4: timezone: not an IANA time zone such as America/Chicago: 'Mars/Olympus'",
    ),
    (
        "name: A\nrate_type: flat\nflat_rate_usd_per_kwh: 1\ndemand_interval_minutes: 7\n",
        "t.yaml:4: demand_interval_minutes: must divide the hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60), got 7",
    ),
    (
        "name: A\nrate_type: flat\nflat_rate_usd_per_kwh: 1\ntiered_rates: [{rate: 1}]\n",
        "t.yaml:4: tiered_rates: only used when rate_type is tiered; this tariff is flat",
    ),
    ("name: A\nrate_type: flat\n", "t.yaml:1: flat_rate_usd_per_kwh: required"),
    ("name: A\nrate_type: tou\n", "t.yaml:1: tou_schedule: required for this rate_type"),
    ("name: A\nrate_type: tou\ntou_schedule: []\n", "t.yaml:3: tou_schedule: must be a non-empty list"),
    (
        "name: A\nrate_type: tou\ntou_schedule: [peak]\n",
        "t.yaml:3: tou_schedule[0]: must be a mapping with name, rate, days, start_hour, end_hour",
    ),
    (
        "name: A\nrate_type: tou\ntou_schedule:\n  - {name: P, rate: 1, start_hour: 5, end_hour: 5}\n",
        "t.yaml:4: tou_schedule[0].end_hour: equals the start: the period would cover no time",
    ),
    (
        "name: A\nrate_type: tou\ntou_schedule:\n  - {name: P, rate: 1, days: [7], start_hour: 0, end_hour: 24}\n",
        "t.yaml:4: tou_schedule[0].days: must be 0..6 or mon..sun, got 7",
    ),
    (
        "name: A\nrate_type: tou\ntou_schedule:\n  - {name: P, rate: 1, months: [], start_hour: 0, end_hour: 24}\n",
        "t.yaml:4: tou_schedule[0].months: must list at least one",
    ),
    (
        "name: A\nrate_type: tou\ntou_schedule:\n  - {name: P, rate: 1, start_hour: 0, start: '00:00', end_hour: 24}\n",
        "t.yaml:4: tou_schedule[0].start: give start_hour or start, not both",
    ),
    (
        "name: A\nrate_type: tou\ntou_schedule:\n  - {name: P, rate: 1, start_hour: 0, end_hour: 25}\n",
        "t.yaml:4: tou_schedule[0].end_hour: must be 0..24, got 25",
    ),
    (
        "name: A\nrate_type: tou\ntou_schedule:\n  - {name: P, rate: 1, start_hour: 0, end_hour: 7.01}\n",
        "t.yaml:4: tou_schedule[0].end_hour: must be a whole minute, got 7.01",
    ),
    (
        "name: A\nrate_type: tou\ntou_schedule:\n  - {name: P, rate: 1, start: '7pm', end_hour: 7}\n",
        "t.yaml:4: tou_schedule[0].start: must be a time \"HH:MM\" from 00:00 to 24:00, got '7pm'",
    ),
    (
        "name: A\nrate_type: tou\ntou_schedule:\n  - {name: P, rate: 1, end_hour: 7}\n",
        't.yaml:4: tou_schedule[0].start_hour: required (start_hour: 0..24, or start: "HH:MM")',
    ),
    (
        "name: A\nrate_type: tiered\ntiered_rates: [0.1]\n",
        "t.yaml:3: tiered_rates[0]: must be a mapping with up_to_kwh and rate",
    ),
    (
        "name: A\nrate_type: tiered\ntiered_rates:\n  - {rate: 0.1}\n  - {rate: 0.2}\n",
        "t.yaml:4: tiered_rates[0].up_to_kwh: required on every block but the last",
    ),
    (
        "name: A\nrate_type: tiered\ntiered_rates:\n  - {up_to_kwh: 5, rate: 0.1}\n",
        "t.yaml:4: tiered_rates[0].up_to_kwh: the last block must have no bound, so all energy is priced",
    ),
    (
        "name: A\nrate_type: tiered\ntiered_rates:\n  - {up_to_kwh: 5, rate: 0.1}\n  - {up_to_kwh: 5, rate: 0.1}\n  - {rate: 0.2}\n",
        "t.yaml:5: tiered_rates[1].up_to_kwh: must be above the previous block's 5, got 5",
    ),
    (
        "name: A\nrate_type: tiered\ntiered_rates:\n  - {up_to_kwh: 0, rate: 0.1}\n  - {rate: 0.2}\n",
        "t.yaml:4: tiered_rates[0].up_to_kwh: must be above 0",
    ),
    ("{1: a, name: A, rate_type: flat, flat_rate_usd_per_kwh: 1}\n", "t.yaml:1: 1: keys must be text"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=[m.split(": ", 1)[1][:40] for _, m in ERRORS])
def test_error_message(text: str, message: str) -> None:
    found = problems(text)
    assert any(line.startswith(message) for line in found), found


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    found = problems("name: A\nrate_type: flat\nflat_rate_usd_per_kwh: x\nbilling_cycle_day: 0\ncolour: red\n")
    assert len(found) == 3


def test_a_gap_names_months_weekdays_and_time() -> None:
    found = problems(TOU_OK.replace("end_hour: 7\n", "end_hour: 6\n"))
    assert found == ["t.yaml:4: tou_schedule: Jan-Dec Mon-Sun 06:00-07:00 is not covered by any period"]


def test_an_overlap_names_both_periods_and_their_lines() -> None:
    found = problems(
        TOU_OK.replace("days: [mon, tue, wed, thu, fri, sat, sun]", "days: [sat]").replace(
            "start_hour: 7\n    end_hour: 21", "start_hour: 6\n    end_hour: 24"
        )
    )
    assert (
        't.yaml:4: tou_schedule: Jan-Dec Sat 06:00-07:00 is covered by both "Off-Peak" (line 4) and "Peak" (line 9)'
        in found
    )
    assert "t.yaml:4: tou_schedule: Jan-Dec Mon-Fri,Sun 07:00-21:00 is not covered by any period" in found


def test_a_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\nrate_type: flat\nflat_rate_usd_per_kwh: 1\n"
    with pytest.raises(InputError):
        parse_tariff(text, "evil.yaml")
    assert not marker.exists()


# --- schedules: a valid schedule covers each minute exactly once -----------------------------


@st.composite
def partitions(draw: st.DrawFn) -> list[TouPeriod]:
    """A random valid schedule: each day type's minutes cut at random points into periods."""
    cuts = sorted(draw(st.sets(st.integers(1, MINUTES_PER_DAY - 1), max_size=5)))
    edges = [0, *cuts, MINUTES_PER_DAY]
    wrap = draw(st.booleans()) and len(edges) > 2
    periods = []
    for index, (start, end) in enumerate(itertools.pairwise(edges)):
        periods.append(TouPeriod(f"P{index}", Decimal(index), tuple(range(7)), start, end, tuple(range(1, 13)), index))
    if wrap:  # join the first and last pieces into one period that wraps past midnight
        first, last = periods[0], periods[-1]
        periods = [
            *periods[1:-1],
            TouPeriod("W", Decimal(9), first.days, last.start_min, first.end_min, first.months, 99),
        ]
    return periods


@settings(max_examples=80, deadline=None)
@given(periods=partitions(), minute=st.integers(0, MINUTES_PER_DAY - 1))
def test_a_valid_schedule_covers_each_minute_once(periods: list[TouPeriod], minute: int) -> None:
    assert coverage_problems(periods) == []
    owners = [p for p in periods if any(a <= minute < b for a, b in p.minute_ranges())]
    assert len(owners) == 1


def test_schedule_lookup_on_the_wall_clock() -> None:
    tariff = parse_tariff(TOU_OK, "t.yaml")
    schedule = Schedule(tariff)
    # 2026-05-04 06:59:59 UTC is Off-Peak, ending in 1 s; 07:00 is Peak for 14 h.
    assert schedule.period_at(1_777_877_999) == (0, 1)
    assert schedule.period_at(1_777_878_000) == (1, 14 * 3600)
