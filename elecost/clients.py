"""Hosting clients: each client's miners' costs, plus its share of the site's overhead.

A hosting provider bills each client for what the client's miners drew and cost, and shares out
what the meter holds beyond its miners (PSU losses, cooling, lights, and the fixed and demand
shares of hours no miner reported: the `(site overhead)` rows). The overhead of each location is
the meter's total there minus its miners' rows, and it is shared among the clients in proportion
to their kWh at that location over the span; the last client takes the remainder, so the
clients' totals add up exactly to the meter's total. A location where no miner drew any energy
gives all of its overhead to "(no client)".
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from elecost.db import Database
from elecost.errors import UsageError
from elecost.rownames import SITE_OVERHEAD
from elecost.store import miner_clients
from elecost.summary import meter_records, miner_totals
from elecost.tariffs.allocation import split as split_by
from elecost.tariffs.charges import ZERO, Line, lines_less
from elecost.tariffs.records import DECIMAL_CONTEXT, CostRecord, combine

NO_CLIENT = "(no client)"
_ALL_TIME = (-(2**62), 2**62)


@dataclass(frozen=True)
class ClientTotal:
    """A client's costs over a span, its allocated overhead included, and that overhead alone."""

    client: str
    record: CostRecord
    overhead_kwh: Decimal
    overhead_usd: Decimal


@dataclass(frozen=True)
class ClientSummary:
    """The meter's total over the span and one `ClientTotal` per client (they add up to it)."""

    total: CostRecord
    clients: list[ClientTotal]


def client_summary(db: Database, start_s: int | None, end_s: int | None, location: str | None = None) -> ClientSummary:
    """Each client's totals over [start_s, end_s) (None: from the first / to the last cost row)."""
    first, last = start_s if start_s is not None else _ALL_TIME[0], end_s if end_s is not None else _ALL_TIME[1]
    meters, _ = meter_records(db, first, last, location)  # whole days from the rollups, the edges from rows
    if not meters:
        raise UsageError("no cost rows in that span; import readings and run `elecost record` first")
    if start_s is None:
        first = min(r.period_start_s for r in meters)
    if end_s is None:
        last = max(r.period_end_s for r in meters)
    clients = miner_clients(db)
    by_place: dict[str, list[CostRecord]] = defaultdict(list)
    for row in meters:
        by_place[row.location].append(row)
    parts: dict[str, list[CostRecord]] = defaultdict(list)
    overheads: dict[str, list[CostRecord]] = defaultdict(list)
    for place, rows in sorted(by_place.items()):
        own: dict[str, list[CostRecord]] = defaultdict(list)
        for name, record in miner_totals(db, first, last, place):
            if name != SITE_OVERHEAD:
                own[clients.get((place, name)) or NO_CLIENT].append(record)
        mine = {client: combine(records) for client, records in own.items()}
        rest = _remainder(combine(rows), list(mine.values()))
        for client, record in mine.items():
            parts[client].append(record)
        for client, share in _allocate(rest, {c: r.energy_kwh for c, r in mine.items()}).items():
            parts[client].append(share)
            overheads[client].append(share)
    total = replace(combine(meters), miner_ip=None)
    several = len(by_place) > 1
    if several:
        total = replace(total, location="(all)", rate_name="(several)")
    out = []
    for client in sorted(parts, key=lambda c: (c == NO_CLIENT, c)):
        record = replace(combine(parts[client]), miner_ip=None)
        if several:
            record = replace(record, location="(all)", rate_name="(several)")
        shared = overheads.get(client, [])
        kwh = sum((r.energy_kwh for r in shared), ZERO)
        usd = sum((r.total_cost_usd for r in shared), ZERO)
        out.append(ClientTotal(client, record, kwh, usd))
    return ClientSummary(total, out)


def _line_key(line: Line) -> tuple[str, str, str, str, str]:
    return (line.charge, line.label, line.unit, line.period, line.tier)


def _remainder(meter: CostRecord, miners: Sequence[CostRecord]) -> CostRecord:
    """The meter's record less its miners': kWh, money and lines (a kW line keeps no quantity:
    the client's own peak is what its row shows; the overhead moves only money)."""
    with decimal.localcontext(DECIMAL_CONTEXT):
        remainder = lines_less(meter.lines, (line for record in miners for line in record.lines), _line_key)
        kept = [
            line._replace(quantity=ZERO) if line.unit == "kW" else line
            for line in remainder
            if line.usd or (line.quantity and line.unit != "kW")
        ]
        return replace(
            meter,
            miner_ip=SITE_OVERHEAD,
            energy_kwh=meter.energy_kwh - sum((r.energy_kwh for r in miners), ZERO),
            peak_power_kw=ZERO,
            energy_cost_usd=meter.energy_cost_usd - sum((r.energy_cost_usd for r in miners), ZERO),
            demand_charge_usd=meter.demand_charge_usd - sum((r.demand_charge_usd for r in miners), ZERO),
            service_charge_usd=meter.service_charge_usd - sum((r.service_charge_usd for r in miners), ZERO),
            lines=kept,
        )


def _allocate(rest: CostRecord, kwh: dict[str, Decimal]) -> dict[str, CostRecord]:
    """`rest` shared in proportion to `kwh`, the last client taking the remainder of every amount."""
    takers = sorted((c for c, k in kwh.items() if k > 0), key=lambda c: (c == NO_CLIENT, c))
    if not takers:
        return {NO_CLIENT: rest}
    weights = [kwh[c] for c in takers]

    def split(amount: Decimal) -> list[Decimal]:
        return split_by(amount, weights)

    with decimal.localcontext(DECIMAL_CONTEXT):
        energy_kwh = split(rest.energy_kwh)
        energy = split(rest.energy_cost_usd)
        demand = split(rest.demand_charge_usd)
        service = split(rest.service_charge_usd)
        lines = [list(zip(split(line.quantity), split(line.usd), strict=True)) for line in rest.lines]
        return {
            client: replace(
                rest,
                energy_kwh=energy_kwh[i],
                energy_cost_usd=energy[i],
                demand_charge_usd=demand[i],
                service_charge_usd=service[i],
                lines=[
                    line._replace(quantity=parts[i][0], usd=parts[i][1])
                    for line, parts in zip(rest.lines, lines, strict=True)
                ],
            )
            for i, client in enumerate(takers)
        }
