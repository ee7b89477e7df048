"""Making key material: the one place a secret is drawn."""

from __future__ import annotations

import secrets
from typing import Any

from .model import CURRENT, KeyMaterial
from .state import State


def new_material(
    state: State, *, secret: bytes | None = None, material_state: str = CURRENT, **fields: Any
) -> KeyMaterial:
    """A fresh material (CURRENT unless told); the secret is drawn once here, never per call."""
    return KeyMaterial(
        material_id=state.ids.material_id(),
        secret=secret if secret is not None else secrets.token_bytes(32),
        state=material_state,
        **fields,
    )
