"""What each KMS key spec allows at CreateKey, and what DescribeKey shows for it.

Pure data plus two small functions: `check_create_key` decides a CreateKey request the way
AWS does (or refuses it with AWS's error code and message), and `algorithms_metadata` gives
the algorithm fields of KeyMetadata for a key.

Evidence tags used in the comments:

* OBS-LS   real AWS, recorded by localstack/localstack tests/aws/services/kms/test_kms.snapshot.json
           (``test_hmac_create_key_invalid_operations``, 2023-04-13; key metadata 2023-2024).
* OBS-SD   real AWS, captured by radkawar/stackd testdata/aws/kms/{ecc,rsa,hmac,mldsa,
           imports_families}.json (us-east-1, 2026-09-12).
* OBS-GH   real AWS output quoted in a GitHub issue (the issue is named where used).
* MODEL    botocore 1.44.5 KMS service model (CreateKey documentation; the enums are read at run time).
* 3P       another fake's text, believed copied from AWS but not seen in a recording.
* inferred no AWS text found; modelled on the nearest observed message.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from .enum_order import ModelEnums, aws_order

# The core knows no enum of botocore's model by heart: the installed model's value sets come in
# through `Engine.learn_enums` (the protocol reads them at run time) and `Catalog` narrows the
# facts below to them. What stays here is what only AWS knows: which specs allow which usages,
# algorithms and origins. Without a learned model (the core on its own) the facts are the catalog.
CUSTOM_KEY_STORE_ORIGINS: frozenset[str] = frozenset({"AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"})
_ALL_ORIGINS = ("AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE")

Family = Literal["SYMMETRIC", "RSA", "ECC", "HMAC", "SM2", "ML_DSA", "ML_KEM"]

_RSA_SIGNING = (
    # Order as DescribeKey lists them (OBS-SD rsa.json).
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
)
_AWS_KMS_OR_IMPORT = ("AWS_KMS", "EXTERNAL")


@dataclass(frozen=True)
class KeySpecInfo:
    """One KeySpec. Each algorithm tuple applies only to the key usage that owns it:

    encryption_algorithms to ENCRYPT_DECRYPT, signing_algorithms to SIGN_VERIFY,
    mac_algorithms to GENERATE_VERIFY_MAC, key_agreement_algorithms to KEY_AGREEMENT and
    encapsulation_algorithms to ENCAPSULATE_DECAPSULATE (KeyMetadata docs, MODEL).

    ``is_symmetric`` is true for HMAC keys too, as AWS calls them; a *symmetric encryption*
    key (the only kind that rotates) is ``is_symmetric_encryption``.
    """

    key_spec: str
    family: Family
    key_usages: tuple[str, ...]
    # None: AWS refuses an omitted KeyUsage for this spec instead of defaulting it.
    default_usage: str | None = None
    encryption_algorithms: tuple[str, ...] = ()
    signing_algorithms: tuple[str, ...] = ()
    mac_algorithms: tuple[str, ...] = ()
    key_agreement_algorithms: tuple[str, ...] = ()
    encapsulation_algorithms: tuple[str, ...] = ()
    origins: tuple[str, ...] = _AWS_KMS_OR_IMPORT
    # The deprecated CreateKey parameter CustomerMasterKeySpec takes only the pre-2024 specs (MODEL).
    legacy: bool = True
    china_regions_only: bool = False
    not_in_china_regions: bool = False
    is_symmetric: bool = field(init=False)
    is_hmac: bool = field(init=False)
    is_asymmetric: bool = field(init=False)

    def __post_init__(self) -> None:
        symmetric = self.family in ("SYMMETRIC", "HMAC")
        object.__setattr__(self, "is_symmetric", symmetric)
        object.__setattr__(self, "is_hmac", self.family == "HMAC")
        object.__setattr__(self, "is_asymmetric", not symmetric)

    @property
    def is_symmetric_encryption(self) -> bool:
        return self.family == "SYMMETRIC"

    @property
    def customer_master_key_spec(self) -> str:
        """KeyMetadata.CustomerMasterKeySpec: always equal to KeySpec.

        Real AWS echoes it even for specs the deprecated input enum lacks, e.g. ML_DSA_44 and
        ECC_NIST_EDWARDS25519 (OBS-SD mldsa.json, ecc.json); ML_KEM is inferred to do the same.
        """
        return self.key_spec


def _specs() -> dict[str, KeySpecInfo]:
    specs = [
        KeySpecInfo(
            "SYMMETRIC_DEFAULT",
            "SYMMETRIC",
            ("ENCRYPT_DECRYPT",),
            default_usage="ENCRYPT_DECRYPT",
            encryption_algorithms=("SYMMETRIC_DEFAULT",),
            # Custom key stores hold symmetric encryption keys only (MODEL, CreateKey Origin doc).
            origins=_ALL_ORIGINS,
        ),
        *(
            KeySpecInfo(
                f"HMAC_{bits}", "HMAC", ("GENERATE_VERIFY_MAC",), mac_algorithms=(f"HMAC_SHA_{bits}",)
            )
            for bits in (224, 256, 384, 512)
        ),
        *(
            KeySpecInfo(
                f"RSA_{bits}",
                "RSA",
                ("ENCRYPT_DECRYPT", "SIGN_VERIFY"),
                encryption_algorithms=("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"),
                signing_algorithms=_RSA_SIGNING,
            )
            for bits in (2048, 3072, 4096)
        ),
        *(
            KeySpecInfo(
                f"ECC_NIST_P{bits}",
                "ECC",
                ("SIGN_VERIFY", "KEY_AGREEMENT"),
                signing_algorithms=(f"ECDSA_SHA_{sha}",),
                key_agreement_algorithms=("ECDH",),
            )
            for bits, sha in ((256, 256), (384, 384), (521, 512))
        ),
        # secp256k1 signs only: no KEY_AGREEMENT (MODEL, CreateKey KeyUsage doc).
        KeySpecInfo("ECC_SECG_P256K1", "ECC", ("SIGN_VERIFY",), signing_algorithms=("ECDSA_SHA_256",)),
        KeySpecInfo(
            "ECC_NIST_EDWARDS25519",
            "ECC",
            ("SIGN_VERIFY",),
            # Order as DescribeKey lists them (OBS-SD ecc.json, imports_families.json).
            signing_algorithms=("ED25519_PH_SHA_512", "ED25519_SHA_512"),
            legacy=False,
        ),
        *(
            KeySpecInfo(
                f"ML_DSA_{level}",
                "ML_DSA",
                ("SIGN_VERIFY",),
                signing_algorithms=("ML_DSA_SHAKE_256",),
                # "KeySpec ML_DSA_44 is not supported for Origin EXTERNAL" (OBS-SD).
                origins=("AWS_KMS",),
                legacy=False,
            )
            for level in (44, 65, 87)
        ),
        *(
            KeySpecInfo(
                f"ML_KEM_{size}",
                "ML_KEM",
                ("ENCAPSULATE_DECAPSULATE",),
                encapsulation_algorithms=("ML_KEM",),
                # inferred: ImportKeyMaterial's list of importable key types omits ML-KEM (MODEL).
                origins=("AWS_KMS",),
                not_in_china_regions=True,
                legacy=False,
            )
            for size in (512, 768, 1024)
        ),
        KeySpecInfo(
            "SM2",
            "SM2",
            ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"),
            encryption_algorithms=("SM2PKE",),
            signing_algorithms=("SM2DSA",),
            key_agreement_algorithms=("ECDH",),
            # China Regions import symmetric key material only (developer guide, importing-keys).
            origins=("AWS_KMS",),
            china_regions_only=True,
        ),
    ]
    return {info.key_spec: info for info in specs}


# Every key spec the core has facts for. A key's own spec is always here (CreateKey made it).
KEY_SPECS: Mapping[str, KeySpecInfo] = MappingProxyType(_specs())

# The model's enum shape behind each KeySpecInfo attribute.
_ENUM_OF = {
    "key_usages": "KeyUsageType",
    "encryption_algorithms": "EncryptionAlgorithmSpec",
    "signing_algorithms": "SigningAlgorithmSpec",
    "mac_algorithms": "MacAlgorithmSpec",
    "key_agreement_algorithms": "KeyAgreementAlgorithmSpec",
    "encapsulation_algorithms": "EncapsulationAlgorithmSpec",
    "origins": "OriginType",
}


def _narrowed(info: KeySpecInfo, enums: ModelEnums) -> KeySpecInfo:
    """`info` with only the values the model has (an older model lacks newer usages, algorithms)."""
    changes: dict[str, Any] = {}
    for attribute, shape in _ENUM_OF.items():
        known = enums.get(shape)
        if known is not None:
            changes[attribute] = tuple(v for v in getattr(info, attribute) if v in known)
    if info.default_usage not in changes.get("key_usages", info.key_usages):
        changes["default_usage"] = None
    return replace(info, **changes)


def _union(attribute: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for info in KEY_SPECS.values() for v in getattr(info, attribute)))


@dataclass(frozen=True)
class Catalog:
    """What CreateKey accepts: the core's facts narrowed to the model's enums, in the model's order."""

    key_specs: Mapping[str, KeySpecInfo]
    customer_master_key_specs: tuple[str, ...]
    key_usages: tuple[str, ...]  # in the order AWS prints them (enum_order)
    origins: tuple[str, ...]


