"""The operation table: every KMS operation the fake answers, by its API name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import (
    aliases,
    crypto_operations,
    data_key_pairs,
    encapsulation,
    grants,
    imports,
    key_agreement,
    key_stores,
    keys,
    multiregion,
    policies,
    rotation,
    tags,
    usage,
)
from .state import Request, State

OPERATIONS: dict[str, Callable[[State, Request], dict[str, Any]]] = {
    **keys.OPERATIONS,
    **aliases.OPERATIONS,
    **tags.OPERATIONS,
    **policies.OPERATIONS,
    **rotation.OPERATIONS,
    **multiregion.OPERATIONS,
    **crypto_operations.OPERATIONS,
    **imports.OPERATIONS,
    **grants.OPERATIONS,
    **data_key_pairs.OPERATIONS,
    **usage.OPERATIONS,
    **key_agreement.OPERATIONS,
    **encapsulation.OPERATIONS,
    **key_stores.OPERATIONS,
}
