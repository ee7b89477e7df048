"""Opaque, tamper-evident pagination markers shared by every List* operation.

A marker names the list it belongs to (the operation and, for per-key lists, the key) and the
position to resume from, and is MACed with a per-fake secret (derived from the fake's realm, see
ids.py): a forged marker, or one from another list, another test or another fake made from the
same seed, fails with InvalidMarkerException (no message, as AWS sends it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import KMSError

if TYPE_CHECKING:
    from .state import State

_PURPOSE = "pagination markers"


def marker_secret(state: State) -> bytes:
    """The key that MACs this fake's markers."""
    return state.ids.secret(_PURPOSE)


def _sign(scope: str, position: int, secret: bytes) -> str:
    payload = f"{position}".encode()
    tag = hmac.new(secret, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(payload + b"." + tag).decode().rstrip("=")


def _position(marker: str, scope: str, secret: bytes) -> int:
    try:
        raw = base64.urlsafe_b64decode(marker + "=" * (-len(marker) % 4))
        payload, _, tag = raw.partition(b".")
        expected = hmac.new(secret, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:12]
        if not hmac.compare_digest(tag, expected):
            raise ValueError
        return int(payload.decode())
    except (ValueError, UnicodeDecodeError):
        raise KMSError("InvalidMarkerException") from None


def page(
    items: Sequence[dict[str, Any]],
    limit: int,
    marker: str | None,
    scope: str,
    list_field: str = "Keys",
    *,
    secret: bytes,
) -> dict[str, Any]:
    """One page of `items` with AWS's NextMarker/Truncated fields."""
    start = 0 if marker is None else _position(marker, scope, secret)
    if start > len(items):
        raise KMSError("InvalidMarkerException")
    end = start + limit
    result: dict[str, Any] = {list_field: list(items[start:end]), "Truncated": end < len(items)}
    if end < len(items):
        result["NextMarker"] = _sign(scope, end, secret)
    return result