@functools.lru_cache(maxsize=16)
def catalog(enums: ModelEnums | None = None) -> Catalog:
    """The catalog for a model's enums; None: the core's own facts, with nothing narrowed."""
    if enums is None:
        return Catalog(
            KEY_SPECS,
            tuple(name for name, info in KEY_SPECS.items() if info.legacy),
            tuple(aws_order("KeyUsageType", _union("key_usages"))),
            _ALL_ORIGINS,
        )
    # A spec newer than the core's facts is left out: CreateKey answers it as an unknown value.
    specs = {name: _narrowed(KEY_SPECS[name], enums) for name in enums.get("KeySpec", ()) if name in KEY_SPECS}
    legacy = enums.get("CustomerMasterKeySpec")
    return Catalog(
        MappingProxyType(specs),
        tuple(legacy) if legacy is not None else tuple(name for name, info in specs.items() if info.legacy),
        tuple(aws_order("KeyUsageType", enums.get("KeyUsageType", _union("key_usages")))),
        tuple(enums.get("OriginType", _ALL_ORIGINS)),
    )


# DescribeKey field that carries each usage's algorithms.
_ALGORITHM_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "ENCRYPT_DECRYPT": "EncryptionAlgorithms",
        "SIGN_VERIFY": "SigningAlgorithms",
        "GENERATE_VERIFY_MAC": "MacAlgorithms",
        "KEY_AGREEMENT": "KeyAgreementAlgorithms",
        "ENCAPSULATE_DECAPSULATE": "EncapsulationAlgorithms",
    }
)


