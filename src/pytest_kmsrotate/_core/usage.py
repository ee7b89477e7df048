"""GetKeyLastUsage: the last successful cryptographic operation each key was used for.

The engine notes every successful call (`note`); only the operations botocore's model lists in
KeyLastUsage.Operation (the `KeyLastUsageTrackingOperation` enum) count, read from the model the
fake learned (`State.enums`); `COUNTED`, the API reference's list, decides only where no model
was learned (tests/test_key_last_usage.py checks both against the installed model). ReEncrypt counts for
both its source and its destination key (API reference). A multi-Region primary and its replicas
keep their usage apart (API reference), which falls out of keying usage by key ARN.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .enum_order import ModelEnums
from .resolve import key_by_id_or_arn
from .state import Request, State

# The operations that count as usage, as the API reference lists them (KeyLastUsage.Operation).
COUNTED = frozenset({
    "Decrypt", "DeriveSharedSecret", "Encrypt", "GenerateDataKey", "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext", "GenerateMac", "ReEncrypt", "Sign",
    "Verify", "VerifyMac", "Encapsulate", "Decapsulate",
})

@dataclass(frozen=True)
class LastUse:
    operation: str
    when: datetime
    call: object  # the engine's CallRecord, to find its CloudTrail IDs when asked


TRACKED_ENUM = "KeyLastUsageTrackingOperation"


@functools.lru_cache(maxsize=8)
def counted(enums: ModelEnums | None) -> frozenset[str]:
    """The operations that count as usage: the learned model's enum, else the API reference's list.

    Cached per model (one `ModelEnums` per process), so `note` costs a lookup per call."""
    if enums is None or TRACKED_ENUM not in enums:
        return COUNTED
    return frozenset(enums[TRACKED_ENUM])


def note(state: State, operation: str, when: datetime, response: Mapping[str, Any], call: object) -> None:
    """Called by the engine after every successful call; cheap for the calls that do not count."""
    if operation not in counted(state.enums):
        return
    use = LastUse(operation, when, call)
    for field in ("KeyId", "SourceKeyId"):
        arn = response.get(field)
        if isinstance(arn, str):
            state.last_usage[arn] = use


def get_key_last_usage(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)  # "Alias names are not supported"; any key state
    last: dict[str, Any] = {}
    use = state.last_usage.get(key.arn)
    # A key ARN is reused by nothing, but a use noted before the key's creation is not its own.
    if use is not None and use.when >= key.creation_date:
        last = {"Operation": use.operation, "Timestamp": use.when}
        ids = state.event_ids(use.call) if state.event_ids is not None else None
        if ids is not None:
            last["CloudTrailEventId"], last["KmsRequestId"] = ids
    return {
        # "The globally unique identifier for the KMS key", as KeyMetadata.KeyId: the bare ID (inferred).
        "KeyId": key.key_id,
        "KeyLastUsage": last,
        # The fake tracks from the start, so tracking begins when the key was created.
        "TrackingStartDate": key.creation_date,
        "KeyCreationDate": key.creation_date,
    }


OPERATIONS = {"GetKeyLastUsage": get_key_last_usage}
