"""JSON as elecost prints it (`--json`, `export --format json`): indented by two, text as written.

`json.dumps(value, indent=2)` runs the pure-Python encoder (CPython's C encoder does not indent
before 3.13), a generator per container yielding each item's text through every level above it:
45 ms of a 1,000-miner `summary --by miner --json` over 2 days, where the C encoder writes the
same data unindented in 12 ms (issue 16). `indented_json` writes the same text with the C encoder
writing each container in one call, its items separated by a newline and its depth's indent (JSON
text holds no other newline); the containers inside it are written apart and put in their places.
"""

import json
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any

_STEP = "  "
_CONTAINERS = (dict, list, tuple)


class _Depth:
    """What writing a container at one depth needs: the C encoder, made once (json.dumps makes
    one per call, which costs more than writing a short row), with the items separated by a
    newline and the next depth's indent; and the brackets' own lines."""

    def __init__(self, depth: int) -> None:
        inner = "\n" + _STEP * (depth + 1)
        outer = "\n" + _STEP * depth
        self.open = {"{": "{" + inner, "[": "[" + inner}
        self.close = {"}": outer + "}", "]": outer + "]"}
        make = json.encoder.c_make_encoder  # type: ignore[attr-defined]
        if make is None:  # an interpreter without the C encoder
            encoder = json.JSONEncoder(ensure_ascii=False, separators=("," + inner, ": "))
            self.encode: Callable[[Any], str] = encoder.encode
        else:
            refuse = json.JSONEncoder().default  # TypeError, as json.dumps raises it
            chunks = make(None, refuse, encode_basestring, None, ": ", "," + inner, False, False, True)

            def encode(value: Any) -> str:
                # A list of strings: one on Python 3.12+, on 3.11 one more per 100,000 pieces.
                return "".join(chunks(value, 0))

            self.encode = encode


_depths: list[_Depth] = []


def indented_json(value: Any) -> str:
    """The text of `json.dumps(value, indent=2, ensure_ascii=False)`, the same to the byte for
    any value it accepts, and the same errors for one it does not (TypeError for a type it cannot
    write, ValueError for a container inside itself)."""
    return _text(value, 0, set())


# Stands in a container's copy for each container inside it, so that the C encoder writes the
# rest of it in one call; each is then replaced by that container's own text. A string the data
# itself holds may be the same: `_nest` then counts one more and lets json.dumps write that container.
_HOLE = "\x00elecost:json-hole\x00"
_HOLE_TEXT = encode_basestring(_HOLE)


def _text(value: Any, depth: int, open_ids: set[int]) -> str:
    if isinstance(value, dict):
        if not value:
            return "{}"
        nested = [key for key, item in value.items() if isinstance(item, _CONTAINERS)]
        if not nested:
            return _flat(value, depth)
        holed = dict(value)
        for key in nested:
            holed[key] = _HOLE
        return _nest(value, holed, [value[key] for key in nested], depth, open_ids)
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        if not any(isinstance(item, _CONTAINERS) for item in value):
            return _flat(value, depth)
        if all(type(item) is dict and item and not _holds_containers(item) for item in value):
            return _rows(value, depth)
        nested = [item for item in value if isinstance(item, _CONTAINERS)]
        holed_items = [_HOLE if isinstance(item, _CONTAINERS) else item for item in value]
        return _nest(value, holed_items, nested, depth, open_ids)
    return _flat(value, depth)


def _holds_containers(row: dict[Any, Any]) -> bool:
    return any(isinstance(item, _CONTAINERS) for item in row.values())


def _rows(value: Any, depth: int) -> str:
    """A list of non-empty dicts holding no container (rows, line items) in one C call, written
    with the rows' item separator: a separator followed by '{' is the list's own (in a row a
    key follows it), so the rows' brackets get their own lines by one replace."""
    while len(_depths) <= depth + 1:
        _depths.append(_Depth(len(_depths)))
    inner = "\n" + _STEP * (depth + 1)
    text = _depths[depth + 1].encode(value)  # '[{"a": 1,\n      "b": 2},\n      {"a": 3, ...}]'
    rows = text[2:-2].replace("}," + inner + _STEP + "{", inner + "}," + inner + "{" + inner + _STEP)
    return "[" + inner + "{" + inner + _STEP + rows + inner + "}\n" + _STEP * depth + "]"


def _nest(value: Any, holed: Any, nested: list[Any], depth: int, open_ids: set[int]) -> str:
    """The text of a container holding others: `holed` (its copy with a hole for each of
    `nested`) written by the C encoder, and each hole filled with the text of its container."""
    if id(value) in open_ids:
        raise ValueError("Circular reference detected")
    open_ids.add(id(value))
    pieces = _flat(holed, depth).split(_HOLE_TEXT)
    if len(pieces) != len(nested) + 1:  # the data holds the hole's own text
        open_ids.discard(id(value))
        return _indented(value, depth)
    out = [pieces[0]]
    for container, after in zip(nested, pieces[1:], strict=True):
        out.append(_text(container, depth + 1, open_ids))
        out.append(after)
    open_ids.discard(id(value))
    return "".join(out)


def _indented(value: Any, depth: int) -> str:
    """json.dumps's own text of a container at this depth."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n" + _STEP * depth) if depth else text


def _flat(value: Any, depth: int) -> str:
    """A scalar, or a non-empty container holding no other, as the indenting encoder writes it:
    '{"a": 1,\n    "b": 2}' from the C encoder -> '{\n    "a": 1,\n    "b": 2\n  }'."""
    while len(_depths) <= depth:
        _depths.append(_Depth(len(_depths)))
    at = _depths[depth]
    if isinstance(value, str):
        return encode_basestring(value)
    text = at.encode(value)
    if not isinstance(value, _CONTAINERS):
        return text
    return at.open[text[0]] + text[1:-1] + at.close[text[-1]]