def algorithms_metadata(key_spec: str, key_usage: str, enums: ModelEnums | None = None) -> dict[str, list[str]]:
    """The algorithm fields KeyMetadata carries for this key: exactly one, for its usage.

    AWS shows only the field that matches the key usage, e.g. an RSA SIGN_VERIFY key has
    SigningAlgorithms and no EncryptionAlgorithms (OBS-SD rsa.json). Raises ValueError for a
    combination CreateKey would refuse. Only algorithms the model (`enums`) has are listed.
    """
    info = catalog(enums).key_specs.get(key_spec)
    if info is None or key_usage not in info.key_usages:
        raise ValueError(f"KeyUsage {key_usage} is not valid for KeySpec {key_spec}")
    algorithms = {
        "ENCRYPT_DECRYPT": info.encryption_algorithms,
        "SIGN_VERIFY": info.signing_algorithms,
        "GENERATE_VERIFY_MAC": info.mac_algorithms,
        "KEY_AGREEMENT": info.key_agreement_algorithms,
        "ENCAPSULATE_DECAPSULATE": info.encapsulation_algorithms,
    }[key_usage]
    return {_ALGORITHM_FIELDS[key_usage]: list(algorithms)}


@dataclass(frozen=True)
class CreateKeyDecision:
    """A CreateKey request AWS would accept, with its defaults filled in."""

    key_spec: str
    key_usage: str
    origin: str
    multi_region: bool

    @property
    def customer_master_key_spec(self) -> str:
        return self.key_spec


@dataclass(frozen=True)
class CreateKeyRefusal:
    """The error AWS answers a CreateKey request with (HTTP 400 for all of these)."""

    code: str
    message: str


# Refusal texts. Arguments are filled with str.format.
MSG_USAGE_REQUIRED = (
    # OBS-LS (HMAC_256, 2023) and OBS-SD (HMAC_*, ECC_NIST_P256, ML_DSA_44; 2026).
    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
)
# OBS-SD: "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_NIST_P256" and the
# ML_DSA_44 ENCRYPT_DECRYPT / KEY_AGREEMENT cases. Applied to every asymmetric and HMAC spec.
MSG_USAGE_INCOMPATIBLE = "KeyUsage {usage} is not compatible with KeySpec {spec}"
# OBS-GH aws/aws-sdk-go-v2#1426 (2021): CreateKey(KeyUsage=SIGN_VERIFY) with the default
# SYMMETRIC_DEFAULT spec. Other usages on SYMMETRIC_DEFAULT are inferred to read the same.
MSG_SYMMETRIC_USAGE = (
    "The operation failed because the KeyUsage value of the CMK is {usage}. "
    "To perform this operation, the KeyUsage value must be ENCRYPT_DECRYPT."
)
# 3P nsmithuk/local-kms (its other CreateKey texts match AWS recordings); not recorded.
MSG_BOTH_SPECS = (
    "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
    "CustomerMasterKeySpec is deprecated."
)
# OBS-SD for EXTERNAL with ML_DSA_*; inferred for every other origin/spec pair.
MSG_SPEC_ORIGIN = "KeySpec {spec} is not supported for Origin {origin}"
MSG_STORE_REQUIRED = "CustomKeyStoreId is required for Origin {origin}."  # inferred
MSG_STORE_NOT_ALLOWED = "CustomKeyStoreId is not valid for Origin {origin}."  # inferred
MSG_MULTI_REGION_STORE = "You cannot create a multi-Region key in a custom key store."  # inferred
# OBS-GH floci-io/floci#3026: real us-east-1 answer to CreateKey(KeySpec=SM2), as
# UnsupportedOperationException. The ML_KEM-in-China form is inferred from it.
MSG_SPEC_REGION = "KeySpec {spec} is not supported in this Region"


