"""The one pricing engine: loads over a billing period -> hourly cost records with line items.

Every command prices through here: `calc --power` (one steady load), `calc --readings` and
`bill` (a meter's readings), `record` (hourly rows for the meter and each miner), `profit`.
A billing period is tallied once (`usage.tally`: energy per local hour and price period, energy
per demand window) and each charge's rule (`charges`) turns the tally into lines per hour.

The rows add up by construction:
- the meter's hourly rows over a billing period sum to the period's bill;
- each miner's row is its own energy at the prices in force (and its own riders), and its share
  of the meter's hour by energy for what only exists at the meter: tiers, demand, coincident
  peak, fixed charges and the minimum bill. A meter hour with no energy is shared equally by the
  miners reporting in it.
Instants are integer UTC epoch seconds; money stays Decimal at full precision; rounding to cents
happens only where it is shown (elecost.report_data).
"""

from __future__ import annotations

import decimal
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from elecost.errors import UsageError
from elecost.instants import iso
from elecost.rownames import SITE_OVERHEAD
from elecost.tariffs.charges import (
    DEMAND_KINDS,
    ENERGY_KINDS,
    SERVICE_KINDS,
    ZERO,
    KindKey,
    Line,
    energy_lines,
    fixed_lines,
    ladder_amounts,
    ladder_lines,
    lines_less,
    period_days,
    rider_lines,
)
from elecost.tariffs.model import Tariff
from elecost.tariffs.periods import billing_periods
from elecost.tariffs.records import DECIMAL_CONTEXT, CostRecord, combine, of_lines
from elecost.tariffs.schedule import Schedule
from elecost.tariffs.usage import (
    HOUR_S,
    MILLIWATT_SECONDS_PER_KWH,
    Load,
    MilliLoad,
    PackedLoads,
    Tally,
    add_tally,
    by_hour,
    clip,
    clock_phase_s,
    float_hourly_peaks_kw,
    hourly_peaks_kw,
    local_hours,
    pieces,
    tally,
    to_milli,
    window_average_kw,
)

# A miner's share of the meter's lines is worked to 28 digits (1e-25 USD on an hour's amounts, far
# below the 1e-6 kept in the store): a fleet has a row per miner-hour, and shorter numbers multiply faster.
SHARE_CONTEXT = decimal.Context(prec=28)


