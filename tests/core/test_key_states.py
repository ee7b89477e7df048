"""The key-state rule, written once (`_core/key_states.py`): each refused state's AWS answer,
which states each kind of operation refuses, and PendingReplicaDeletion refused wherever
PendingDeletion is, with its own recorded text (docs/fidelity.md, "PendingReplicaDeletion" row)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate._core.errors import KMSError
from pytest_kmsrotate._core.key_states import (
    REFUSED_BY_ENABLE_DISABLE,
    REFUSED_BY_MATERIAL_USE,
    REFUSED_BY_REPLICATE,
    SCHEDULED_FOR_DELETION,
    check_key_state,
)
from pytest_kmsrotate._core.model import Key, Lineage
from pytest_kmsrotate._pytest_plugin.fake import KmsRotation
from tests._rotation_support import set_fields
from tests.conftest import error_of

ARN = "arn:aws:kms:us-east-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef"
# AWS's answers, from the key-state table's footnotes (DOC23 fn 1, 3, 5, 11, 14) and the
# observed "pending deletion" form (docs/fidelity.md §7).
EXPECTED = {
    "Disabled": ("DisabledException", f"{ARN} is disabled."),
    "PendingDeletion": ("KMSInvalidStateException", f"{ARN} is pending deletion."),
    "PendingReplicaDeletion": ("KMSInvalidStateException", f"{ARN} is pending replica deletion."),
    "PendingImport": ("KMSInvalidStateException", f"{ARN} is pending import."),
    "Unavailable": ("KMSInvalidStateException", f"{ARN} is unavailable."),
    "Creating": ("KMSInvalidStateException", f"{ARN} is creating."),
}
REFUSALS = {
    "material use": REFUSED_BY_MATERIAL_USE,
    "enable/disable": REFUSED_BY_ENABLE_DISABLE,
    "replicate": REFUSED_BY_REPLICATE,
    "scheduled for deletion": SCHEDULED_FOR_DELETION,
}


def _key_states() -> list[str]:
    model = botocore.session.get_session().get_service_model("kms")
    return list(model.shape_for("KeyState").enum)


def _key(state: str) -> Key:
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return Key("mrk-0123456789abcdef0123456789abcdef", ARN, "111122223333", "us-east-1", when,
               "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "AWS_KMS", "CUSTOMER", state, Lineage(primary_arn=ARN))


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
@pytest.mark.parametrize("state", _key_states())
def test_every_state_is_answered_as_aws_does_or_passes(refusal: str, state: str) -> None:
    refused = REFUSALS[refusal]
    if state not in refused:
        check_key_state(_key(state), refused)  # passes: no error
        return
    with pytest.raises(KMSError) as excinfo:
        check_key_state(_key(state), refused)
    assert (excinfo.value.code, excinfo.value.message, excinfo.value.status) == (*EXPECTED[state], 400)


def test_which_states_each_kind_of_operation_refuses() -> None:
    # The key-state table's columns (docs/fidelity.md §7): using material needs Enabled (or the
    # transient Updating); managing a key only needs it not to be scheduled for deletion.
    assert set(_key_states()) - REFUSED_BY_MATERIAL_USE == {"Enabled", "Updating"}
    assert {"PendingDeletion", "PendingReplicaDeletion"} == SCHEDULED_FOR_DELETION
    assert SCHEDULED_FOR_DELETION | {"PendingImport"} == REFUSED_BY_ENABLE_DISABLE
    assert SCHEDULED_FOR_DELETION | {"Disabled"} == REFUSED_BY_REPLICATE


# Every operation that refuses a key scheduled for deletion, with the rest of its parameters.
REFUSING = [
    ("enable_key", {}),
    ("disable_key", {}),
    ("schedule_key_deletion", {}),
    ("update_key_description", {"Description": "x"}),
    ("tag_resource", {"Tags": [{"TagKey": "k", "TagValue": "v"}]}),
    ("untag_resource", {"TagKeys": ["k"]}),
    ("encrypt", {"Plaintext": b"secret"}),
    ("generate_data_key", {"KeySpec": "AES_256"}),
    ("enable_key_rotation", {}),
    ("disable_key_rotation", {}),
    ("rotate_key_on_demand", {}),
    ("replicate_key", {"ReplicaRegion": "eu-west-1"}),
]


PENDING_TEXT = {"PendingDeletion": "is pending deletion.", "PendingReplicaDeletion": "is pending replica deletion."}


@pytest.mark.parametrize("state", ["PendingDeletion", "PendingReplicaDeletion"])
@pytest.mark.parametrize(("method", "extra"), REFUSING, ids=[m for m, _ in REFUSING])
def test_a_primary_awaiting_its_replicas_deletion_is_refused_like_pending_deletion(
    kms: Any, kms_rotation: KmsRotation, state: str, method: str, extra: dict[str, Any]
) -> None:
    # The fake does not yet reach PendingReplicaDeletion by itself, so the state is set directly.
    arn = kms.create_key(MultiRegion=True)["KeyMetadata"]["Arn"]
    set_fields(kms_rotation, arn, key_state=state)
    with pytest.raises(ClientError) as excinfo:
        getattr(kms, method)(KeyId=arn, **extra)
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{arn} {PENDING_TEXT[state]}")


@pytest.mark.parametrize("state", ["PendingDeletion", "PendingReplicaDeletion"])
def test_an_alias_cannot_target_a_key_scheduled_for_deletion(kms: Any, kms_rotation: KmsRotation, state: str) -> None:
    arn = kms.create_key(MultiRegion=True)["KeyMetadata"]["Arn"]
    set_fields(kms_rotation, arn, key_state=state)
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName="alias/x", TargetKeyId=arn)
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{arn} {PENDING_TEXT[state]}")
    assert [a for a in kms.list_aliases()["Aliases"] if "TargetKeyId" in a] == []  # nothing was made
