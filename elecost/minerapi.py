"""Reading miners over their API: CGMiner-style JSON commands over TCP (port 4028), many at once.

CGMiner and the firmwares built on its API (Antminer stock, BOSminer, LuxOS, Whatsminer's
btminer) answer a JSON request `{"command": "summary"}` with one JSON object, often followed by
a NUL byte, and close the connection. Each firmware reports power in its own place, as pyasic's
backends document: Whatsminer in `summary` (`SUMMARY[0].Power`), LuxOS in `power`
(`POWER[0].Watts`), BOSminer in `tunerstatus` (`TUNERSTATUS[0].ApproximateMinerPowerConsumption`),
and some Antminer firmwares in `stats`; stock Antminers report none (then the inventory's
nameplate power stands in).

This is a small asyncio client rather than pyasic: elecost needs one number per miner per
minute from thousands of miners, and one or two short requests per miner does that; pyasic
identifies each miner first (several requests, some over HTTP) and brings httpx, asyncssh,
cryptography, pydantic and a pinned beta of betterproto, a lot to install for a cost tool.

Every exchange has a timeout, and at most `concurrency` run at once, so a poll of N miners takes
at most about N / concurrency x timeout even if every miner hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_PORT = 4028
MAX_ANSWER_BYTES = 1 << 20  # a `stats` answer is a few kB; refuse anything absurd
MAX_ADDRESSES = 65_536  # a /16: a range or scan larger than this is a typo
_FOLLOW_UPS = ("power", "tunerstatus", "stats")  # after `summary`, where power may be


@dataclass(frozen=True)
class Target:
    """A miner to read: its inventory name and location, and where its API listens."""

    name: str
    location: str
    host: str
    port: int = DEFAULT_PORT


@dataclass(frozen=True)
class Answer:
    """What one miner said: its power [W] if it reports one, or why it did not answer."""

    target: Target
    answered: bool
    power_w: float | None = None
    command: str | None = None  # the command that gave the power
    error: str | None = None


@dataclass(frozen=True)
class Found:
    """A host that answers the miner API on the scanned port, and its model where it says."""

    host: str
    port: int
    model: str | None


class MinerApiError(Exception):
    """A miner that did not answer, or answered something that is not the miner API."""


class MinerTimeout(MinerApiError):
    """A miner that did not answer in time."""


async def send_command(host: str, port: int, command: str, timeout_s: float) -> dict[str, Any]:
    """One command's answer as a dict; MinerApiError on no answer or a non-API answer."""
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(json.dumps({"command": command}).encode())
                await writer.drain()
                data = await _read_answer(reader)
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except TimeoutError:
        raise MinerTimeout(f"no answer within {timeout_s:g} s") from None
    except ConnectionRefusedError:
        raise MinerApiError("connection refused") from None
    except OSError as exc:
        raise MinerApiError(exc.strerror or str(exc)) from None
    return parse_answer(data)


async def _read_answer(reader: asyncio.StreamReader) -> bytes:
    """Bytes up to the end of the stream or the NUL byte that ends most miners' answers."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await reader.read(65_536)
        if not chunk:
            break
        end = chunk.find(b"\x00")
        if end >= 0:
            chunks.append(chunk[:end])
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise MinerApiError(f"answer longer than {MAX_ANSWER_BYTES} bytes")
    return b"".join(chunks)


def parse_answer(data: bytes) -> dict[str, Any]:
    """A miner's answer as JSON; the known slips of some firmwares (`}{` between objects) mended."""
    text = data.split(b"\x00", 1)[0].decode("utf-8", errors="replace").strip()
    if not text:
        raise MinerApiError("closed the connection without an answer")
    try:
        answer = json.loads(text)
    except json.JSONDecodeError:
        try:
            answer = json.loads(text.replace("}{", "},{"))
        except json.JSONDecodeError:
            raise MinerApiError(f"not a miner API answer: {text[:60]!r}") from None
    if not isinstance(answer, dict) or "STATUS" not in answer:
        raise MinerApiError(f"not a miner API answer: {text[:60]!r}")
    return answer


def power_from(command: str, answer: Mapping[str, Any]) -> float | None:
    """The power [W] an answer reports, where its firmware puts it; None when it has none."""
    places = {
        "summary": ("SUMMARY", ("Power",)),
        "power": ("POWER", ("Watts", "Power")),
        "tunerstatus": ("TUNERSTATUS", ("ApproximateMinerPowerConsumption",)),
        "stats": ("STATS", ("Power", "power", "chain_power", "total_power")),
    }
    section, keys = places.get(command, ("", ()))
    for item in answer.get(section) or ():
        if not isinstance(item, dict):
            continue
        for key in keys:
            watts = _watts(item.get(key))
            if watts is not None:
                return watts
    return None


def _watts(value: Any) -> float | None:
    """A power figure as a number of watts: 3250, 3250.5 or "3250 W"; none for -1 or nonsense."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*[wW]?\s*", value)
        value = match.group(1) if match else None
    try:
        watts = float(value)
    except (TypeError, ValueError):
        return None
    return watts if math.isfinite(watts) and watts > 0 else None


def _firmware_follow_ups(summary: Mapping[str, Any]) -> tuple[str, ...]:
    """The commands worth trying after `summary`, the likeliest first, from the firmware's name."""
    status = summary.get("STATUS")
    description = ""
    if isinstance(status, list) and status and isinstance(status[0], dict):
        description = str(status[0].get("Description", "")).lower()
    if "lux" in description:
        return ("power",)
    if "bos" in description:
        return ("tunerstatus",)
    return _FOLLOW_UPS