@dataclass(frozen=True)
class Prior:
    """What a billing period's stored hours before a point came to: kWh per energy period (for
    tiers) and the billed kW of each demand charge so far."""

    energy_kwh: Mapping[int, Decimal] = field(default_factory=dict)
    billed_kw: Mapping[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What pricing a billing period needs beyond its own readings.

    `ratchet_kw`: per demand charge with a ratchet, the highest peak of its previous periods;
    `coincident_kw`: the site's mean kW in last year's coincident peaks (None: no peaks known);
    `prices`: for an index tariff, its market's price intervals over (at least) the span priced.
    """

    ratchet_kw: Mapping[int, Decimal] = field(default_factory=dict)
    coincident_kw: Decimal | None = None
    prices: Sequence[tuple[int, int, Decimal]] = ()  # an index tariff's market: (start_s, end_s, $/MWh)


NO_CONTEXT = Context()


def price_hours(
    tariff: Tariff,
    loads: Mapping[str, Sequence[MilliLoad]],
    period_start_s: int,
    period_end_s: int,
    within: tuple[int, int] | None = None,
    *,
    miner_rows: bool = True,
    prior: Prior | None = None,
    context: Context = NO_CONTEXT,
    span: tuple[int, int] | None = None,
) -> list[CostRecord]:
    """Hourly records of one billing period: the meter's (miner_ip None) and each miner's.

    `loads` maps miner name to its sorted, non-overlapping loads; the key '' holds whole-meter
    readings, which, when present, are the meter's load (else the meter is the sum of its
    miners). The rows cover the billing period (cut to `within`) from the first load to the end
    of the last, or exactly `span` where given. Without `miner_rows`, only the meter's rows are
    made (for bills). With `prior` (what the period's earlier hours, already stored, came to),
    only the hours from `within` on are made: tiers continue from the energy so far, and each
    demand charge is spread at its billed kW so far or the new one, whichever is higher.
    """
    rows, _, _ = _price(tariff, _packed(loads), period_start_s, period_end_s, within, miner_rows, prior, context, span)
    return rows


# A miner row as `record` stores it: floats, lines as (line kind's id, quantity, usd).
FloatLine = tuple[int, float, float]
FloatRow = tuple[str, int, int, float, float, float, float, float, list[FloatLine]]


def price_hours_for_store(
    tariff: Tariff,
    loads: Mapping[str, Sequence[MilliLoad]],
    period_start_s: int,
    period_end_s: int,
    within: tuple[int, int],
    kind_id: Callable[[KindKey], int],
    *,
    prior: Prior | None = None,
    context: Context = NO_CONTEXT,
) -> tuple[list[CostRecord], list[FloatRow]]:
    """`price_hours` for `record`: the meter's rows as records, its miners' (and overhead) rows as floats.

    A fleet-month is 720,000 miner rows going straight to REAL columns: worked in floats (1e-16
    relative, far inside the 1e-6 USD the store keeps) they cost a tenth of Decimal records.
    Each row is (miner, start_s, end_s, kWh, peak kW, energy, demand, service USD, lines), its
    lines adding up to its amounts; `kind_id` gives a line kind's stored id.
    """
    meter, _, rows = _price(
        tariff, _packed(loads), period_start_s, period_end_s, within, True, prior, context, None, kind_id=kind_id
    )
    return meter, rows


def _packed(loads: Mapping[str, Sequence[MilliLoad]]) -> dict[str, PackedLoads]:
    """Loads packed once for all the billing periods priced from them (the store's come packed)."""
    return {name: PackedLoads.of(rows) for name, rows in loads.items()}


def _price(
    tariff: Tariff,
    loads: Mapping[str, PackedLoads],
    period_start_s: int,
    period_end_s: int,
    within: tuple[int, int] | None,
    miner_rows: bool,
    prior: Prior | None,
    context: Context,
    span: tuple[int, int] | None,
    *,
    kind_id: Callable[[KindKey], int] | None = None,
) -> tuple[list[CostRecord], list[Decimal], list[FloatRow]]:
    """The hourly records, each demand charge's own peak [kW] within them, and (with `kind_id`)
    the miner and overhead rows as floats instead of records."""
    zone = ZoneInfo(tariff.timezone)
    cut_start, cut_end = within or (period_start_s, period_end_s)
    cut_start, cut_end = max(cut_start, period_start_s), min(cut_end, period_end_s)
    clipped = {name: clip(rows, cut_start, cut_end) for name, rows in loads.items()}
    clipped = {name: rows for name, rows in clipped.items() if rows}
    miners = {name: rows for name, rows in clipped.items() if name}
    spanning = [clipped[""]] if "" in clipped else list(miners.values())
    if span is not None:
        low, high = max(span[0], cut_start), min(span[1], cut_end)
    elif spanning:
        low, high = min(rows[0][0] for rows in spanning), max(rows[-1][1] for rows in spanning)
    else:
        return [], [], []
    if high <= low:
        return [], [], []
    # Loads were cut to the period; the tally counts only what falls in [low, high): a span given,
    # or the meter's readings where they end before (or start after) the miners'.
    clipped = {name: inside for name, rows in clipped.items() if (inside := clip(rows, low, high))}
    hours = local_hours(zone, low, high)
    rates: list[Decimal] | None = None
    if tariff.index is not None:
        segments, rates = _price_segments(tariff, zone, context.prices, low, high)
    else:
        segments = list(Schedule(tariff).segments(low, high))
    cut = pieces(segments, hours)
    window_s = tariff.demand_interval_minutes * 60
    window_phase = clock_phase_s(zone, low, window_s)
    first_hour = hours[0][0] - (hours[0][0] + clock_phase_s(zone, low, HOUR_S)) % HOUR_S

    metered = "" in clipped
    meter: Tally = ({}, {})  # the meter's readings' tally, or its miners' added up
    tallies: dict[str, Tally] = {}
    miner_peaks: dict[str, dict[int, float]] = {}
    for name, own in clipped.items():
        energy, windows = tally(own, cut, window_s, window_phase)
        if not name:
            meter = (energy, windows)
            continue
        if not metered:
            add_tally(meter, (energy, windows))
        if kind_id is not None:  # the store's rows need only a miner's hourly peaks: its windows are let go
            miner_peaks[name] = float_hourly_peaks_kw(windows, window_s, low, high, first_hour)
            windows = {}  # a 10,000-miner month's windows: 1.4 GB a billing period
        tallies[name] = (energy, windows)
    meter_energy, meter_windows = meter
    with decimal.localcontext(DECIMAL_CONTEXT):
        peaks = demand_peaks_kw(tariff, zone, meter_windows, window_s, low, high)
        meter_rows = _meter_rows(
            tariff,
            zone,
            meter_energy,
            hourly_peaks_kw(meter_windows, window_s, low, high, first_hour),
            peaks,
            hours,
            (period_start_s, period_end_s),
            prior,
            context,
            rates,
        )
        reporting = Counter(hour for energy, _ in tallies.values() for hour in {hour for hour, _ in energy})
        rows = list(meter_rows)
        if kind_id is not None:
            float_rows = _float_rows(
                tariff, zone, tallies, miner_peaks, meter_rows, meter_energy, hours, rates, reporting, metered, kind_id
            )
            return rows, peaks, float_rows
        if miner_rows and tallies:  # the miners' tallies (the meter's readings' is not among them)
            shared = _shared_lines(meter_rows, tariff.laddered)
            for name in sorted(tallies):
                energy, windows = tallies[name]
                own_peaks = hourly_peaks_kw(windows, window_s, low, high, first_hour)
                rows.extend(
                    _miner_rows(tariff, zone, name, energy, own_peaks, hours, meter_rows, shared, reporting, rates)
                )
            rows.extend(_overhead_rows(tariff, meter_rows, rows[len(meter_rows) :], metered, reporting))
    return rows, peaks, []


def _overhead_rows(
    tariff: Tariff,
    meter_rows: Sequence[CostRecord],
    miner_rows: Sequence[CostRecord],
    metered: bool,
    reporting: Mapping[int, int],
) -> list[CostRecord]:
    """What the meter's hours hold beyond their miners' rows, as rows of their own.

    With whole-meter readings beside the miners', the meter's energy is more than its miners' (PSU
    losses, cooling, lights): the remainder of every hour is the site's overhead. Without them, an
    hour in which no miner reported still pays its fixed and demand share: that too is overhead.
    So miner rows and overhead rows always add up to the meter's rows.
    """
    by_start: dict[int, list[CostRecord]] = {}
    for row in miner_rows:
        by_start.setdefault(row.period_start_s, []).append(row)
    out = []
    for index, meter in enumerate(meter_rows):
        if not metered and reporting.get(index):
            continue
        miners = by_start.get(meter.period_start_s, [])
        energy_kwh = meter.energy_kwh - sum((row.energy_kwh for row in miners), ZERO)
        lines = lines_less(meter.lines, (line for row in miners for line in row.lines))
        out.append(
            of_lines(
                tariff.name,
                tariff.location,
                SITE_OVERHEAD,
                meter.period_start_s,
                meter.period_end_s,
                energy_kwh,
                ZERO,
                lines,
            )
        )
    return out


class Unpriced(UsageError):
    """An index tariff's span reaches an instant its market has no price for (`at_s`)."""

    def __init__(self, message: str, at_s: int) -> None:
        super().__init__(message)
        self.at_s = at_s


def _price_segments(
    tariff: Tariff, zone: ZoneInfo, prices: Sequence[tuple[int, int, Decimal]], low: int, high: int
) -> tuple[list[tuple[int, int, int]], list[Decimal]]:
    """An index tariff's price intervals over [low, high) as schedule segments, with each one's $/kWh.

    Raises Unpriced at the first instant without a price: a span is never priced at zero.
    """
    assert tariff.index is not None
    segments: list[tuple[int, int, int]] = []
    rates: list[Decimal] = []
    at = low
    for start, end, usd_per_mwh in prices:
        if end <= at or start >= high:
            continue
        if start > at:
            break
        segments.append((at, min(end, high), len(rates)))
        rates.append(tariff.index.usd_per_kwh(usd_per_mwh))
        at = min(end, high)
        if at >= high:
            return segments, rates
    raise Unpriced(
        f"no {tariff.index.market} price from {iso(at, zone)}, the first interval without one; "
        "import it with `elecost prices import`",
        at,
    )


def demand_peaks_kw(
    tariff: Tariff, zone: ZoneInfo, windows: Mapping[int, int], window_s: int, low: int, high: int
) -> list[Decimal]:
    """Each demand charge's peak: the highest window average among the windows it applies to.

    A window counts for a charge by the local month, weekday (a holiday as Sunday) and minute
    of day at which it starts; windows are clock-aligned and divide the hour.
    """
    charges = tariff.all_demand_charges
    if not charges:
        return []
    best: list[tuple[float, int]] = [(0.0, -1)] * len(charges)
    holidays = tariff.holidays
    for window, energy in windows.items():
        covered = min(high, window + window_s) - max(low, window)
        average = energy / covered
        local = datetime.fromtimestamp(window, UTC).astimezone(zone)
        weekday = 6 if holidays and holidays.contains(local.date()) else local.weekday()
        minute = local.hour * 60 + local.minute
        for index, charge in enumerate(charges):
            if average > best[index][0] and charge.applies(local.month, weekday, minute):
                best[index] = (average, window)
    return [
        ZERO if window == -1 else window_average_kw(windows[window], window, window_s, low, high) for _, window in best
    ]


def _meter_rows(
    tariff: Tariff,
    zone: ZoneInfo,
    energy: Mapping[tuple[int, int], int],
    hourly_peaks: Mapping[int, Decimal],
    charge_peaks: Sequence[Decimal],
    hours: list[tuple[int, int]],
    period: tuple[int, int],
    prior: Prior | None,
    context: Context,
    market_rates: Sequence[Decimal] | None,
) -> list[CostRecord]:
    prior = prior or Prior()
    period_s = period[1] - period[0]
    kwh_by_hour = by_hour(energy)
    spread = _spread_charges(tariff, charge_peaks, prior, context, period_s, _local_months(zone, *period))
    laddered = tariff.laddered
    cumulative = dict(prior.energy_kwh)
    days = period_days(zone, *period) if laddered else 0
    before = ladder_amounts(tariff, cumulative, days) if laddered else {}
    riders = bool(tariff.riders)
    fixed = tariff.all_fixed_charges
    hour_lines: list[list[Line]] = []
    for index, (start, end) in enumerate(hours):
        by_part = kwh_by_hour.get(index, {})
        lines: list[Line] = []
        if laddered:
            for part, kwh in by_part.items():
                cumulative[part] = cumulative.get(part, ZERO) + kwh
            after = ladder_amounts(tariff, cumulative, days)
            lines.extend(ladder_lines(tariff, before, after))
            before = after
        else:
            lines.extend(energy_lines(tariff, by_part, market_rates))
        if riders:
            month = datetime.fromtimestamp(start, UTC).astimezone(zone).month
            lines.extend(rider_lines(tariff, sum(by_part.values(), ZERO), month))
        seconds = end - start
        lines.extend(line._replace(usd=per_s * seconds) for line, per_s in spread if per_s)
        if fixed:
            lines.extend(fixed_lines(fixed, zone, start, end, period_s))
        hour_lines.append(lines)
    if tariff.minimum_bill_usd and not prior.energy_kwh and not prior.billed_kw:
        _add_minimum(tariff, hour_lines, hours, period_s)
    return [
        of_lines(
            tariff.name,
            tariff.location,
            None,
            start,
            end,
            sum(kwh_by_hour.get(index, {}).values(), ZERO),
            hourly_peaks.get(index, ZERO),
            lines,
        )
        for index, ((start, end), lines) in enumerate(zip(hours, hour_lines, strict=True))
    ]


def _local_months(zone: ZoneInfo, start_s: int, end_s: int) -> set[int]:
    """The local calendar months a billing period [start_s, end_s) touches."""
    first = datetime.fromtimestamp(start_s, UTC).astimezone(zone)
    last = datetime.fromtimestamp(end_s - 1, UTC).astimezone(zone)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return {(first.month - 1 + step) % 12 + 1 for step in range(min(count, 12))}


def _spread_charges(
    tariff: Tariff,
    charge_peaks: Sequence[Decimal],
    prior: Prior,
    context: Context,
    period_s: int,
    months: set[int],
) -> list[tuple[Line, Decimal]]:
    """The charges spread over the billing period by time: a template line each and its $/s.

    A ratchet raises a charge only in billing periods within the charge's months: a summer
    demand charge does not bill in winter because of last summer's peak.
    """
    out = []
    for index, charge in enumerate(tariff.all_demand_charges):
        billed = max(prior.billed_kw.get(index, ZERO), charge_peaks[index])
        if charge.ratchet is not None and months.intersection(charge.months):
            billed = max(billed, charge.ratchet.pct / 100 * context.ratchet_kw.get(index, ZERO))
        per_s = charge.usd(billed) / period_s
        out.append((Line("demand", charge.name, billed, "kW", ZERO, index), per_s))
    if tariff.coincident_peak is not None and context.coincident_kw is not None:
        usd_per_kw = tariff.coincident_peak.usd_per_kw
        line = Line("coincident_peak", "Coincident peak", context.coincident_kw, "kW", ZERO)
        out.append((line, usd_per_kw * context.coincident_kw / period_s))
    return out


def _add_minimum(tariff: Tariff, hour_lines: list[list[Line]], hours: list[tuple[int, int]], period_s: int) -> None:
    """The minimum bill's shortfall (prorated to the span priced), spread over the hours by time."""
    span_s = hours[-1][1] - hours[0][0]
    charged = sum((line.usd for lines in hour_lines for line in lines), ZERO)
    shortfall = tariff.minimum_bill_usd * span_s / period_s - charged
    if shortfall <= 0:
        return
    for lines, (start, end) in zip(hour_lines, hours, strict=True):
        share = Decimal(end - start) / span_s
        lines.append(Line("minimum", "Minimum bill", share * span_s / period_s, "month", shortfall * share))


def _miner_rows(
    tariff: Tariff,
    zone: ZoneInfo,
    name: str,
    energy: Mapping[tuple[int, int], int],
    peaks: Mapping[int, Decimal],
    hours: list[tuple[int, int]],
    meter_rows: Sequence[CostRecord],
    shared_lines: Sequence[Sequence[Line]],
    reporting: Mapping[int, int],
    market_rates: Sequence[Decimal] | None,
) -> list[CostRecord]:
    """A miner's hourly rows: its own energy and riders, and its share of the meter's other lines.

    The hot loop of a fleet's `record` (a row per miner-hour): lines and amounts are built
    directly rather than through `of_lines` and `_replace`.
    """
    rows = []
    laddered = tariff.laddered
    riders = bool(tariff.riders)
    with decimal.localcontext(SHARE_CONTEXT):
        for index, by_part in sorted(by_hour(energy).items()):
            meter = meter_rows[index]
            shared = shared_lines[index]
            energy_kwh = next(iter(by_part.values())) if len(by_part) == 1 else sum(by_part.values(), ZERO)
            share = energy_kwh / meter.energy_kwh if meter.energy_kwh else Decimal(1) / reporting[index]
            start, end = hours[index]
            if laddered:
                lines: list[Line] = []
                energy_usd = ZERO
            else:
                lines = energy_lines(tariff, by_part, market_rates)
                energy_usd = lines[0].usd if len(lines) == 1 else sum((line.usd for line in lines), ZERO)
            if riders:
                month = datetime.fromtimestamp(start, UTC).astimezone(zone).month
                own = rider_lines(tariff, energy_kwh, month)
                lines.extend(own)
                energy_usd += sum((line.usd for line in own), ZERO)
            demand_usd = service_usd = ZERO
            for charge, label, quantity, unit, usd, part, period, tier in shared:
                usd *= share
                lines.append(Line(charge, label, quantity * share, unit, usd, part, period, tier))
                if charge in DEMAND_KINDS:
                    demand_usd += usd
                elif charge in SERVICE_KINDS:
                    service_usd += usd
                else:
                    energy_usd += usd
            rows.append(
                CostRecord(
                    tariff.name,
                    tariff.location,
                    name,
                    start,
                    end,
                    energy_kwh,
                    peaks.get(index, ZERO),
                    energy_usd,
                    demand_usd,
                    service_usd,
                    lines,
                )
            )
    return rows


def _shared_lines(meter_rows: Sequence[CostRecord], laddered: bool) -> list[list[Line]]:
    """Per meter hour, the lines its miners share by energy: all but energy at its rates and riders,
    which each miner pays on its own kWh (tiered energy is shared), to 28 digits."""
    out = []
    short = SHARE_CONTEXT.plus
    for meter in meter_rows:
        shared = [
            line._replace(quantity=short(line.quantity), usd=short(line.usd))
            for line in meter.lines
            if line.charge != "rider" and (laddered or line.charge != "energy")
        ]
        out.append(shared)
    return out


def _float_rows(
    tariff: Tariff,
    zone: ZoneInfo,
    tallies: Mapping[str, Tally],
    own_peaks: Mapping[str, Mapping[int, float]],
    meter_rows: Sequence[CostRecord],
    meter_energy: Mapping[tuple[int, int], int],
    hours: list[tuple[int, int]],
    market_rates: Sequence[Decimal] | None,
    reporting: Mapping[int, int],
    metered: bool,
    kind_id: Callable[[KindKey], int],
) -> list[FloatRow]:
    """`_miner_rows` and `_overhead_rows` in floats, for the store (see `price_hours_for_store`),
    from each miner's energy tally and its hourly peaks [kW] (`own_peaks`).

    The same rules: a miner pays its own energy at its period's rate and its riders, and its share
    (by energy, or equally in an hour without any) of the meter's other lines; the overhead rows
    hold what the meter's hours have beyond their miners' rows. Line kinds and rates are looked
    up once per billing period, not per miner-hour.
    """
    laddered = tariff.laddered
    energy_class, demand_class = 0, 1
    classes = dict.fromkeys(ENERGY_KINDS, energy_class) | dict.fromkeys(DEMAND_KINDS, demand_class)
    # Per meter hour: its total mW*s and its shared lines as (kind id, class, quantity, usd).
    meter_mws = [0] * len(hours)
    for (hour, _), amount in meter_energy.items():
        meter_mws[hour] += amount
    keys: dict[tuple[str, str, str, int, str, str], int] = {}

    def kind_of(line: Line) -> int:
        key = (line.charge, line.label, line.unit, line.part, line.period, line.tier)
        found = keys.get(key)
        if found is None:
            found = keys[key] = kind_id(key)
        return found

    shared = [
        [
            (kind_of(line), classes.get(line.charge, 2), float(line.quantity), float(line.usd))
            for line in meter.lines
            if line.charge != "rider" and (laddered or line.charge != "energy")
        ]
        for meter in meter_rows
    ]
    if market_rates is not None:
        assert tariff.index is not None
        market_kind = kind_id(("energy", tariff.index.market, "kWh", -1, "", ""))
        float_rates = [float(rate) for rate in market_rates]
    else:
        periods = tariff.energy_periods
        timed = tariff.timed
        period_kinds = [
            kind_id(("energy", period.name, "kWh", part, period.name if timed else "", ""))
            for part, period in enumerate(periods)
        ]
        float_rates = [float(period.rate_usd_per_kwh) for period in periods]
    riders = [
        (kind_id(("rider", rider.name, "kWh", index, "", "")), float(rider.usd_per_kwh), rider.months)
        for index, rider in enumerate(tariff.riders)
    ]
    months = [datetime.fromtimestamp(start, UTC).astimezone(zone).month for start, _ in hours] if riders else []
    per_kwh = 1 / float(MILLIWATT_SECONDS_PER_KWH)
    out: list[FloatRow] = []
    by_hour_rows: dict[int, list[FloatRow]] = {}
    for name in sorted(tallies):
        energy = tallies[name][0]
        peaks = own_peaks[name]
        mws_by_hour: dict[int, int] = {}
        parts_by_hour: dict[int, list[tuple[int, int]]] = {}
        for (hour, part), amount in energy.items():
            mws_by_hour[hour] = mws_by_hour.get(hour, 0) + amount
            parts_by_hour.setdefault(hour, []).append((part, amount))
        for index in sorted(mws_by_hour):
            mws = mws_by_hour[index]
            total = meter_mws[index]
            share = mws / total if total else 1 / reporting[index]
            kwh = mws * per_kwh
            lines: list[FloatLine] = []
            energy_usd = demand_usd = service_usd = 0.0
            if not laddered:
                if market_rates is not None:
                    usd = sum((amount * float_rates[part] for part, amount in parts_by_hour[index]), 0.0) * per_kwh
                    lines.append((market_kind, kwh, usd))
                    energy_usd = usd
                else:
                    for part, amount in parts_by_hour[index]:
                        part_kwh = amount * per_kwh
                        usd = part_kwh * float_rates[part]
                        lines.append((period_kinds[part], part_kwh, usd))
                        energy_usd += usd
            if riders and kwh:
                month = months[index]
                for kind, rate, in_months in riders:
                    if month in in_months:
                        usd = kwh * rate
                        lines.append((kind, kwh, usd))
                        energy_usd += usd
            for kind, klass, quantity, meter_usd in shared[index]:
                usd = meter_usd * share
                lines.append((kind, quantity * share, usd))
                if klass == energy_class:
                    energy_usd += usd
                elif klass == demand_class:
                    demand_usd += usd
                else:
                    service_usd += usd
            start, end = hours[index]
            row = (name, start, end, kwh, peaks.get(index, 0.0), energy_usd, demand_usd, service_usd, lines)
            out.append(row)
            by_hour_rows.setdefault(index, []).append(row)
    if tallies:
        out.extend(_float_overhead(tariff, meter_rows, by_hour_rows, metered, reporting, kind_of, classes))
    return out


def _float_overhead(
    tariff: Tariff,
    meter_rows: Sequence[CostRecord],
    by_hour_rows: Mapping[int, list[FloatRow]],
    metered: bool,
    reporting: Mapping[int, int],
    kind_of: Callable[[Line], int],
    classes: Mapping[str, int],
) -> list[FloatRow]:
    """`_overhead_rows` in floats: each meter hour's lines less its miners' lines, by kind."""
    out: list[FloatRow] = []
    for index, meter in enumerate(meter_rows):
        if not metered and reporting.get(index):
            continue
        held: dict[int, list[float]] = {}
        klass: dict[int, int] = {}
        for line in meter.lines:
            kind = kind_of(line)
            klass[kind] = classes.get(line.charge, 2)
            amounts = held.setdefault(kind, [0.0, 0.0])
            amounts[0] += float(line.quantity)
            amounts[1] += float(line.usd)
        kwh = float(meter.energy_kwh)
        for row in by_hour_rows.get(index, ()):
            kwh -= row[3]
            for kind, quantity, usd in row[8]:
                if kind not in held:
                    held[kind] = [0.0, 0.0]
                    klass[kind] = 0  # only a miner's own energy or rider lines can be missing from its meter
                amounts = held[kind]
                amounts[0] -= quantity
                amounts[1] -= usd
        sums = [0.0, 0.0, 0.0]
        for kind, (_, usd) in held.items():
            sums[klass[kind]] += usd
        lines = [(kind, quantity, usd) for kind, (quantity, usd) in held.items()]
        out.append(
            (SITE_OVERHEAD, meter.period_start_s, meter.period_end_s, kwh, 0.0, sums[0], sums[1], sums[2], lines)
        )
    return out


# --- bills ---------------------------------------------------------------------------------


def bill_from_hours(tariff: Tariff, hours: Sequence[CostRecord], period_start_s: int, period_end_s: int) -> CostRecord:
    """A billing period's bill from its meter's hourly records.

    Energy lines are their sums; the per-period charges are the period's own arithmetic (amount x
    span / period, a fixed charge per day for the days covered) rather than the sum of their hourly
    spreads, which can differ by 1e-50 USD: a bill shows the utility's arithmetic.
    """
    record = combine(hours)
    period_s = period_end_s - period_start_s
    start, end = record.period_start_s, record.period_end_s
    share = Decimal(end - start) / period_s
    demand = tariff.all_demand_charges
    lines = []
    with decimal.localcontext(DECIMAL_CONTEXT):
        for line in record.lines:
            if line.charge == "demand":
                line = line._replace(usd=demand[line.part].usd(line.quantity) * share)
            elif line.charge == "coincident_peak" and tariff.coincident_peak is not None:
                line = line._replace(usd=tariff.coincident_peak.usd_per_kw * line.quantity * share)
            elif line.charge in ("fixed", "minimum"):
                continue
            lines.append(line)
        lines.extend(fixed_lines(tariff.all_fixed_charges, ZoneInfo(tariff.timezone), start, end, period_s))
        if tariff.minimum_bill_usd:
            charged = sum((line.usd for line in lines), ZERO)
            shortfall = tariff.minimum_bill_usd * share - charged
            if shortfall > 0:
                lines.append(Line("minimum", "Minimum bill", share, "month", shortfall))
    return of_lines(
        record.rate_name,
        record.location,
        record.miner_ip,
        start,
        end,
        record.energy_kwh,
        record.peak_power_kw,
        lines,
        partial=end - start != period_s,
    )


def bill_periods(
    tariff: Tariff,
    loads: Mapping[str, Sequence[MilliLoad]],
    from_s: int | None = None,
    to_s: int | None = None,
    *,
    span: tuple[int, int] | None = None,
    context: Context | None = None,
) -> list[CostRecord]:
    """One bill per billing period the loads touch (cut to [from_s, to_s) if given).

    A period is partial when the cut or the readings cover only part of it; it then runs from the
    first reading to the end of the last (or over `span`, where given) and pays the prorated
    share of the per-period charges. Ratchets look back at the peaks of the periods billed here
    before (and at `context.ratchet_kw` for those before the loads).
    """
    loads = _packed(loads)
    present = [rows for rows in loads.values() if rows]
    if span is not None:
        low, high = span
    elif present:
        low, high = min(rows[0][0] for rows in present), max(rows[-1][1] for rows in present)
    else:
        return []
    low = low if from_s is None else max(low, from_s)
    high = high if to_s is None else min(high, to_s)
    zone = ZoneInfo(tariff.timezone)
    base = context or NO_CONTEXT
    history: list[list[Decimal]] = []
    out = []
    for period_start, period_end in billing_periods(zone, tariff.billing_cycle_day, low, high):
        ratchet = _ratchet_floor(tariff, history, base.ratchet_kw)
        meter, peaks, _ = _price(
            tariff,
            loads,
            period_start,
            period_end,
            (low, high),
            False,
            None,
            replace(base, ratchet_kw=ratchet),
            span,
        )
        history.append(peaks)
        if meter:
            out.append(bill_from_hours(tariff, meter, period_start, period_end))
    return out


def demand_peaks_of_period(
    tariff: Tariff, loads: Mapping[str, Sequence[MilliLoad]], period_start_s: int, period_end_s: int
) -> list[Decimal]:
    """Each demand charge's own peak [kW] in a billing period (for ratchets looking back at it)."""
    # Peaks need no prices: an index tariff is tallied against one stand-in price interval.
    context = Context(prices=((period_start_s, period_end_s, ZERO),)) if tariff.index is not None else NO_CONTEXT
    _, peaks, _ = _price(tariff, _packed(loads), period_start_s, period_end_s, None, False, None, context, None)
    return peaks or [ZERO] * len(tariff.all_demand_charges)


def _ratchet_floor(tariff: Tariff, history: list[list[Decimal]], before: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """Per demand charge with a ratchet: the highest peak of its previous periods."""
    out: dict[int, Decimal] = {}
    for index, charge in enumerate(tariff.all_demand_charges):
        if charge.ratchet is None:
            continue
        recent = [peaks[index] for peaks in history[-charge.ratchet.periods :]]
        out[index] = max([before.get(index, ZERO), *recent])
    return out


def price_loads(
    tariff: Tariff, loads: Sequence[Load], start_s: int, end_s: int, context: Context | None = None
) -> list[CostRecord]:
    """Cost of one meter's loads over exactly [start_s, end_s): one record per billing period.

    Time in the span without a load is a gap: no energy, but it pays its share of the per-period
    and daily charges.
    """
    if end_s <= start_s:
        return []
    milli = {"": [to_milli(load) for load in loads if load.end_s > load.start_s]}
    return bill_periods(tariff, milli, start_s, end_s, span=(start_s, end_s), context=context)


def price_constant_load(
    tariff: Tariff, power_w: Decimal, start_s: int, seconds: int, context: Context | None = None
) -> list[CostRecord]:
    """Cost of `power_w` drawn steadily for `seconds` from `start_s`, per billing period."""
    return price_loads(tariff, [Load(start_s, start_s + seconds, power_w)], start_s, start_s + seconds, context)
