"""`elecost miner poll` and `miner scan`: the miners' own power over their API, into readings."""

import signal
import threading
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from elecost.cli.common import DbOption, JsonOption, LocationOption, app, exit_codes, note, open_database, show_json
from elecost.cli.decide import miner_app

if TYPE_CHECKING:
    from elecost.polling import PollRound

# `elecost miners poll` reads as naturally as `elecost miner poll`: the same commands, both ways.
app.add_typer(miner_app, name="miners", hidden=True)

TimeoutOption = Annotated[
    float, typer.Option("--timeout", min=0.05, help="Seconds each miner has to answer, all its commands together.")
]
ConcurrencyOption = Annotated[int, typer.Option("--concurrency", min=1, help="Miners asked at once.")]


@miner_app.command("poll")
def miner_poll(
    location: LocationOption = None,
    interval: Annotated[int, typer.Option("--interval", min=1, help="Seconds between rounds.")] = 60,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit (for cron).")] = False,
    timeout: TimeoutOption = 5.0,
    concurrency: ConcurrencyOption = 500,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Read each inventoried miner's power over its API and store it as readings (--once for cron)."""
    # A miner that answers without reporting power is stored at its nameplate power; one that
    # does not answer gets a line on stderr. Without --once, polls every --interval seconds until
    # SIGINT or SIGTERM, which end it after the round in progress is written.
    from elecost.errors import UsageError
    from elecost.minerapi import Target
    from elecost.polling import poll_round
    from elecost.store import list_miners

    with exit_codes():
        database = open_database(db, create=True)
        if not list_miners(database, location):
            where = f" at {location!r}" if location is not None else ""
            raise UsageError(f"no miners in the inventory{where}; add them with `elecost miner add` or `miner scan`")
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        hints: dict[Target, str] = {}
        try:
            while True:
                started = time.monotonic()
                result = poll_round(
                    database, location=location, timeout_s=timeout, concurrency=concurrency, hints=hints
                )
                _report(result, json_out)
                if once or stop.is_set():
                    break
                stop.wait(max(0.0, interval - (time.monotonic() - started)))
                if stop.is_set():
                    break
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _report(result: "PollRound", json_out: bool) -> None:
    from elecost.instants import iso

    for polled in result.miners:
        target = polled.answer.target
        who = f"miner {target.name} at {target.location!r} ({target.host}:{target.port})"
        if polled.source == "no answer":
            note(f"warning: {who}: did not answer: {polled.answer.error}")
        elif polled.source == "none":
            note(f"warning: {who}: reports no power and has no nameplate power (`miner add --power-w`); not stored")
    when = iso(result.timestamp_s, _utc())
    note(
        f"polled {len(result.miners)} miner{'s' if len(result.miners) != 1 else ''} at {when}: "
        f"{result.count('api')} reported power, "
        f"{result.count('nameplate')} at nameplate power, {result.count('none')} without either, "
        f"{result.count('no answer')} did not answer; {result.stored} new readings"
    )
    if json_out:
        show_json([_polled_json(p, when) for p in result.miners])


def _polled_json(polled: Any, when: str) -> dict[str, Any]:
    target = polled.answer.target
    return {
        "timestamp": when,
        "miner": target.name,
        "location": target.location,
        "host": target.host,
        "port": target.port,
        "power_w": polled.power_w,
        "source": polled.source,
        "command": polled.answer.command,
        "error": polled.answer.error,
    }


def _utc() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("UTC")


@miner_app.command("scan")
def miner_scan(
    network: Annotated[str, typer.Argument(help="Addresses to try: a network such as 10.0.0.0/24.")],
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port of the miners' API.")] = 4028,
    location: LocationOption = None,
    timeout: TimeoutOption = 2.0,
    concurrency: ConcurrencyOption = 500,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Find the miners answering on a port in a network and add the new ones to the inventory."""
    from elecost.errors import UsageError
    from elecost.importer import only_active_location
    from elecost.minerapi import DEFAULT_PORT, network_hosts, scan
    from elecost.store import Miner, add_miners

    with exit_codes():
        try:
            hosts = network_hosts(network)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        database = open_database(db, create=True)
        place = location or only_active_location(database)
        found = scan(hosts, port, timeout, concurrency)
        added = add_miners(
            database,
            [Miner(f.host, place, None, None, f.model, None, None if port == DEFAULT_PORT else port) for f in found],
            keep_listed=True,
        )
        for miner in found:
            note(f"{miner.host}:{miner.port} answers: {miner.model or 'model not given'}")
        note(
            f"found {len(found)} miners answering on port {port} in {network} ({len(hosts)} addresses): "
            f"{added} added at {place!r}, {len(found) - added} already listed"
        )
        if json_out:
            show_json([{"host": f.host, "port": f.port, "model": f.model} for f in found])
