"""What each everyday command imports (issue 15): the import graph, not the time.

Each command runs in a fresh interpreter, which prints the modules it had loaded once the
command is done; a command that pulls in a module it does not need fails here, whatever the
machine's speed. The times themselves are printed by bench/startup.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Runs the console script's `main` with the given arguments, then lists the modules on stderr.
PROBE = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("MODULES " + " ".join(sorted(sys.modules)) + "\\n"))
sys.argv = ["elecost", *sys.argv[1:]]
from elecost.cli import main
main()
"""


def modules_after(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if line.startswith("MODULES "))
    return set(line.split()[1:])


def add_flat_tariff() -> None:
    """The bundled flat tariff, stored and active (in the test's own database, ELECOST_DB)."""
    for args in (["rate", "add", str(EXAMPLES / "flat.yaml")], ["rate", "activate", "Example Flat"]):
        subprocess.run([sys.executable, "-m", "elecost", *args], check=True, capture_output=True)


def test_rate_list_imports_neither_mining_nor_summaries() -> None:
    add_flat_tariff()
    loaded = modules_after("rate", "list")
    assert "elecost.store" in loaded  # the probe did list the rates
    assert not loaded & {"elecost.mining", "elecost.summary", "elecost.budget", "elecost.report_html", "yaml"}
    # Nor the bill engine, the readings parser or the cost records' views: rates are tariffs only.
    assert not loaded & {"elecost.tariffs.engine", "elecost.readings", "elecost.report"}
    # sqlite-utils' plugin scan (every installed distribution's entry points) is not run either.
    assert "importlib.metadata" not in loaded


def test_rate_current_imports_neither_mining_nor_summaries() -> None:
    add_flat_tariff()
    loaded = modules_after("rate", "current")
    assert not loaded & {"elecost.mining", "elecost.summary", "elecost.budget", "elecost.price_store"}
    assert not loaded & {"elecost.tariffs.engine", "elecost.report", "rich.table"}  # one line of text


def test_summary_imports_no_chart_or_html_report(tmp_path: Path) -> None:
    add_flat_tariff()
    readings = tmp_path / "readings.csv"
    readings.write_text(
        "timestamp,miner,power_w\n2026-01-01T00:00:00Z,10.0.0.1,3000\n2026-01-01T01:00:00Z,10.0.0.1,3000\n"
    )
    for args in (["readings", "import", str(readings)], ["record"]):
        subprocess.run([sys.executable, "-m", "elecost", *args], check=True, capture_output=True)
    loaded = modules_after("summary")
    assert "elecost.summary" in loaded
    assert not loaded & {"elecost.report_chart", "elecost.report_html", "elecost.mining", "elecost.report_rates"}


DATA_COMMANDS = [
    ("summary", "--json"),
    ("summary", "--csv"),
    ("summary", "--by", "miner", "--json"),
    ("summary", "--by", "client", "--json"),
    ("costs", "--json"),
    ("bill", "--json"),
    ("profit", "--hashprice-usd-per-th-day", "0.05", "--json"),
    ("miner", "list", "--json"),
    ("budget", "show", "--json"),
    ("info", "--json"),
]


def test_data_output_loads_no_rich(tmp_path: Path) -> None:
    """--json and --csv are shaped by elecost.report_data alone: the tables' Rich (~10 ms) is not loaded."""
    add_flat_tariff()
    readings = tmp_path / "readings.csv"
    readings.write_text(
        "timestamp,miner,power_w\n2026-01-01T00:00:00Z,10.0.0.1,3000\n2026-01-01T01:00:00Z,10.0.0.1,3000\n"
    )
    for args in (
        ["readings", "import", str(readings)],
        ["record"],
        ["miner", "add", "10.0.0.1", "--hashrate-th", "200", "--power-w", "3000", "--client", "Acme"],
        ["budget", "set", "--monthly-usd", "500"],
    ):
        subprocess.run([sys.executable, "-m", "elecost", *args], check=True, capture_output=True)
    for args in DATA_COMMANDS:
        loaded = modules_after(*args)
        assert "elecost.report_data" in loaded or args[0] in ("miner", "info"), args
        assert not loaded & {"rich", "rich.console", "rich.table", "rich.segment", "rich.text"}, args
        assert "elecost.report" not in loaded, args


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_help_and_version_open_no_database_and_read_no_tariff(args: tuple[str, ...]) -> None:
    loaded = modules_after(*args)
    assert "elecost.cli" in loaded
    heavy = {"sqlite_utils", "elecost.db", "sqlite3", "yaml", "elecost.store", "elecost.tariffs", "importlib.metadata"}
    assert not loaded & heavy


