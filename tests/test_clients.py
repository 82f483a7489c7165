"""Hosting clients: each client's miners' costs plus its kWh share of the site's overhead."""

from __future__ import annotations

import decimal
import json
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from elecost.cli import app

runner = CliRunner()
FLAT = "name: Flat\nlocation: Site\nrate_type: flat\nflat_rate_usd_per_kwh: 0.10\ndaily_service_charge_usd: 1.00\n"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def site(tmp_path: Path) -> None:
    """Two days, every 15 minutes: 10.0.0.1 and 10.0.0.2 (client Acme) at 3 kW each, 10.0.0.3
    (Beta) at 4 kW, `solo` (no client) at 2 kW; the meter reads 15.05 kW, so 3.05 kW of overhead."""
    rows = ["timestamp,miner,power_w"]
    for day in (1, 2):
        for quarter in range(96):
            at = f"2026-11-{day:02d}T{quarter // 4:02d}:{quarter % 4 * 15:02d}:00Z"
            rows += [f"{at},,15050", f"{at},10.0.0.1,3000", f"{at},10.0.0.2,3000", f"{at},10.0.0.3,4000"]
            rows.append(f"{at},solo,2000")
    (tmp_path / "r.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "flat.yaml").write_text(FLAT)
    for args in (
        ["rate", "add", str(tmp_path / "flat.yaml")],
        ["rate", "activate", "Flat"],
        ["miner", "add", "10.0.0.1-10.0.0.2", "--client", "Acme"],
        ["miner", "add", "10.0.0.3", "--client", "Beta"],
        ["readings", "import", str(tmp_path / "r.csv")],
        ["record"],
    ):
        code, _, err = run(*args)
        assert code == 0, err


# By hand: the meter's 722.4 kWh cost 72.24 + 2.00 of service. `record` gives each miner the
# service charge in proportion to its kWh (2 x kWh / 722.4) and the overhead row the rest.
# Overhead: 146.4 kWh, 14.64 + 2 x 146.4 / 722.4 = 15.045316 USD, shared by kWh 288 : 192 : 96.
EXPECTED = {
    # client: (own kWh, own USD, overhead kWh, overhead USD, kWh, USD)
    "Acme": (288.0, 28.80 + 0.797342, 73.2, 7.32 + 0.202658, 361.2, 37.12),
    "Beta": (192.0, 19.20 + 0.531561, 48.8, 4.88 + 0.135105, 240.8, 24.746667),
    "(no client)": (96.0, 9.60 + 0.265781, 24.4, 2.44 + 0.067553, 120.4, 12.373333),
}


def test_summary_by_client_shares_the_overhead_by_kwh_and_adds_up_to_the_bill(tmp_path: Path) -> None:
    site(tmp_path)
    code, out, err = run("summary", "--by", "client", "--from", "2026-11-01", "--to", "2026-11-03", "--json")
    assert code == 0, err
    data = json.loads(out)
    groups = data["groups"]
    assert [g["group"] for g in groups] == list(EXPECTED)
    for group in groups:
        own_kwh, _, overhead_kwh, overhead_usd, kwh, usd = EXPECTED[group["group"]]
        assert (group["overhead_kwh"], group["overhead_usd"]) == (overhead_kwh, round(overhead_usd, 2))
        assert (group["total_kwh"], group["total_cost_usd"]) == (kwh, round(usd, 2))
        assert round(kwh - overhead_kwh, 6) == own_kwh
        assert group["miner_ip"] is None and group["location"] == "Site"
        assert round(sum(line["usd"] for line in group["lines"]), 6) == round(usd, 6)
    (bill,) = json.loads(run("bill", "--json")[1])
    assert (data["total_cost_usd"], data["total_kwh"]) == (bill["total_cost_usd"], 722.4) == (74.24, 722.4)
    assert round(sum(EXPECTED[g][5] for g in EXPECTED), 2) == bill["total_cost_usd"]

    code, out, err = run("summary", "--by", "client", "--from", "2026-11-01", "--to", "2026-11-03")
    assert code == 0, err
    out = " ".join(out.split())
    assert "│ Acme │ 288.000 │ 29.60 │ 73.200 │ 7.52 │ 361.200 │ 36.12 │ 0.00 │ 1.00 │ 37.12 │" in out
    assert "│ (no client) │ 96.000 │ 9.87 │ 24.400 │ 2.51 │ 120.400 │ 12.04 │ 0.00 │ 0.33 │ 12.37 │" in out
    assert "│ total (meter) │ │ │ │ │ 722.400 │ 72.24 │ 0.00 │ 2.00 │ 74.24 │" in out


def test_export_by_client_rows_keep_six_decimals_and_add_up(tmp_path: Path) -> None:
    site(tmp_path)
    code, out, err = run("export", "--by", "client")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "group,rate_name,location,miner_ip,period_start,period_end,duration_hours,total_kwh,avg_power_kw,"
        "peak_power_kw,avg_rate_usd_per_kwh,energy_cost_usd,demand_charge_usd,service_charge_usd,total_cost_usd,"
        "tou_breakdown_usd,tier_breakdown_usd,partial,lines,overhead_kwh,overhead_usd"
    )
    start = "2026-11-01T00:00:00+00:00,2026-11-03T00:00:00+00:00,48.0"
    assert lines[1].startswith(f"Acme,Flat,Site,,{start},361.2,7.525,3.0,0.1,36.12,0.0,1.0,37.12,{{}},{{}},False,")
    assert lines[1].endswith(",73.2,7.522658")
    assert lines[2].startswith(f"Beta,Flat,Site,,{start},240.8,5.016667,4.0,0.1,24.08,0.0,0.666667,24.746667,")
    assert lines[2].endswith(",48.8,5.015105")
    assert lines[3].startswith(f"(no client),Flat,Site,,{start},120.4,2.508333,2.0,0.1,12.04,0.0,0.333333,12.373333,")
    assert lines[3].endswith(",24.4,2.507553")
    assert len(lines) == 4
    rows = json.loads(run("export", "--by", "client", "--format", "json")[1])
    assert round(sum(r["total_cost_usd"] for r in rows), 2) == 74.24
    assert [r["overhead_usd"] for r in rows] == [7.522658, 5.015105, 2.507553]
    for row in rows:
        own_kwh, own_usd, overhead_kwh, overhead_usd, kwh, usd = EXPECTED[row["group"]]
        assert (row["total_kwh"], row["overhead_kwh"], row["overhead_usd"]) == (
            kwh,
            overhead_kwh,
            round(overhead_usd, 6),
        )
        assert row["total_cost_usd"] == usd
        assert abs(row["total_cost_usd"] - row["overhead_usd"] - own_usd) < 2e-6  # two roundings to 6 decimals
        assert round(kwh - overhead_kwh, 6) == own_kwh


