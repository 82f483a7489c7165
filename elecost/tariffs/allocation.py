"""Sharing the site's overhead out by kWh: the one rule for `record --allocate-overhead` (each
hour's `(site overhead)` row into that hour's miner rows) and for hosting clients (a span's
overhead among the clients).

Every amount is shared in proportion to the takers' kWh and the last taker gets the remainder,
so the shares add up to the amount exactly (in Decimal; in floats, to their last bit or so,
far inside the 1e-6 USD the store keeps): a utility's bill is shared out, not re-estimated.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

from elecost.rownames import SITE_OVERHEAD
from elecost.tariffs.engine import FloatLine, FloatRow

Amount = TypeVar("Amount", Decimal, float)


def split(amount: Amount, weights: Sequence[Amount]) -> list[Amount]:
    """`amount` in proportion to `weights` (at least one, adding up to more than zero), the last
    share being what the others leave, so that the shares add up to `amount`. Decimals are worked
    in the caller's context."""
    whole = weights[0]
    for weight in weights[1:]:
        whole += weight
    shares: list[Amount] = [amount * weight / whole for weight in weights[:-1]]
    if not shares:
        return [amount]
    taken = shares[0]
    for share in shares[1:]:  # added up left to right, as a sum of the shares is
        taken += share
    shares.append(amount - taken)
    return shares


def allocate_overhead(rows: Sequence[FloatRow]) -> list[FloatRow]:
    """Miner and overhead rows (as `price_hours_for_store` makes them) with each hour's overhead
    row shared among that hour's miner rows with energy, by their kWh: every line (energy, riders,
    demand, fixed, minimum), kWh and amount, so the miner rows add up to the meter's row.

    An hour whose miners drew nothing (or that no miner reported in) keeps its overhead row:
    there is nothing to share it by. A miner's own peak kW stays its own.
    """
    overhead_at: dict[int, int] = {}
    takers_at: dict[int, list[int]] = {}
    for index, row in enumerate(rows):
        if row[0] == SITE_OVERHEAD:
            overhead_at[row[1]] = index
        elif row[3] > 0:
            takers_at.setdefault(row[1], []).append(index)
    out = list(rows)
    shared: set[int] = set()
    for start, index in overhead_at.items():
        takers = takers_at.get(start)
        if not takers:
            continue
        _, _, _, kwh, _, energy_usd, demand_usd, service_usd, lines = rows[index]
        weights = [rows[taker][3] for taker in takers]
        kwh_shares = split(kwh, weights)
        energy_shares = split(energy_usd, weights)
        demand_shares = split(demand_usd, weights)
        service_shares = split(service_usd, weights)
        line_shares = [(kind, split(quantity, weights), split(usd, weights)) for kind, quantity, usd in lines]
        for n, taker in enumerate(takers):
            name, row_start, row_end, own_kwh, peak_kw, energy, demand, service, own_lines = out[taker]
            merged: list[FloatLine] = list(own_lines)
            position = {kind: at for at, (kind, _, _) in enumerate(merged)}
            for kind, quantities, amounts in line_shares:
                at = position.get(kind)
                if at is None:
                    position[kind] = len(merged)
                    merged.append((kind, quantities[n], amounts[n]))
                else:
                    _, quantity, usd = merged[at]
                    merged[at] = (kind, quantity + quantities[n], usd + amounts[n])
            out[taker] = (
                name,
                row_start,
                row_end,
                own_kwh + kwh_shares[n],
                peak_kw,
                energy + energy_shares[n],
                demand + demand_shares[n],
                service + service_shares[n],
                merged,
            )
        shared.add(index)
    return [row for index, row in enumerate(out) if index not in shared]
