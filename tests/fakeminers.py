"""Fake miner APIs on loopback for tests and bench/poll.py: CGMiner-style JSON over TCP.

Each fake miner listens on its own port (or its own 127.0.0.x address) and answers `summary`,
`power`, `tunerstatus`, `stats`, `version` and `devdetails` the way its firmware does: a JSON
object, NUL-terminated, then the connection closed. Kinds:
    whatsminer  power in `summary` (SUMMARY[0].Power)
    luxos       power in `power` (POWER[0].Watts); summary says LUXminer
    bosminer    power in `tunerstatus`; summary says BOSminer
    antminer    stock cgminer: no power anywhere
    slow        a whatsminer that waits `delay_s` before each answer
    hang        accepts the connection and never answers
    dead        nothing listens (the port is bound but closed to connections: refused)
A fleet runs in its own event loop on a background thread (`FakeFleet`), or in a child process:
`python tests/fakeminers.py COUNT` prints the ports as JSON, then serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"


@dataclass
class FakeMiner:
    kind: str
    power_w: float = 3250.0
    delay_s: float = 0.0
    model: str = "Antminer S19j Pro"
    host: str = HOST
    port: int = 0  # 0: any free port, set once started
    commands: Counter[str] = field(default_factory=Counter)

    def answer(self, command: str) -> dict[str, Any]:
        firmware = {"luxos": "LUXminer 2024.5.1", "bosminer": "BOSminer bosminer-plus-tuner 0.9.0"}.get(
            self.kind, "cgminer 4.11.1"
        )
        status = [{"STATUS": "S", "When": 1764000000, "Code": 11, "Msg": "Summary", "Description": firmware}]
        summary: dict[str, Any] = {"Elapsed": 86400, "MHS av": 104000000.0, "Accepted": 1000}
        if self.kind in ("whatsminer", "slow"):
            summary["Power"] = self.power_w
        if command == "summary":
            return {"STATUS": status, "SUMMARY": [summary], "id": 1}
        if command == "power" and self.kind == "luxos":
            return {"STATUS": status, "POWER": [{"PSU": True, "Watts": self.power_w}], "id": 1}
        if command == "tunerstatus" and self.kind == "bosminer":
            tuner = {"ApproximateMinerPowerConsumption": self.power_w, "PowerLimit": 3500}
            return {"STATUS": status, "TUNERSTATUS": [tuner], "id": 1}
        if command == "stats":
            return {"STATUS": status, "STATS": [{"Type": self.model}, {"fan1": 6000, "chain_acn1": 76}], "id": 1}
        if command == "version":
            return {"STATUS": status, "VERSION": [{"CGMiner": "4.11.1", "API": "3.7", "Type": self.model}], "id": 1}
        if command == "devdetails":
            return {"STATUS": status, "DEVDETAILS": [{"Model": self.model}], "id": 1}
        return {"STATUS": [{"STATUS": "E", "Code": 14, "Msg": "Invalid command", "Description": firmware}], "id": 1}


class FakeFleet:
    """Fake miners served from a background thread's event loop; a context manager."""

    def __init__(self, miners: list[FakeMiner]) -> None:
        self.miners = miners
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.servers: list[asyncio.Server] = []
        self.closed: list[socket.socket] = []

    def __enter__(self) -> FakeFleet:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    async def _start(self) -> None:
        for miner in self.miners:
            if miner.kind == "dead":
                sock = socket.socket()
                sock.bind((miner.host, miner.port))  # bound, never listening: connections are refused
                miner.port = sock.getsockname()[1]
                self.closed.append(sock)
                continue
            server = await asyncio.start_server(_handler(miner), miner.host, miner.port, backlog=64)
            miner.port = server.sockets[0].getsockname()[1]
            self.servers.append(server)

    async def _stop(self) -> None:
        for server in self.servers:
            server.close()
        for sock in self.closed:
            sock.close()
        handlers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in handlers:
            task.cancel()  # the hanging miners' answers, never sent
        await asyncio.gather(*handlers, return_exceptions=True)


def _handler(miner: FakeMiner) -> Any:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            data = b""
            while True:
                chunk = await reader.read(4096)
                if not chunk:
                    return
                data += chunk
                try:
                    request = json.loads(data)
                    break
                except json.JSONDecodeError:
                    continue
            command = str(request.get("command", ""))
            miner.commands[command] += 1
            if miner.kind == "hang":
                await asyncio.sleep(3600)
            if miner.delay_s:
                await asyncio.sleep(miner.delay_s)
            writer.write(json.dumps(miner.answer(command)).encode() + b"\x00")
            await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    return handle


def fleet_of(count: int) -> list[FakeMiner]:
    """A mixed fleet: most report power three ways, some do not, a few are slow, hang or are dead."""
    kinds = ["whatsminer", "luxos", "bosminer", "whatsminer", "luxos", "bosminer", "antminer", "slow", "dead", "hang"]
    return [
        FakeMiner(kinds[index % len(kinds)], power_w=3000.0 + index % 500, delay_s=0.2 if index % 10 == 7 else 0.0)
        for index in range(count)
    ]


def main() -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a listening socket per miner
    miners = fleet_of(int(sys.argv[1]))
    with FakeFleet(miners):
        print(json.dumps([{"kind": m.kind, "port": m.port, "power_w": m.power_w} for m in miners]), flush=True)
        sys.stdin.read()  # serve until the parent closes our stdin


if __name__ == "__main__":
    main()
