"""Making key material: the one place a secret is drawn."""

from __future__ import annotations

from typing import Any

from .model import CURRENT, KeyMaterial
from .state import State


def new_material(
    state: State, *, secret: bytes | None = None, material_state: str = CURRENT, **fields: Any
) -> KeyMaterial:
    """A fresh material (CURRENT unless told); without `secret` it is drawn on first use."""
    return KeyMaterial(
        material_id=state.ids.material_id(),
        secret=secret,
        state=material_state,
        realm=state.ids.realm,
        **fields,
    )
