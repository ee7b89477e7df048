"""Shared fakes: one fake per class, module or session, reset to its seeded state for every test.

The ready-made fixtures `kms_rotation_class`, `kms_rotation_module` and `kms_rotation_session`
build and seed one fake per scope (from the ini options and the markers of that class or module),
take a checkpoint of it, and for every test that asks for one: restore the checkpoint, start the
fake, and stop it again after the test. So a test starts from the seeded state whatever ran
before it, in any order and on any xdist worker, and the fake patches nothing between tests.

Kept free of heavy imports: the plugin calls `order_setup` for every collected test.
"""

from __future__ import annotations

from typing import Any

import pytest

FIXTURE = "kms_rotation"
MARKERS = ("kms_rotation", "kms_keys")
# The ready-made shared fakes, by the scope they are shared over.
SHARED = {"kms_rotation_class": "class", "kms_rotation_module": "module", "kms_rotation_session": "session"}


def _scope_of(item: pytest.Item, name: str) -> str:
    info = getattr(item, "_fixtureinfo", None)
    defs = getattr(info, "name2fixturedefs", {}).get(name) if info is not None else None
    return str(defs[-1].scope) if defs else "function"


def order_setup(item: pytest.Item, wanted: bool) -> None:
    """Make sure `kms_rotation` (when `wanted`) sets up after every wider fixture and shared fake.

    The newest running fake answers, so the test's own fake must start after them: then a
    module's `with KmsRotation()` fixture, or a shared fake, is the outer one and the test's is
    the inner one, whichever test of the module runs first. Among the test's function-scoped
    fixtures the order the test asked for stays (a marker alone puts the fake first of them).
    """
    names: list[str] | None = getattr(item, "fixturenames", None)
    if names is None:
        return
    position = names.index(FIXTURE) if FIXTURE in names else -1
    if position >= 0:
        names.pop(position)
    if not wanted:
        return
    earliest = 0
    for index, name in enumerate(names):
        if name in SHARED or _scope_of(item, name) != "function":
            earliest = index + 1
    names.insert(max(position, earliest), FIXTURE)


def wants_own_fake(item: pytest.Item) -> bool:
    """A test gets `kms_rotation` when it asks for it, or carries a marker and uses no shared fake."""
    names = getattr(item, "fixturenames", None) or ()
    if FIXTURE in names:
        return True
    if any(name in names for name in SHARED):
        return False  # its markers belong to the shared fake (or are refused by it)
    return any(item.get_closest_marker(name) for name in MARKERS)


def narrower_markers(item: pytest.Item, scope_node: Any) -> list[str]:
    """Markers of ours on nodes below `scope_node` (they cannot configure a fake shared above them)."""
    chain = item.listchain()
    below = chain[chain.index(scope_node) + 1:] if scope_node in chain else chain
    return [f"@pytest.mark.{mark.name}" for node in below for mark in node.own_markers if mark.name in MARKERS]


def refusal(fixture: str, item: pytest.Item, markers: list[str]) -> str:
    scope = SHARED[fixture]
    where = {"class": "its class", "module": "its module (pytestmark)", "session": "the ini options"}[scope]
    return (
        f"pytest-kmsrotate: {item.name} carries {', '.join(sorted(set(markers)))}, but {fixture} is one fake "
        f"shared by the whole {scope}, configured and seeded once from {where}. Move the marker there, or "
        f"ask for `kms_rotation` too: the test then gets a fake of its own, nested inside the shared one "
        "(see docs/scoped-fakes.md)."
    )
