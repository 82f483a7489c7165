"""Tariff files a new user or an attacker writes: problems with lines, never a traceback or a hang."""

from __future__ import annotations

import contextlib
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elecost.errors import InputError
from elecost.tariffs.load import parse_tariff

TOU = """
name: T
rate_type: tou
tou_schedule:
  - {{name: Peak, rate: 0.18, days: {days}, start: 07:00, end: 21:00, months: {months}}}
  - {{name: Base, rate: 0.08, start: 21:00, end: 07:00}}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_tariff(textwrap.dedent(text), "t.yaml")
    return [str(p) for p in caught.value.problems]


def test_an_unquoted_time_is_read_as_a_time_not_sexagesimal() -> None:
    tariff = parse_tariff(TOU.format(days="[0, 1, 2, 3, 4, 5, 6]", months="[1,2,3,4,5,6,7,8,9,10,11,12]"), "t.yaml")
    assert [(p.start_min, p.end_min) for p in tariff.tou_schedule] == [(420, 1260), (1260, 420)]


def test_an_exponent_without_a_dot_is_a_number() -> None:
    tariff = parse_tariff("name: x\nrate_type: flat\nflat_rate_usd_per_kwh: 5e-1\n", "t.yaml")
    assert str(tariff.flat_rate_usd_per_kwh) == "0.5"


def test_an_account_number_with_a_leading_zero_stays_text() -> None:
    text = "name: x\nrate_type: flat\nflat_rate_usd_per_kwh: 0.1\naccount_number: 0012345670\n"
    assert parse_tariff(text, "t.yaml").account_number == "0012345670"


def test_days_and_months_are_names_not_their_first_three_letters() -> None:
    text = TOU.format(days="[monkey, Monday, tues]", months="[junk, june, Jul]")
    assert problems(text) == [
        "t.yaml:5: tou_schedule[0].days: must be 0..6 or mon..sun, got 'monkey'",
        "t.yaml:5: tou_schedule[0].months: must be 1..12 or jan..dec, got 'junk'",
    ]


def test_a_huge_number_is_refused() -> None:
    assert problems("name: x\nrate_type: flat\nflat_rate_usd_per_kwh: 1e19\n") == [
        "t.yaml:3: number too large: 1e19 (at most 1e12)"
    ]
    assert problems(
        "name: x\nrate_type: flat\nflat_rate_usd_per_kwh: 0.1\ndaily_service_charge_usd: 99999999999999\n"
    ) == ["t.yaml:4: number too large: 99999999999999 (at most 1e12)"]


def test_deep_nesting_is_refused() -> None:
    assert problems("[" * 5000 + "]" * 5000) == ["t.yaml:1: nested deeper than 50 levels"]
    assert problems("a: " + "[" * 60 + "]" * 60) == ["t.yaml:1: nested deeper than 50 levels"]


def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    assert problems("\n".join(lines)) == ["t.yaml:1: too large: more than 100,000 values (aliases repeating aliases?)"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!#|>'\",.0123456789eE_ \n\t:xyz")), max_size=200))
def test_fuzzed_yaml_never_raises_anything_but_input_error(text: str) -> None:
    with contextlib.suppress(InputError):
        parse_tariff(text, "t.yaml")


SCALARS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        [
            "21:30",
            "5e-1",
            "0012345670",
            ".inf",
            "-.nan",
            "0x1F",
            "0o17",
            "~",
            "yes",
            "1e400",
            "2026-01-01",
            "1e-999999",
            "08",
        ]
    ),
    st.text(max_size=10),
)
FIELDS = st.sampled_from(
    [
        "flat_rate_usd_per_kwh",
        "daily_service_charge_usd",
        "demand_charge_usd_per_kw",
        "demand_interval_minutes",
        "billing_cycle_day",
        "account_number",
        "timezone",
        "name",
        "active",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(FIELDS, SCALARS, max_size=5))
def test_fuzzed_tariff_fields_never_raise_anything_but_input_error(fields: dict[str, str]) -> None:
    body = {"name": "x", "rate_type": "flat", "flat_rate_usd_per_kwh": "0.1", **fields}
    text = "".join(f"{key}: {value!r}\n" if not value.strip() else f"{key}: {value}\n" for key, value in body.items())
    with contextlib.suppress(InputError):
        parse_tariff(text, "t.yaml")


def test_a_long_account_number_is_kept_as_written() -> None:
    text = "name: x\nrate_type: flat\nflat_rate_usd_per_kwh: 0.1\naccount_number: 123456789012345678\n"
    assert parse_tariff(text, "t.yaml").account_number == "123456789012345678"


def test_a_bad_account_number_is_not_shown_in_the_error() -> None:
    text = "name: x\nrate_type: flat\nflat_rate_usd_per_kwh: 0.1\naccount_number: [9876543210]\n"
    assert problems(text) == [
        't.yaml:4: account_number: must be text, e.g. account_number: "1234-5678" (not shown: masked)'
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e9999999", "number too large: 1e9999999 (at most 1e12)"),
        ("1.0e9999999", "number too large: 1.0e9999999 (at most 1e12)"),
        ("1e-9999999", "number too small: 1e-9999999 (at least 1e-12, or 0)"),
    ],
)
def test_extreme_exponents_are_refused(value: str, message: str) -> None:
    assert problems(f"name: x\nrate_type: flat\nflat_rate_usd_per_kwh: {value}\n") == [f"t.yaml:3: {message}"]


def test_a_leading_zero_is_decimal_not_octal() -> None:
    tariff = parse_tariff("name: x\nrate_type: flat\nflat_rate_usd_per_kwh: 0.1\nbilling_cycle_day: 010\n", "t.yaml")
    assert tariff.billing_cycle_day == 10
