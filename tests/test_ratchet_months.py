"""A ratchet raises a demand charge only in the months the charge applies to (computed by hand)."""

from __future__ import annotations

from decimal import Decimal

from elecost.tariffs.engine import price_loads
from elecost.tariffs.load import tariff_from_mapping
from elecost.tariffs.usage import Load

from helpers import at


def test_a_seasonal_charge_with_a_ratchet_bills_nothing_outside_its_months() -> None:
    tariff = tariff_from_mapping(
        {
            "name": "Summer demand with a ratchet",
            "energy": [{"name": "Energy", "rate": 0, "start_hour": 0, "end_hour": 24}],
            "demand_charges": [
                {"name": "Summer", "usd_per_kw": 10, "months": [6, 7, 8], "ratchet": {"pct": 80, "periods": 11}},
                {"name": "All year", "usd_per_kw": 1, "ratchet": {"pct": 50, "periods": 2}},
            ],
        },
        "test",
    )
    start, middle, end = at("2018-01-01T00:00"), at("2018-09-01T00:00"), at("2019-01-01T00:00")
    loads = [Load(start, middle, Decimal(100_000)), Load(middle, end, Decimal(20_000))]  # 100 kW, then 20 kW
    bills = price_loads(tariff, loads, start, end)
    # Summer: 100 kW x $10 in Jun-Aug, nothing else. All year: the peak, or 50% of the last two
    # periods' highest (100 kW until October, then 20 kW): 100 x 8, 50, 50, 20, 20 at $1.
    assert [b.demand_charge_usd for b in bills] == [100] * 5 + [1100] * 3 + [50, 50, 20, 20]
