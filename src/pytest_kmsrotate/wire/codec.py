"""AWS JSON 1.1 in both directions, driven by botocore's service model.

Requests arrive as the bytes botocore serialized; responses leave as the bytes AWS would send,
for botocore's own parser to read. Blobs travel as base64, timestamps as epoch seconds.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from botocore.model import Shape


class DecodeError(ValueError):
    """The request body is not what the model says; AWS answers SerializationException."""


def parse_body(body: bytes | str | None) -> dict[str, Any]:
    """The request's JSON object; botocore always sends one, hand-made requests may not."""
    if not body:
        return {}
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecodeError("Start of structure or map found where not expected.") from exc  # inferred
    if not isinstance(raw, dict):
        raise DecodeError("Start of structure or map found where not expected.")  # inferred
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
        return {k: _decode_value(shape.value, v) for k, v in value.items()}
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
        return datetime.fromtimestamp(value, tz=timezone.utc)
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
        return value
    return value


def encode(shape: Shape | None, data: Mapping[str, Any]) -> bytes:
    if shape is None:
        return b"{}"
    return json.dumps(_encode_structure(shape, data), separators=(",", ":")).encode()


def _encode_structure(shape: Shape, data: Mapping[str, Any]) -> dict[str, Any]:
    members = shape.members
    out: dict[str, Any] = {}
    for name, value in data.items():
        if value is None:
            continue
        member = members.get(name)
        if member is None:
            # A response field the model does not have would be a bug in the fake; fail loudly.
            raise KeyError(f"{shape.name} has no member {name!r}")
        out[name] = _encode_value(member, value)
    return out


def _encode_value(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _encode_structure(shape, value)
    if kind == "list":
        return [_encode_value(shape.member, v) for v in value]
    if kind == "map":
        return {k: _encode_value(shape.value, v) for k, v in value.items()}
    if kind == "blob":
        return base64.b64encode(value).decode()
    if kind == "timestamp":
        return round(value.timestamp(), 3)
    return value


def encode_error(code: str, message: str | None) -> bytes:
    body: dict[str, str] = {"__type": code}
    if message is not None:
        body["message"] = message
    return json.dumps(body, separators=(",", ":")).encode()
