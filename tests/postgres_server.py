"""A throwaway PostgreSQL server for the test session: initdb + pg_ctl in a temp dir, on a unix
socket only (no TCP port), as an unprivileged user when the tests run as root; stopped at the end.

Each test gets a fresh database copied from a template that already has every migration, so a
test pays for CREATE DATABASE, not for the schema.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SEARCH = ("/usr/lib/postgresql/*/bin",)
TEMPLATE = "elecost_template"
_names = itertools.count()


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None where PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    for pattern in SEARCH:
        for folder in sorted(Path("/").glob(pattern.lstrip("/")), reverse=True):
            if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
                return folder
    return None


def _as_owner(user: str | None, args: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *args] if user else args


class Server:
    """A running server: `url(name)` for a database on it, `new_database()` for a fresh one."""

    def __init__(self, socket_dir: Path) -> None:
        self.socket_dir = socket_dir

    def url(self, name: str) -> str:
        return f"postgresql://elecost@/{name}?host={self.socket_dir}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self) -> str:
        name = f"t{os.getpid()}_{next(_names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return name

    def drop(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def running_server(binaries: Path) -> Iterator[Server]:
    """Start a server in a temp dir and stop it (and remove the dir) at the end."""
    user = "postgres" if os.geteuid() == 0 else None
    if user:
        try:
            import pwd

            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", user], check=True)
    root = Path(tempfile.mkdtemp(prefix="elecost-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if user:
        shutil.chown(root, user)
        shutil.chown(sockets, user)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    try:
        subprocess.run(
            _as_owner(
                user,
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "elecost",
                    "--auth=trust",
                    "--no-locale",
                    "-E",
                    "UTF8",
                ],
            ),
            **quiet,  # type: ignore[call-overload]
        )
        options = (
            f"-k {sockets} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=50"
        )
        subprocess.run(
            _as_owner(
                user,
                [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
            ),
            **quiet,  # type: ignore[call-overload]
        )
        server = Server(sockets)
        try:
            server.admin(f"CREATE DATABASE {TEMPLATE}")
            from elecost.store import open_db

            open_db(server.url(TEMPLATE)).close()  # every migration, once
            yield server
        finally:
            subprocess.run(
                _as_owner(user, [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
