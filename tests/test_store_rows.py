"""`record`'s float rows are the engine's Decimal records, to 1e-9 USD, and add up as they do."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hourly import fleets, milli

from elecost.tariffs.engine import KindKey, price_hours, price_hours_for_store
from elecost.tariffs.periods import billing_periods
from elecost.tariffs.usage import Load

from helpers import example

CLOSE = {"rel": 1e-12, "abs": 1e-9}


@settings(max_examples=40, deadline=None)
@given(
    fleet=fleets(),
    which=st.sampled_from(
        ["texas_industrial.yaml", "tiered.yaml", "tou.yaml", "flat.yaml", "entergy_arkansas_lps_tou.yaml"]
    ),
    metered=st.booleans(),
)
def test_float_rows_match_the_decimal_records(fleet: dict[str, list[Load]], which: str, metered: bool) -> None:
    tariff = example(which)
    loads = milli(fleet)
    if metered:  # whole-meter readings above the miners': the rest is site overhead
        first = min(rows[0][0] for rows in loads.values())
        last = max(rows[-1][1] for rows in loads.values())
        loads[""] = [(first, last, 20_000_000)]
    kinds: dict[KindKey, int] = {}

    def kind_id(key: KindKey) -> int:
        return kinds.setdefault(key, len(kinds))

    first = min(rows[0][0] for rows in loads.values())
    last = max(rows[-1][1] for rows in loads.values())
    for start, end in billing_periods(ZoneInfo(tariff.timezone), tariff.billing_cycle_day, first, last):
        records = price_hours(tariff, loads, start, end)
        meter, rows = price_hours_for_store(tariff, loads, start, end, (start, end), kind_id)
        assert meter == [record for record in records if record.miner_ip is None]
        expected = {(r.miner_ip, r.period_start_s): r for r in records if r.miner_ip is not None}
        assert sorted(expected) == sorted((row[0], row[1]) for row in rows)
        for name, row_start, row_end, kwh, peak, energy, demand, service, lines in rows:
            record = expected[(name, row_start)]
            assert row_end == record.period_end_s
            assert kwh == pytest.approx(float(record.energy_kwh), **CLOSE)
            assert peak == pytest.approx(float(record.peak_power_kw), **CLOSE)
            assert energy == pytest.approx(float(record.energy_cost_usd), **CLOSE)
            assert demand == pytest.approx(float(record.demand_charge_usd), **CLOSE)
            assert service == pytest.approx(float(record.service_charge_usd), **CLOSE)
            assert sum(usd for _, _, usd in lines) == pytest.approx(energy + demand + service, **CLOSE)
            by_kind: dict[int, list[Decimal]] = {}
            for line in record.lines:
                key = (line.charge, line.label, line.unit, line.part, line.period, line.tier)
                held = by_kind.setdefault(kind_id(key), [Decimal(0), Decimal(0)])
                held[0] += line.quantity
                held[1] += line.usd
            ours: dict[int, list[float]] = {}
            for kind, quantity, usd in lines:
                sums = ours.setdefault(kind, [0.0, 0.0])
                sums[0] += quantity
                sums[1] += usd
            assert ours.keys() == by_kind.keys()
            for kind, (quantity, usd) in ours.items():
                assert quantity == pytest.approx(float(by_kind[kind][0]), **CLOSE)
                assert usd == pytest.approx(float(by_kind[kind][1]), **CLOSE)
