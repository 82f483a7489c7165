"""`indented_json` writes json.dumps(indent=2, ensure_ascii=False)'s text, byte for byte (issue 16)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elecost.json_text import _HOLE, indented_json

# Text that JSON escapes (quotes, backslashes, control characters), non-ASCII, and the very string
# that indented_json puts in place of a nested container while the C encoder writes the rest.
TEXT = st.text() | st.sampled_from(["", '"', "\\", "\n", "\x00", "é ü €", "😀", _HOLE, "a" + _HOLE])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
KEYS = TEXT | st.integers() | st.floats() | st.booleans() | st.none()
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5) | st.lists(inner, max_size=3).map(tuple) | st.dictionaries(KEYS, inner, max_size=5)
    ),
    max_leaves=40,
)


def expected(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@settings(max_examples=400)
@given(VALUES)
def test_the_text_of_any_json_value_is_json_dumps(value: Any) -> None:
    assert indented_json(value) == expected(value)


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        [[]],
        {"a": {}, "b": []},
        [1, [2, [3, {"b": (4, 5)}]]],
        {"nan": [float("nan"), float("inf"), -float("inf"), -0.0, 1e300]},
        {1: {"x": 1.5}, 2.5: [True], None: {}, False: [None]},
        {"lines": [{"charge": "energy", "usd": 0.1}], _HOLE: [_HOLE, [_HOLE]]},
        [{"k": _HOLE, "z": [1]}, {"z": [_HOLE, []]}],
    ],
)
def test_nesting_empty_containers_key_types_and_the_hole_text(value: Any) -> None:
    assert indented_json(value) == expected(value)


def test_a_summary_shaped_document() -> None:
    """The shape of `summary --by miner --json`: a record with groups, each with its lines."""
    line = {"charge": "energy", "label": "Summer Peak", "quantity": 35061.516583, "unit": "kWh", "usd": 5083.91}
    group = {"group": "10.0.0.1", "total_kwh": 188.28, "tou_breakdown_usd": {"Peak": 0.0}, "lines": [line] * 3}
    data = {"rate_name": "Texas Industrial TOU", "partial": False, "groups": [group] * 50, "miner_ip": None}
    assert indented_json(data) == expected(data)


@pytest.mark.parametrize(
    "value", [{"a": [object()]}, [{"a": [1]}, {(1, 2): 3}], {(1, 2): [1]}, [1, {2: {3: b"bytes"}}]]
)
def test_what_json_refuses_is_refused_alike(value: Any) -> None:
    with pytest.raises(TypeError) as dumped:
        expected(value)
    with pytest.raises(TypeError) as written:
        indented_json(value)
    assert str(written.value) == str(dumped.value)


def _loops() -> list[Any]:
    loop: list[Any] = [1]
    loop.append({"again": loop})
    row: dict[str, Any] = {"a": 1}
    row["self"] = row  # a row of a list of rows holding itself
    rows: list[Any] = [{"a": 1}, {"b": None}]
    rows[1]["b"] = [rows]  # a row holding the list of rows, one level down
    return [loop, [row], rows]


@pytest.mark.parametrize("loop", _loops(), ids=["list", "row", "rows"])
def test_a_container_inside_itself_is_refused(loop: Any) -> None:
    with pytest.raises(ValueError, match="Circular reference detected"):
        indented_json(loop)


def test_without_the_c_encoder_the_text_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """An interpreter without `_json` (PyPy, a trimmed build) gets the pure-Python encoder per container."""
    import elecost.json_text

    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    monkeypatch.setattr(elecost.json_text, "_depths", [])
    value = {"groups": [{"a": 1, "lines": [{"x": "é", "y": 2.5}, {"x": None, "y": True}]}], "n": [1, [2, {}]]}
    assert indented_json(value) == expected(value)


@pytest.mark.parametrize(
    "value",
    [
        list(range(200_000)),  # one flat list, far past the C encoder's 100,000 pieces a chunk
        [
            {"miner": f"10.0.{i // 256}.{i % 256}", "kwh": i / 7, "usd": i * 0.01, "on": i % 2 == 0}
            for i in range(10_000)
        ],
        {"groups": [[i, {"a": [i, i + 0.5]}] for i in range(60_000)]},
    ],
    ids=["200k ints", "10k flat rows", "60k nested"],
)
def test_large_documents_are_written_whole(value: Any) -> None:
    assert indented_json(value) == json.dumps(value, indent=2, ensure_ascii=False)
