"""OpenEI URDB rate items -> elecost's long form -> a validated `Tariff`.

The Utility Rate Database (URDB) holds US tariffs as JSON: rate structures (periods of tiers, each
charging `rate + adj`), 12 x 24 month-by-hour schedules of 0-based period indexes for weekdays
and weekends, flat (monthly) and time-of-use demand, fixed and minimum charges. This module turns
one item into the mapping a tariff file could hold (contract section 6) and hands it to
`tariff_from_mapping`, so an imported tariff is exactly what `rate export` writes and `rate add`
reads back. What elecost cannot bill is named in `warnings`, one line each; an item that is not a
rate is refused with every problem at once, each naming its URDB field.

Pure: text in, values out. No I/O, no printing; the CLI reads the file and prints the warnings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from elecost.errors import InputError, Problem
from elecost.tariffs.load import tariff_from_mapping
from elecost.tariffs.model import MONTH_NAMES, Tariff

COINCIDENT_PEAKS = "urdb_coincident"  # the name imported coincident peaks go under
WEEKDAYS = [0, 1, 2, 3, 4]
WEEKEND = [5, 6]
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
DEMAND_WINDOWS_MIN = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)
# Days a month of a $/day minimum charge: the model has one minimum per billing period, and this
# is what PySAM (and URDB's own tools) use, so bills agree.
DAYS_PER_MONTH = Decimal(365) / 12
ENERGY_UNITS = {"kwh": "kWh", "kwh daily": "kWh daily", "kwh/kw": "kWh/kW", "kwh/kw daily": "kWh/kW daily"}
ENERGY_TIER_KEYS = ("rate", "adj", "max", "unit", "sell")
DEMAND_TIER_KEYS = ("rate", "adj", "max", "unit")
# Fields that describe the rate but carry no charge: kept out of the tariff without a warning.
DESCRIPTIVE = frozenset(
    {
        "label",
        "uri",
        "utility",
        "name",
        "description",
        "source",
        "sourceparent",
        "startdate",
        "enddate",
        "supersedes",
        "supercedes",
        "superseded_by",
        "sector",
        "servicetype",
        "approved",
        "is_default",
        "country",
        "eiaid",
        "revisions",
        "latest_update",
        "basicinformationcomments",
        "energycomments",
        "demandcomments",
        "fixedchargecomments",
        "voltagecategory",
        "voltageminimum",
        "voltagemaximum",
        "phasewiring",
        "demandunits",
        "flatdemandunit",
        "demandrateunit",
        "coincidentrateunit",
        "fixedchargeunits",
        "minchargeunits",
        "energyratestructure",
        "energyweekdayschedule",
        "energyweekendschedule",
        "energyattrs",
        "demandattrs",
        "fixedattrs",
        "energykeyvals",
        "demandkeyvals",
        "fixedkeyvals",
        "flatdemandstructure",
        "flatdemandmonths",
        "demandratestructure",
        "demandweekdayschedule",
        "demandweekendschedule",
        "demandwindow",
        "fixedchargefirstmeter",
        "fixedmonthlycharge",
        "mincharge",
        "minmonthlycharge",
        "demandratchetpercentage",
        "lookbackpercent",
        "lookbackrange",
        "lookbackmonths",
        "coincidentratestructure",
        "coincidentrateschedule",
        "coincidentschedule",
    }
)
# Fields named in a warning when they say something elecost does not bill.
UNBILLED = {
    "dgrules": "distributed-generation rules are not billed: elecost bills consumption",
    "usenetmetering": "net metering is not billed: elecost bills consumption",
    "peakkwcapacitymin": "the rate's eligibility (peak kW) is not enforced",
    "peakkwcapacitymax": "the rate's eligibility (peak kW) is not enforced",
    "peakkwcapacityhistory": "the rate's eligibility (peak kW) is not enforced",
    "peakkwhusagemin": "the rate's eligibility (kWh per month) is not enforced",
    "peakkwhusagemax": "the rate's eligibility (kWh per month) is not enforced",
    "peakkwhusagehistory": "the rate's eligibility (kWh per month) is not enforced",
    "fixedchargeeaaddl": "a charge per additional meter is not billed: a tariff bills one meter",
    "demandreactivepowercharge": "a $/kVAR charge is not billed: elecost has no reactive power",
    "annualmincharge": "a yearly minimum is not billed",
}


@dataclass(frozen=True)
class UrdbImport:
    """An imported item: the tariff, the long-form mapping it came from, and what was left out."""

    tariff: Tariff
    mapping: dict[str, Any]
    warnings: tuple[str, ...]


class SeveralItems(InputError):
    """An API response holding several rate items, none picked: the CLI asks for a label."""

    def __init__(self, source: str, items: Sequence[str]) -> None:
        self.items = list(items)
        message = f"{len(items)} rate items; pick one by its label: " + "; ".join(items)
        super().__init__([Problem(source, None, "items", message)])


def import_urdb(
    text: str,
    source: str,
    *,
    timezone: str,
    location: str | None = None,
    name: str | None = None,
    label: str | None = None,
    active: bool = False,
) -> UrdbImport:
    """One URDB rate item (or the item `label` of an API response) as a validated tariff."""
    data = parse_json(text, source)
    if isinstance(data, str):  # some stores keep the item as a JSON string holding the JSON
        data = parse_json(data, source)
    item, prefix = pick_item(data, source, label)
    mapping, warnings = urdb_to_mapping(item, source, prefix=prefix, timezone=timezone, location=location, name=name)
    if active:
        mapping["active"] = True
    return UrdbImport(tariff_from_mapping(mapping, source), mapping, tuple(warnings))


def parse_json(text: str, source: str) -> Any:
    """JSON with every non-integer number as an exact Decimal."""

    def refuse(word: str) -> Decimal:
        raise ValueError(f"{word} is not a number URDB uses")

    try:
        return json.loads(text, parse_float=Decimal, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(source, exc.lineno, "", f"not valid JSON: {exc.msg} (column {exc.colno})")]) from exc
    except ValueError as exc:
        raise InputError([Problem(source, None, "", f"not valid JSON: {exc}")]) from exc


def pick_item(data: Any, source: str, label: str | None) -> tuple[dict[str, Any], str]:
    """The rate item of a file: the object itself, or one of an API response's `items`."""
    if not isinstance(data, dict):
        raise InputError(
            [Problem(source, None, "", "must be a URDB rate item (a JSON object) or a response with items")]
        )
    if "items" not in data:
        if "error" in data and "energyratestructure" not in data:
            error = data["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            raise InputError([Problem(source, None, "error", f"the file is an API error, not a rate: {message}")])
        if label is not None and data.get("label") != label:
            raise InputError([Problem(source, None, "label", f"is {data.get('label')!r}, not {label!r}")])
        return data, ""
    items = data["items"]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InputError([Problem(source, None, "items", "must be a list of rate items (JSON objects)")])
    if not items:
        raise InputError([Problem(source, None, "items", "the response holds no rate items")])
    if label is not None:
        for index, item in enumerate(items):
            if item.get("label") == label:
                return item, f"items[{index}]."
        known = ", ".join(str(i.get("label")) for i in items)
        raise InputError([Problem(source, None, "items", f"no item has the label {label!r} (labels: {known})")])
    if len(items) > 1:
        raise SeveralItems(source, [_describe(item) for item in items])
    return items[0], "items[0]."


def _describe(item: Mapping[str, Any]) -> str:
    return f"{item.get('label')} ({item.get('utility')}: {item.get('name')})"


def urdb_to_mapping(
    item: Mapping[str, Any],
    source: str,
    *,
    prefix: str = "",
    timezone: str,
    location: str | None = None,
    name: str | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The long-form tariff mapping of one URDB item, and a warning per thing not billed."""
    reader = _Reader(item, source, prefix)
    mapping = reader.mapping(timezone, location, name)
    if reader.problems:
        raise InputError(reader.problems)
    return mapping, reader.warnings


# --- reading an item ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tier:
    bound: Decimal | None  # `max`, as given
    charge: Decimal  # rate + adj
    unit: str
    sell: Decimal | None = None


Grid = list[list[int]]


class _Reader:
    """Reads one item, collecting every problem (refusals) and warning (what is not billed)."""

    def __init__(self, item: Mapping[str, Any], source: str, prefix: str) -> None:
        self.item = item
        self.source = source
        self.prefix = prefix
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.named: set[str] = set()  # attribute lists read for period names

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.source, None, self.prefix + field, message))

    def warn(self, field: str, message: str) -> None:
        self.warnings.append(f"{self.prefix}{field}: {message}")

    def mapping(self, timezone: str, location: str | None, name: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name or self.name()}
        description = self.description()
        if description:
            out["description"] = description
        out["location"] = location or "default"
        out["timezone"] = timezone
        out["billing_cycle_day"] = 1
        out["demand_interval_minutes"] = self.demand_window()
        out.update(self.energy())
        fixed = self.fixed_charges()
        if fixed:
            out["fixed_charges"] = fixed
        minimum = self.minimum()
        if minimum:
            out["minimum_bill_usd"] = minimum
        demand = self.demand_charges()
        if demand:
            out["demand_charges"] = demand
        coincident = self.coincident()
        if coincident:
            out["coincident_peak"] = coincident
        utility = self.item.get("utility")
        if isinstance(utility, str) and utility.strip():
            out["utility_name"] = utility.strip()
        self.unbilled()
        return out

    def name(self) -> str:
        for key in ("name", "label"):
            value = self.item.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        self.problem("name", "the item has no name (nor label): give the tariff a name")
        return "?"

    def description(self) -> str:
        """Where the tariff came from: utility, URDB label and effective dates, when the item says."""
        parts = []
        label = self.item.get("label")
        if isinstance(label, str) and label:
            parts.append(f"OpenEI URDB {label}")
        start, end = _date(self.item.get("startdate")), _date(self.item.get("enddate"))
        if start:
            parts.append(f"effective {start}" + (f" to {end}" if end else ""))
        sector = self.item.get("sector")
        if isinstance(sector, str) and sector:
            parts.append(sector)
        return ", ".join(parts)

    # --- numbers and shapes ---

    def number(self, value: Any, field: str, *, signed: bool = False) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.problem(field, f"must be a number, got {_show(value)}")
            return None
        number = Decimal(value)
        if not signed and number < 0:
            self.problem(field, f"must be 0 or more, got {_show(value)}")
            return None
        return number

    def optional_number(self, key: str, *, signed: bool = False) -> Decimal | None:
        value = self.item.get(key)
        return None if value is None else self.number(value, key, signed=signed)

    def structure(self, key: str, tier_keys: tuple[str, ...], unit_name: str) -> list[list[_Tier]] | None:
        """A rate structure: periods, each a list of tiers charging rate + adj, bounded by `max`."""
        value = self.item.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            self.problem(key, "must be a non-empty list of periods, each a list of tiers")
            return None
        periods: list[list[_Tier]] = []
        unknown: set[str] = set()
        for index, period in enumerate(value):
            where = f"{key}[{index}]"
            if not isinstance(period, list) or not period:
                self.problem(where, "must be a non-empty list of tiers ({rate, adj, max, ...})")
                periods.append([])
                continue
            tiers: list[_Tier] = []
            for tier_index, tier in enumerate(period):
                built = self.tier(tier, f"{where}[{tier_index}]", last=tier_index == len(period) - 1, unit=unit_name)
                if isinstance(tier, dict):
                    unknown.update(k for k in tier if k not in tier_keys)
                if built is None:
                    continue
                previous = tiers[-1].bound if tiers else None
                if built.bound is not None and previous is not None and built.bound <= previous:
                    self.problem(
                        f"{where}[{tier_index}].max", f"must be above the previous tier's {previous}, got {built.bound}"
                    )
                tiers.append(built)
            if len(tiers) == len(period) and tiers[-1].bound is not None:
                self.warn(
                    f"{where}[{len(period) - 1}].max",
                    f"{tiers[-1].bound} on the last tier bounds nothing: what is above it is billed at its rate",
                )
            periods.append(tiers)
        for extra in sorted(unknown):
            self.warn(key, f"the tier field {extra!r} is not imported")
        return periods

    def tier(self, tier: Any, where: str, *, last: bool, unit: str) -> _Tier | None:
        if not isinstance(tier, dict):
            self.problem(where, f"must be a tier {{rate, adj, max, ...}}, got {_show(tier)}")
            return None
        if "rate" not in tier and "adj" not in tier and "sell" not in tier:
            self.problem(where + ".rate", "required (the charge is rate + adj)")
            return None  # a tier with only a sell rate charges nothing for consumption
        rate = self.number(tier.get("rate", 0), where + ".rate", signed=True)
        adj = self.number(tier.get("adj", 0), where + ".adj", signed=True) if tier.get("adj") is not None else ZERO
        bound = None
        if tier.get("max") is not None:
            bound = self.number(tier["max"], where + ".max")
            if bound is not None and bound == 0:
                self.problem(where + ".max", "must be above 0")
        elif not last:
            self.problem(where + ".max", "required on every tier but the last")
        sell = None
        if tier.get("sell") is not None:
            sell = self.number(tier["sell"], where + ".sell", signed=True)
        text = tier.get("unit", unit)
        if not isinstance(text, str):
            self.problem(where + ".unit", f"must be text, got {_show(text)}")
            text = unit
        if rate is None or adj is None:
            return None
        if rate + adj < 0:
            self.problem(where, f"rate + adj is {rate + adj}: a credit elecost cannot bill (charges are 0 or more)")
            return None
        return _Tier(bound, rate + adj, text.strip(), sell)

    def schedule(self, key: str, periods: int, required_by: str) -> Grid | None:
        """A 12 x 24 grid of 0-based period indexes."""
        value = self.item.get(key)
        if value is None:
            self.problem(key, f"required with {required_by} (12 months x 24 hours of period indexes)")
            return None
        if not isinstance(value, list) or len(value) != 12:
            self.problem(key, f"must be 12 months x 24 hours of period indexes, got {_shape(value)}")
            return None
        grid: Grid = []
        before = len(self.problems)
        for month, row in enumerate(value):
            if not isinstance(row, list) or len(row) != 24:
                self.problem(f"{key}[{month}]", f"must be 24 hourly period indexes, got {_shape(row)}")
                continue
            out = []
            for hour, cell in enumerate(row):
                index = _index(cell)
                if index is None or not 0 <= index < periods:
                    self.problem(
                        f"{key}[{month}][{hour}]",
                        f"must be a period of {required_by} (0..{periods - 1}), got {_show(cell)}",
                    )
                    index = 0
                out.append(index)
            grid.append(out)
        return grid if len(self.problems) == before else None

    # --- names ---

    def names(self, attrs_key: str, count: int, default: str) -> list[str]:
        """Period names from URDB's attribute list (`{"Summer Peak": "3"}`, 1-based), else `default N`."""
        found: dict[int, list[str]] = {}
        other: list[str] = []
        self.named.add(attrs_key)
        value = self.item.get(attrs_key)
        for entry in value if isinstance(value, list) else []:
            for key, text in entry.items() if isinstance(entry, dict) else ():
                index = _index(text.strip() if isinstance(text, str) else text)
                if index is not None and 1 <= index <= count and str(key).strip():
                    found.setdefault(index - 1, []).append(str(key).strip())
                else:
                    other.append(f"{str(key).strip()} = {text}")
        if other:
            self.warn(attrs_key, "not billed: " + "; ".join(other))
        names = [" / ".join(found[i]) if i in found else f"{default} {i + 1}" for i in range(count)]
        for index, name in enumerate(names):
            if names.count(name) > 1:
                names[index] = f"{name} ({default.lower()} {index + 1})"
        return names

    # --- energy ---

    def energy(self) -> dict[str, Any]:
        structure = self.structure("energyratestructure", ENERGY_TIER_KEYS, "kWh")
        if structure is None:
            if self.item.get("energyratestructure") is None and self.item.get("energyweekdayschedule") is not None:
                self.problem("energyratestructure", "required with energyweekdayschedule")
            return {"energy": [{"name": "Energy", "rate": 0, "days": EVERY_DAY, "start_hour": 0, "end_hour": 24}]}
        weekday = self.schedule("energyweekdayschedule", len(structure), "energyratestructure")
        weekend = self.schedule("energyweekendschedule", len(structure), "energyratestructure")
        bounds = self.tier_bounds(structure)
        if any(t.sell for period in structure for t in period):
            self.warn("energyratestructure", "sell rates (credit for exported energy) are not billed")
        if weekday is None or weekend is None or any(not p for p in structure):
            return {}
        names = self.names("energyattrs", len(structure), "Period")
        entries = []
        for months, day_rows in _seasons(weekday, weekend):
            runs = sorted(
                (period, order, start, end, days)
                for order, (days, row) in enumerate(day_rows)
                for period, start, end in _runs(row)
            )  # a season's periods in the item's order, as its sheet lists them
            for period, _, start, end, days in runs:
                entry: dict[str, Any] = {"name": names[period], **_ladder(structure[period], "up_to_kwh", "rate")}
                entry.update({"days": days, "start_hour": start, "end_hour": end, "months": months})
                entries.append(entry)
        out: dict[str, Any] = {"energy": entries}
        if bounds == "daily":
            out["tier_bounds"] = "daily"
        return out

    def tier_bounds(self, structure: list[list[_Tier]]) -> str:
        """monthly or daily, from the units of the bounded tiers; hours-use tiers are collapsed."""
        seen: dict[str, str] = {}  # unit -> first field
        for index, period in enumerate(structure):
            units = set()
            for tier_index, tier in enumerate(period):
                unit = ENERGY_UNITS.get(tier.unit.lower())
                if unit is None:
                    self.problem(
                        f"energyratestructure[{index}][{tier_index}].unit",
                        f"must be kWh, kWh daily, kWh/kW or kWh/kW daily, got {tier.unit!r}",
                    )
                    continue
                if len(period) > 1:
                    units.add(unit)
                    seen.setdefault(unit, f"energyratestructure[{index}][{tier_index}]")
            if any("/kW" in u for u in units):
                self.warn(
                    f"energyratestructure[{index}]",
                    "tiers bounded in kWh per kW of demand (hours of use) cannot be billed: "
                    f"every kWh of this period is priced at its first tier's {period[0].charge} $/kWh",
                )
                structure[index] = [_Tier(None, period[0].charge, "kWh")]
        if "kWh" in seen and "kWh daily" in seen:
            self.problem(
                seen["kWh daily"] + ".unit",
                f"'kWh daily' here but 'kWh' at {seen['kWh']}: elecost bounds every tier of a tariff "
                "per billing period or every tier per day, not both",
            )
        return "daily" if "kWh daily" in seen else "monthly"

    # --- demand ---

    def demand_window(self) -> int:
        value = self.item.get("demandwindow")
        if value is None:
            return 15
        minutes = self.number(value, "demandwindow")
        if minutes is None:
            return 15
        if minutes not in DEMAND_WINDOWS_MIN:
            allowed = ", ".join(str(m) for m in DEMAND_WINDOWS_MIN)
            self.problem("demandwindow", f"must be minutes that divide the hour ({allowed}), got {_show(value)}")
            return 15
        return int(minutes)

    def demand_charges(self) -> list[dict[str, Any]]:
        self.units(("flatdemandunit", "demandrateunit", "demandunits", "coincidentrateunit"))
        charges = self.flat_demand() + self.tou_demand()
        ratchet = self.ratchet()
        if ratchet is not None and charges:
            flat = [c for c in charges if "windows" not in c] or charges
            for charge in flat:
                charge["ratchet"] = dict(ratchet)
            if any("months" in c for c in flat):
                self.warn(
                    "flatdemandmonths",
                    "seasons: the ratchet of each season's demand charge looks back at its own peaks",
                )
        return charges

    def units(self, keys: Iterable[str]) -> None:
        for key in keys:
            value = self.item.get(key)
            if isinstance(value, str) and value.strip().lower() not in ("kw", ""):
                self.warn(key, f"{value!r} is billed as kW: elecost measures real power only")

    def flat_demand(self) -> list[dict[str, Any]]:
        structure = self.structure("flatdemandstructure", DEMAND_TIER_KEYS, "kW")
        if structure is None:
            if self.item.get("flatdemandmonths") is not None:
                self.problem("flatdemandstructure", "required with flatdemandmonths")
            return []
        self.demand_tier_units("flatdemandstructure", structure)
        months_value = self.item.get("flatdemandmonths")
        if months_value is None and len(structure) == 1:
            months_value = [0] * 12  # one period: every month
        if not isinstance(months_value, list) or len(months_value) != 12:
            self.problem("flatdemandmonths", f"must be 12 period indexes (Jan..Dec), got {_shape(months_value)}")
            return []
        by_month = []
        for month, cell in enumerate(months_value):
            index = _index(cell)
            if index is None or not 0 <= index < len(structure):
                self.problem(
                    f"flatdemandmonths[{month}]",
                    f"must be a period of flatdemandstructure (0..{len(structure) - 1}), got {_show(cell)}",
                )
                return []
            by_month.append(index)
        if any(not p for p in structure):
            return []
        groups: dict[tuple[tuple[Decimal | None, Decimal], ...], list[int]] = {}
        for month, index in enumerate(by_month):
            key = tuple((t.bound, t.charge) for t in structure[index])
            groups.setdefault(key, []).append(month + 1)
        charges = []
        for key, months in groups.items():
            if all(charge == 0 for _, charge in key):
                continue
            index = by_month[months[0] - 1]
            name = "Demand" if len(months) == 12 else f"Demand, {month_span(months)}"
            charge: dict[str, Any] = {"name": name, **_ladder(structure[index], "up_to_kw", "usd_per_kw")}
            if len(months) < 12:
                charge["months"] = months
            charges.append(charge)
        return charges

    def demand_tier_units(self, key: str, structure: list[list[_Tier]]) -> None:
        odd = sorted({t.unit for p in structure for t in p if t.unit.lower() != "kw"})
        if odd:
            self.warn(key, f"tier unit {', '.join(map(repr, odd))} is billed as kW: elecost measures real power only")

    def tou_demand(self) -> list[dict[str, Any]]:
        structure = self.structure("demandratestructure", DEMAND_TIER_KEYS, "kW")
        if structure is None:
            for key in ("demandweekdayschedule", "demandweekendschedule"):
                if self.item.get(key) is not None:
                    self.problem("demandratestructure", f"required with {key}")
            return []
        self.demand_tier_units("demandratestructure", structure)
        weekday = self.schedule("demandweekdayschedule", len(structure), "demandratestructure")
        weekend = self.schedule("demandweekendschedule", len(structure), "demandratestructure")
        if weekday is None or weekend is None or any(not p for p in structure):
            return []
        names = self.names("demandattrs", len(structure), "Demand period")
        charges = []
        for period, tiers in enumerate(structure):
            if all(t.charge == 0 for t in tiers):
                continue
            groups: dict[tuple[tuple[tuple[int, ...], int, int], ...], list[int]] = {}
            for month in range(12):
                windows = _windows(weekday[month], weekend[month], period)
                if windows:
                    groups.setdefault(tuple(windows), []).append(month + 1)
            for when, months in groups.items():
                name = names[period] if len(groups) == 1 else f"{names[period]}, {month_span(months)}"
                charge: dict[str, Any] = {"name": name, **_ladder(tiers, "up_to_kw", "usd_per_kw")}
                if len(months) < 12:
                    charge["months"] = months
                if when != ((tuple(EVERY_DAY), 0, 24),):
                    charge["windows"] = [{"days": list(d), "start_hour": s, "end_hour": e} for d, s, e in when]
                charges.append(charge)
        return charges

    def ratchet(self) -> dict[str, Any] | None:
        """A ratchet from `lookbackpercent` (+ range/months) or `demandratchetpercentage`, where one fits."""
        percent = self.optional_number("lookbackpercent")
        legacy = self.item.get("demandratchetpercentage")
        if percent:
            if legacy is not None and _any_nonzero(legacy):
                self.warn("demandratchetpercentage", "not imported: lookbackpercent gives the ratchet")
            return self.lookback(percent)
        if legacy is None or not _any_nonzero(legacy):
            return None
        if not isinstance(legacy, list) or len(legacy) != 12:
            self.problem("demandratchetpercentage", f"must be 12 monthly percentages, got {_shape(legacy)}")
            return None
        values = [self.number(v, f"demandratchetpercentage[{i}]") for i, v in enumerate(legacy)]
        if any(v is None for v in values):
            return None
        if len(set(values)) > 1:
            self.warn("demandratchetpercentage", "differs by month: not imported (a ratchet has one percentage)")
            return None
        pct = _percent(values[0] or ZERO)
        self.warn(
            "demandratchetpercentage",
            f"read as {pct}% of the highest peak of the previous 11 billing periods (URDB does not say how many)",
        )
        return {"pct": pct, "periods": 11}

    def lookback(self, fraction: Decimal) -> dict[str, Any] | None:
        pct = _percent(fraction)
        months = self.item.get("lookbackmonths")
        span = self.optional_number("lookbackrange")
        chosen = [bool(m) for m in months] if isinstance(months, list) else []
        if span:
            if chosen and not all(chosen):
                self.warn("lookbackmonths", "not imported: lookbackrange gives the months the ratchet looks back at")
            if span != int(span) or not 1 <= span <= 36:
                self.problem("lookbackrange", f"must be 1..36 months, got {_show(self.item.get('lookbackrange'))}")
                return None
            return {"pct": pct, "periods": int(span)}
        if not chosen or all(chosen):
            return {"pct": pct, "periods": 12}
        listed = ", ".join(MONTH_NAMES[i] for i, c in enumerate(chosen) if c)
        self.warn(
            "lookbackpercent",
            f"a ratchet on the peaks of {listed} only cannot be billed "
            "(elecost looks back at every month): not imported",
        )
        return None

    # --- fixed, minimum, coincident ---

    def fixed_charges(self) -> list[dict[str, Any]]:
        out = []
        first = self.optional_number("fixedchargefirstmeter", signed=True)
        units = self.item.get("fixedchargeunits") or "$/month"
        per = {"$/month": "month", "$/day": "day", "$/year": "year"}.get(units) if isinstance(units, str) else None
        if first is not None and per is None:
            self.problem("fixedchargeunits", f"must be $/month, $/day or $/year, got {_show(units)}")
        elif first:
            out.append({"name": "Fixed charge", "usd": _clean(first), "per": per})
        legacy = self.optional_number("fixedmonthlycharge", signed=True)
        if legacy and first:
            self.warn("fixedmonthlycharge", f"{legacy} not billed: the item's fixedchargefirstmeter replaces it")
        elif legacy:
            out.append({"name": "Fixed monthly charge", "usd": _clean(legacy), "per": "month"})
        return out

    def minimum(self) -> Decimal | None:
        key = "mincharge" if self.item.get("mincharge") is not None else "minmonthlycharge"
        amount = self.optional_number(key)
        if not amount:
            return None
        units = self.item.get("minchargeunits") or "$/month" if key == "mincharge" else "$/month"
        if units == "$/month":
            return _clean(amount)
        if units == "$/day":
            monthly = _clean(amount * DAYS_PER_MONTH)
            self.warn("minchargeunits", f"$/day: billed as a monthly minimum of {monthly} (365/12 days a month)")
            return monthly
        if units == "$/year":
            monthly = _clean(amount / 12)
            self.warn("minchargeunits", f"$/year: billed as a monthly minimum of {monthly} (a twelfth a month)")
            return monthly
        self.problem("minchargeunits", f"must be $/month, $/day or $/year, got {_show(units)}")
        return None

    def coincident(self) -> dict[str, Any] | None:
        structure = self.structure("coincidentratestructure", DEMAND_TIER_KEYS, "kW")
        if not structure or any(not p for p in structure):
            return None
        rates = [p[0].charge for p in structure]
        if not any(rates):
            return None
        if any(len(p) > 1 for p in structure):
            self.warn("coincidentratestructure", "kW tiers are not imported: the first tier's rate is billed")
        if len(set(rates)) > 1:
            self.warn("coincidentratestructure", f"one rate is billed, the first period's ({rates[0]} $/kW)")
        self.warn(
            "coincidentratestructure",
            f"billed as a coincident-peak charge of {rates[0]} $/kW on the system peaks named "
            f"{COINCIDENT_PEAKS!r}: nothing until they are imported "
            f"(`elecost peaks import FILE --name {COINCIDENT_PEAKS}`)",
        )
        return {"peaks": COINCIDENT_PEAKS, "usd_per_kw": _clean(rates[0])}

    def unbilled(self) -> None:
        for key, value in self.item.items():
            if key in UNBILLED:
                if value not in (None, "", 0, False, Decimal(0)):
                    self.warn(key, f"{_show(value)}: {UNBILLED[key]}")
            elif key not in DESCRIPTIVE:
                self.warn(key, "not a URDB field elecost knows: not imported")
        for key in ("energyattrs", "demandattrs", "fixedattrs", "energykeyvals", "demandkeyvals", "fixedkeyvals"):
            value = self.item.get(key)
            if value and key not in self.named:
                self.warn(key, "not billed: " + "; ".join(_attributes(value)))


# --- schedules -> periods and windows -----------------------------------------------------------


def _seasons(weekday: Grid, weekend: Grid) -> list[tuple[list[int], list[tuple[list[int], list[int]]]]]:
    """Months grouped by identical weekday and weekend rows, with the day sets each row covers."""
    groups: dict[tuple[tuple[int, ...], tuple[int, ...]], list[int]] = {}
    for month in range(12):
        groups.setdefault((tuple(weekday[month]), tuple(weekend[month])), []).append(month + 1)
    out = []
    for (days_row, end_row), months in groups.items():
        if days_row == end_row:
            out.append((months, [(EVERY_DAY, list(days_row))]))
        else:
            out.append((months, [(WEEKDAYS, list(days_row)), (WEEKEND, list(end_row))]))
    return out


def _runs(row: Sequence[int]) -> list[tuple[int, int, int]]:
    """(period, start hour, end hour) runs of a day's row; a run across midnight wraps (20-07)."""
    runs: list[list[int]] = []
    for hour, period in enumerate(row):
        if runs and runs[-1][0] == period:
            runs[-1][2] = hour + 1
        else:
            runs.append([period, hour, hour + 1])
    if len(runs) > 1 and runs[0][0] == runs[-1][0]:
        first = runs.pop(0)
        runs[-1][2] = first[2]
    return [(p, s, e) for p, s, e in runs]


def _windows(weekday: Sequence[int], weekend: Sequence[int], period: int) -> list[tuple[tuple[int, ...], int, int]]:
    """The weekday/weekend hour windows of one day's rows where `period` is in force."""
    day_runs = [(s, e) for p, s, e in _runs(weekday) if p == period]
    end_runs = [(s, e) for p, s, e in _runs(weekend) if p == period]
    if day_runs == end_runs:
        return [(tuple(EVERY_DAY), s, e) for s, e in day_runs]
    return [(tuple(WEEKDAYS), s, e) for s, e in day_runs] + [(tuple(WEEKEND), s, e) for s, e in end_runs]


def _ladder(tiers: Sequence[_Tier], bound_key: str, rate_key: str) -> dict[str, Any]:
    """One rate, or a list of tiers, the last unbounded (a `max` on the last tier bounds nothing)."""
    if len(tiers) == 1:
        return {rate_key: _clean(tiers[0].charge)}
    ladder: list[dict[str, Any]] = [
        {bound_key: _clean(t.bound), rate_key: _clean(t.charge)} for t in tiers[:-1] if t.bound is not None
    ]
    ladder.append({rate_key: _clean(tiers[-1].charge)})
    return {"tiers": ladder}


# --- small helpers ------------------------------------------------------------------------------

ZERO = Decimal(0)


def _clean(value: Decimal) -> Decimal:
    """A number as a YAML file writes it back (through float text), so export -> add is exact."""
    number = Decimal(repr(float(value)))
    return number.to_integral_value() if number == number.to_integral_value() else number


def _percent(value: Decimal) -> Decimal:
    """URDB percentages are fractions (0.8); a value above 1 is read as percent already."""
    return _clean(value * 100 if value <= 1 else value)


def _index(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _attributes(value: Any) -> list[str]:
    """URDB's attribute lists ([{"key": "value"}, ...]) as 'key = value' texts."""
    if not isinstance(value, list):
        return [_show(value)]
    out: list[str] = []
    for entry in value:
        if isinstance(entry, dict):
            out.extend(f"{str(k).strip()} = {v}" for k, v in entry.items())
        else:
            out.append(_show(entry))
    return out


def _any_nonzero(value: Any) -> bool:
    return any(v not in (0, None, False) for v in value) if isinstance(value, list) else bool(value)


def month_span(months: Sequence[int]) -> str:
    """'May-Oct', 'Nov-Apr', 'Jan, Mar': consecutive months (wrapping the year) as ranges."""
    chosen = set(months)
    start = next((m for m in range(1, 13) if m in chosen and (m - 2) % 12 + 1 not in chosen), months[0])
    parts, run = [], []
    for step in range(12):
        month = (start - 1 + step) % 12 + 1
        if month in chosen:
            run.append(month)
        elif run:
            parts.append(run)
            run = []
    if run:
        parts.append(run)
    return ", ".join(
        MONTH_NAMES[r[0] - 1] if len(r) == 1 else f"{MONTH_NAMES[r[0] - 1]}-{MONTH_NAMES[r[-1] - 1]}" for r in parts
    )


def _date(value: Any) -> str | None:
    """An effective date from epoch seconds (int or float) or text ("2017-01-01 00:00:00")."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and len(value) >= 10:
        try:
            return datetime.fromisoformat(value.strip()[:10]).date().isoformat()
        except ValueError:
            return None
    return None


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return repr(value)


def _shape(value: Any) -> str:
    return f"a list of {len(value)}" if isinstance(value, list) else _show(value)
