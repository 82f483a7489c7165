"""The help's prose without a Markdown parser, so `elecost --help` costs little more than the floor.

Typer's help module (`typer.rich_utils`) imports `rich.markdown` (markdown-it-py, and Pygments
through `rich.syntax`) and `rich.traceback` at its top, whatever the markup mode: about a third of
`elecost --help` (issue 15). elecost's help is plain prose, with units and defaults in brackets
("How long [h].", "[default: 30]"): the "markdown" markup mode keeps those as written where the
"rich" mode would read them as Rich markup and drop them, but it needs no more of Markdown than
"a blank line separates paragraphs, a single newline is a space".

So while Typer's help module loads, `rich.markdown` and `rich.traceback` are stand-ins, and its
`Markdown` is `Paragraphs` below: the same panels and text, byte for byte, with no parser.
Typer's pretty tracebacks (switched off in elecost) still get the real `rich.traceback`, imported
on first use. Of Markdown's syntax only `code` spans are read (help texts quote commands so);
any other (`*x*`, lists, links) is shown as written.

Two more things help does not need: Rich's table of emoji names, loaded on the first string Rich
prints (`_EmojiTable` loads it on the first `:name:` looked up), and, for the top-level help,
each command's parameters (`outline`).
"""

import re
import sys
from collections.abc import Iterator, Mapping
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

    import typer
    from rich.console import Console, ConsoleOptions, RenderResult
    from typer.models import CommandInfo, TyperInfo

HELP_MODULE = "typer.rich_utils"
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_CODE_SPAN = re.compile(r"`([^`]+)`")


class Paragraphs:
    """Help prose as Rich renders Markdown paragraphs of plain text: each paragraph's lines joined
    by spaces, wrapped to the width, a blank line between paragraphs, and `code` spans shown
    without their backticks in the Markdown code style. Typer calls it as it calls
    `rich.markdown.Markdown(text, style=...)`."""

    def __init__(self, markup: str, style: str = "", **_options: Any) -> None:
        self.markup = markup
        self.style = style

    def __rich_console__(self, console: "Console", options: "ConsoleOptions") -> "RenderResult":
        from rich.segment import Segment
        from rich.text import Text

        # As Markdown does: the styles go on the words, not on the padding to the width.
        prose = console.get_style(self.style, default="none") + console.get_style("markdown.paragraph", default="none")
        code = prose + console.get_style("markdown.code", default="none")
        blocks = (" ".join(line.strip() for line in block.splitlines()) for block in _BLANK_LINE.split(self.markup))
        for index, paragraph in enumerate(block for block in blocks if block):
            if index:
                yield Segment.line()
            text = Text(justify="left", end="\n")
            for part, piece in enumerate(_CODE_SPAN.split(paragraph)):
                text.append(piece, style=code if part % 2 else prose)  # odd pieces were `quoted`
            yield text


class _Traceback:
    """Stands for `rich.traceback.Traceback` in Typer's help module; imports it when used."""

    @classmethod
    def from_exception(cls, *args: Any, **kwargs: Any) -> Any:
        from rich.traceback import Traceback

        return Traceback.from_exception(*args, **kwargs)


def _stand_ins() -> dict[str, ModuleType]:
    markdown = ModuleType("rich.markdown")
    markdown.Markdown = Paragraphs  # type: ignore[attr-defined]
    traceback = ModuleType("rich.traceback")
    traceback.Traceback = _Traceback  # type: ignore[attr-defined]
    return {"rich.markdown": markdown, "rich.traceback": traceback}


class _LeanLoader:
    """Runs Typer's help module with the stand-ins in `sys.modules`, then takes them out again, so
    any later `import rich.markdown` gets the real module."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: "ModuleSpec") -> ModuleType | None:
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        stand_ins = {name: stub for name, stub in _stand_ins().items() if name not in sys.modules}
        sys.modules.update(stand_ins)
        try:
            self._loader.exec_module(module)
        finally:
            for name, stub in stand_ins.items():
                if sys.modules.get(name) is stub:
                    del sys.modules[name]
        module.Markdown = Paragraphs  # type: ignore[attr-defined]


class _HelpFinder:
    """Finds Typer's help module, the first time it is imported, with the lean loader."""

    def find_spec(self, fullname: str, path: Any, target: ModuleType | None = None) -> "ModuleSpec | None":
        if fullname != HELP_MODULE:
            return None
        from importlib.machinery import PathFinder

        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _LeanLoader(spec.loader)  # type: ignore[assignment]
        return spec


