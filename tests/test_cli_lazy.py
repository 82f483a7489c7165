"""`elecost CMD` registers only CMD's command module (issue 15), and help reads as before.

The table `elecost.cli.COMMANDS` is checked against a full registration: each module set it names,
imported alone in a fresh interpreter, registers the very commands (and subcommands) that the
full app has under that name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

import elecost.cli
from elecost.cli import COMMANDS, MODULES, command_modules
from elecost.cli.help import Paragraphs

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


@pytest.mark.parametrize(
    "prose",
    [
        "Price [h] and\n  `rate add` it.\n\nSecond paragraph, long enough to wrap at thirty columns.",
        "Database file [default: --db before the command, else $ELECOST_DB].",
        "One [USD]\n\n\n  \nafter blank lines",
    ],
)
def test_paragraphs_render_plain_prose_as_rich_markdown_does(prose: str) -> None:
    from rich.markdown import Markdown

    def rendered(renderable: Any) -> list[tuple[str, Any]]:
        """Each character with its style (Markdown cuts its segments at other places)."""
        console = Console(width=30, force_terminal=True, color_system="truecolor")
        return [(char, segment.style) for segment in console.render(renderable) for char in segment.text]

    assert rendered(Paragraphs(prose, style="dim")) == rendered(Markdown(prose, style="dim"))


def test_help_quotes_commands_without_backticks_and_keeps_brackets() -> None:
    result = CliRunner().invoke(elecost.cli.app, ["rate", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Print a tariff as YAML that rate add reads back (account number included)." in result.stdout
    assert "`" not in result.stdout


def test_shell_completion_sees_every_command() -> None:
    """Completing a command's name runs before any command is named: every module is registered."""
    env = dict(os.environ, _ELECOST_COMPLETE="complete_bash", COMP_WORDS="elecost re", COMP_CWORD="1")
    script = 'import sys; sys.argv = ["elecost"]; from elecost.cli import main; main()'  # as the console script
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["record", "report", "reconcile", "readings"]


# Renders the top-level help with the full app or its outline; argv: "full"|"outline", then Click's args.
RENDER = """
import sys
import typer.main
from elecost.cli import register
from elecost.cli.help import outline

app = register()
typer.main.get_command(outline(app) if sys.argv[1] == "outline" else app)(sys.argv[2:], prog_name="elecost")
"""


def rendered(how: str, args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    result = subprocess.run(
        [sys.executable, "-c", RENDER, how, *args],
        env=dict(os.environ, **env),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("columns", ["80", "120"])
@pytest.mark.parametrize("colour", [False, True])
@pytest.mark.parametrize("args", [["--help"], []])
def test_top_level_help_from_the_outline_is_the_full_apps_byte_for_byte(
    columns: str, colour: bool, args: list[str]
) -> None:
    """Typer reads its colour setting when its help module loads: each side runs in its own process."""
    env = {"COLUMNS": columns, "FORCE_COLOR": "1" if colour else "", "TERM": "xterm-256color"}
    full = rendered("full", args, env)
    assert full[0] == (0 if args else 2)
    assert "calc" in full[1] + full[2] and "Decide" in full[1] + full[2]
    assert ("\x1b[" in full[1] + full[2]) == colour
    assert rendered("outline", args, env) == full


def test_the_console_script_shows_top_level_help_from_the_outline() -> None:
    probe = (
        "import sys, typer.main; sys.argv = ['elecost', '--help']; calls = []; convert = typer.main.get_command\n"
        "typer.main.get_command = lambda app: calls.append(len(app.registered_groups[0].typer_instance"
        ".registered_commands)) or convert(app)\n"
        "from elecost.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    print('groups bare:', calls == [0])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=dict(os.environ, COLUMNS="120"), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.endswith("groups bare: True\n"), result.stdout
    assert rendered("full", ["--help"], {"COLUMNS": "120"})[1] + "groups bare: True\n" == result.stdout


def test_the_outline_leaves_the_app_whole() -> None:
    from elecost.cli.help import outline

    before = command_tree(typer.main.get_command(elecost.cli.app))
    bare = command_tree(typer.main.get_command(outline(elecost.cli.app)))
    assert list(bare) == list(before)
    assert all(sub in (None, {}) for sub in bare.values())
    assert command_tree(typer.main.get_command(elecost.cli.app)) == before


# Prints what Rich makes of text with and without emoji codes, with lean_help's stand-in for
# Rich's emoji names (argv[1] == "lean") or without, and whether the real names were loaded first.
EMOJI = """
import io, sys
if sys.argv[1] == "lean":
    from elecost.cli.help import lean_help
    lean_help()
from rich.console import Console
console = Console(file=io.StringIO(), width=60)
console.print("Database file or postgresql:// URL [default: 30].", markup=False)
loaded = getattr(sys.modules.get("rich._emoji_codes"), "__file__", None) is not None
console.print(":smile: a:b: :not_a_name: :thumbs_up-text:")
from rich.emoji import Emoji
print(loaded, repr(console.file.getvalue()), Emoji("zap"))
"""


def test_rich_loads_its_emoji_names_only_for_a_code_and_replaces_codes_as_before() -> None:
    def run(how: str) -> str:
        result = subprocess.run([sys.executable, "-c", EMOJI, how], capture_output=True, text=True, check=True)
        return result.stdout

    lean, real = run("lean"), run("real")
    assert lean.startswith("False ") and real.startswith("True ")
    assert lean.partition(" ")[2] == real.partition(" ")[2]
    assert "\U0001f604" in lean  # :smile:


def test_the_outline_resolves_names_and_help_as_typer_does_for_every_kind_of_registration() -> None:
    """Help from a callback's docstring, from add_typer, a hidden or deprecated command, a group
    added without a name (its commands join its parent's), and a group's own callback."""
    from elecost.cli.help import outline

    def with_options(count: int = 1, name: str = "x") -> None:
        """Docstring help, first paragraph.

        Second paragraph."""

    def raw_name_with_underscores(flag: bool = False) -> None:
        pass

    def group_callback(verbose: bool = False) -> None:
        """Help of the group from its callback."""

    root = typer.Typer(rich_markup_mode="markdown")
    root.command(rich_help_panel="One")(with_options)
    root.command("renamed", help="Explicit help [h].", short_help="Short help.")(raw_name_with_underscores)
    root.command("old", deprecated=True)(with_options)
    root.command("secret", hidden=True)(with_options)
    by_callback = typer.Typer()
    by_callback.callback()(group_callback)
    by_callback.command("inner")(with_options)
    root.add_typer(by_callback, name="grouped", rich_help_panel="Two")
    nameless = typer.Typer()
    nameless.command("joined")(with_options)
    nameless.command("joined-too", help="Joined help.")(raw_name_with_underscores)
    root.add_typer(nameless)
    root.add_typer(typer.Typer(help="From the sub-app."), name="empty-ish", deprecated=True)

    for columns in ("80", "120"):
        full = CliRunner().invoke(root, ["--help"], env={"COLUMNS": columns}, prog_name="toy")
        bare = CliRunner().invoke(outline(root), ["--help"], env={"COLUMNS": columns}, prog_name="toy")
        assert full.exit_code == bare.exit_code == 0
        assert "joined-too" in full.stdout and "Help of the group from its callback." in full.stdout
        assert bare.stdout == full.stdout
