"""Tariff files -> validated `Tariff`s, every problem reported with its file and line.

YAML is composed with the safe loader into a node tree; scalars are built by PyYAML's
`SafeConstructor`, so a `!!python/...` tag is an error, never executed. Numbers are read from the
scalar's own text into Decimal, so `0.12` is exactly 0.12. Each value keeps the line it came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from elecost.errors import InputError, Problem
from elecost.tariffs.model import (
    DAY_NAMES,
    MINUTES_PER_DAY,
    MONTH_NAMES,
    RATE_TYPES,
    CoincidentPeak,
    DemandCharge,
    DemandTier,
    FixedCharge,
    Holidays,
    IndexPrice,
    Ratchet,
    RateType,
    Rider,
    Tariff,
    Tier,
    TouPeriod,
    Window,
)
from elecost.tariffs.schedule import coverage_problems

if TYPE_CHECKING:
    # PyYAML is imported by the functions that read YAML: a stored tariff is rebuilt from JSON,
    # and `elecost rate list` should not pay for a parser it does not use (issue 15).
    import yaml

TOP_KEYS = (
    "name",
    "description",
    "location",
    "timezone",
    "rate_type",
    "flat_rate_usd_per_kwh",
    "tou_schedule",
    "tiered_rates",
    "daily_service_charge_usd",
    "demand_charge_usd_per_kw",
    "demand_interval_minutes",
    "billing_cycle_day",
    "utility_name",
    "account_number",
    "active",
)
# The long form (contract section 6) and the index binding (section 7): charges beyond the short
# keys, usable with any of them (kept whole in a stored rate's `spec`).
CHARGE_KEYS = (
    "index",
    "energy",
    "tier_bounds",
    "riders",
    "fixed_charges",
    "minimum_bill_usd",
    "demand_charges",
    "coincident_peak",
    "holidays",
)
# Keys of the original JSON API's rate records that carry nothing a tariff needs.
IGNORED_KEYS = ("id", "created_at", "updated_at")
PERIOD_KEYS = ("name", "rate", "days", "start_hour", "end_hour", "start", "end", "months")
ENERGY_PERIOD_KEYS = (*PERIOD_KEYS, "tiers")
RIDER_KEYS = ("name", "usd_per_kwh", "months")
FIXED_KEYS = ("name", "usd", "per")
DEMAND_KEYS = (
    "name",
    "usd_per_kw",
    "tiers",
    "months",
    "windows",
    "days",
    "start",
    "end",
    "start_hour",
    "end_hour",
    "ratchet",
)
DEMAND_TIER_KEYS = ("up_to_kw", "usd_per_kw")
WINDOW_KEYS = ("days", "start", "end", "start_hour", "end_hour")
RATCHET_KEYS = ("pct", "periods")
COINCIDENT_KEYS = ("peaks", "usd_per_kw")
HOLIDAY_KEYS = ("country", "subdiv", "dates")
INDEX_KEYS = ("market", "adder_usd_per_kwh", "loss_pct")
FIXED_PER = ("day", "month", "year")
TIER_KEYS = ("up_to_kwh", "rate")
DEMAND_INTERVALS_MIN = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)
_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass
class Value:
    """A plain value from the file, with the line it came from (None when not from a file)."""

    data: Any
    line: int | None


def load_tariff_file(path: Path) -> Tariff:
    """Read and validate one tariff file (YAML or JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), None, "", f"cannot read: {exc}")]) from exc
    return parse_tariff(text, str(path))


def parse_tariff(text: str, source: str) -> Tariff:
    """Validate the text of one tariff file; raise InputError listing every problem."""
    import yaml

    try:
        _check_depth(text, source)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise InputError([_yaml_problem(exc, source)]) from exc
    except RecursionError:
        raise InputError(
            [Problem(source, None, "", f"not valid YAML: nested deeper than {MAX_DEPTH} levels")]
        ) from None
    if node is None:
        raise InputError([Problem(source, 1, "", "the file is empty; a tariff needs name and rate_type")])
    problems: list[Problem] = []
    try:
        root = _from_node(node, source, problems, [0])
    except _TooBig as exc:
        raise InputError([Problem(source, exc.line, "", str(exc))]) from None
    if problems:
        raise InputError(problems)
    try:
        return tariff_from_value(root, source)
    except InputError as exc:  # an error message must not show the account number either
        raise InputError(
            [
                Problem(p.path, p.line, p.field, 'must be text, e.g. account_number: "1234-5678" (not shown: masked)')
                if p.field == "account_number"
                else p
                for p in exc.problems
            ]
        ) from None