def _enum_error(value: str, member: str, allowed: tuple[str, ...]) -> str:
    # Wording is OBS-LS ("Value 'HMAC_random' at 'keySpec' ..."); AWS prints the set in its own
    # hash order, which changes as values are added, so the model order here is inferred.
    return (
        f"Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


def _validation_errors(errors: list[str]) -> CreateKeyRefusal:
    # Single error: OBS-LS. The plural joined form is AWS's usual one for several (inferred here).
    noun = "error" if len(errors) == 1 else "errors"
    return CreateKeyRefusal(
        "ValidationException", f"{len(errors)} validation {noun} detected: " + "; ".join(errors)
    )


def _validation(message: str) -> CreateKeyRefusal:
    return CreateKeyRefusal("ValidationException", message)


def check_create_key(
    key_spec: str | None,
    key_usage: str | None,
    customer_master_key_spec: str | None,
    origin: str | None,
    multi_region: bool,
    custom_key_store: bool,
    enums: ModelEnums | None = None,
) -> CreateKeyDecision | CreateKeyRefusal:
    """Decide CreateKey from its parameters (None = omitted; custom_key_store = CustomKeyStoreId sent).

    Checks run in this order: enum values, KeySpec with CustomerMasterKeySpec, KeyUsage
    against the spec, custom key store pairing, MultiRegion, origin against the spec. Only
    "enum first" is observed; the rest of the order is inferred. SM2 is accepted here even
    though AWS offers it in China Regions only: see `check_key_spec_region`. Enum values are
    checked against the installed model's sets (`enums`, learned by the engine), so a value an
    older model lacks is refused as AWS refuses any value outside its set.
    """
    known = catalog(enums)
    enum_errors = [
        _enum_error(value, member, allowed)
        for value, member, allowed in (
            (key_spec, "keySpec", tuple(known.key_specs)),
            (customer_master_key_spec, "customerMasterKeySpec", known.customer_master_key_specs),
            (key_usage, "keyUsage", known.key_usages),
            (origin, "origin", known.origins),
        )
        if value is not None and value not in allowed
    ]
    if enum_errors:
        return _validation_errors(enum_errors)
    if key_spec is not None and customer_master_key_spec is not None:
        return _validation(MSG_BOTH_SPECS)

    spec = key_spec or customer_master_key_spec or "SYMMETRIC_DEFAULT"
    info = known.key_specs.get(spec)
    if info is None:  # a legacy spec the model's KeySpec enum lacks: not seen in any model (inferred)
        return _validation_errors([_enum_error(spec, "keySpec", tuple(known.key_specs))])
    usage = key_usage or info.default_usage
    if usage is None:
        return _validation(MSG_USAGE_REQUIRED)
    if usage not in info.key_usages:
        template = MSG_SYMMETRIC_USAGE if info.is_symmetric_encryption else MSG_USAGE_INCOMPATIBLE
        return _validation(template.format(usage=usage, spec=spec))

    resolved_origin = origin or "AWS_KMS"
    in_store = resolved_origin in CUSTOM_KEY_STORE_ORIGINS
    if in_store and not custom_key_store:
        return _validation(MSG_STORE_REQUIRED.format(origin=resolved_origin))
    if custom_key_store and not in_store:
        return _validation(MSG_STORE_NOT_ALLOWED.format(origin=resolved_origin))
    if multi_region and in_store:
        # inferred code: the model lists UnsupportedOperationException for "not supported" cases.
        return CreateKeyRefusal("UnsupportedOperationException", MSG_MULTI_REGION_STORE)
    if resolved_origin not in info.origins:
        return _validation(MSG_SPEC_ORIGIN.format(spec=spec, origin=resolved_origin))
    return CreateKeyDecision(spec, usage, resolved_origin, multi_region)


def is_china_region(region: str) -> bool:
    return region.startswith("cn-")


def check_key_spec_region(key_spec: str, region: str) -> CreateKeyRefusal | None:
    """The refusal for a spec AWS does not offer in this region (SM2 outside China, ML-KEM in it)."""
    info = KEY_SPECS[key_spec]
    china = is_china_region(region)
    if (info.china_regions_only and not china) or (info.not_in_china_regions and china):
        return CreateKeyRefusal("UnsupportedOperationException", MSG_SPEC_REGION.format(spec=key_spec))
    return None
