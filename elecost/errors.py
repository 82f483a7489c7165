"""Errors the core raises; only the CLI turns them into messages and exit codes.

Bad input is reported as data (a list of `Problem`s) so that every problem of a file is shown at
once, in the one format `path:line: field: message`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: where it is, which field, and what is wrong."""

    path: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class InputError(Exception):
    """Bad input: the command exits 2 and writes nothing."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(Exception):
    """A request that cannot be carried out as asked (unknown rate, ambiguous location, ...): exit 2."""


class CheckFailed(Exception):
    """A check that ran and failed (a budget exceeded): exit 1."""
