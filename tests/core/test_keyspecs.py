"""Key spec rules: the table against botocore's model, every spec/usage pair, every refusal text."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from pytest_kmsrotate._core import keyspecs
from pytest_kmsrotate._core.enum_order import ModelEnums, aws_order
from pytest_kmsrotate._core.keyspecs import (
    KEY_SPECS,
    CreateKeyDecision,
    CreateKeyRefusal,
    algorithms_metadata,
    catalog,
    check_create_key,
    check_key_spec_region,
)
from pytest_kmsrotate._protocol.service_model import model_enums
from tests._model import modelled, requires_model

# The installed model's enums, as the protocol hands them to the engine.
ENUMS = ModelEnums(model_enums())
KEY_USAGES = ("SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT", "ENCAPSULATE_DECAPSULATE")

# Written out by hand from the CreateKey KeyUsage documentation, not derived from the module.
EXPECTED_USAGES: dict[str, set[str]] = {
    "SYMMETRIC_DEFAULT": {"ENCRYPT_DECRYPT"},
    **{f"HMAC_{n}": {"GENERATE_VERIFY_MAC"} for n in (224, 256, 384, 512)},
    **{f"RSA_{n}": {"ENCRYPT_DECRYPT", "SIGN_VERIFY"} for n in (2048, 3072, 4096)},
    **{f"ECC_NIST_P{n}": {"SIGN_VERIFY", "KEY_AGREEMENT"} for n in (256, 384, 521)},
    "ECC_SECG_P256K1": {"SIGN_VERIFY"},
    "ECC_NIST_EDWARDS25519": {"SIGN_VERIFY"},
    **{f"ML_DSA_{n}": {"SIGN_VERIFY"} for n in (44, 65, 87)},
    **{f"ML_KEM_{n}": {"ENCAPSULATE_DECAPSULATE"} for n in (512, 768, 1024)},
    "SM2": {"ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"},
}

RSA_SIGNING = [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
]

# KeyMetadata algorithm fields as real AWS returned them (stackd captures, localstack snapshots),
# plus the documented ones for SM2 and ML-KEM.
EXPECTED_METADATA: dict[tuple[str, str], dict[str, list[str]]] = {
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"): {"EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]},
    **{
        (f"HMAC_{n}", "GENERATE_VERIFY_MAC"): {"MacAlgorithms": [f"HMAC_SHA_{n}"]}
        for n in (224, 256, 384, 512)
    },
    **{
        (f"RSA_{n}", "ENCRYPT_DECRYPT"): {"EncryptionAlgorithms": ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]}
        for n in (2048, 3072, 4096)
    },
    **{(f"RSA_{n}", "SIGN_VERIFY"): {"SigningAlgorithms": RSA_SIGNING} for n in (2048, 3072, 4096)},
    ("ECC_NIST_P256", "SIGN_VERIFY"): {"SigningAlgorithms": ["ECDSA_SHA_256"]},
    ("ECC_NIST_P384", "SIGN_VERIFY"): {"SigningAlgorithms": ["ECDSA_SHA_384"]},
    ("ECC_NIST_P521", "SIGN_VERIFY"): {"SigningAlgorithms": ["ECDSA_SHA_512"]},
    **{(f"ECC_NIST_P{n}", "KEY_AGREEMENT"): {"KeyAgreementAlgorithms": ["ECDH"]} for n in (256, 384, 521)},
    ("ECC_SECG_P256K1", "SIGN_VERIFY"): {"SigningAlgorithms": ["ECDSA_SHA_256"]},
    ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY"): {
        "SigningAlgorithms": ["ED25519_PH_SHA_512", "ED25519_SHA_512"]
    },
    **{(f"ML_DSA_{n}", "SIGN_VERIFY"): {"SigningAlgorithms": ["ML_DSA_SHAKE_256"]} for n in (44, 65, 87)},
    **{
        (f"ML_KEM_{n}", "ENCAPSULATE_DECAPSULATE"): {"EncapsulationAlgorithms": ["ML_KEM"]}
        for n in (512, 768, 1024)
    },
    ("SM2", "ENCRYPT_DECRYPT"): {"EncryptionAlgorithms": ["SM2PKE"]},
    ("SM2", "SIGN_VERIFY"): {"SigningAlgorithms": ["SM2DSA"]},
    ("SM2", "KEY_AGREEMENT"): {"KeyAgreementAlgorithms": ["ECDH"]},
}

USAGE_REQUIRED = "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."


@pytest.fixture(scope="module")
def model() -> Any:
    return botocore.session.get_session().get_service_model("kms")


def enum(model: Any, shape: str) -> set[str]:
    return set(model.shape_for(shape).enum)


def create(
    key_spec: str | None = None,
    key_usage: str | None = None,
    customer_master_key_spec: str | None = None,
    origin: str | None = None,
    multi_region: bool = False,
    custom_key_store: bool = False,
) -> CreateKeyDecision | CreateKeyRefusal:
    return check_create_key(
        key_spec, key_usage, customer_master_key_spec, origin, multi_region, custom_key_store, ENUMS
    )


def refusal(code: str, message: str) -> CreateKeyRefusal:
    return CreateKeyRefusal(code, message)


# --- the table against botocore's model ---------------------------------------------------


def test_every_model_key_spec_is_described(model: Any) -> None:
    assert enum(model, "KeySpec") <= set(KEY_SPECS) == set(EXPECTED_USAGES)


@requires_model("KeySpec", "ML_KEM_1024", "ML_DSA_87", "ECC_NIST_EDWARDS25519")
def test_the_newest_model_has_every_key_spec_described(model: Any) -> None:
    assert enum(model, "KeySpec") == set(KEY_SPECS)


def test_the_catalog_lists_the_models_values_in_its_order(model: Any) -> None:
    known = catalog(ENUMS)
    assert list(known.key_specs) == model.shape_for("KeySpec").enum
    assert list(known.key_usages) == aws_order("KeyUsageType", model.shape_for("KeyUsageType").enum)
    assert list(known.origins) == model.shape_for("OriginType").enum
    assert list(known.customer_master_key_specs) == model.shape_for("CustomerMasterKeySpec").enum


def test_the_catalog_offers_only_values_the_model_has(model: Any) -> None:
    by_shape = {"key_usages": "KeyUsageType", "origins": "OriginType", "signing_algorithms": "SigningAlgorithmSpec",
                "encryption_algorithms": "EncryptionAlgorithmSpec", "mac_algorithms": "MacAlgorithmSpec",
                "key_agreement_algorithms": "KeyAgreementAlgorithmSpec"}
    for info in catalog(ENUMS).key_specs.values():
        for attribute, shape in by_shape.items():
            assert set(getattr(info, attribute)) <= enum(model, shape), (info.key_spec, attribute)


# botocore 1.38.31's enums (the declared minimum), written out: what an older model narrows away.
OLD_ENUMS = ModelEnums({
    "KeySpec": ["RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
                "ECC_SECG_P256K1", "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2"],
    "KeyUsageType": ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"],
    "OriginType": ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"],
})


def test_an_older_models_enums_refuse_what_it_lacks_as_aws_refuses_unknown_values() -> None:
    old_specs = ", ".join(OLD_ENUMS["KeySpec"])
    result = check_create_key("ML_KEM_768", "ENCAPSULATE_DECAPSULATE", None, None, False, False, OLD_ENUMS)
    assert result == refusal(
        "ValidationException",
        "2 validation errors detected: "
        f"Value 'ML_KEM_768' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: "
        f"[{old_specs}]; Value 'ENCAPSULATE_DECAPSULATE' at 'keyUsage' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT]",
    )
    assert check_create_key("RSA_2048", "SIGN_VERIFY", None, None, False, False, OLD_ENUMS) == CreateKeyDecision(
        "RSA_2048", "SIGN_VERIFY", "AWS_KMS", False)
    # Without CustomerMasterKeySpec in the enums, the legacy specs of the narrowed catalog stand in.
    assert catalog(OLD_ENUMS).customer_master_key_specs == tuple(OLD_ENUMS["KeySpec"])


def test_every_value_used_exists_in_the_newest_model(model: Any) -> None:
    by_shape = {
        "encryption_algorithms": "EncryptionAlgorithmSpec",
        "signing_algorithms": "SigningAlgorithmSpec",
        "mac_algorithms": "MacAlgorithmSpec",
        "key_agreement_algorithms": "KeyAgreementAlgorithmSpec",
        "encapsulation_algorithms": "EncapsulationAlgorithmSpec",
    }
    for info in KEY_SPECS.values():
        if info.key_spec not in enum(model, "KeySpec"):  # an older model: the catalog leaves it out
            continue
        assert set(info.key_usages) <= enum(model, "KeyUsageType")
        assert set(info.origins) <= enum(model, "OriginType")
        for attribute, shape in by_shape.items():
            if shape in model.shape_names:
                assert set(getattr(info, attribute)) <= enum(model, shape), (info.key_spec, attribute)


def test_metadata_field_names_exist_on_key_metadata(model: Any) -> None:
    members = set(model.shape_for("KeyMetadata").members)
    for spec, usage in EXPECTED_METADATA:
        if spec not in enum(model, "KeySpec"):
            continue
        assert set(algorithms_metadata(spec, usage)) <= members


def test_every_model_signing_and_encryption_algorithm_is_offered_by_some_spec(model: Any) -> None:
    specs = catalog(ENUMS).key_specs.values()
    offered_signing = {a for i in specs for a in i.signing_algorithms}
    offered_encryption = {a for i in specs for a in i.encryption_algorithms}
    offered_mac = {a for i in specs for a in i.mac_algorithms}
    assert offered_signing == enum(model, "SigningAlgorithmSpec")
    assert offered_encryption == enum(model, "EncryptionAlgorithmSpec")
    assert offered_mac == enum(model, "MacAlgorithmSpec")


# --- every spec x usage -------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "usage"), [
    pytest.param(spec, usage, marks=[requires_model("KeySpec", spec), requires_model("KeyUsageType", usage)])
    for spec, usage in itertools.product(sorted(EXPECTED_USAGES), KEY_USAGES)])
def test_spec_usage_pair(spec: str, usage: str) -> None:
    result = create(spec, usage)
    if usage in EXPECTED_USAGES[spec]:
        assert result == CreateKeyDecision(spec, usage, "AWS_KMS", False)
        assert algorithms_metadata(spec, usage) == EXPECTED_METADATA[(spec, usage)]
    elif spec == "SYMMETRIC_DEFAULT":
        assert result == refusal(
            "ValidationException",
            f"The operation failed because the KeyUsage value of the CMK is {usage}. "
            "To perform this operation, the KeyUsage value must be ENCRYPT_DECRYPT.",
        )
    else:
        assert result == refusal(
            "ValidationException", f"KeyUsage {usage} is not compatible with KeySpec {spec}"
        )


@pytest.mark.parametrize(("spec", "usage"), sorted(EXPECTED_METADATA))
def test_info_agrees_with_the_expected_usages(spec: str, usage: str) -> None:
    assert usage in KEY_SPECS[spec].key_usages
    assert set(KEY_SPECS[spec].key_usages) == EXPECTED_USAGES[spec]


@pytest.mark.parametrize(("spec", "usage"), [("RSA_2048", "KEY_AGREEMENT"), ("HMAC_256", "SIGN_VERIFY")])
def test_algorithms_metadata_rejects_impossible_keys(spec: str, usage: str) -> None:
    with pytest.raises(ValueError):
        algorithms_metadata(spec, usage)


def test_algorithms_metadata_returns_fresh_lists() -> None:
    first = algorithms_metadata("RSA_2048", "SIGN_VERIFY")
    first["SigningAlgorithms"].clear()
    assert algorithms_metadata("RSA_2048", "SIGN_VERIFY")["SigningAlgorithms"] == RSA_SIGNING


# --- defaults -----------------------------------------------------------------------------


def test_no_parameters_make_a_symmetric_encryption_key() -> None:
    assert create() == CreateKeyDecision("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "AWS_KMS", False)


@pytest.mark.parametrize("spec", modelled("KeySpec", sorted(set(EXPECTED_USAGES) - {"SYMMETRIC_DEFAULT"})))
def test_only_symmetric_default_defaults_its_usage(spec: str) -> None:
    assert KEY_SPECS[spec].default_usage is None
    assert create(spec) == refusal("ValidationException", USAGE_REQUIRED)


def test_customer_master_key_spec_alone_acts_as_key_spec() -> None:
    assert create(None, "SIGN_VERIFY", "ECC_NIST_P384") == CreateKeyDecision(
        "ECC_NIST_P384", "SIGN_VERIFY", "AWS_KMS", False
    )


@pytest.mark.parametrize("spec", sorted(EXPECTED_USAGES))
def test_customer_master_key_spec_is_echoed_for_every_spec(spec: str) -> None:
    # Real AWS echoes it for ML_DSA_44 and ECC_NIST_EDWARDS25519 too.
    assert KEY_SPECS[spec].customer_master_key_spec == spec


def test_flags_and_families() -> None:
    assert KEY_SPECS["SYMMETRIC_DEFAULT"].is_symmetric_encryption
    hmac = KEY_SPECS["HMAC_256"]
    assert (hmac.family, hmac.is_symmetric, hmac.is_hmac, hmac.is_asymmetric) == ("HMAC", True, True, False)
    assert not hmac.is_symmetric_encryption
    rsa = KEY_SPECS["RSA_4096"]
    assert (rsa.family, rsa.is_symmetric, rsa.is_hmac, rsa.is_asymmetric) == ("RSA", False, False, True)
    assert KEY_SPECS["ECC_NIST_EDWARDS25519"].family == "ECC"
    assert KEY_SPECS["ML_DSA_65"].family == "ML_DSA"
    assert KEY_SPECS["SM2"].family == "SM2"


# --- refusals -----------------------------------------------------------------------------


def test_key_spec_and_customer_master_key_spec_together() -> None:
    assert create("RSA_2048", "ENCRYPT_DECRYPT", "RSA_2048") == refusal(
        "ValidationException",
        "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
        "CustomerMasterKeySpec is deprecated.",
    )


def test_unknown_key_spec_is_an_enum_error() -> None:
    result = create("HMAC_random")
    assert isinstance(result, CreateKeyRefusal)
    assert result.code == "ValidationException"
    assert result.message.startswith(
        "1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: "
        "Member must satisfy enum value set: ["
    )


@requires_model("KeyUsageType", "ENCAPSULATE_DECAPSULATE")
def test_unknown_key_usage_is_an_enum_error() -> None:
    # AWS's recorded order for the first three (issue 15, deviation 8); the newer two follow.
    assert create("HMAC_256", "RANDOM") == refusal(
        "ValidationException",
        "1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy constraint: "
        "Member must satisfy enum value set: "
        "[ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT, ENCAPSULATE_DECAPSULATE]",
    )


@requires_model("KeySpec", "ML_DSA_44")
def test_new_specs_are_not_valid_customer_master_key_specs() -> None:
    result = create(None, "SIGN_VERIFY", "ML_DSA_44")
    assert isinstance(result, CreateKeyRefusal)
    assert "Value 'ML_DSA_44' at 'customerMasterKeySpec'" in result.message


def test_several_enum_errors_are_reported_together() -> None:
    result = create("NOPE", "ALSO_NOPE", origin="NOWHERE")
    assert isinstance(result, CreateKeyRefusal)
    assert result.message.startswith("3 validation errors detected: Value 'NOPE' at 'keySpec'")
    assert "; Value 'ALSO_NOPE' at 'keyUsage'" in result.message
    assert "; Value 'NOWHERE' at 'origin' failed to satisfy constraint: " in result.message


@pytest.mark.parametrize("spec", modelled("KeySpec", ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ML_KEM_768", "SM2"]))
def test_specs_that_cannot_import(spec: str) -> None:
    usage = sorted(EXPECTED_USAGES[spec])[0]
    assert create(spec, usage, origin="EXTERNAL") == refusal(
        "ValidationException", f"KeySpec {spec} is not supported for Origin EXTERNAL"
    )


@pytest.mark.parametrize(
    ("spec", "usage"),
    [
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
        ("HMAC_224", "GENERATE_VERIFY_MAC"),
        ("RSA_3072", "ENCRYPT_DECRYPT"),
        ("RSA_3072", "SIGN_VERIFY"),
        ("ECC_NIST_P256", "KEY_AGREEMENT"),
        ("ECC_SECG_P256K1", "SIGN_VERIFY"),
        pytest.param("ECC_NIST_EDWARDS25519", "SIGN_VERIFY", marks=requires_model("KeySpec", "ECC_NIST_EDWARDS25519")),
    ],
)
@pytest.mark.parametrize("multi_region", [False, True])
def test_specs_that_can_import(spec: str, usage: str, multi_region: bool) -> None:
    assert create(spec, usage, origin="EXTERNAL", multi_region=multi_region) == CreateKeyDecision(
        spec, usage, "EXTERNAL", multi_region
    )


@pytest.mark.parametrize("origin", ["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"])
def test_custom_key_stores_hold_symmetric_encryption_keys_only(origin: str) -> None:
    assert create(origin=origin, custom_key_store=True) == CreateKeyDecision(
        "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", origin, False
    )
    assert create("HMAC_256", "GENERATE_VERIFY_MAC", origin=origin, custom_key_store=True) == refusal(
        "ValidationException", f"KeySpec HMAC_256 is not supported for Origin {origin}"
    )


@pytest.mark.parametrize("origin", ["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"])
def test_custom_key_store_origin_needs_a_store(origin: str) -> None:
    assert create(origin=origin) == refusal(
        "ValidationException", f"CustomKeyStoreId is required for Origin {origin}."
    )


@pytest.mark.parametrize(
    ("origin", "shown"), [(None, "AWS_KMS"), ("AWS_KMS", "AWS_KMS"), ("EXTERNAL", "EXTERNAL")]
)
def test_store_needs_a_custom_key_store_origin(origin: str | None, shown: str) -> None:
    assert create(origin=origin, custom_key_store=True) == refusal(
        "ValidationException", f"CustomKeyStoreId is not valid for Origin {shown}."
    )


@pytest.mark.parametrize("origin", ["AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"])
def test_no_multi_region_keys_in_custom_key_stores(origin: str) -> None:
    assert create(origin=origin, multi_region=True, custom_key_store=True) == refusal(
        "UnsupportedOperationException", "You cannot create a multi-Region key in a custom key store."
    )


@pytest.mark.parametrize("spec", modelled("KeySpec", ["SYMMETRIC_DEFAULT", "HMAC_512", "RSA_2048", "ML_DSA_44", "SM2"]))
def test_multi_region_is_allowed_for_every_aws_kms_key(spec: str) -> None:
    usage = sorted(EXPECTED_USAGES[spec])[-1]
    assert create(spec, usage, multi_region=True) == CreateKeyDecision(spec, usage, "AWS_KMS", True)


@requires_model("KeySpec", "ML_DSA_44")
def test_usage_is_checked_before_origin() -> None:
    assert create("ML_DSA_44", "ENCRYPT_DECRYPT", origin="EXTERNAL") == refusal(
        "ValidationException", "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ML_DSA_44"
    )


# --- regions ------------------------------------------------------------------------------


def test_sm2_is_china_only_and_ml_kem_is_not_in_china() -> None:
    assert check_key_spec_region("SM2", "cn-north-1") is None
    assert check_key_spec_region("SM2", "us-east-1") == refusal(
        "UnsupportedOperationException", "KeySpec SM2 is not supported in this Region"
    )
    assert check_key_spec_region("ML_KEM_512", "us-east-1") is None
    assert check_key_spec_region("ML_KEM_512", "cn-northwest-1") == refusal(
        "UnsupportedOperationException", "KeySpec ML_KEM_512 is not supported in this Region"
    )
    assert check_key_spec_region("RSA_2048", "cn-north-1") is None


# --- purity -------------------------------------------------------------------------------


def test_module_uses_the_standard_library_only() -> None:
    tree = ast.parse(Path(keyspecs.__file__).read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])
    }
    assert imported <= {"__future__", "collections", "dataclasses", "functools", "types", "typing", "enum_order"}
