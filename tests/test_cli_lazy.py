"""`elecost CMD` registers only CMD's command module (issue 15).

The table `elecost.cli.COMMANDS` is checked against a full registration: each module set it names,
imported alone in a fresh interpreter, registers the very commands (and subcommands) that the
full app has under that name.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import typer

import elecost.cli
from elecost.cli import COMMANDS, MODULES, command_modules

# Prints {command name: its subcommand tree} as registered by the modules named on argv.
TREE = """
import json, sys
import typer.main
from elecost.cli import register

def tree(command):
    commands = getattr(command, "commands", None)
    return None if commands is None else {name: tree(sub) for name, sub in commands.items()}

print(json.dumps(tree(typer.main.get_command(register(tuple(sys.argv[1:]))))))
"""


def command_tree(command: Any) -> Any:
    commands = getattr(command, "commands", None)
    return None if commands is None else {name: command_tree(sub) for name, sub in commands.items()}


def registered_alone(modules: tuple[str, ...]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", TREE, *modules], capture_output=True, text=True, check=True, timeout=60
    )
    tree: dict[str, Any] = json.loads(result.stdout)
    return tree


def test_every_command_is_in_the_table_with_the_modules_that_register_it() -> None:
    full = command_tree(typer.main.get_command(elecost.cli.app))
    assert set(COMMANDS) == set(full)
    for modules in sorted(set(COMMANDS.values())):
        alone = registered_alone(modules)
        for name in (name for name, needs in COMMANDS.items() if needs == modules):
            assert alone.get(name) == full[name], (name, modules)


@pytest.mark.parametrize(
    ("args", "modules"),
    [
        (["rate", "list"], ("rates",)),
        (["--db", "mine.db", "summary", "--days", "7"], ("reports",)),
        (["--db=mine.db", "miner", "list"], ("decide", "miners")),
        (["calc", "--help"], ("calc",)),
        (["--version"], ()),
        (["--version", "--help"], MODULES),
        (["--help"], MODULES),
        ([], MODULES),
        (["nosuch"], MODULES),  # Click's "No such command" then sees them all
    ],
)
def test_a_run_imports_the_modules_of_the_command_it_names(args: list[str], modules: tuple[str, ...]) -> None:
    assert command_modules(args) == modules
