"""pytest-kmsrotate: a faithful, in-process fake of AWS KMS key rotation for pytest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["ClockError", "EventLog", "KeyHandle", "KmsRotation", "NotImplementedByFake", "RotationRecord",
           "SeedingError", "__version__"]

if TYPE_CHECKING:
    from .core.clock import ClockError
    from .core.errors import NotImplementedByFake
    from .eventlog import EventLog
    from .fake import KmsRotation
    from .handles import KeyHandle, RotationRecord
    from .seeding import SeedingError

_LAZY = {
    "ClockError": ".core.clock",
    "NotImplementedByFake": ".core.errors",
    "EventLog": ".eventlog",
    "KeyHandle": ".handles",
    "KmsRotation": ".fake",
    "RotationRecord": ".handles",
    "SeedingError": ".seeding",
}


def __getattr__(name: str) -> Any:
    # Public names load on first use so that pytest loading the plugin stays cheap.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