async def read_power(target: Target, timeout_s: float, hint: str | None = None) -> Answer:
    """Ask one miner for its power: its known command first (`hint`), else `summary` and the
    firmware's follow-up commands. The whole exchange is bounded by `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    answered = False

    def left() -> float:
        return max(0.001, deadline - loop.time())

    try:
        if hint is not None and hint != "summary":
            answer = await send_command(target.host, target.port, hint, left())
            answered = True
            watts = power_from(hint, answer)
            if watts is not None:
                return Answer(target, True, watts, hint)
        summary = await send_command(target.host, target.port, "summary", left())
        answered = True
        watts = power_from("summary", summary)
        if watts is not None:
            return Answer(target, True, watts, "summary")
        for command in _firmware_follow_ups(summary):
            if deadline - loop.time() <= 0:
                break
            try:
                answer = await send_command(target.host, target.port, command, left())
            except MinerApiError:
                continue
            watts = power_from(command, answer)
            if watts is not None:
                return Answer(target, True, watts, command)
    except MinerTimeout:
        if not answered:
            return Answer(target, False, error=f"no answer within {timeout_s:g} s")
    except MinerApiError as exc:
        if not answered:
            return Answer(target, False, error=str(exc))
    return Answer(target, True)


async def _bounded(concurrency: int, jobs: Sequence[Any]) -> list[Any]:
    """Run coroutine factories with at most `concurrency` at once; results in order."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def run(job: Any) -> Any:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(run(job) for job in jobs)))


def poll(
    targets: Sequence[Target], timeout_s: float, concurrency: int, hints: dict[Target, str] | None = None
) -> list[Answer]:
    """Read every target's power at once (bounded by `concurrency`), in the targets' order.

    `hints` maps a target to the command that gave its power last time; it is updated, so a
    loop of polls asks each miner once per round after the first.
    """
    hints = {} if hints is None else hints
    _allow_sockets(concurrency)

    def job(target: Target) -> Any:
        return lambda: read_power(target, timeout_s, hints.get(target))

    answers: list[Answer] = asyncio.run(_bounded(concurrency, [job(t) for t in targets]))
    for answer in answers:
        if answer.command is not None:
            hints[answer.target] = answer.command
    return answers


async def identify(host: str, port: int, timeout_s: float) -> Found | None:
    """A host's miner API and model (`version`, else `devdetails`), or None where none answers."""
    try:
        version = await send_command(host, port, "version", timeout_s)
    except MinerApiError:
        return None
    model = _model_in(version, "VERSION", ("Type", "Model", "Miner", "PROD"))
    if model is None:
        try:
            details = await send_command(host, port, "devdetails", timeout_s)
        except MinerApiError:
            details = {}
        model = _model_in(details, "DEVDETAILS", ("Model", "Name"))
    return Found(host, port, model)


def _model_in(answer: Mapping[str, Any], section: str, keys: Sequence[str]) -> str | None:
    for item in answer.get(section) or ():
        if isinstance(item, dict):
            for key in keys:
                value = item.get(key)
                if isinstance(value, str) and value.strip():
                    return value.strip()
    return None


def scan(hosts: Sequence[str], port: int, timeout_s: float, concurrency: int) -> list[Found]:
    """The hosts that answer the miner API on `port`, in the order given."""
    _allow_sockets(concurrency)

    def job(host: str) -> Any:
        return lambda: identify(host, port, timeout_s)

    found = asyncio.run(_bounded(concurrency, [job(h) for h in hosts]))
    return [f for f in found if f is not None]


def network_hosts(text: str) -> list[str]:
    """The host addresses of a network such as 10.0.0.0/24 (a single address is itself).

    ValueError (with a message fit for a user) for anything else or more than MAX_ADDRESSES.
    """
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"not a network such as 10.0.0.0/24: {text!r}") from None
    if network.num_addresses > MAX_ADDRESSES:
        raise ValueError(f"{text} has {network.num_addresses:,} addresses; scan at most {MAX_ADDRESSES:,} at once")
    hosts = list(network.hosts())
    return [str(address) for address in hosts or [network.network_address]]


def address_range(text: str) -> list[str] | None:
    """The addresses of a range `10.0.0.10-10.0.0.50` (or `10.0.0.10-50`), or None if `text` is
    not a range (a plain name like `rack-1`). ValueError for a range that is backwards or huge."""
    first_text, dash, last_text = text.partition("-")
    if not dash:
        return None
    try:
        first = ipaddress.ip_address(first_text.strip())
    except ValueError:
        return None
    last_text = last_text.strip()
    try:
        if last_text.isdigit() and first.version == 4:
            prefix = str(first).rsplit(".", 1)[0]
            last = ipaddress.ip_address(f"{prefix}.{last_text}")
        else:
            last = ipaddress.ip_address(last_text)
    except ValueError:
        return None
    if last.version != first.version or int(last) < int(first):
        raise ValueError(f"{text}: the range must run from a lower address to a higher one")
    count = int(last) - int(first) + 1
    if count > MAX_ADDRESSES:
        raise ValueError(f"{text} has {count:,} addresses; add at most {MAX_ADDRESSES:,} at once")
    return [str(ipaddress.ip_address(int(first) + step)) for step in range(count)]


def targets_from(rows: Iterable[tuple[str, str, str | None, int | None]]) -> list[Target]:
    """Targets from (name, location, host, port) inventory rows: the name is the host by default."""
    return [Target(name, location, host or name, port or DEFAULT_PORT) for name, location, host, port in rows]


def _allow_sockets(concurrency: int) -> None:
    """Raise the open-files limit (within the hard limit) so `concurrency` sockets fit."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = concurrency + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
