"""Which fakes are running, and which of them belong to a fixture wider than one test.

Kept free of imports so the plugin can consult it around every fixture without loading the fake.
"""

from __future__ import annotations

import weakref
from typing import Any

# Fakes started and not yet stopped, oldest first: the fixture stops any a test left running.
RUNNING: list[Any] = []

# Fakes a class-, module- or session-scoped fixture started, with a description of that fixture.
# They outlive single tests on purpose, so a test's teardown never stops them or blames the test.
_OWNERS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def own(fake: Any, owner: str) -> None:
    _OWNERS[fake] = owner


def started_since(before: list[Any]) -> list[Any]:
    """Fakes running now that were not in `before` and that no wider fixture owns."""
    return [fake for fake in RUNNING if fake not in before and fake not in _OWNERS]
