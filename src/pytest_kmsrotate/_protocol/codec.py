"""AWS JSON 1.1 in both directions, driven by botocore's service model.

Requests arrive as the bytes botocore serialized; responses leave as the bytes AWS would send,
for botocore's own parser to read. Blobs travel as base64, timestamps as epoch seconds.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from botocore.model import Shape

# One encoder for every response: json.dumps with options builds a new one on each call.
_JSON = json.JSONEncoder(separators=(",", ":"))


class DecodeError(ValueError):
    """The request body is not what the model says; AWS answers SerializationException."""


# What AWS's JSON parser refuses and Python's `json` accepts: a byte order mark or another
# encoding than UTF-8 (RFC 8259 §8.1: JSON exchanged between systems is UTF-8), NaN and Infinity
# (not JSON), and nesting deeper than any KMS shape (Python would raise RecursionError).
_NOT_JSON = "Start of structure or map found where not expected."  # inferred
_BOM = "\ufeff"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_body(body: bytes | str | None) -> dict[str, Any]:
    """The request's JSON object; botocore always sends one, hand-made requests may not."""
    if not body:
        return {}
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        if text.startswith(_BOM):
            raise ValueError("byte order mark")
        raw = json.loads(text, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DecodeError(_NOT_JSON) from exc
    if not isinstance(raw, dict):
        raise DecodeError(_NOT_JSON)
    return raw


def decode(shape: Shape | None, raw: dict[str, Any]) -> dict[str, Any]:
    """Model-typed Python values (bytes, aware datetimes) from the parsed JSON body."""
    if shape is None:
        return {}
    return _decode_structure(shape, raw)


def _decode_structure(shape: Shape, raw: Mapping[str, Any]) -> dict[str, Any]:
    members = shape.members
    out: dict[str, Any] = {}
    for name, value in raw.items():
        member = members.get(name)
        if member is None or value is None:
            continue  # AWS ignores members it does not know
        out[name] = _decode_value(member, value)
    return out


def _decode_value(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise DecodeError(f"Expected an object for {shape.name}")
        return _decode_structure(shape, value)
    if kind == "list":
        if not isinstance(value, list):
            raise DecodeError(f"Expected a list for {shape.name}")
        return [_decode_value(shape.member, v) for v in value]
    if kind == "map":
        if not isinstance(value, dict):
            raise DecodeError(f"Expected a map for {shape.name}")
        return {_text(shape.key, k): _decode_value(shape.value, v) for k, v in value.items()}
    if kind == "blob":
        if not isinstance(value, str):
            raise DecodeError(f"Expected base64 text for {shape.name}")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecodeError(f"Invalid base64 for {shape.name}") from exc
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DecodeError(f"Expected epoch seconds for {shape.name}")
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, ValueError, OSError):
            # inferred: a date no calendar holds (past year 9999, 1e300, Infinity) cannot be read.
            raise DecodeError(f"Epoch seconds {value!r} for {shape.name} are out of range") from None
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise DecodeError(f"Expected an integer for {shape.name}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise DecodeError(f"Expected a boolean for {shape.name}")
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise DecodeError(f"Expected a string for {shape.name}")
        return _text(shape, value)
    return value


def _text(shape: Shape, value: str) -> str:
    """`value`, if it is Unicode text; a lone surrogate (botocore sends one as a \\udcXX escape of
    a file name decoded with surrogateescape) is not, and has no UTF-8 form (inferred, see
    docs/fidelity.md)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        raise DecodeError(
            f"{shape.name} is not valid Unicode text: lone surrogate {bad!r} at index {exc.start}"
        ) from None
    return value


def encode(shape: Shape | None, data: Mapping[str, Any]) -> bytes:
    if shape is None:
        return b"{}"
    return _JSON.encode(_encoder(shape)(data)).encode()


Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _blob(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _timestamp(value: datetime) -> float:
    return round(value.timestamp(), 3)


@functools.cache
def _encoder(shape: Shape) -> Convert:
    """A converter to JSON-ready values for one output shape, built once per shape.

    Responses are encoded on every call, so the shape walk is compiled into closures instead
    of being re-dispatched on each value.
    """
    kind = shape.type_name
    if kind == "structure":
        members = frozenset(shape.members)
        converters = {name: c for name, member in shape.members.items() if (c := _encoder(member)) is not _same}
        shape_name = shape.name

        def structure(data: Mapping[str, Any]) -> dict[str, Any]:
            if not members.issuperset(data):
                # A response field the model does not have would be a bug in the fake; fail loudly.
                raise KeyError(f"{shape_name} has no member(s) {sorted(set(data) - members)}")
            out = {name: value for name, value in data.items() if value is not None}
            for name, convert in converters.items():
                if name in out:
                    out[name] = convert(out[name])
            return out

        return structure
    if kind == "list":
        item = _encoder(shape.member)
        return _same if item is _same else (lambda values: [item(v) for v in values])
    if kind == "map":
        entry = _encoder(shape.value)
        return _same if entry is _same else (lambda values: {k: entry(v) for k, v in values.items()})
    if kind == "blob":
        return _blob
    if kind == "timestamp":
        return _timestamp
    return _same


def encode_error(code: str, message: str | None) -> bytes:
    body: dict[str, str] = {"__type": code}
    if message is not None:
        body["message"] = message
    return _JSON.encode(body).encode()
