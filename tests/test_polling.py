"""Reading the miners over their API: polls against fake miners on loopback, ranges, scans."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from elecost.cli import app
from elecost.minerapi import Target, address_range, network_hosts, parse_answer, power_from
from elecost.polling import poll_round
from elecost.store import Miner, add_miners, open_db

from fakeminers import FakeFleet, FakeMiner

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def inventory(db: Path, miners: list[FakeMiner], nameplate_w: float | None = 3100.0) -> list[str]:
    """Add the fake miners as m000, m001, ... at 127.0.0.1 and their ports; their names."""
    names = [f"m{index:03d}" for index in range(len(miners))]
    add_miners(
        open_db(db),
        [Miner(name, "Pecos", 100.0, nameplate_w, None, m.host, m.port) for name, m in zip(names, miners, strict=True)],
    )
    return names


def stored(db: Path) -> dict[str, tuple[int, float]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT m.name, r.timestamp_s, r.power_w FROM readings r JOIN miners m ON m.id = r.miner_id"
        )
        return {name: (ts, power) for name, ts, power in rows}


def test_a_poll_of_200_fake_miners_stores_each_answer(elecost_db: Path) -> None:
    kinds = ["whatsminer", "luxos", "bosminer", "antminer", "slow", "dead", "hang", "whatsminer"]
    miners = [
        FakeMiner(kinds[i % len(kinds)], power_w=3000.0 + i, delay_s=0.3 if kinds[i % len(kinds)] == "slow" else 0)
        for i in range(200)
    ]
    with FakeFleet(miners):
        names = inventory(elecost_db, miners)
        code, out, err = run("miner", "poll", "--once", "--timeout", "3", "--json")
    assert code == 0, err
    rows = {row["miner"]: row for row in json.loads(out)}
    expected = {"whatsminer": "api", "luxos": "api", "bosminer": "api", "slow": "api", "antminer": "nameplate"}
    for name, miner in zip(names, miners, strict=True):
        row = rows[name]
        assert row["source"] == expected.get(miner.kind, "no answer"), (name, miner.kind, row)
        if row["source"] == "api":
            assert row["power_w"] == miner.power_w
        elif row["source"] == "nameplate":
            assert row["power_w"] == 3100.0
        else:
            assert row["power_w"] is None
            reason = "connection refused" if miner.kind == "dead" else "no answer within 3 s"
            assert f"warning: miner {name} at 'Pecos' (127.0.0.1:{miner.port}): did not answer: {reason}\n" in err
    assert err.endswith(
        ": 125 reported power, 25 at nameplate power, 0 without either, 50 did not answer; 150 new readings\n"
    )
    readings = stored(elecost_db)
    assert len(readings) == 150
    assert len({ts for ts, _ in readings.values()}) == 1  # one round, one instant
    assert readings["m001"][1] == 3001.0  # luxos: POWER[0].Watts
    assert readings["m002"][1] == 3002.0  # bosminer: TUNERSTATUS
    assert readings["m003"][1] == 3100.0  # antminer: nameplate


def test_a_round_rewritten_changes_nothing_and_later_rounds_ask_once(elecost_db: Path) -> None:
    miners = [FakeMiner("luxos", 3300.0), FakeMiner("bosminer", 3400.0), FakeMiner("whatsminer", 3500.0)]
    hints: dict[Target, str] = {}
    with FakeFleet(miners):
        inventory(elecost_db, miners)
        db = open_db(elecost_db)
        first = poll_round(db, timeout_s=2, hints=hints, now_s=1_780_000_000)
        again = poll_round(db, timeout_s=2, hints=hints, now_s=1_780_000_000)
        later = poll_round(db, timeout_s=2, hints=hints, now_s=1_780_000_060)
    assert (first.stored, again.stored, later.stored) == (3, 0, 3)
    # Round one found where each firmware keeps its power; later rounds ask that command alone.
    assert dict(miners[0].commands) == {"summary": 1, "power": 3}
    assert dict(miners[1].commands) == {"summary": 1, "tunerstatus": 3}
    assert dict(miners[2].commands) == {"summary": 3}
    with sqlite3.connect(elecost_db) as conn:
        assert conn.execute("SELECT count(*) FROM readings").fetchone()[0] == 6
        assert conn.execute("SELECT count(*) FROM dirty").fetchone()[0] == 2  # `record` will price both rounds


def test_no_power_and_no_nameplate_is_said_and_not_stored(elecost_db: Path) -> None:
    miners = [FakeMiner("antminer")]
    with FakeFleet(miners):
        inventory(elecost_db, miners, nameplate_w=None)
        code, _, err = run("miner", "poll", "--once")
    assert code == 0
    assert err.startswith(
        f"warning: miner m000 at 'Pecos' (127.0.0.1:{miners[0].port}): reports no power and has no nameplate "
        "power (`miner add --power-w`); not stored\n"
    )
    assert stored(elecost_db) == {}


def test_poll_without_miners_is_a_usage_error() -> None:
    assert run("miners", "poll", "--once") == (
        2,
        "",
        "error: no miners in the inventory; add them with `elecost miner add` or `miner scan`\n",
    )


def test_the_loop_ends_cleanly_on_sigterm_after_writing_its_round(elecost_db: Path) -> None:
    miners = [FakeMiner("whatsminer", 3250.0, delay_s=0.5)]
    with FakeFleet(miners):
        inventory(elecost_db, miners)
        child = subprocess.Popen(
            [sys.executable, "-m", "elecost", "miner", "poll", "--interval", "30", "--timeout", "5"],
            env={**os.environ, "ELECOST_DB": str(elecost_db)},
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not miners[0].commands and time.monotonic() < deadline:
            time.sleep(0.05)  # the first round has asked the miner and waits for its slow answer
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=30)
    assert child.returncode == 0
    assert err.count("polled 1 miner at") == 1
    assert len(stored(elecost_db)) == 1  # the round in progress was written


def test_miner_add_takes_a_range_of_addresses() -> None:
    code, _, err = run("miner", "add", "10.0.0.10-10.0.0.50", "--power-w", "3250", "--location", "Pecos")
    assert (code, err) == (0, "41 miners 10.0.0.10 to 10.0.0.50 at 'Pecos': ? TH/s, 3250.0 W\n")
    code, out, _ = run("miner", "list", "--json")
    names = [m["name"] for m in json.loads(out)]
    assert len(names) == 41 and "10.0.0.33" in names
    assert run("miner", "add", "10.0.0.50-10", "--location", "Pecos")[2] == (
        "error: 10.0.0.50-10: the range must run from a lower address to a higher one\n"
    )
    assert run("miner", "add", "rack-1", "--location", "Pecos")[0] == 0  # a name with a dash is a name


def test_addresses() -> None:
    assert address_range("10.0.0.254-10.0.1.1") == ["10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"]
    assert address_range("10.0.0.10-12") == ["10.0.0.10", "10.0.0.11", "10.0.0.12"]
    assert address_range("s19-7") is None
    assert network_hosts("127.0.0.0/29") == [f"127.0.0.{i}" for i in range(1, 7)]
    assert network_hosts("127.0.0.9") == ["127.0.0.9"]
    with pytest.raises(ValueError, match="scan at most 65,536"):
        network_hosts("10.0.0.0/8")


def test_answers_of_each_firmware() -> None:
    assert power_from("summary", parse_answer(b'{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"Power":3312}]}\x00')) == 3312
    assert power_from("summary", parse_answer(b'{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"Power":-1}]}')) is None
    assert power_from("stats", {"STATUS": [], "STATS": [{"Type": "S19"}, {"chain_power": "3250.5 W"}]}) == 3250.5
    # bmminer's `stats` runs two objects together: mended, not refused
    assert parse_answer(b'{"STATUS":[{"STATUS":"S"}],"STATS":[{"Type":"S9"}{"fan1":1}]}')["STATS"][1] == {"fan1": 1}


def test_scan_finds_the_miners_on_a_loopback_network(elecost_db: Path) -> None:
    probe = FakeMiner("whatsminer", host="127.0.0.2")
    with FakeFleet([probe]):
        port = probe.port  # the same port on other loopback addresses
        others = [
            FakeMiner("antminer", host="127.0.0.3", port=port, model="Antminer S21"),
            FakeMiner("luxos", host="127.0.0.5", port=port),
        ]
        with FakeFleet(others):
            code, out, err = run(
                "miner",
                "scan",
                "127.0.0.0/29",
                "--port",
                str(port),
                "--timeout",
                "2",
                "--location",
                "Pecos",
                "--json",
            )
            assert code == 0, err
            assert json.loads(out) == [
                {"host": "127.0.0.2", "port": port, "model": "Antminer S19j Pro"},
                {"host": "127.0.0.3", "port": port, "model": "Antminer S21"},
                {"host": "127.0.0.5", "port": port, "model": "Antminer S19j Pro"},
            ]
            assert err.endswith(
                f"found 3 miners answering on port {port} in 127.0.0.0/29 (6 addresses): 3 added at 'Pecos', 0 already listed\n"
            )
            assert run("miner", "scan", "127.0.0.0/29", "--port", str(port), "--timeout", "2", "--location", "Pecos")[
                2
            ].endswith("0 added at 'Pecos', 3 already listed\n")
            code, out, _ = run("miner", "poll", "--once", "--json")
    assert code == 0
    assert [(row["miner"], row["port"], row["source"]) for row in json.loads(out)] == [
        ("127.0.0.2", port, "api"),
        ("127.0.0.3", port, "none"),
        ("127.0.0.5", port, "api"),
    ]


def test_adding_nameplate_power_after_a_scan_keeps_the_model_and_port() -> None:
    assert run("miner", "add", "127.0.0.2", "--model", "Antminer S21", "--port", "14028", "--location", "Pecos")[0] == 0
    assert run("miner", "add", "127.0.0.2", "--power-w", "3500", "--location", "Pecos")[0] == 0
    out = run("miner", "list", "--json")[1]
    assert json.loads(out) == [
        {
            "name": "127.0.0.2",
            "location": "Pecos",
            "hashrate_th": None,
            "power_w": 3500.0,
            "model": "Antminer S21",
            "host": None,
            "port": 14028,
            "client": None,
        }
    ]
