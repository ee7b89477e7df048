"""Helpers for the rotation tests: put keys into states the public API cannot reach yet.

Keys are created through boto3; only what no implemented operation can produce (an AWS
managed key, a custom key store key's Unavailable state, imported material) is set on the
fake's state directly, under the engine's lock.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate._core.materials import new_material
from pytest_kmsrotate._core.model import ENABLED, PENDING_ROTATION, Key
from pytest_kmsrotate._pytest_plugin.fake import KmsRotation
from tests.conftest import assert_matches_output_shape, error_of, sent_no_message

# (KeySpec, KeyUsage) of every key kind rotation refuses with a message-less error.
NON_SYMMETRIC = [
    ("RSA_2048", "ENCRYPT_DECRYPT"),
    ("RSA_4096", "ENCRYPT_DECRYPT"),
    ("ECC_NIST_P256", "SIGN_VERIFY"),
    ("HMAC_256", "GENERATE_VERIFY_MAC"),
]
ROOT = "arn:aws:iam::111122223333:root"


def wait_for_replica(client: Any, key_id: str) -> dict[str, Any]:
    """Poll DescribeKey with `time.sleep`, as code written against AWS does, until the replica is
    out of `Creating` (the fake's sleep moves its clock through the replication delay)."""
    for _ in range(60):
        meta: dict[str, Any] = client.describe_key(KeyId=key_id)["KeyMetadata"]
        if meta["KeyState"] != "Creating":
            return meta
        time.sleep(5)
    raise AssertionError(f"{key_id} still Creating after 300 seconds of polling")


def key_of(fake: KmsRotation, arn: str) -> Key:
    return fake.engine.state.keys[arn]


def set_fields(fake: KmsRotation, arn: str, **fields: Any) -> Key:
    with fake.engine.lock:
        key = key_of(fake, arn)
        for name, value in fields.items():
            setattr(key, name, value)
        return key


def external_key(kms: Any, fake: KmsRotation, *, imported: bool = True, pending: bool = False) -> str:
    """An EXTERNAL key; `imported` gives it CURRENT material, `pending` a PENDING_ROTATION one."""
    arn: str = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    with fake.engine.lock:
        key = key_of(fake, arn)
        state = fake.engine.state
        if imported:
            key.lineage.materials.append(new_material(
                state, import_state="IMPORTED", expiration_model="KEY_MATERIAL_DOES_NOT_EXPIRE"))
            key.key_state = ENABLED
            key.has_imported = True
        if pending:
            key.lineage.materials.append(new_material(
                state, material_state=PENDING_ROTATION, import_state="IMPORTED",
                expiration_model="KEY_MATERIAL_DOES_NOT_EXPIRE", description="next"))
    return arn


def expect_error(call: Any, code: str, message: str | None, **params: Any) -> None:
    """Call and check AWS's exact code and message; None = AWS sends no message field."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    assert error_of(excinfo) == (code, message or "")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    if message is None:
        assert sent_no_message(excinfo)


def ok(operation: str, response: dict[str, Any]) -> dict[str, Any]:
    assert_matches_output_shape(operation, response)
    return response
