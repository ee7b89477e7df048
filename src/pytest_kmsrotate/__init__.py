"""pytest-kmsrotate: a faithful, in-process fake of AWS KMS key rotation for pytest.

Every name a user needs is importable from here; the subpackages (`_core`, `_protocol`,
`_adapters`, `_process`, `_pytest_plugin`) are internal and may change without notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "CallRecord",
    "ClockError",
    "Config",
    "EventLog",
    "Fault",
    "KMSError",
    "KeyHandle",
    "KmsCallOutsideFake",
    "KmsCallRefused",
    "KmsRotation",
    "NotImplementedByFake",
    "Principal",
    "RotationRecord",
    "SeedingError",
    "__version__",
]

if TYPE_CHECKING:
    from ._core.clock import ClockError
    from ._core.config import Config
    from ._core.engine import CallRecord
    from ._core.errors import KMSError, NotImplementedByFake
    from ._core.faults import Fault
    from ._process.outside import KmsCallOutsideFake, KmsCallRefused
    from ._pytest_plugin.fake import KmsRotation
    from ._pytest_plugin.seeding import SeedingError
    from ._pytest_plugin.views import EventLog, KeyHandle, Principal, RotationRecord

_LAZY = {
    "CallRecord": "._core.engine",
    "ClockError": "._core.clock",
    "Config": "._core.config",
    "Fault": "._core.faults",
    "KMSError": "._core.errors",
    "NotImplementedByFake": "._core.errors",
    "EventLog": "._pytest_plugin.views",
    "KeyHandle": "._pytest_plugin.views",
    "KmsCallOutsideFake": "._process.outside",
    "KmsCallRefused": "._process.outside",
    "KmsRotation": "._pytest_plugin.fake",
    "Principal": "._pytest_plugin.views",
    "RotationRecord": "._pytest_plugin.views",
    "SeedingError": "._pytest_plugin.seeding",
}


def __getattr__(name: str) -> Any:
    # Public names load on first use so that pytest loading the plugin stays cheap.
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # IDEs and `dir()` see the lazy names too.
    return sorted(set(globals()) | set(__all__))
