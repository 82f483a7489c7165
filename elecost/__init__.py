"""elecost: what a Bitcoin-mining operation's electricity really costs.

The Python API, for dashboards and scripts around a mine (the CLI is built on the same functions):

    import elecost
    db = elecost.open_db("mine.db")
    elecost.import_readings(db, [Path("readings.csv")])
    elecost.record_costs(db)
    summary = elecost.cost_summary(db, start_s, end_s, by="miner")

Names are loaded on first use, so `import elecost` (and `elecost --help`) stays quick.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# The package's version (pyproject.toml reads it from here), so `elecost --version` needs no
# importlib.metadata.
__version__ = "0.1.0"

if TYPE_CHECKING:
    from elecost.bills import bills
    from elecost.importer import import_readings
    from elecost.pricing import price_constant_load, price_readings
    from elecost.record import record_costs
    from elecost.store import open_db
    from elecost.summary import cost_rows, cost_summary
    from elecost.tariffs.load import load_tariff_file, parse_tariff

_API = {
    "open_db": "elecost.store",
    "import_readings": "elecost.importer",
    "record_costs": "elecost.record",
    "cost_rows": "elecost.summary",
    "cost_summary": "elecost.summary",
    "bills": "elecost.bills",
    "load_tariff_file": "elecost.tariffs.load",
    "parse_tariff": "elecost.tariffs.load",
    "price_constant_load": "elecost.pricing",
    "price_readings": "elecost.pricing",
}

__all__ = [
    "bills",
    "cost_rows",
    "cost_summary",
    "import_readings",
    "load_tariff_file",
    "open_db",
    "parse_tariff",
    "price_constant_load",
    "price_readings",
    "record_costs",
]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'elecost' has no attribute {name!r}")
