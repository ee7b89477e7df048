"""Which of the plugin's frames pytest leaves out of a failing test's traceback.

A module sets `__tracebackhide__ = hide_misuse` (pytest reads it from a frame's globals, and
calls it with the exception) so a test that misuses the API (a key that does not exist, a fault
no operation can raise, a bad seeded field) sees its own line and the message, not the plugin's
internals. Only what the plugin raises on purpose is hidden: the plain LookupError, ValueError
and TypeError of its argument checks, and its own ValueErrors (ClockError, SeedingError). An
internal bug (a KeyError, an AttributeError, ...) keeps its whole traceback.
"""

from __future__ import annotations

from typing import Any

_PLAIN = (LookupError, ValueError, TypeError)


def hide_misuse(excinfo: Any) -> bool:
    kind = type(getattr(excinfo, "value", None))
    return kind in _PLAIN or (issubclass(kind, ValueError) and kind.__module__.startswith("pytest_kmsrotate."))
