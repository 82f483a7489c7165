"""A tariff change marks its location's cost rows for repricing: the next `record` redoes them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from elecost.cli import app

from conftest import EXAMPLES

runner = CliRunner()
Write = Callable[[str, str], Path]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def total(*args: str) -> float:
    data = json.loads(run(*args, "--json")[1])
    return float(data[0]["total_cost_usd"] if isinstance(data, list) else data["total_cost_usd"])


def setup_site() -> None:
    for args in (
        ("rate", "init"),
        ("rate", "activate", "Example TOU"),
        ("readings", "import", str(EXAMPLES / "readings.csv")),
        ("record",),
    ):
        assert run(*args)[0] == 0


def test_rate_update_marks_rows_for_repricing_and_record_redoes_them(write: Write) -> None:
    setup_site()
    assert total("summary") == total("bill") == 89.25
    dearer = (EXAMPLES / "tou.yaml").read_text(encoding="utf-8").replace("0.18", "0.30")
    assert run("rate", "update", "Example TOU", str(write("dearer.yaml", dearer)))[0] == 0
    assert total("summary") == 89.25  # stale until record runs, as cron's next run does
    code, _, err = run("record")
    assert (code, err) == (
        0,
        "repriced Main Facility: rate 'Example TOU' was updated, so its cost rows were redone from its first reading\n"
        "recorded 286 cost rows over 1 billing period\n",
    )
    assert total("summary") == total("bill") == 133.01
    assert run("record")[2] == "recorded 0 cost rows over 0 billing periods\n"


def test_rate_activate_marks_rows_for_repricing() -> None:
    setup_site()
    assert run("rate", "activate", "Example Flat")[0] == 0
    err = run("record")[2]
    assert err.startswith("repriced Main Facility: rate 'Example Flat' was activated, so its cost rows")
    assert total("summary") == total("bill") == 80.67


def test_activating_the_active_rate_again_changes_nothing() -> None:
    setup_site()
    assert run("rate", "activate", "Example TOU")[0] == 0
    assert run("record")[2] == "recorded 0 cost rows over 0 billing periods\n"


def test_updating_an_inactive_rate_changes_no_rows(write: Write) -> None:
    setup_site()
    cheaper = (EXAMPLES / "flat.yaml").read_text(encoding="utf-8").replace("0.12", "0.01")
    assert run("rate", "update", "Example Flat", str(write("cheap.yaml", cheaper)))[0] == 0
    assert run("record")[2] == "recorded 0 cost rows over 0 billing periods\n"


def test_rate_deactivate() -> None:
    setup_site()
    code, _, err = run("rate", "deactivate", "Example TOU")
    assert (code, err) == (0, "rate 'Example TOU' is no longer active; 'Main Facility' has no active rate now\n")
    assert [r["active"] for r in json.loads(run("rate", "list", "--json")[1])] == [False, False]
    code, _, err = run("rate", "deactivate", "Nope")
    assert (code, err) == (2, "error: no rate named 'Nope' (rates: Example Flat, Example TOU)\n")


def test_adding_an_active_rate_marks_rows_for_repricing(write: Write) -> None:
    setup_site()
    text = (EXAMPLES / "flat.yaml").read_text(encoding="utf-8").replace("Example Flat", "New Flat") + "\nactive: true\n"
    assert run("rate", "add", str(write("new.yaml", text)))[0] == 0
    assert run("record")[2].startswith("repriced Main Facility: rate 'New Flat' was added as its active rate")
    assert total("summary") == total("bill") == 80.67


def test_rate_update_honours_active(write: Write) -> None:
    setup_site()
    body = (EXAMPLES / "tou.yaml").read_text(encoding="utf-8")
    assert run("rate", "update", "Example TOU", str(write("off.yaml", body + "\nactive: false\n")))[0] == 0
    assert [r["active"] for r in json.loads(run("rate", "list", "--json")[1])] == [False, False]
    assert (
        run(
            "rate",
            "update",
            "Example Flat",
            str(write("on.yaml", (EXAMPLES / "flat.yaml").read_text(encoding="utf-8") + "\nactive: true\n")),
        )[0]
        == 0
    )
    assert [r["active"] for r in json.loads(run("rate", "list", "--json")[1])] == [True, False]
    assert run("rate", "update", "Example Flat", str(EXAMPLES / "flat.yaml"))[0] == 0  # no active: stays active
    assert [r["active"] for r in json.loads(run("rate", "list", "--json")[1])] == [True, False]
