"""Internal: the doors through which requests reach the fake, one small module each (not a public API).

A door takes requests from one transport (botocore's pipeline, aiobotocore's, an HTTP socket)
into the shared protocol layer (`_protocol.respond.Protocol`) and carries the answer back. It
does nothing else: no parsing, validation, encoding or engine access of its own.
"""

from __future__ import annotations

import importlib.util
from typing import Protocol as _Protocol


def aiobotocore_installed() -> bool:
    """Whether the aiobotocore door can open; asks the import system without importing aiobotocore."""
    return importlib.util.find_spec("aiobotocore") is not None


class Door(_Protocol):
    """What a running fake needs of a door: a name, and opening and closing it."""

    name: str

    @property
    def is_open(self) -> bool: ...

    def open(self) -> None: ...

    def close(self) -> None: ...