def _check_depth(text: str, source: str) -> None:
    """Refuse deep nesting from the parser's events (a loop) before the composer recurses into it."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                raise InputError([Problem(source, line, "", f"nested deeper than {MAX_DEPTH} levels")])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _yaml_problem(exc: yaml.YAMLError, source: str) -> Problem:
    """A one-line problem from a PyYAML error, at the line where the parser noticed it."""
    mark = getattr(exc, "problem_mark", None)
    message = getattr(exc, "problem", None) or str(exc)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None:
        message += f" ({context} from line {context_mark.line + 1})"
    return Problem(source, mark.line + 1 if mark is not None else None, "", f"not valid YAML: {message}")


def tariff_from_mapping(data: Mapping[str, Any], source: str) -> Tariff:
    """Validate a tariff given as plain data (a stored record, or an old API rate body)."""
    return tariff_from_value(_wrap(data), source)


def tariff_from_value(root: Value, source: str) -> Tariff:
    """Validate a tariff tree of `Value`s; raise InputError listing every problem."""
    check = _Checker(source)
    tariff = check.tariff(root)
    if check.problems or tariff is None:
        raise InputError(check.problems)
    return tariff


def tariff_to_mapping(tariff: Tariff) -> dict[str, Any]:
    """The tariff as contract keys and plain values: what `rate export` writes and the store keeps.

    Numbers are written as strings-free plain numbers (int where whole, else float from the
    Decimal's text) so that YAML and JSON readers see numbers; `tariff_from_mapping` reads them back
    exactly because both paths go through the decimal text.
    """
    out: dict[str, Any] = {"name": tariff.name}
    if tariff.description:
        out["description"] = tariff.description
    out["location"] = tariff.location
    out["timezone"] = tariff.timezone
    if tariff.rate_type != "charges":
        out["rate_type"] = tariff.rate_type
    if tariff.rate_type == "flat":
        out["flat_rate_usd_per_kwh"] = _number(tariff.flat_rate_usd_per_kwh)
    if tariff.rate_type == "tou":
        out["tou_schedule"] = [_period_mapping(p) for p in tariff.tou_schedule]
    if tariff.rate_type == "tiered":
        out["tiered_rates"] = _tiers_mapping(tariff.tiered_rates)
    if tariff.rate_type == "charges":
        out["energy"] = [_period_mapping(p) for p in tariff.energy]
    if tariff.index is not None:
        adders = [r for r in tariff.riders if r.name == "Adder"]
        out["index"] = {"market": tariff.index.market, "loss_pct": _number(tariff.index.loss_pct)}
        if adders:
            out["index"]["adder_usd_per_kwh"] = _number(adders[0].usd_per_kwh)
    if tariff.tier_bounds != "monthly":
        out["tier_bounds"] = tariff.tier_bounds
    out["daily_service_charge_usd"] = _number(tariff.daily_service_charge_usd)
    out["demand_charge_usd_per_kw"] = _number(tariff.demand_charge_usd_per_kw)
    out["demand_interval_minutes"] = tariff.demand_interval_minutes
    out["billing_cycle_day"] = tariff.billing_cycle_day
    out.update(_charges_mapping(tariff))
    if tariff.utility_name:
        out["utility_name"] = tariff.utility_name
    if tariff.account_number:
        out["account_number"] = tariff.account_number
    out["active"] = tariff.active
    return out


def _charges_mapping(tariff: Tariff) -> dict[str, Any]:
    """The long form's charges, only those the tariff has."""
    out: dict[str, Any] = {}
    riders = [r for r in tariff.riders if not (tariff.index is not None and r.name == "Adder")]
    if riders:
        out["riders"] = [{"name": r.name, "usd_per_kwh": _number(r.usd_per_kwh), **_months(r.months)} for r in riders]
    if tariff.fixed_charges:
        out["fixed_charges"] = [{"name": f.name, "usd": _number(f.usd), "per": f.per} for f in tariff.fixed_charges]
    if tariff.minimum_bill_usd:
        out["minimum_bill_usd"] = _number(tariff.minimum_bill_usd)
    if tariff.demand_charges:
        out["demand_charges"] = [_demand_mapping(c) for c in tariff.demand_charges]
    if tariff.coincident_peak is not None:
        cp = tariff.coincident_peak
        out["coincident_peak"] = {"peaks": cp.peaks, "usd_per_kw": _number(cp.usd_per_kw)}
    if tariff.holidays:
        days: dict[str, Any] = {}
        if tariff.holidays.country:
            days["country"] = tariff.holidays.country
        if tariff.holidays.subdiv:
            days["subdiv"] = tariff.holidays.subdiv
        if tariff.holidays.dates:
            days["dates"] = [d.isoformat() for d in sorted(tariff.holidays.dates)]
        out["holidays"] = days
    return out


def _demand_mapping(charge: DemandCharge) -> dict[str, Any]:
    out: dict[str, Any] = {"name": charge.name}
    if len(charge.tiers) == 1:
        out["usd_per_kw"] = _number(charge.tiers[0].usd_per_kw)
    else:
        out["tiers"] = [
            {"usd_per_kw": _number(t.usd_per_kw)}
            if t.up_to_kw is None
            else {"up_to_kw": _number(t.up_to_kw), "usd_per_kw": _number(t.usd_per_kw)}
            for t in charge.tiers
        ]
    out.update(_months(charge.months))
    if charge.windows:
        out["windows"] = [{"days": list(w.days), **_clock(w.start_min, w.end_min)} for w in charge.windows]
    if charge.ratchet is not None:
        out["ratchet"] = {"pct": _number(charge.ratchet.pct), "periods": charge.ratchet.periods}
    return out


def _tiers_mapping(tiers: tuple[Tier, ...]) -> list[dict[str, Any]]:
    return [
        {"rate": _number(t.rate_usd_per_kwh)}
        if t.up_to_kwh is None
        else {"up_to_kwh": _number(t.up_to_kwh), "rate": _number(t.rate_usd_per_kwh)}
        for t in tiers
    ]


def _months(months: tuple[int, ...]) -> dict[str, Any]:
    return {} if tuple(months) == tuple(range(1, 13)) else {"months": list(months)}


def _clock(start_min: int, end_min: int) -> dict[str, Any]:
    if start_min % 60 == 0 and end_min % 60 == 0:
        return {"start_hour": start_min // 60, "end_hour": end_min // 60}
    return {"start": _hhmm(start_min), "end": _hhmm(end_min)}


def _period_mapping(period: TouPeriod) -> dict[str, Any]:
    out: dict[str, Any] = {"name": period.name}
    if period.tiers:
        out["tiers"] = _tiers_mapping(period.tiers)
    else:
        out["rate"] = _number(period.rate_usd_per_kwh)
    out["days"] = list(period.days)
    out.update(_clock(period.start_min, period.end_min))
    out.update(_months(period.months))
    return out


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


# --- YAML nodes -> Values -------------------------------------------------------------------


MAX_DEPTH = 50  # a tariff nests four levels; 5,000 would exhaust the stack
MAX_VALUES = 100_000  # aliases may repeat a node: a nine-level "billion laughs" would never end
MAX_NUMBER = Decimal("1e12")  # no price, charge or kWh bound in a tariff comes near it
_SEXAGESIMAL = re.compile(r"^[-+]?\d+(:[0-5]?\d)+(\.\d*)?$")
_LEADING_ZERO = re.compile(r"^[-+]?0\d")
_EXPONENT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")  # 5e-1: YAML 1.1 wants a dot


class _TooBig(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _from_node(node: yaml.Node, source: str, problems: list[Problem], count: list[int], depth: int = 0) -> Value:
    import yaml

    line = node.start_mark.line + 1
    count[0] += 1
    if count[0] > MAX_VALUES:
        raise _TooBig(f"too large: more than {MAX_VALUES:,} values (aliases repeating aliases?)", line)
    if depth > MAX_DEPTH:
        raise _TooBig(f"nested deeper than {MAX_DEPTH} levels", line)
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
        problems.append(Problem(source, line, "", f"not allowed: the tag {node.tag!r}; tariffs hold plain data"))
        return Value(None, line)
    if isinstance(node, yaml.MappingNode):
        items: dict[str, Value] = {}
        for key_node, value_node in node.value:
            key = _from_node(key_node, source, problems, count, depth + 1)
            if not isinstance(key.data, str):
                problems.append(Problem(source, key.line, str(key.data), "keys must be text"))
                continue
            if key.data in items:
                first = items[key.data].line
                problems.append(Problem(source, key.line, key.data, f"duplicate key (first given on line {first})"))
                continue
            if key.data == "account_number" and isinstance(value_node, yaml.ScalarNode) and value_node.value:
                items[key.data] = Value(str(value_node.value), value_node.start_mark.line + 1)  # text as written
                continue
            items[key.data] = _from_node(value_node, source, problems, count, depth + 1)
        return Value(items, line)
    if isinstance(node, yaml.SequenceNode):
        return Value([_from_node(item, source, problems, count, depth + 1) for item in node.value], line)
    return Value(_scalar(node, source, problems), line)


def _scalar(node: yaml.Node, source: str, problems: list[Problem]) -> Any:
    import yaml

    line = node.start_mark.line + 1
    if node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        text = str(node.value).replace("_", "")
        if _SEXAGESIMAL.match(text):
            return str(node.value)  # 21:30 is a time, not YAML 1.1's 1290
        try:
            if _LEADING_ZERO.match(text) and text.lstrip("+-").isdigit():
                number: Decimal | int = int(text, 10)  # 010 is ten, not YAML 1.1's octal eight
            else:
                number = Decimal(text) if node.tag.endswith("float") else int(text, 0)
        except (InvalidOperation, ValueError):
            pass  # .inf, 0o17 and other spellings: let the constructor decide below
        else:
            return _bounded(number, text, source, line, problems)
    elif node.tag == "tag:yaml.org,2002:str" and getattr(node, "style", "") is None and _EXPONENT.match(node.value):
        return _bounded(Decimal(node.value), node.value, source, line, problems)
    try:
        constructor = yaml.constructor.SafeConstructor()
        value = constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        problems.append(Problem(source, node.start_mark.line + 1, "", f"not allowed: {exc.problem}"))
        return None
    if isinstance(value, float):
        return (
            Decimal(str(value))
            if value != value or abs(value) == float("inf")
            else _bounded(Decimal(str(value)), str(node.value), source, line, problems)
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return _bounded(value, str(node.value), source, line, problems)
    if not isinstance(value, str | int | bool | type(None)):
        return str(node.value)  # dates and timestamps: keep the text
    return value


def _bounded(number: Decimal | int, text: str, source: str, line: int, problems: list[Problem]) -> Decimal | int | None:
    """A number a tariff can hold: 1e-12 to 1e12 in size, or 0 (1e19 overflowed the calculator)."""
    value = Decimal(number)
    if value.is_finite() and (value.adjusted() > 12 or abs(value) > MAX_NUMBER):
        shown = text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"
        problems.append(Problem(source, line, "", f"number too large: {shown} (at most 1e12)"))
        return None
    if value.is_finite() and value != 0 and value.adjusted() < -12:
        shown = text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"
        problems.append(Problem(source, line, "", f"number too small: {shown} (at least 1e-12, or 0)"))
        return None
    return number


def _wrap(data: Any) -> Value:
    if isinstance(data, Mapping):
        return Value({str(k): _wrap(v) for k, v in data.items()}, None)
    if isinstance(data, list | tuple):
        return Value([_wrap(v) for v in data], None)
    if isinstance(data, float):
        return Value(Decimal(str(data)), None)
    return Value(data, None)


# --- validation ------------------------------------------------------------------------------


class _Checker:
    """Collects every problem of one tariff instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(self, line: int | None, field: str, message: str) -> None:
        self.problems.append(Problem(self.source, line, field, message))

    def tariff(self, root: Value) -> Tariff | None:
        if not isinstance(root.data, dict):
            self.add(root.line, "", "a tariff file holds one mapping (key: value lines)")
            return None
        fields: dict[str, Value] = root.data
        self.unknown_keys(fields, TOP_KEYS + CHARGE_KEYS + IGNORED_KEYS, "")
        name = self.text(fields, "name", "", required=True)
        long_energy = self.present(fields, "energy")
        if long_energy is not None and self.present(fields, "rate_type") is not None:
            self.add(long_energy.line, "energy", "give rate_type (the short form) or energy (the long form), not both")
            return None
        rate_type: RateType | None = "charges" if long_energy is not None else self.rate_type(fields, root.line)
        timezone = self.timezone(fields)
        kwargs: dict[str, Any] = {
            "description": self.text(fields, "description", ""),
            "location": self.text(fields, "location", "") or "default",
            "daily_service_charge_usd": self.number(fields, "daily_service_charge_usd", "") or Decimal(0),
            "demand_charge_usd_per_kw": self.number(fields, "demand_charge_usd_per_kw", "") or Decimal(0),
            "demand_interval_minutes": self.demand_interval(fields),
            "billing_cycle_day": self.integer(fields, "billing_cycle_day", 1, 31) or 1,
            "utility_name": self.text(fields, "utility_name", ""),
            "account_number": self.text(fields, "account_number", "", allow_int=True),
            "active": self.boolean(fields, "active"),
        }
        self.not_used_by(fields, rate_type)
        if rate_type == "flat":
            kwargs["flat_rate_usd_per_kwh"] = self.number(fields, "flat_rate_usd_per_kwh", "", required=True)
        elif rate_type == "tou":
            kwargs["tou_schedule"] = self.schedule(fields, root.line)
        elif rate_type == "tiered":
            kwargs["tiered_rates"] = self.tiers(fields, root.line)
        elif rate_type == "charges":
            kwargs["energy"] = self.schedule(fields, root.line, "energy")
        kwargs.update(self.charges(fields))
        if rate_type == "index":
            kwargs["index"], adder = self.index(fields, root.line)
            if adder:
                kwargs["riders"] = (Rider("Adder", adder), *kwargs["riders"])
        if self.problems or name is None or rate_type is None:
            return None
        return Tariff(name=name, rate_type=rate_type, timezone=timezone, source=self.source, **kwargs)

    def unknown_keys(self, fields: Mapping[str, Value], known: Iterable[str], prefix: str) -> None:
        known = tuple(known)
        for key, value in fields.items():
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
            self.add(value.line, prefix + key, "unknown key" + hint)

    def present(self, fields: Mapping[str, Value], key: str) -> Value | None:
        value = fields.get(key)
        return None if value is None or value.data is None else value

    def text(
        self, fields: Mapping[str, Value], key: str, prefix: str, *, required: bool = False, allow_int: bool = False
    ) -> str | None:
        value = self.present(fields, key)
        if value is None:
            if required:
                self.add(_line_of(fields), prefix + key, "required")
            return None
        if allow_int and isinstance(value.data, int) and not isinstance(value.data, bool):
            return str(value.data)
        if not isinstance(value.data, str) or not value.data.strip():
            self.add(value.line, prefix + key, f"must be non-empty text, got {_show(value.data)}")
            return None
        return value.data.strip()

    def number(self, fields: Mapping[str, Value], key: str, prefix: str, *, required: bool = False) -> Decimal | None:
        value = self.present(fields, key)
        if value is None:
            if required:
                self.add(_line_of(fields), prefix + key, "required")
            return None
        data = value.data
        if isinstance(data, bool) or not isinstance(data, int | Decimal):
            self.add(value.line, prefix + key, f"must be a number, got {_show(data)}")
            return None
        number = Decimal(data)
        if not number.is_finite() or number < 0:
            self.add(value.line, prefix + key, f"must be a number >= 0, got {_show(data)}")
            return None
        return number

    def integer(self, fields: Mapping[str, Value], key: str, low: int, high: int, prefix: str = "") -> int | None:
        value = self.present(fields, key)
        if value is None:
            return None
        data = value.data
        if isinstance(data, bool) or not isinstance(data, int) or not low <= data <= high:
            self.add(value.line, prefix + key, f"must be a whole number {low}..{high}, got {_show(data)}")
            return None
        return data

    def boolean(self, fields: Mapping[str, Value], key: str) -> bool:
        value = self.present(fields, key)
        if value is None:
            return False
        if not isinstance(value.data, bool):
            self.add(value.line, key, f"must be true or false, got {_show(value.data)}")
            return False
        return value.data

    def rate_type(self, fields: Mapping[str, Value], line: int | None) -> RateType | None:
        value = self.present(fields, "rate_type")
        if value is None:
            self.add(line, "rate_type", "required: one of flat, tou, tiered, index")
            return None
        if value.data not in RATE_TYPES:
            self.add(value.line, "rate_type", f"must be one of flat, tou, tiered, index, got {_show(value.data)}")
            return None
        return cast(RateType, value.data)

    def timezone(self, fields: Mapping[str, Value]) -> str:
        value = self.present(fields, "timezone")
        if value is None:
            return "UTC"
        if isinstance(value.data, str):
            try:
                ZoneInfo(value.data)
                return value.data
            except (ZoneInfoNotFoundError, ValueError):
                pass
        self.add(value.line, "timezone", f"not an IANA time zone such as America/Chicago: {_show(value.data)}")
        return "UTC"

    def demand_interval(self, fields: Mapping[str, Value]) -> int:
        value = self.present(fields, "demand_interval_minutes")
        if value is None:
            return 15
        if value.data not in DEMAND_INTERVALS_MIN or isinstance(value.data, bool):
            allowed = ", ".join(str(m) for m in DEMAND_INTERVALS_MIN)
            self.add(
                value.line, "demand_interval_minutes", f"must divide the hour ({allowed}), got {_show(value.data)}"
            )
            return 15
        return int(value.data)

    def index(self, fields: Mapping[str, Value], line: int | None) -> tuple[IndexPrice | None, Decimal]:
        """`index: {market, adder_usd_per_kwh, loss_pct}`: the market price binding (section 7)."""
        value = self.present(fields, "index")
        if value is None or not isinstance(value.data, dict):
            self.add(
                value.line if value else line,
                "index",
                "required for rate_type index: {market: NAME, adder_usd_per_kwh: X, loss_pct: Y}",
            )
            return None, Decimal(0)
        self.unknown_keys(value.data, INDEX_KEYS, "index.")
        market = self.text(value.data, "market", "index.", required=True)
        adder = self.signed(value.data, "adder_usd_per_kwh", "index.") or Decimal(0)
        loss = self.number(value.data, "loss_pct", "index.") or Decimal(0)
        return (IndexPrice(market, loss) if market is not None else None), adder

    def not_used_by(self, fields: Mapping[str, Value], rate_type: RateType | None) -> None:
        owners = {"flat_rate_usd_per_kwh": "flat", "tou_schedule": "tou", "tiered_rates": "tiered", "index": "index"}
        for key, owner in owners.items():
            value = self.present(fields, key)
            if value is not None and rate_type == "charges":
                self.add(value.line, key, "a short-form key; with energy (the long form) the energy periods say it all")
            elif value is not None and rate_type is not None and owner != rate_type:
                self.add(value.line, key, f"only used when rate_type is {owner}; this tariff is {rate_type}")

    def listed(self, fields: Mapping[str, Value], key: str, line: int | None) -> list[Value]:
        value = self.present(fields, key)
        if value is None:
            self.add(line, key, "required for this rate_type")
            return []
        if not isinstance(value.data, list) or not value.data:
            self.add(value.line, key, "must be a non-empty list")
            return []
        return cast(list[Value], value.data)

    def schedule(
        self, fields: Mapping[str, Value], line: int | None, key: str = "tou_schedule"
    ) -> tuple[TouPeriod, ...]:
        periods = []
        before = len(self.problems)
        for index, item in enumerate(self.listed(fields, key, line)):
            period = self.period(item, f"{key}[{index}].", tiered=key == "energy")
            if period is not None:
                periods.append(period)
        if len(self.problems) == before and periods:
            schedule_line = fields[key].line
            for where, message in coverage_problems(periods):
                self.add(where or schedule_line, key, message)
        return tuple(periods)

    def period(self, item: Value, prefix: str, *, tiered: bool = False) -> TouPeriod | None:
        if not isinstance(item.data, dict):
            self.add(item.line, prefix.rstrip("."), "must be a mapping with name, rate, days, start_hour, end_hour")
            return None
        fields: dict[str, Value] = item.data
        before = len(self.problems)
        self.unknown_keys(fields, ENERGY_PERIOD_KEYS if tiered else PERIOD_KEYS, prefix)
        name = self.text(fields, "name", prefix, required=True)
        tiers: tuple[Tier, ...] = ()
        if tiered and self.present(fields, "tiers") is not None:
            if self.present(fields, "rate") is not None:
                self.add(fields["rate"].line, prefix + "rate", "give rate or tiers, not both")
            tiers = self.tiers(fields, item.line, key="tiers", prefix=prefix)
            rate = tiers[0].rate_usd_per_kwh if tiers else None
        else:
            rate = self.number(fields, "rate", prefix, required=True)
        days = self.choices(fields, "days", prefix, DAY_NAMES, base=0)
        months = self.choices(fields, "months", prefix, MONTH_NAMES, base=1)
        start = self.clock(fields, "start", prefix, item.line)
        end = self.clock(fields, "end", prefix, item.line)
        if len(self.problems) > before or name is None or rate is None or start is None or end is None:
            return None
        if end == 0:
            end = MINUTES_PER_DAY
        if start == end:
            self.add(item.line, prefix + "end_hour", "equals the start: the period would cover no time")
            return None
        return TouPeriod(name, rate, days, start, end, months, item.line, tiers if len(tiers) > 1 else ())

    def choices(
        self, fields: Mapping[str, Value], key: str, prefix: str, names: tuple[str, ...], base: int
    ) -> tuple[int, ...]:
        every = tuple(range(base, base + len(names)))
        value = self.present(fields, key)
        if value is None:
            return every
        items = value.data if isinstance(value.data, list) else [value]
        chosen: set[int] = set()
        full = _FULL_NAMES[names[0]]  # "mon", "mond" and "monday" are Monday; "monkey" is not
        for item in items:
            data = item.data
            word = data.strip().lower() if isinstance(data, str) else ""
            found = [i for i, name in enumerate(full) if len(word) >= 3 and name.startswith(word)]
            if isinstance(data, int) and not isinstance(data, bool) and data in every:
                chosen.add(data)
            elif len(found) == 1:
                chosen.add(base + found[0])
            else:
                spelled = f"{base}..{base + len(names) - 1} or {names[0].lower()}..{names[-1].lower()}"
                self.add(item.line, prefix + key, f"must be {spelled}, got {_show(data)}")
        if not items:
            self.add(value.line, prefix + key, "must list at least one")
        return tuple(sorted(chosen))

    def clock(self, fields: Mapping[str, Value], which: str, prefix: str, line: int | None) -> int | None:
        """Minutes after midnight from `start_hour`/`end_hour` (0..24) or `start`/`end` ("HH:MM")."""
        hour = self.present(fields, f"{which}_hour")
        text = self.present(fields, which)
        if hour is not None and text is not None:
            self.add(text.line, prefix + which, f"give {which}_hour or {which}, not both")
            return None
        if hour is not None:
            data = hour.data
            if isinstance(data, bool) or not isinstance(data, int | Decimal) or not 0 <= data <= 24:
                self.add(hour.line, prefix + f"{which}_hour", f"must be 0..24, got {_show(data)}")
                return None
            minutes = Decimal(data) * 60
            if minutes != minutes.to_integral_value():
                self.add(hour.line, prefix + f"{which}_hour", f"must be a whole minute, got {_show(data)}")
                return None
            return int(minutes)
        if text is not None:
            match = _HHMM.match(str(text.data)) if isinstance(text.data, str | int) else None
            if (
                match is None
                or int(match.group(2)) > 59
                or int(match.group(1)) * 60 + int(match.group(2)) > MINUTES_PER_DAY
            ):
                self.add(
                    text.line, prefix + which, f'must be a time "HH:MM" from 00:00 to 24:00, got {_show(text.data)}'
                )
                return None
            return int(match.group(1)) * 60 + int(match.group(2))
        self.add(line, prefix + f"{which}_hour", f'required ({which}_hour: 0..24, or {which}: "HH:MM")')
        return None

    def tiers(
        self, fields: Mapping[str, Value], line: int | None, *, key: str = "tiered_rates", prefix: str = ""
    ) -> tuple[Tier, ...]:
        items = self.listed(fields, key, line)
        tiers: list[Tier] = []
        previous: Decimal | None = None
        outer = prefix
        for index, item in enumerate(items):
            prefix = f"{outer}{key}[{index}]."
            if not isinstance(item.data, dict):
                self.add(item.line, prefix.rstrip("."), "must be a mapping with up_to_kwh and rate")
                continue
            tier_fields: dict[str, Value] = item.data
            self.unknown_keys(tier_fields, TIER_KEYS, prefix)
            rate = self.number(tier_fields, "rate", prefix, required=True)
            bound = self.number(tier_fields, "up_to_kwh", prefix)
            last = index == len(items) - 1
            if bound is None and not last and self.present(tier_fields, "up_to_kwh") is None:
                self.add(item.line, prefix + "up_to_kwh", "required on every block but the last")
            if bound is not None and last:
                self.add(item.line, prefix + "up_to_kwh", "the last block must have no bound, so all energy is priced")
            if bound is not None and previous is not None and bound <= previous:
                self.add(item.line, prefix + "up_to_kwh", f"must be above the previous block's {previous}, got {bound}")
            if bound is not None and bound == 0:
                self.add(item.line, prefix + "up_to_kwh", "must be above 0")
            previous = bound if bound is not None else previous
            if rate is not None:
                tiers.append(Tier(bound, rate))
        return tuple(tiers)

    # --- the long form's charges ---------------------------------------------------------------

    def charges(self, fields: Mapping[str, Value]) -> dict[str, Any]:
        """The charges of the long form (each optional, beside the short keys or `energy`)."""
        out: dict[str, Any] = {
            "riders": tuple(self.each(fields, "riders", self.rider)),
            "fixed_charges": tuple(self.each(fields, "fixed_charges", self.fixed)),
            "demand_charges": tuple(self.each(fields, "demand_charges", self.demand)),
            "minimum_bill_usd": self.number(fields, "minimum_bill_usd", "") or Decimal(0),
            "coincident_peak": self.coincident(fields),
            "holidays": self.holidays(fields),
        }
        bounds = self.present(fields, "tier_bounds")
        if bounds is not None:
            if bounds.data not in ("monthly", "daily"):
                self.add(bounds.line, "tier_bounds", f"must be monthly or daily, got {_show(bounds.data)}")
            else:
                out["tier_bounds"] = bounds.data
        return out

    def each(
        self, fields: Mapping[str, Value], key: str, build: Callable[[dict[str, Value], str, int | None], Any]
    ) -> list[Any]:
        """Build every mapping of an optional list, each problem named `key[i].field`."""
        value = self.present(fields, key)
        if value is None:
            return []
        if not isinstance(value.data, list):
            self.add(value.line, key, "must be a list")
            return []
        out = []
        for index, item in enumerate(value.data):
            prefix = f"{key}[{index}]."
            if not isinstance(item.data, dict):
                self.add(item.line, prefix.rstrip("."), "must be a mapping")
                continue
            built = build(item.data, prefix, item.line)
            if built is not None:
                out.append(built)
        return out

    def signed(self, fields: Mapping[str, Value], key: str, prefix: str, *, required: bool = False) -> Decimal | None:
        """A number that may be negative (a credit)."""
        value = self.present(fields, key)
        if value is None:
            if required:
                self.add(_line_of(fields), prefix + key, "required")
            return None
        if (
            isinstance(value.data, bool)
            or not isinstance(value.data, int | Decimal)
            or not Decimal(value.data).is_finite()
        ):
            self.add(value.line, prefix + key, f"must be a number, got {_show(value.data)}")
            return None
        return Decimal(value.data)

    def rider(self, fields: dict[str, Value], prefix: str, line: int | None) -> Rider | None:
        self.unknown_keys(fields, RIDER_KEYS, prefix)
        name = self.text(fields, "name", prefix, required=True)
        rate = self.signed(fields, "usd_per_kwh", prefix, required=True)
        months = self.choices(fields, "months", prefix, MONTH_NAMES, base=1)
        return None if name is None or rate is None else Rider(name, rate, months)

    def fixed(self, fields: dict[str, Value], prefix: str, line: int | None) -> FixedCharge | None:
        self.unknown_keys(fields, FIXED_KEYS, prefix)
        name = self.text(fields, "name", prefix, required=True)
        amount = self.signed(fields, "usd", prefix, required=True)
        per = self.present(fields, "per")
        if per is None:
            self.add(line, prefix + "per", "required: day, month or year")
            return None
        if per.data not in FIXED_PER:
            self.add(per.line, prefix + "per", f"must be day, month or year, got {_show(per.data)}")
            return None
        return None if name is None or amount is None else FixedCharge(name, amount, per.data)

    def demand(self, fields: dict[str, Value], prefix: str, line: int | None) -> DemandCharge | None:
        before = len(self.problems)
        self.unknown_keys(fields, DEMAND_KEYS, prefix)
        name = self.text(fields, "name", prefix, required=True)
        tiers: tuple[DemandTier, ...] = ()
        if self.present(fields, "tiers") is not None:
            if self.present(fields, "usd_per_kw") is not None:
                self.add(fields["usd_per_kw"].line, prefix + "usd_per_kw", "give usd_per_kw or tiers, not both")
            tiers = self.demand_tiers(fields["tiers"], prefix + "tiers")
        else:
            rate = self.number(fields, "usd_per_kw", prefix, required=True)
            tiers = (DemandTier(None, rate),) if rate is not None else ()
        months = self.choices(fields, "months", prefix, MONTH_NAMES, base=1)
        windows: list[Window] = []
        if self.present(fields, "windows") is not None:
            for key in ("days", "start", "end", "start_hour", "end_hour"):
                if self.present(fields, key) is not None:
                    self.add(fields[key].line, prefix + key, "give windows, or one window's days/start/end, not both")
            windows = self.each(fields, "windows", self.window)
            windows = [w for w in windows if w is not None]
            if (
                not windows
                and self.present(fields, "windows") is not None
                and not isinstance(fields["windows"].data, list)
            ):
                pass
        elif any(self.present(fields, key) is not None for key in ("days", "start", "end", "start_hour", "end_hour")):
            window = self.window(fields, prefix, line, known=DEMAND_KEYS)
            if window is not None:
                windows = [window]
        ratchet = None
        if self.present(fields, "ratchet") is not None:
            ratchet = self.ratchet(fields["ratchet"], prefix + "ratchet.")
        if len(self.problems) > before or name is None or not tiers:
            return None
        return DemandCharge(name, tiers, months, tuple(windows), ratchet)

    def demand_tiers(self, value: Value, where: str) -> tuple[DemandTier, ...]:
        if not isinstance(value.data, list) or not value.data:
            self.add(value.line, where, "must be a non-empty list of {up_to_kw, usd_per_kw}")
            return ()
        tiers: list[DemandTier] = []
        previous: Decimal | None = None
        for index, item in enumerate(value.data):
            prefix = f"{where}[{index}]."
            if not isinstance(item.data, dict):
                self.add(item.line, prefix.rstrip("."), "must be a mapping with up_to_kw and usd_per_kw")
                continue
            self.unknown_keys(item.data, DEMAND_TIER_KEYS, prefix)
            rate = self.number(item.data, "usd_per_kw", prefix, required=True)
            bound = self.number(item.data, "up_to_kw", prefix)
            last = index == len(value.data) - 1
            if bound is None and not last:
                self.add(item.line, prefix + "up_to_kw", "required on every block but the last")
            if bound is not None and last:
                self.add(item.line, prefix + "up_to_kw", "the last block must have no bound, so all kW are billed")
            if bound is not None and (bound == 0 or (previous is not None and bound <= previous)):
                self.add(
                    item.line, prefix + "up_to_kw", f"must be above the previous block's {previous or 0}, got {bound}"
                )
            previous = bound if bound is not None else previous
            if rate is not None:
                tiers.append(DemandTier(bound, rate))
        return tuple(tiers)

    def window(
        self, fields: dict[str, Value], prefix: str, line: int | None, known: tuple[str, ...] = WINDOW_KEYS
    ) -> Window | None:
        before = len(self.problems)
        if known is WINDOW_KEYS:
            self.unknown_keys(fields, WINDOW_KEYS, prefix)
        days = self.choices(fields, "days", prefix, DAY_NAMES, base=0)
        start = self.clock(fields, "start", prefix, line)
        end = self.clock(fields, "end", prefix, line)
        if len(self.problems) > before or start is None or end is None:
            return None
        end = end or MINUTES_PER_DAY
        if start == end:
            self.add(line, prefix + "end", "equals the start: the window would cover no time")
            return None
        return Window(days, start, end)

    def ratchet(self, value: Value, prefix: str) -> Ratchet | None:
        if not isinstance(value.data, dict):
            self.add(value.line, prefix.rstrip("."), "must be a mapping with pct and periods")
            return None
        self.unknown_keys(value.data, RATCHET_KEYS, prefix)
        pct = self.number(value.data, "pct", prefix, required=True)
        periods = self.integer(value.data, "periods", 1, 36, prefix)
        if periods is None and self.present(value.data, "periods") is None:
            self.add(value.line, prefix + "periods", "required: how many previous billing periods (1..36)")
        if pct is not None and pct > 100:
            self.add(value.data["pct"].line, prefix + "pct", f"must be a percentage 0..100, got {pct}")
            return None
        return Ratchet(pct, periods) if pct is not None and periods is not None else None

    def coincident(self, fields: Mapping[str, Value]) -> CoincidentPeak | None:
        value = self.present(fields, "coincident_peak")
        if value is None:
            return None
        if not isinstance(value.data, dict):
            self.add(value.line, "coincident_peak", "must be a mapping with peaks and usd_per_kw")
            return None
        self.unknown_keys(value.data, COINCIDENT_KEYS, "coincident_peak.")
        peaks = self.text(value.data, "peaks", "coincident_peak.", required=True)
        rate = self.number(value.data, "usd_per_kw", "coincident_peak.", required=True)
        return CoincidentPeak(peaks, rate) if peaks is not None and rate is not None else None

    def holidays(self, fields: Mapping[str, Value]) -> Holidays:
        value = self.present(fields, "holidays")
        if value is None:
            return Holidays()
        if isinstance(value.data, list):
            return Holidays(frozenset(self.dates(value.data, "holidays")))
        if not isinstance(value.data, dict):
            self.add(value.line, "holidays", "must be a list of dates or a mapping with country, subdiv, dates")
            return Holidays()
        self.unknown_keys(value.data, HOLIDAY_KEYS, "holidays.")
        country = self.text(value.data, "country", "holidays.")
        subdiv = self.text(value.data, "subdiv", "holidays.")
        dates: list[date] = []
        listed = self.present(value.data, "dates")
        if listed is not None:
            if isinstance(listed.data, list):
                dates = self.dates(listed.data, "holidays.dates")
            else:
                self.add(listed.line, "holidays.dates", "must be a list of dates (YYYY-MM-DD)")
        if country is not None:
            import holidays as package

            try:
                package.country_holidays(country, subdiv=subdiv, years=2026)
            except NotImplementedError:
                where = f"{country}/{subdiv}" if subdiv else country
                self.add(
                    value.line,
                    "holidays.country",
                    f"not a country (and subdivision) the holidays package knows: {where!r}",
                )
                country = None
        return Holidays(frozenset(dates), country, subdiv)

    def dates(self, items: list[Value], key: str) -> list[date]:
        out = []
        for index, item in enumerate(items):
            try:
                out.append(date.fromisoformat(str(item.data)))
            except ValueError:
                self.add(item.line, f"{key}[{index}]", f"must be a date YYYY-MM-DD, got {_show(item.data)}")
        return out


_FULL_NAMES = {
    "Mon": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "Jan": (
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december",
    ),
}  # fmt: skip


def _line_of(fields: Mapping[str, Value]) -> int | None:
    lines = [v.line for v in fields.values() if v.line is not None]
    return min(lines) if lines else None


def _show(data: Any) -> str:
    if isinstance(data, list | dict):
        return "a list" if isinstance(data, list) else "a mapping"
    if isinstance(data, Decimal):
        return str(data)
    return repr(data)