def test_miner_add_client_on_a_range_and_list(tmp_path: Path) -> None:
    code, _, err = run("miner", "add", "10.0.0.1-10.0.0.2", "--client", "Acme", "--location", "Site")
    assert (code, err) == (0, "2 miners 10.0.0.1 to 10.0.0.2 at 'Site': ? TH/s, ? W, client 'Acme'\n")
    assert run("miner", "add", "solo", "--location", "Site", "--power-w", "3000")[0] == 0
    data = json.loads(run("miner", "list", "--json")[1])
    assert [(m["name"], m["client"]) for m in data] == [("10.0.0.1", "Acme"), ("10.0.0.2", "Acme"), ("solo", None)]
    assert run("miner", "add", "10.0.0.2", "--power-w", "3250", "--location", "Site")[0] == 0  # keeps its client
    assert run("miner", "add", "10.0.0.1", "--client", "", "--location", "Site")[0] == 0  # '' clears it
    data = json.loads(run("miner", "list", "--json")[1])
    assert [(m["name"], m["client"]) for m in data] == [("10.0.0.1", None), ("10.0.0.2", "Acme"), ("solo", None)]
    out = " ".join(run("miner", "list")[1].split())
    assert "│ 10.0.0.2 │ Site │ Acme │ │ │ 3250 │ │" in out


