"""DryRun on every operation of botocore's model that has it (issue 15).

AWS answers DryRunOperationException "The request would have succeeded, but the DryRun option is
set." with HTTP 400 when the request would have succeeded; the same request without DryRun then
succeeds. The list of operations comes from the installed model, so a new one fails here first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests._model import has_operation
from tests.conftest import assert_matches_output_shape, error_of

MODEL = botocore.session.get_session().get_service_model("kms")
WITH_DRY_RUN = sorted(o for o in MODEL.operation_names
                      if "DryRun" in getattr(MODEL.operation_model(o).input_shape, "members", {}))
ROLE = "arn:aws:iam::111122223333:role/dry"


def _sym(kms: Any) -> str:
    return kms.create_key()["KeyMetadata"]["KeyId"]  # type: ignore[no-any-return]


def _key(kms: Any, spec: str, usage: str) -> str:
    return kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]  # type: ignore[no-any-return]


def _blob(kms: Any, key: str) -> bytes:
    return kms.encrypt(KeyId=key, Plaintext=b"p")["CiphertextBlob"]  # type: ignore[no-any-return]


def _peer() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _kem(kms: Any) -> tuple[str, bytes]:
    key = _key(kms, "ML_KEM_768", "ENCAPSULATE_DECAPSULATE")
    return key, kms.encapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM")["SharedSecretCiphertextBlob"]


def _grant(kms: Any) -> dict[str, Any]:
    key = _sym(kms)
    return {"KeyId": key, **kms.create_grant(KeyId=key, GranteePrincipal=ROLE, Operations=["Encrypt"])}


Builder = Callable[[Any], dict[str, Any]]
REQUESTS: dict[str, Builder] = {
    "CreateGrant": lambda kms: {"KeyId": _sym(kms), "GranteePrincipal": ROLE, "Operations": ["Decrypt"]},
    "Decapsulate": lambda kms: dict(zip(("KeyId", "SharedSecretCiphertextBlob"), _kem(kms), strict=True),
                                    EncapsulationAlgorithm="ML_KEM"),
    "Decrypt": lambda kms: {"CiphertextBlob": _blob(kms, _sym(kms))},
    "DeriveSharedSecret": lambda kms: {"KeyId": _key(kms, "ECC_NIST_P256", "KEY_AGREEMENT"),
                                       "KeyAgreementAlgorithm": "ECDH", "PublicKey": _peer()},
    "Encapsulate": lambda kms: {"KeyId": _kem(kms)[0], "EncapsulationAlgorithm": "ML_KEM"},
    "Encrypt": lambda kms: {"KeyId": _sym(kms), "Plaintext": b"p"},
    "GenerateDataKey": lambda kms: {"KeyId": _sym(kms), "KeySpec": "AES_256"},
    "GenerateDataKeyPair": lambda kms: {"KeyId": _sym(kms), "KeyPairSpec": "ECC_NIST_P256"},
    "GenerateDataKeyPairWithoutPlaintext": lambda kms: {"KeyId": _sym(kms), "KeyPairSpec": "ECC_NIST_P256"},
    "GenerateDataKeyWithoutPlaintext": lambda kms: {"KeyId": _sym(kms), "NumberOfBytes": 16},
    "GenerateMac": lambda kms: {"KeyId": _key(kms, "HMAC_256", "GENERATE_VERIFY_MAC"), "Message": b"m",
                                "MacAlgorithm": "HMAC_SHA_256"},
    "ReEncrypt": lambda kms: {"CiphertextBlob": _blob(kms, _sym(kms)), "DestinationKeyId": _sym(kms)},
    "RetireGrant": lambda kms: {"GrantToken": _grant(kms)["GrantToken"]},
    "RevokeGrant": lambda kms: {k: v for k, v in _grant(kms).items() if k in ("KeyId", "GrantId")},
    "Sign": lambda kms: {"KeyId": _key(kms, "ECC_NIST_P256", "SIGN_VERIFY"), "Message": b"m",
                         "SigningAlgorithm": "ECDSA_SHA_256"},
    "Verify": lambda kms: _signed(kms),
    "VerifyMac": lambda kms: _maced(kms),
}


def _signed(kms: Any) -> dict[str, Any]:
    params = REQUESTS["Sign"](kms)
    return {**params, "Signature": kms.sign(**params)["Signature"]}


def _maced(kms: Any) -> dict[str, Any]:
    params = REQUESTS["GenerateMac"](kms)
    return {**params, "Mac": kms.generate_mac(**params)["Mac"]}


def test_every_operation_with_dry_run_is_covered() -> None:
    assert sorted(op for op in REQUESTS if has_operation(op)) == WITH_DRY_RUN


@pytest.mark.parametrize("operation", WITH_DRY_RUN)
def test_dry_run_answers_as_aws_and_the_request_would_have_succeeded(kms: Any, operation: str) -> None:
    params = REQUESTS[operation](kms)
    method = getattr(kms, {api: py for py, api in kms.meta.method_to_api_mapping.items()}[operation])
    with pytest.raises(ClientError) as excinfo:
        method(**params, DryRun=True)
    assert error_of(excinfo) == ("DryRunOperationException",
                                 "The request would have succeeded, but the DryRun option is set.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert_matches_output_shape(operation, method(**params))  # nothing was used up by the dry run