@pytest.mark.parametrize("args", [("--help",), ("rate", "--help"), ("calc", "--help")])
def test_help_needs_no_markdown_parser(args: tuple[str, ...]) -> None:
    """Typer's help module loads with stand-ins for rich.markdown and rich.traceback (cli/help.py)."""
    loaded = modules_after(*args)
    assert "typer.rich_utils" in loaded  # the help was Typer's, panels and all
    assert not loaded & {"markdown_it", "rich.markdown", "pygments", "rich.syntax", "rich.traceback"}


def test_a_command_imports_only_its_own_command_module() -> None:
    add_flat_tariff()
    commands = {name for name in modules_after("rate", "list") if name.startswith("elecost.cli.")}
    assert commands == {"elecost.cli.common", "elecost.cli.help", "elecost.cli.rates"}


def test_no_command_imports_pydantic() -> None:
    """Typer 0.29 coerces every parameter through pydantic; pyproject.toml caps it below (issue 15)."""
    add_flat_tariff()
    assert "pydantic" not in modules_after("calc", "--power", "3000", "--hours", "24")


def test_startup_benchmark_runs() -> None:
    """bench/startup.py prints every command's median and ratio (figures printed, never asserted)."""
    bench = Path(__file__).resolve().parent.parent / "bench" / "startup.py"
    result = subprocess.run([sys.executable, str(bench), "--repeat", "1"], capture_output=True, text=True, check=True)
    for label in ("the floor", "--help", "--version", "rate list", "rate current", "summary", "calc --power 3000"):
        assert label in result.stdout, result.stdout


# As PROBE, and tells whether the cycle collector runs, whether the objects are frozen (the
# collector skips them as the interpreter exits) and whether Rich's emoji names were loaded.
GC_PROBE = """
import atexit, gc, sys
def report():
    emoji = sys.modules.get("rich._emoji_codes")
    sys.stderr.write(f"STATE gc={gc.isenabled()} frozen={gc.get_freeze_count() > 0} emoji={getattr(emoji, '__file__', None) is not None}\\n")
atexit.register(report)
sys.argv = ["elecost", *sys.argv[1:]]
from elecost.cli import main
main()
"""


@pytest.mark.parametrize(
    ("args", "collecting"),
    [(("--help",), False), ((), False), (("rate", "list", "--help"), False), (("rate", "list"), True)],
)
def test_help_runs_without_the_cycle_collector_or_rich_emoji_names(args: tuple[str, ...], collecting: bool) -> None:
    """A run that shows help and leaves needs neither; a command keeps the collector as it was."""
    if collecting:
        add_flat_tariff()
    result = subprocess.run([sys.executable, "-c", GC_PROBE, *args], capture_output=True, text=True, check=False)
    assert result.returncode == (2 if not args else 0), result.stderr
    assert f"STATE gc={collecting} frozen={not collecting} emoji=False\n" in result.stderr


def test_a_command_given_help_as_an_options_value_runs_with_the_collector(tmp_path: Path) -> None:
    """`--help` as a value (here a location named so) is taken for a help run at first; the
    command then runs, gets the collector back and is not frozen."""
    readings = tmp_path / "r.csv"
    readings.write_text("timestamp,power_w\n2026-05-04T00:00:00Z,3000\n2026-05-04T00:05:00Z,3000\n")
    args = ("readings", "import", str(readings), "--location", "--help")
    result = subprocess.run([sys.executable, "-c", GC_PROBE, *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "imported 2 new readings" in result.stderr
    assert "STATE gc=True frozen=False" in result.stderr


def test_help_before_a_command_is_the_root_help() -> None:
    def run(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "elecost", *args], capture_output=True, text=True, check=True)
        return result.stdout

    assert run("--help", "rate") == run("--help")