EMOJI_MODULE = "rich._emoji_codes"


class _EmojiTable(Mapping[str, str]):
    """Stands for Rich's table of emoji names (`rich._emoji_codes.EMOJI`, ~3,600 names, ~2 ms to
    load) until a name is looked up.

    Rich imports the table on the first string it prints, to replace `:name:` codes, but looks a
    name up only where a string has one; help and tables rarely do. The first lookup loads the
    real module, which then replaces the stand-in in `sys.modules`."""

    def _table(self) -> Mapping[str, str]:
        if sys.modules.get(EMOJI_MODULE) is _EMOJI_STAND_IN:
            del sys.modules[EMOJI_MODULE]
        table: Mapping[str, str] = import_module(EMOJI_MODULE).EMOJI
        return table

    def __getitem__(self, name: str) -> str:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


_EMOJI_STAND_IN = ModuleType(EMOJI_MODULE)
_EMOJI_STAND_IN.EMOJI = _EmojiTable()  # type: ignore[attr-defined]


def lean_help() -> None:
    """Have Typer's help render prose with `Paragraphs`, and load without a Markdown parser; and
    Rich load its emoji names only if a string printed has one.

    Called once, before any help or error is shown; where Typer's help module is already loaded,
    it only gets `Paragraphs`, so help reads the same however it was reached."""
    sys.modules.setdefault(EMOJI_MODULE, _EMOJI_STAND_IN)
    loaded = sys.modules.get(HELP_MODULE)
    if loaded is not None:
        loaded.Markdown = Paragraphs  # type: ignore[attr-defined]
    elif not any(isinstance(finder, _HelpFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _HelpFinder())


def outline(app: "typer.Typer") -> "typer.Typer":
    """The root app as its own help shows it: its options, and each command and group with its
    name, help, panel and flags, but no parameters and no subcommands.

    Before Click can print any help, Typer turns every parameter of every command into a Click
    parameter (~10 ms for elecost's ~90 command and callback signatures, a quarter of `elecost --help`; issue 15), while
    the top-level help lists only names and first lines. The stand-ins keep each registration
    (name, help, panel, hidden, deprecated) and swap the function for one without parameters, and
    go through the same Typer functions as the real commands, so names and help are resolved
    alike: tests/test_cli_lazy.py compares the output with the full app's byte for byte.
    Used for top-level help only: a stand-in command does nothing when run."""
    from copy import copy

    root = copy(app)
    root.registered_commands = [_bare_command(info) for info in app.registered_commands]
    root.registered_groups = [_bare_group(info) for info in app.registered_groups]
    return root


def _bare_command(info: "CommandInfo") -> "CommandInfo":
    from copy import copy

    bare = copy(info)
    bare.callback = _without_parameters(info.callback)
    return bare


def _bare_group(info: "TyperInfo") -> "TyperInfo":
    """A group's registration with its callbacks' parameters and its subcommands left out, all
    that its name, help and panel come from kept. A group added without a name lends its commands
    to its parent, so those are kept, as stand-ins."""
    from copy import copy

    from typer.main import solve_typer_info_defaults

    bare = copy(info)
    bare.callback = _without_parameters(info.callback)
    instance = info.typer_instance
    if instance is None:
        return bare
    if solve_typer_info_defaults(info).name:
        bare.typer_instance = copy(instance)
        bare.typer_instance.registered_commands = []
        bare.typer_instance.registered_groups = []
    else:
        bare.typer_instance = outline(instance)
    if instance.registered_callback is not None:
        bare.typer_instance.registered_callback = copy(instance.registered_callback)
        bare.typer_instance.registered_callback.callback = _without_parameters(instance.registered_callback.callback)
    bare.typer_instance.info = copy(instance.info)
    bare.typer_instance.info.callback = _without_parameters(instance.info.callback)
    return bare


def _without_parameters(callback: Any) -> Any:
    """A function with the callback's name and docstring (what Typer reads a command's name and
    help from) and no parameters; anything else (None, Typer's default placeholder) as it is."""
    if not callable(callback) or not hasattr(callback, "__name__"):
        return callback

    def stand_in() -> None:
        """Stands for a command in top-level help; never run."""

    stand_in.__name__ = callback.__name__
    stand_in.__doc__ = callback.__doc__
    return stand_in
