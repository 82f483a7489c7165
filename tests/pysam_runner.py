"""NREL PySAM's Utilityrate5 run on a year of load with given rate settings: the tests' oracle."""

from __future__ import annotations

from typing import Any

import pytest

ur5 = pytest.importorskip("PySAM.Utilityrate5", reason="the test extra installs nrel-pysam")

# One year, no generation, no escalation, no annual minimum: only the tariff under test bills.
DEFAULTS: dict[str, Any] = {
    "ur_en_ts_sell_rate": 0,
    "ur_en_ts_buy_rate": 0,
    "ur_annual_min_charge": 0,
    "rate_escalation": [0],
    "ur_nm_yearend_sell_rate": 0,
    "ur_sell_eq_buy": 0,
}


def monthly_bills(load_kw: list[float], settings: dict[str, Any]) -> dict[str, list[float]]:
    """Each month's charges by kind, as PySAM bills `load_kw` (a year of equal steps) under `settings`."""
    model = ur5.new()
    model.Lifetime.analysis_period = 1
    model.Lifetime.system_use_lifetime_output = 0
    model.Lifetime.inflation_rate = 0
    model.SystemOutput.gen = [0.0] * len(load_kw)
    model.SystemOutput.degradation = [0]
    model.Load.load = load_kw
    for key, value in {**DEFAULTS, **settings}.items():
        setattr(model.ElectricityRates, key, value)
    model.execute()
    out = model.Outputs
    return {
        "energy": list(out.charge_w_sys_ec_ym[1]),
        "flat": list(out.charge_w_sys_dc_fixed_ym[1]),
        "tou": list(out.charge_w_sys_dc_tou_ym[1]),
        "fixed": list(out.charge_w_sys_fixed_ym[1]),
        "minimum": list(out.charge_w_sys_minimum_ym[1]),
        "total": list(out.utility_bill_w_sys_ym[1]),
    }
