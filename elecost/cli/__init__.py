"""The command line: parse, call the core, render, exit. One module per command group.

`main` is the console script. It imports only the command module of the command named on the
command line (`elecost rate list` imports `elecost.cli.rates`, not the ten other modules), because
Typer turns every registered command's signature into Click parameters on every run: a command
that registers only its own group skips both the other modules' imports and their conversion
(issue 15). Help, completion, a mistyped command and `elecost.cli.app` register every command.

The command modules do not use `from __future__ import annotations`: Typer reads every command's
signature on every run, and string annotations are compiled and evaluated twice per parameter,
which doubled that part of start-up (issue 15). Names imported only for type checking are quoted.
"""

import gc
import os
import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

# Import order is the order of the help's panels: price, track, decide.
MODULES = (
    "calc",
    "rates",
    "markets",
    "readings",
    "reports",
    "overview",
    "decide",
    "miners",
    "info",
    "reconcile",
    "carbon",
)

# The top-level command or group -> the command modules that register it (and its subcommands).
# tests/test_cli_lazy.py checks this against a full registration.
COMMANDS: dict[str, tuple[str, ...]] = {
    "calc": ("calc",),
    "rate": ("rates",),
    "prices": ("markets",),
    "peaks": ("markets",),
    "readings": ("readings",),
    "record": ("readings",),
    "costs": ("reports",),
    "summary": ("reports",),
    "bill": ("reports",),
    "demo": ("reports",),
    "report": ("overview",),
    "miner": ("decide", "miners"),
    "miners": ("decide", "miners"),
    "budget": ("decide",),
    "profit": ("decide",),
    "curtail": ("decide",),
    "export": ("decide",),
    "info": ("info",),
    "reconcile": ("reconcile",),
    "carbon": ("carbon",),
}

# Root options that take a value: the word after them is not the command's name.
_VALUED_ROOT_OPTIONS = ("--db",)

__all__ = ["COMMANDS", "MODULES", "app", "command_modules", "main", "register"]


def command_modules(args: list[str]) -> tuple[str, ...]:
    """The command modules a run with these arguments needs: those of the command it names, or
    every module where it names none (`elecost`, `elecost --help`) or one not in COMMANDS (so that
    Click's "No such command" lists them all). `--version` alone needs none: it ends in the root."""
    options, command = _root_options_and_command(args)
    if "--version" in options and "--help" not in args:
        return ()
    return MODULES if command is None or "--help" in options else COMMANDS.get(command, MODULES)


def _root_options_and_command(args: list[str]) -> tuple[list[str], str | None]:
    """The root's options (without their values) and the command's name, None where the
    arguments name none."""
    options: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        if not word.startswith("-"):
            return options, word
        options.append(word)
        index += 2 if word in _VALUED_ROOT_OPTIONS else 1
    return options, None


def register(modules: tuple[str, ...] = MODULES) -> "typer.Typer":
    """Import these command modules (each registers its commands on the root app once) and return
    the root app."""
    for name in MODULES:  # in the help's order, whatever the order asked
        if name in modules:
            import_module(f"elecost.cli.{name}")
    from elecost.cli.common import app

    return app


def main() -> None:
    """Console-script entry point.

    A run that names no command (`elecost --help`, `elecost`) shows the top-level help, which
    lists the commands without their parameters: it runs on `help.outline` of the app, which
    skips turning every parameter into a Click parameter (issue 15)."""
    if any(key.startswith("_ELECOST_COMPLETE") for key in os.environ):
        register(MODULES)()
        return
    args = sys.argv[1:]
    options, command = _root_options_and_command(args)
    top_level = command is None or "--help" in options  # `elecost --help rate` is the root's help too
    shows_help = top_level or "--help" in args
    if shows_help:
        # A run that shows help leaves once it is printed, having written nothing else: the cycle
        # collector would only walk the objects the imports made, while running (~4 ms of
        # `elecost --help`) and again as the interpreter exits (~15 ms), unless they are frozen.
        # Standard streams are flushed at exit all the same. A run taken for help that turns out
        # to run a command (`--help` as an option's value) gets the collector back from
        # `common.exit_codes`, which every command enters, and is not frozen.
        gc.disable()
    app = register(command_modules(args))
    if top_level:
        from elecost.cli.help import outline

        app = outline(app)
    try:
        app()
    finally:
        if shows_help and not gc.isenabled():
            gc.freeze()


def __getattr__(name: str) -> Any:
    """`from elecost.cli import app` (tests, scripts) gets the app with every command registered."""
    if name == "app":
        return register()
    raise AttributeError(f"module 'elecost.cli' has no attribute {name!r}")
