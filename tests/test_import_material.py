"""Imported key material (Origin EXTERNAL), spec §5: import, rotate, delete, expire, re-import."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from tests.conftest import assert_matches_output_shape, error_of, sent_no_message


def wrap(public_der: bytes, algorithm: str, material: bytes) -> bytes:
    """What a caller does with GetParametersForImport's public key (AWS's documented recipes)."""
    public: Any = serialization.load_der_public_key(public_der)
    sha = hashes.SHA256() if algorithm.endswith("256") else hashes.SHA1()
    oaep = padding.OAEP(mgf=padding.MGF1(sha), algorithm=sha, label=None)
    if algorithm.startswith("RSA_AES_KEY_WRAP"):
        aes_key = os.urandom(32)
        return bytes(public.encrypt(aes_key, oaep)) + aes_key_wrap_with_padding(aes_key, material)
    return bytes(public.encrypt(material, oaep))


def import_material(
    kms: Any,
    key_id: str,
    material: bytes,
    algorithm: str = "RSAES_OAEP_SHA_256",
    **kwargs: Any,
) -> dict[str, Any]:
    params = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_2048")
    assert_matches_output_shape("GetParametersForImport", params)
    kwargs.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    response = kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], algorithm, material),
        **kwargs,
    )
    assert_matches_output_shape("ImportKeyMaterial", response)
    return response  # type: ignore[no-any-return]


@pytest.fixture
def external(kms: Any) -> dict[str, Any]:
    return kms.create_key(Origin="EXTERNAL")["KeyMetadata"]  # type: ignore[no-any-return]


def _meta(kms: Any, key_id: str) -> dict[str, Any]:
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]  # type: ignore[no-any-return]


def _raises(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call()
    return error_of(excinfo)


def test_first_import_enables_the_key_with_a_deterministic_material_id(kms: Any, external: dict[str, Any]) -> None:
    arn = external["Arn"]
    assert external["KeyState"] == "PendingImport"
    assert "CurrentKeyMaterialId" not in external
    assert _raises(lambda: kms.encrypt(KeyId=arn, Plaintext=b"p")) == (
        "KMSInvalidStateException",
        f"{arn} is pending import.",
    )

    material = os.urandom(32)
    response = import_material(kms, external["KeyId"], material)
    assert response["KeyId"] == arn
    assert len(response["KeyMaterialId"]) == 64
    meta = _meta(kms, arn)
    assert (meta["KeyState"], meta["CurrentKeyMaterialId"]) == ("Enabled", response["KeyMaterialId"])
    blob = kms.encrypt(KeyId=arn, Plaintext=b"p")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["KeyMaterialId"] == response["KeyMaterialId"]
    # Same bytes, same id: re-importing the current material is accepted (EXISTING by default).
    assert import_material(kms, arn, material)["KeyMaterialId"] == response["KeyMaterialId"]


@pytest.mark.parametrize(
    "algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"]
)
def test_every_wrapping_algorithm_unwraps(kms: Any, external: dict[str, Any], algorithm: str) -> None:
    import_material(kms, external["KeyId"], os.urandom(32), algorithm)
    assert _meta(kms, external["KeyId"])["KeyState"] == "Enabled"


def test_new_material_waits_in_pending_rotation_then_rotates(kms: Any, external: dict[str, Any]) -> None:
    arn = external["Arn"]
    first = import_material(kms, arn, os.urandom(32))["KeyMaterialId"]
    old_blob = kms.encrypt(KeyId=arn, Plaintext=b"old")["CiphertextBlob"]
    second = import_material(kms, arn, os.urandom(32), ImportType="NEW_KEY_MATERIAL", KeyMaterialDescription="v2")[
        "KeyMaterialId"
    ]
    assert _meta(kms, arn)["CurrentKeyMaterialId"] == first
    assert (
        kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=arn, Plaintext=b"x")["CiphertextBlob"])["KeyMaterialId"] == first
    )

    third_bytes = os.urandom(32)
    third_id = "unknown"
    code, message = _raises(lambda: import_material(kms, arn, third_bytes, ImportType="NEW_KEY_MATERIAL"))
    assert code == "KMSInvalidStateException"
    assert message.endswith(
        f"cannot be imported into KMS key {arn}, because another key material (id: {second}) is pending rotation."
    )
    third_id = message.split("(id: ")[1].split(")")[0]
    assert len(third_id) == 64

    kms.rotate_key_on_demand(KeyId=arn)
    assert _meta(kms, arn)["CurrentKeyMaterialId"] == second
    new_blob = kms.encrypt(KeyId=arn, Plaintext=b"new")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old_blob)["KeyMaterialId"] == first
    assert kms.decrypt(CiphertextBlob=new_blob)["KeyMaterialId"] == second
    rotations = kms.list_key_rotations(KeyId=arn, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [r["KeyMaterialId"] for r in rotations] == [first, second]
    assert rotations[1]["KeyMaterialDescription"] == "v2"


def test_new_import_of_associated_bytes_is_incorrect_material(kms: Any, external: dict[str, Any]) -> None:
    arn = external["Arn"]
    material = os.urandom(32)
    material_id = import_material(kms, arn, material)["KeyMaterialId"]
    assert _raises(lambda: import_material(kms, arn, material, ImportType="NEW_KEY_MATERIAL")) == (
        "IncorrectKeyMaterialException",
        f"Key material (id: {material_id}) being imported as NEW_KEY_MATERIAL is already associated "
        f"with KMS key {arn}.",
    )


def test_existing_import_of_other_bytes_is_incorrect_material(kms: Any, external: dict[str, Any]) -> None:
    arn = external["Arn"]
    material_id = import_material(kms, arn, os.urandom(32))["KeyMaterialId"]
    assert _raises(lambda: import_material(kms, arn, os.urandom(32))) == (
        "IncorrectKeyMaterialException",
        f"Imported key material does not have the expected identifier ({material_id}).",
    )
    wanted = "ab" * 32
    assert _raises(lambda: import_material(kms, arn, os.urandom(32), KeyMaterialId=wanted)) == (
        "IncorrectKeyMaterialException",
        f"Imported key material does not have the expected identifier ({wanted}).",
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"ExpirationModel": "KEY_MATERIAL_EXPIRES"},
            "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
        ),
        ({"ExpirationModel": None}, "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"),
        (
            {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE", "ValidTo": timedelta(days=1)},
            "A validTo date cannot be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
        ),
        ({"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": timedelta(seconds=0)}, "ValidTo must be in the future"),
        (
            {"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": timedelta(days=366)},
            "ValidTo must be less than 365 days in the future",
        ),
        (
            {"ImportType": "NEW_KEY_MATERIAL", "KeyMaterialId": "ab" * 32},
            "Input parameter keyMaterialId cannot be used with NEW_KEY_MATERIAL importType.",
        ),
    ],
)
def test_validation_rules(
    kms: Any, kms_rotation: Any, external: dict[str, Any], kwargs: dict[str, Any], message: str
) -> None:
    kwargs = dict(kwargs)  # the parameter is shared by every door's run of this test
    if "ValidTo" in kwargs:
        kwargs["ValidTo"] = kms_rotation.clock.now() + kwargs["ValidTo"]
    if kwargs.get("ExpirationModel", "") is None:
        del kwargs["ExpirationModel"]
        params = kms.get_parameters_for_import(
            KeyId=external["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
        call = lambda: kms.import_key_material(  # noqa: E731
            KeyId=external["KeyId"],
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32)),
        )
    else:
        call = lambda: import_material(kms, external["KeyId"], os.urandom(32), **kwargs)  # noqa: E731
    assert _raises(call) == ("ValidationException", message)


def test_import_token_is_bound_to_its_key_and_expires_after_24_hours(
    kms: Any, kms_rotation: Any, external: dict[str, Any]
) -> None:
    other = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    params = kms.get_parameters_for_import(
        KeyId=other["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    assert params["ParametersValidTo"] == kms_rotation.clock.now() + timedelta(hours=24)
    wrapped = wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))

    def attempt(key_id: str, token: bytes, blob: bytes = wrapped) -> Any:
        return kms.import_key_material(
            KeyId=key_id, ImportToken=token, EncryptedKeyMaterial=blob, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"
        )

    for key_id, token in ((external["KeyId"], params["ImportToken"]), (other["KeyId"], b"forged token")):
        with pytest.raises(ClientError) as excinfo:
            attempt(key_id, token)
        assert error_of(excinfo) == ("InvalidImportTokenException", "")
        assert sent_no_message(excinfo)
    with pytest.raises(ClientError) as excinfo:
        attempt(other["KeyId"], params["ImportToken"], b"\x00" * 256)
    assert error_of(excinfo) == ("InvalidCiphertextException", "")
    assert sent_no_message(excinfo)

    kms_rotation.clock.advance(hours=24)
    assert _raises(lambda: attempt(other["KeyId"], params["ImportToken"])) == (
        "ExpiredImportTokenException",
        "The specified import token is expired.",
    )


def test_import_operations_refuse_aws_kms_keys(kms: Any, symmetric_key: dict[str, Any]) -> None:
    arn = symmetric_key["Arn"]
    expected = ("UnsupportedOperationException", f"{arn} origin is AWS_KMS which is not valid for this operation.")
    assert (
        _raises(
            lambda: kms.get_parameters_for_import(
                KeyId=arn, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
            )
        )
        == expected
    )
    assert _raises(lambda: kms.delete_imported_key_material(KeyId=arn)) == expected


def test_deleting_material_makes_the_key_pending_import_until_the_same_bytes_return(
    kms: Any, external: dict[str, Any]
) -> None:
    arn = external["Arn"]
    first_bytes, second_bytes = os.urandom(32), os.urandom(32)
    first = import_material(kms, arn, first_bytes)["KeyMaterialId"]
    import_material(kms, arn, second_bytes, ImportType="NEW_KEY_MATERIAL")
    kms.rotate_key_on_demand(KeyId=arn)
    old_blob = kms.encrypt(KeyId=arn, Plaintext=b"x")["CiphertextBlob"]

    deleted = kms.delete_imported_key_material(KeyId=arn, KeyMaterialId=first)
    assert_matches_output_shape("DeleteImportedKeyMaterial", deleted)
    assert deleted == {**deleted, "KeyId": arn, "KeyMaterialId": first}
    meta = _meta(kms, arn)
    assert meta["KeyState"] == "PendingImport"
    assert "CurrentKeyMaterialId" in meta  # stays once imported (spec §11)
    pending = ("KMSInvalidStateException", f"{arn} is pending import.")
    assert _raises(lambda: kms.decrypt(CiphertextBlob=old_blob)) == pending
    assert _raises(lambda: kms.encrypt(KeyId=arn, Plaintext=b"x")) == pending
    entry = kms.list_key_rotations(KeyId=arn, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"][0]
    assert (entry["KeyMaterialId"], entry["ImportState"]) == (first, "PENDING_IMPORT")
    assert "ExpirationModel" not in entry

    assert (
        _raises(lambda: import_material(kms, arn, os.urandom(32), KeyMaterialId=first))[0]
        == "IncorrectKeyMaterialException"
    )
    assert import_material(kms, arn, first_bytes, KeyMaterialId=first)["KeyMaterialId"] == first
    assert _meta(kms, arn)["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"x"


def test_deleting_pending_material_is_harmless_and_unknown_ids_are_refused(kms: Any, external: dict[str, Any]) -> None:
    arn = external["Arn"]
    import_material(kms, arn, os.urandom(32))
    pending = import_material(kms, arn, os.urandom(32), ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    kms.delete_imported_key_material(KeyId=arn, KeyMaterialId=pending)
    assert _meta(kms, arn)["KeyState"] == "Enabled"
    assert len(kms.list_key_rotations(KeyId=arn, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]) == 1
    assert _raises(lambda: kms.rotate_key_on_demand(KeyId=arn)) == (
        "KMSInvalidStateException",
        f"No available key material pending rotation for the key: {arn}.",
    )
    unknown = "cd" * 32
    assert _raises(lambda: kms.delete_imported_key_material(KeyId=arn, KeyMaterialId=unknown)) == (
        "ValidationException",
        f"Key material (id: {unknown}) has never been imported into KMS key {arn}.",
    )


def test_delete_without_id_deletes_current_and_repeats(kms: Any, external: dict[str, Any]) -> None:
    arn = external["Arn"]
    current = import_material(kms, arn, os.urandom(32))["KeyMaterialId"]
    assert kms.delete_imported_key_material(KeyId=arn)["KeyMaterialId"] == current
    assert kms.delete_imported_key_material(KeyId=arn)["KeyMaterialId"] == current
    assert _meta(kms, arn)["KeyState"] == "PendingImport"


def test_material_expires_as_the_clock_passes_valid_to(kms: Any, kms_rotation: Any, external: dict[str, Any]) -> None:
    arn = external["Arn"]
    material = os.urandom(32)
    valid_to = kms_rotation.clock.now() + timedelta(days=10)
    import_material(kms, arn, material, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    meta = _meta(kms, arn)
    assert (meta["ExpirationModel"], meta["ValidTo"]) == ("KEY_MATERIAL_EXPIRES", valid_to)
    blob = kms.encrypt(KeyId=arn, Plaintext=b"x")["CiphertextBlob"]
    kms_rotation.clock.advance(days=9, hours=23)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    kms_rotation.clock.advance(hours=1)
    assert _raises(lambda: kms.decrypt(CiphertextBlob=blob)) == (
        "KMSInvalidStateException",
        f"{arn} is pending import.",
    )
    assert _meta(kms, arn)["KeyState"] == "PendingImport"
    import_material(kms, arn, material)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_imported_hmac_and_ecc_material_is_used(kms: Any) -> None:
    import hashlib
    import hmac

    mac_key = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    secret = os.urandom(32)
    import_material(kms, mac_key["KeyId"], secret)
    mac = kms.generate_mac(KeyId=mac_key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(secret, b"m", hashlib.sha256).digest()

    sign_key = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    import_material(kms, sign_key["KeyId"], der, "RSA_AES_KEY_WRAP_SHA_256")
    signature = kms.sign(KeyId=sign_key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    private.public_key().verify(signature, b"m", ec.ECDSA(hashes.SHA256()))

    wrong = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    other = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert _raises(lambda: import_material(kms, other["KeyId"], wrong, "RSA_AES_KEY_WRAP_SHA_256")) == (
        "IncorrectKeyMaterialException",
        "",
    )
