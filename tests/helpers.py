"""Small builders shared by tests: tariffs from YAML text, instants from local times."""

from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

from elecost.tariffs.load import load_tariff_file, parse_tariff
from elecost.tariffs.model import Tariff

from conftest import EXAMPLES


def tariff(text: str) -> Tariff:
    return parse_tariff(textwrap.dedent(text), "test.yaml")


def example(name: str) -> Tariff:
    return load_tariff_file(EXAMPLES / name)


def at(text: str, zone: str = "UTC") -> int:
    """Epoch seconds of a naive ISO time read in `zone`."""
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp())
