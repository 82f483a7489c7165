"""What the series commands (`prices`, `peaks`, `carbon`) share: their files and stdin, the
options for their spans, and the line an import prints. Not a command module: the commands
that use it import it."""

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO, TypeVar

import typer

from elecost.cli.common import note, optional_instant

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from elecost.series_store import ImportCounts

Row = TypeVar("Row")

TimezoneOption = Annotated[str | None, typer.Option("--timezone", help="Zone for times without an offset.")]
ShowZoneOption = Annotated[str | None, typer.Option("--timezone", help="Show times in this zone.")]
SpanZoneOption = Annotated[str | None, typer.Option("--timezone", help="Read and show times in this zone.")]
SpanFromOption = Annotated[
    str | None, typer.Option("--from", help="From (ISO; a date is local midnight) [default: a day before --to].")
]


@contextmanager
def open_text(name: str) -> Iterator[TextIO]:
    """A file to read, or stdin for '-'."""
    if name == "-":
        yield sys.stdin
        return
    from elecost.errors import UsageError

    try:
        with Path(name).open(encoding="utf-8", newline="") as handle:
            yield handle
    except OSError as exc:
        raise UsageError(f"{name}: cannot read: {exc.strerror}") from None


def source_name(name: str) -> str:
    """How a file is named in messages (stdin as `<stdin>`)."""
    return "<stdin>" if name == "-" else name


def series_texts(name: str) -> Iterator[tuple[str, TextIO]]:
    """Each CSV to read from a name: the file, stdin, or each CSV inside a ZIP file (as ERCOT
    serves its reports), named `archive.zip:member.csv`."""
    if not name.lower().endswith(".zip"):
        with open_text(name) as handle:
            yield source_name(name), handle
        return
    import io
    import zipfile

    from elecost.errors import UsageError

    try:
        archive = zipfile.ZipFile(name)
    except (OSError, zipfile.BadZipFile) as exc:
        raise UsageError(f"{name}: cannot read as a ZIP file: {exc}") from None
    with archive:
        for member in sorted(m for m in archive.namelist() if m.lower().endswith(".csv")):
            with archive.open(member) as raw:
                yield f"{name}:{member}", io.TextIOWrapper(raw, encoding="utf-8", newline="")


def read_series_files(names: Sequence[str], read: Callable[[str, TextIO], Iterable[Row]]) -> list[Row]:
    """Every row of every file (`read(source, handle)` parses one); the problems of all files
    at once as one InputError, so a user mends them in one go."""
    from elecost.errors import InputError, Problem

    rows: list[Row] = []
    problems: list[Problem] = []
    for name in names:
        for source, handle in series_texts(name):
            try:
                rows.extend(read(source, handle))
            except InputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return rows


def note_imported(name: str, counts: "ImportCounts", noun: str) -> None:
    """`NAME: imported N new NOUN, M already stored[, K replaced]`."""
    note(
        f"{name}: imported {counts.added} new {noun}, {counts.unchanged} already stored"
        + (f", {counts.replaced} replaced" if counts.replaced else "")
    )


def span_or_last_day(from_: str | None, to: str | None, zone: "ZoneInfo", last_s: int) -> tuple[int, int]:
    """`show`'s span [start, end): as given; without --to, up to the series' end (`last_s`), or
    open-ended after --from; without --from, the day before the end."""
    start = optional_instant(from_, zone, "--from")
    end = optional_instant(to, zone, "--to")
    end = end if end is not None else last_s if start is None else 2**62
    return (start if start is not None else end - 86_400), end
