"""Every ciphertext survives every rotation: a property test, and the AWS Encryption SDK end to end."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_kmsrotate._core.config import Config
from pytest_kmsrotate._pytest_plugin.fake import KmsRotation
from tests.conftest import assert_matches_output_shape
from tests.test_import_material import import_material

CONTEXTS = st.one_of(st.none(), st.dictionaries(st.sampled_from("abc"), st.text(max_size=3), max_size=2))
# Keys 0 and 1 are AWS_KMS (0 also rotates automatically every 90 days); key 2 is EXTERNAL.
KEYS = st.integers(0, 2)
ACTIONS = st.one_of(
    st.tuples(st.just("encrypt"), KEYS, st.binary(min_size=1, max_size=64), CONTEXTS),
    st.tuples(st.just("data_key"), KEYS, CONTEXTS),
    st.tuples(st.just("rotate"), st.integers(0, 1)),
    st.tuples(st.just("import_and_rotate")),
    st.tuples(st.just("advance"), st.integers(1, 200)),
    st.tuples(st.just("reencrypt"), st.integers(0, 10_000), KEYS, CONTEXTS),
)


@dataclass
class Sealed:
    blob: bytes
    plaintext: bytes
    context: dict[str, str] | None
    key_arn: str
    material_id: str


def _ctx(context: dict[str, str] | None) -> dict[str, Any]:
    return {"EncryptionContext": context} if context else {}


def _current(kms: Any, arn: str) -> str:
    return kms.describe_key(KeyId=arn)["KeyMetadata"]["CurrentKeyMaterialId"]  # type: ignore[no-any-return]


def _check_all(kms: Any, produced: list[Sealed]) -> None:
    for sealed in produced:
        response = kms.decrypt(CiphertextBlob=sealed.blob, **_ctx(sealed.context))
        assert response["Plaintext"] == sealed.plaintext
        assert response["KeyId"] == sealed.key_arn
        assert response["KeyMaterialId"] == sealed.material_id


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(actions=st.lists(ACTIONS, min_size=1, max_size=25))
def test_every_ciphertext_decrypts_with_the_material_that_made_it(actions: list[tuple[Any, ...]]) -> None:
    with KmsRotation(Config(on_demand_limit=1000)) as fake:
        kms = boto3.client("kms", region_name="us-east-1")
        arns = [kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2)]
        kms.enable_key_rotation(KeyId=arns[0], RotationPeriodInDays=90)
        external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
        import_material(kms, external, os.urandom(32))
        arns.append(external)
        produced: list[Sealed] = []

        for action in actions:
            kind = action[0]
            if kind == "encrypt":
                _, key, plaintext, context = action
                expected = _current(kms, arns[key])
                blob = kms.encrypt(KeyId=arns[key], Plaintext=plaintext, **_ctx(context))["CiphertextBlob"]
                produced.append(Sealed(blob, plaintext, context, arns[key], expected))
            elif kind == "data_key":
                _, key, context = action
                response = kms.generate_data_key(KeyId=arns[key], KeySpec="AES_256", **_ctx(context))
                assert response["KeyMaterialId"] == _current(kms, arns[key])
                produced.append(
                    Sealed(
                        response["CiphertextBlob"], response["Plaintext"], context, arns[key], response["KeyMaterialId"]
                    )
                )
            elif kind == "rotate":
                kms.rotate_key_on_demand(KeyId=arns[action[1]])
            elif kind == "import_and_rotate":
                import_material(kms, external, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
                kms.rotate_key_on_demand(KeyId=external)
            elif kind == "advance":
                fake.clock.advance(days=action[1])
            elif kind == "reencrypt" and produced:
                _, index, key, context = action
                source = produced[index % len(produced)]
                response = kms.re_encrypt(
                    CiphertextBlob=source.blob,
                    DestinationKeyId=arns[key],
                    **({"SourceEncryptionContext": source.context} if source.context else {}),
                    **({"DestinationEncryptionContext": context} if context else {}),
                )
                assert_matches_output_shape("ReEncrypt", response)
                assert response["SourceKeyMaterialId"] == source.material_id
                assert response["DestinationKeyMaterialId"] == _current(kms, arns[key])
                produced.append(
                    Sealed(
                        response["CiphertextBlob"],
                        source.plaintext,
                        context,
                        arns[key],
                        response["DestinationKeyMaterialId"],
                    )
                )
        _check_all(kms, produced)


def test_encryption_sdk_decrypts_an_old_message_after_rotation(kms: Any, kms_rotation: Any) -> None:
    import aws_encryption_sdk
    import botocore.session
    from aws_encryption_sdk.identifiers import CommitmentPolicy

    arn = kms.create_key()["KeyMetadata"]["Arn"]
    session = botocore.session.Session()
    session.set_config_variable("region", "us-east-1")
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[arn], botocore_session=session)
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)

    old_message, _ = client.encrypt(
        source=b"written before rotation", key_provider=provider, encryption_context={"k": "v"}
    )
    before = _current(kms, arn)
    kms.rotate_key_on_demand(KeyId=arn)
    assert _current(kms, arn) != before
    new_message, _ = client.encrypt(source=b"written after rotation", key_provider=provider)

    plaintext, header = client.decrypt(source=old_message, key_provider=provider)
    assert plaintext == b"written before rotation"
    assert header.encryption_context["k"] == "v"
    assert client.decrypt(source=new_message, key_provider=provider)[0] == b"written after rotation"
    decrypts = [c for c in kms_rotation.calls if c.operation == "Decrypt" and c.ok]
    assert [c.response["KeyMaterialId"] for c in decrypts] == [before, _current(kms, arn)]
