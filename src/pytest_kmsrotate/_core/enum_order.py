"""The installed model's enums, and the order AWS lists their values in its validation messages.

The core copies no enum of botocore's model: the protocol reads every enum shape's values at run
time and hands them to the engine (`Engine.learn_enums`), which keeps them as `ModelEnums`.

AWS prints an enum's allowed set in its own order, not the model's. Where a recorded response
shows it (issue 15, deviation 8), those values come first in that order; values the recording
predates follow in the model's order (inferred). Every other enum keeps the model's order (inferred).
A recorded value the installed model lacks is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

RECORDED: dict[str, tuple[str, ...]] = {
    "MacAlgorithmSpec": ("HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512"),
    "KeyUsageType": ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"),
}


def aws_order(shape_name: str, values: Iterable[str]) -> list[str]:
    """`values` (in the model's order) in the order AWS prints them for the enum `shape_name`."""
    model = list(values)
    recorded = [v for v in RECORDED.get(shape_name, ()) if v in model]
    return recorded + [v for v in model if v not in recorded]


class ModelEnums(Mapping[str, tuple[str, ...]]):
    """Enum shape name -> its values in the model's order, for one installed botocore model.

    Immutable, hashed by identity (one per learned model), so derived tables can be cached on it.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Iterable[str]]) -> None:
        self._values = MappingProxyType({name: tuple(enum) for name, enum in values.items()})

    def __getitem__(self, name: str) -> tuple[str, ...]:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other
