"""The order AWS lists enum values in its validation messages, where a response recorded it.

AWS prints an enum's allowed set in its own order, not the model's. Where a recorded response
shows it (issue 15, deviation 8), those values come first in that order; values the recording
predates follow in the model's order (inferred). Every other enum keeps the model's order (inferred).
"""

from __future__ import annotations

from collections.abc import Iterable

from .keyspecs import KEY_USAGES_AWS_ORDER

RECORDED: dict[str, tuple[str, ...]] = {
    "MacAlgorithmSpec": ("HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512"),
    "KeyUsageType": KEY_USAGES_AWS_ORDER,
}


def aws_order(shape_name: str, values: Iterable[str]) -> list[str]:
    """`values` (in the model's order) in the order AWS prints them for the enum `shape_name`."""
    model = list(values)
    recorded = [v for v in RECORDED.get(shape_name, ()) if v in model]
    return recorded + [v for v in model if v not in recorded]