def test_by_client_refuses_a_miner_and_other_groupings(tmp_path: Path) -> None:
    site(tmp_path)
    code, _, err = run("summary", "--by", "client", "--miner", "solo", "--from", "2026-11-01")
    assert (code, err) == (2, "error: --by client: not with --miner (a miner belongs to one client)\n")
    code, _, err = run("export", "--by", "miner")
    assert (code, err) == (2, "error: --by: only client, got 'miner'\n")


def test_a_location_without_miners_gives_its_overhead_to_no_client(tmp_path: Path) -> None:
    site(tmp_path)
    (tmp_path / "annex.yaml").write_text("name: Annex\nlocation: Annex\nrate_type: flat\nflat_rate_usd_per_kwh: 0.20\n")
    rows = ["timestamp,power_w,location"]
    rows += [f"2026-11-01T{hour:02d}:00:00Z,1000,Annex" for hour in range(24)]
    (tmp_path / "annex.csv").write_text("\n".join(rows) + "\n")
    for args in (
        ["rate", "add", str(tmp_path / "annex.yaml")],
        ["rate", "activate", "Annex"],
        ["readings", "import", str(tmp_path / "annex.csv")],
        ["record"],
    ):
        code, _, err = run(*args)
        assert code == 0, err
    code, out, err = run("export", "--by", "client", "--format", "json")
    assert code == 0, err
    rows_by = {r["group"]: r for r in json.loads(out)}
    # The annex's 24 kWh at $0.20 are all overhead, and nobody's but the operation's.
    annex = rows_by["(no client)"]
    assert (annex["location"], annex["total_kwh"], annex["overhead_kwh"]) == ("(all)", 144.4, 48.4)
    assert (annex["total_cost_usd"], annex["overhead_usd"]) == (
        17.173333,
        7.307553,
    )  # 12.373333 + 4.80, 2.507553 + 4.80
    assert (rows_by["Acme"]["location"], rows_by["Acme"]["total_cost_usd"]) == ("(all)", 37.12)


@given(
    kwh=st.lists(st.decimals(min_value=0, max_value=10_000, places=6), min_size=1, max_size=6),
    usd=st.decimals(min_value=-1_000, max_value=100_000, places=6),
)
def test_shares_of_the_overhead_add_up_to_it_exactly(kwh: list[Decimal], usd: Decimal) -> None:
    from elecost.clients import NO_CLIENT, _allocate
    from elecost.tariffs.charges import Line
    from elecost.tariffs.records import DECIMAL_CONTEXT, CostRecord

    line = Line("energy", "Flat", usd * 10, "kWh", usd, "", "", "")
    rest = CostRecord("Flat", "Site", "(site overhead)", 0, 3600, usd * 10, Decimal(0), usd, usd / 3, usd / 7, [line])
    shares = _allocate(rest, {f"c{i}": k for i, k in enumerate(kwh)})
    if not any(kwh):
        assert list(shares) == [NO_CLIENT]
    assert set(shares) <= {f"c{i}" for i, k in enumerate(kwh) if k} | {NO_CLIENT}
    with decimal.localcontext(DECIMAL_CONTEXT):  # the engine's precision, as the records' own sums
        for amount in ("energy_kwh", "energy_cost_usd", "demand_charge_usd", "service_charge_usd"):
            assert sum((getattr(s, amount) for s in shares.values()), Decimal(0)) == getattr(rest, amount)
        # each share's total is its own sum at 60 digits: equal far below a micro-dollar
        assert abs(sum((s.total_cost_usd for s in shares.values()), Decimal(0)) - rest.total_cost_usd) < Decimal(
            "1e-40"
        )
        assert sum((s.lines[0].usd for s in shares.values()), Decimal(0)) == usd
