"""The key-state rule: which key states an operation refuses, and AWS's answer for each.

AWS's key-state table (see docs/fidelity.md §7) gives every state one answer, whatever the
operation: only *which* states an operation refuses differs. So the answers live here once,
and each operation names the states it refuses with one of the sets below.
PendingReplicaDeletion (a multi-Region primary scheduled for deletion that still has replicas)
is answered exactly as PendingDeletion: AWS's table puts them in one column with one message
(docs/fidelity.md, "PendingReplicaDeletion" row).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from . import errors
from .errors import KMSError
from .model import CREATING, DISABLED, PENDING_DELETION, PENDING_IMPORT, PENDING_REPLICA_DELETION, UNAVAILABLE, Key

# The two states of a key scheduled for deletion. Managing a key (ScheduleKeyDeletion again,
# UpdateKeyDescription, TagResource/UntagResource, an alias target, importing material)
# refuses these and nothing else.
SCHEDULED_FOR_DELETION = frozenset({PENDING_DELETION, PENDING_REPLICA_DELETION})
# EnableKey and DisableKey also refuse a key waiting for its material (DOC23 footnote 5).
REFUSED_BY_ENABLE_DISABLE = SCHEDULED_FOR_DELETION | {PENDING_IMPORT}
# ReplicateKey: a disabled or deleting primary cannot be replicated.
REFUSED_BY_REPLICATE = SCHEDULED_FOR_DELETION | {DISABLED}
# Operations that use the key's material (cryptographic operations, rotation): every state but
# Enabled and Updating.
REFUSED_BY_MATERIAL_USE = SCHEDULED_FOR_DELETION | {DISABLED, PENDING_IMPORT, UNAVAILABLE, CREATING}


def _invalid(suffix: str) -> Callable[[str], KMSError]:
    return lambda arn: errors.invalid_state(f"{arn} {suffix}")


# AWS's answer per refused state (DOC23 footnotes 1, 3, 5, 11, 14; fidelity §7).
_ANSWERS: Mapping[str, Callable[[str], KMSError]] = MappingProxyType({
    DISABLED: errors.disabled,
    PENDING_DELETION: errors.pending_deletion,
    # Recorded for TagResource/UntagResource on such a primary (fidelity §7): taken for every refusal.
    PENDING_REPLICA_DELETION: _invalid("is pending replica deletion."),
    PENDING_IMPORT: errors.pending_import,
    UNAVAILABLE: _invalid("is unavailable."),
    CREATING: _invalid("is creating."),
})


def check_key_state(key: Key, refused: frozenset[str]) -> None:
    """Raise AWS's error if `key` is in one of the `refused` states; do nothing otherwise."""
    if key.key_state in refused:
        raise _ANSWERS[key.key_state](key.arn)
