"""Shared fixtures: every test gets its own database through ELECOST_DB."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from postgres_server import Server, find_binaries, running_server

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# The store-level test modules: each of their tests that takes `elecost_db` runs twice, on a SQLite
# file and on a database of a PostgreSQL server the session starts (skipped where PostgreSQL is not
# installed, failed instead with ELECOST_REQUIRE_POSTGRES=1). `@pytest.mark.sqlite_only` keeps a
# test on SQLite (file-level checks: PRAGMAs, WAL, a killed process). ELECOST_MORE_BACKENDS (module
# names, comma-separated) adds modules for a run.
BOTH_BACKENDS = {
    "test_db",
    "test_store",
    "test_rollups",
    "test_retention",
    "test_record",
    "test_bills",
    "test_reprice",
    "test_carbon",
    "test_allocate_overhead",
    "test_clients",
    "test_store_rows",
    "test_rollup_reads",
    "test_import_rows",
} | set(os.environ.get("ELECOST_MORE_BACKENDS", "").split(","))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if (
        module in BOTH_BACKENDS
        and "elecost_db" in metafunc.fixturenames
        and not metafunc.definition.get_closest_marker("sqlite_only")
    ):
        metafunc.parametrize("elecost_db", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    binaries = find_binaries()
    if binaries is None:
        reason = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("ELECOST_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"ELECOST_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    with running_server(binaries) as server:
        yield server


@pytest.fixture(autouse=True)
def elecost_db(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test's database: a file in its temp dir, or (on the PostgreSQL run of a store test) a
    `postgresql://` URL (a str, which `open_db` and the CLI take as they take a path)."""
    if getattr(request, "param", "sqlite") == "postgresql":
        server: Server = request.getfixturevalue("postgres_server")
        name = server.new_database()
        url = server.url(name)
        monkeypatch.setenv("ELECOST_DB", url)
        yield url  # type: ignore[misc]
        server.drop(name)
        return
    path = tmp_path / "elecost.db"
    monkeypatch.setenv("ELECOST_DB", str(path))
    yield path


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a dedented text file into the test's folder and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write
