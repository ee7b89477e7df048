"""Fuzzing every implemented operation through a real boto3 client (issue 7, reliability 2).

Parameters are drawn from botocore's own input shapes: values at and just past every length and
range limit, non-ASCII text, bogus enum values, and for the members that carry state (key
references, markers, ciphertexts, import tokens, signatures) real values from the fake mixed with
forged, truncated and bit-flipped ones. A client built with `parameter_validation=False` also
sends what botocore would refuse: values below `min`, missing required members, wrong types.

Whatever is sent, the answer is a success that validates against the output shape, or a
ClientError whose code the model lists for the operation (or one of the codes any AWS JSON
service may send), never an exception raised inside the plugin; and after every example a fresh
key still encrypts, decrypts and lists. Runs are bounded (25 examples per operation) and
derandomized, so CI sees the same examples every time.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, ParamValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_kmsrotate import KmsRotation, NotImplementedByFake
from pytest_kmsrotate._core.engine import Engine
from tests._key_stores import cloudhsm_params, connected_store
from tests._model import has_operation, has_value, requires_member, requires_operation
from tests.conftest import assert_matches_output_shape, error_of
from tests.test_import_material import wrap

MODEL = botocore.session.get_session().get_service_model("kms")
OPERATIONS = [pytest.param(op, marks=requires_operation(op)) for op in sorted(Engine().operations)]
ACCOUNT, REGION, OTHER_REGION = "111122223333", "us-east-1", "us-west-2"
# Codes any AWS JSON service answers with besides the ones an operation's model lists.
ALWAYS_ALLOWED = frozenset({"ValidationException", "AccessDeniedException", "SerializationException"})
# Unmodeled codes the fake sends on purpose, each documented in docs/fidelity.md.
DOCUMENTED_EXTRA_CODES = {
    # `alias/aws/...` is reserved: NotAuthorizedException with no message (3P local-kms, moto).
    "CreateAlias": {"NotAuthorizedException"},
    "UpdateAlias": {"NotAuthorizedException"},
    "DeleteAlias": {"NotAuthorizedException"},
}
# Documented gaps (docs/fidelity.md): the fake refuses these with NotImplementedByFake rather than
# answer wrongly. Each entry is what NotImplementedByFake.operation says for the gap.
DOCUMENTED_GAPS = frozenset(
    {f"{op} with Recipient" for op in ("Decrypt", "GenerateDataKey", "GenerateRandom")}
    | {"SM2PKE encryption"}
    | {f"{op} with {alg}" for op in ("Sign", "Verify") for alg in ("SM2DSA",)}
    # cryptography 50 has ML-DSA and ML-KEM-768/1024 but no ML-KEM-512.
    | {f"GetPublicKey for {spec}" for spec in ("SM2", "ML_KEM_512")}
    | {"GenerateDataKeyPair with Recipient", "DeriveSharedSecret with Recipient", "DeriveSharedSecret for SM2"}
    | {f"{op} for ML_KEM_512" for op in ("Encapsulate", "Decapsulate")}
    | {f"{op} for {spec}" for op in ("GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext")
       for spec in ("SM2", "ML_KEM_512")}
)
# Members that lead to a documented gap; plausible requests leave them out to reach the real logic.
GAP_MEMBERS = frozenset({"Recipient"})
# Optional in the model only for DryRun's sake; plausible requests always send them.
PLAUSIBLY_REQUIRED = frozenset({"CiphertextBlob"})
GRANTEE = f"arn:aws:iam::{ACCOUNT}:role/fuzz"
NO_RETRIES = {"retries": {"total_max_attempts": 1, "mode": "standard"}}
MAX_TEXT = 40  # generated free text stays short; the limits themselves are drawn separately
NON_ASCII = "é\u00ff\u0100\u2603\U0001f511\u200b\x00\x7f"
TEXT_ALPHABET = st.sampled_from(string.ascii_letters + string.digits + ":/_-. " + NON_ASCII)
TEXT = st.text(alphabet=TEXT_ALPHABET, max_size=MAX_TEXT)


@dataclass
class World:
    """Real values from the fake that fuzzed members draw from, alongside forged ones."""

    key_refs: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    ciphertexts: list[bytes] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    tokens: list[bytes] = field(default_factory=list)
    wrapped: list[bytes] = field(default_factory=list)
    material_ids: list[str] = field(default_factory=list)
    signatures: list[bytes] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    grant_tokens: list[str] = field(default_factory=list)
    grant_ids: list[str] = field(default_factory=list)
    public_keys: list[bytes] = field(default_factory=list)
    stores: list[str] = field(default_factory=list)
    encapsulated: list[bytes] = field(default_factory=list)

    def __repr__(self) -> str:  # hypothesis prints the strategy's arguments on failure
        return f"<World of {len(self.key_refs)} key references>"


def _arn(key_id: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def _forged_blobs(blob: bytes) -> list[bytes]:
    flipped = bytearray(blob)
    flipped[len(flipped) // 2] ^= 0x01
    return [blob, blob[:-1], blob[: len(blob) // 2], blob[:8], bytes(flipped), blob + b"\x00", blob[1:]]


def _forged_markers(marker: str) -> list[str]:
    return [marker, marker[:-1], marker + "A", marker[::-1], "é" + marker[1:], marker.upper()]


def build_world(kms: Any) -> World:
    world = World()
    sym = kms.create_key(Description="fuzz")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=sym["KeyId"], RotationPeriodInDays=90)
    kms.rotate_key_on_demand(KeyId=sym["KeyId"])
    kms.create_alias(AliasName="alias/fuzz", TargetKeyId=sym["KeyId"])
    kms.create_alias(AliasName="alias/fuzz-2", TargetKeyId=sym["KeyId"])
    kms.tag_resource(KeyId=sym["KeyId"], Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(3)])
    disabled = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=disabled["KeyId"])
    hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    ecc = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    replica = kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion=OTHER_REGION)["ReplicaKeyMetadata"]
    doomed = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    hsm = connected_store(kms)
    xks = connected_store(kms, "EXTERNAL_KEY_STORE")
    idle = kms.create_custom_key_store(**cloudhsm_params(name="idle", cluster="cluster-765432abcdefg"))
    world.stores = [hsm, xks, idle["CustomKeyStoreId"], "cks-234567abcdef23456", "cks-1", "é"]
    kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=hsm)
    world.markers += _forged_markers(kms.describe_custom_key_stores(Limit=1)["NextMarker"])
    agreeing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    # An older model has no ML-KEM key spec and no Encapsulate: its world has no encapsulating key.
    kem = (kms.create_key(KeySpec="ML_KEM_768", KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]
           if has_value("KeySpec", "ML_KEM_768") and has_operation("Encapsulate") else None)
    world.public_keys = _forged_blobs(kms.get_public_key(KeyId=agreeing["KeyId"])["PublicKey"]) + _forged_blobs(
        kms.get_public_key(KeyId=ecc["KeyId"])["PublicKey"])
    if kem is not None:
        world.encapsulated = _forged_blobs(
            kms.encapsulate(KeyId=kem["KeyId"], EncapsulationAlgorithm="ML_KEM")["SharedSecretCiphertextBlob"])

    for meta in (sym, disabled, hmac, ecc, rsa, external, primary, doomed, agreeing, *([kem] if kem else [])):
        world.key_refs += [meta["KeyId"], meta["Arn"]]
    world.key_refs += [
        replica["Arn"], "alias/fuzz", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/fuzz", "alias/aws/s3",
        str(uuid.UUID(int=7)), _arn(str(uuid.UUID(int=7))), "mrk-" + "0" * 32, _arn(sym["KeyId"], OTHER_REGION),
        _arn(sym["KeyId"], account="999999999999"), "alias/missing", "fake-key-id", sym["KeyId"].upper(),
    ]
    world.aliases = ["alias/fuzz", "alias/aws/s3", "alias/aws/fuzz", "alias/new", "alias/", "fuzz", "alias/é",
                     "alias/" + "a" * 250, "alias/" + "a" * 251, "arn:aws:kms:us-east-1:111122223333:alias/fuzz"]

    for context in (None, {"purpose": "fuzz", "é": "\u2603"}):
        extra = {"EncryptionContext": context} if context else {}
        world.ciphertexts += _forged_blobs(kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"p", **extra)["CiphertextBlob"])
    world.ciphertexts += _forged_blobs(
        kms.encrypt(KeyId=rsa["KeyId"], Plaintext=b"p", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"])
    world.ciphertexts += [b"\x00", b"AQICAHg" + bytes(64), bytes(6144), bytes(6145)]

    for marker in (
        kms.list_keys(Limit=1).get("NextMarker"),
        kms.list_aliases(Limit=1).get("NextMarker"),
        kms.list_key_rotations(KeyId=sym["KeyId"], Limit=1, IncludeKeyMaterial="ALL_KEY_MATERIAL").get("NextMarker"),
        kms.list_resource_tags(KeyId=sym["KeyId"], Limit=1).get("NextMarker"),
    ):
        assert marker, "every list above has a second page, so its marker is real"
        world.markers += _forged_markers(marker)
    world.markers += ["é", "\u2603", "a" * 1024, "a" * 1025, " "]

    params = kms.get_parameters_for_import(KeyId=external["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    world.tokens = [*_forged_blobs(params["ImportToken"]), bytes(6145)]
    world.wrapped = _forged_blobs(wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", bytes(range(32))))
    rotations = kms.list_key_rotations(KeyId=sym["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    world.material_ids = [r["KeyMaterialId"] for r in rotations] + ["0" * 64, "A" * 64, "0" * 63, "0" * 65, "g" * 64]
    signature = kms.sign(KeyId=ecc["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    mac = kms.generate_mac(KeyId=hmac["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    world.signatures = _forged_blobs(signature) + _forged_blobs(mac)
    grant = kms.create_grant(KeyId=sym["KeyId"], GranteePrincipal=GRANTEE, RetiringPrincipal=GRANTEE,
                             Operations=["Encrypt", "Decrypt"], Name="fuzz")
    world.grant_tokens = [grant["GrantToken"], grant["GrantToken"][:-1], grant["GrantToken"][::-1], "AQpA", "é"]
    world.grant_ids = [grant["GrantId"], "0" * 64, grant["GrantId"][:-1], grant["GrantId"].upper(), "é"]
    kms.create_grant(KeyId=sym["KeyId"], GranteePrincipal=GRANTEE, Operations=["Encrypt"])
    world.markers += _forged_markers(kms.list_grants(KeyId=sym["KeyId"], Limit=1)["NextMarker"])
    policy = kms.get_key_policy(KeyId=sym["KeyId"], PolicyName="default")["Policy"]
    world.policies = [policy, "{}", "not json", '{"Version": "2012-10-17", "Statement": []}', policy[:-1],
                      "é" * 10, "a" * 131073]
    return world


# -- strategies from botocore's shapes ---------------------------------------------------------


def _limits(shape: Any) -> tuple[int | None, int | None]:
    return shape.metadata.get("min"), shape.metadata.get("max")


def _lengths(shape: Any) -> list[int]:
    """Lengths at and just past the shape's limits."""
    low, high = _limits(shape)
    lengths = {0, 1}
    if low is not None:
        lengths |= {low, max(low - 1, 0)}
    if high is not None:
        lengths |= {high, high + 1}
    return sorted(lengths)


def _string(shape: Any, plausible: bool) -> st.SearchStrategy[Any]:
    if shape.enum:
        return st.sampled_from(shape.enum if plausible else [*shape.enum, "BOGUS", shape.enum[0].lower(), "", "é"])
    low, high = _limits(shape)
    within = st.text(alphabet=TEXT_ALPHABET, min_size=low or 0, max_size=max(min(high or MAX_TEXT, MAX_TEXT), low or 0))
    if plausible:
        return within
    return st.one_of(within, st.sampled_from([fill * n for n in _lengths(shape) for fill in ("a", "é")]))


def _number(shape: Any, plausible: bool) -> st.SearchStrategy[Any]:
    low, high = _limits(shape)
    within = st.integers(low or 0, min(high or 10_000, 10_000))
    if plausible:
        return within
    edges = {0, -1, 2**31, 2**63}
    if low is not None:
        edges |= {low, low - 1}
    if high is not None:
        edges |= {high, high + 1}
    return st.one_of(st.sampled_from(sorted(edges)), within)


def _blob(shape: Any, plausible: bool) -> st.SearchStrategy[Any]:
    low, high = _limits(shape)
    within = st.binary(min_size=low or 0, max_size=min(high or 64, 64))
    if plausible:
        return within
    return st.one_of(within, st.sampled_from([bytes(n) for n in _lengths(shape)]))


def _timestamp(plausible: bool) -> st.SearchStrategy[Any]:
    # Around the simulated clock's default start: the past, the near future, past the one-year limit.
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    near = st.sampled_from([start + timedelta(hours=1), start + timedelta(days=364)])
    if plausible:
        return near
    return st.one_of(
        near,
        st.sampled_from([start - timedelta(days=1), start + timedelta(days=366),
                         datetime(1970, 1, 1, tzinfo=timezone.utc)]),
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)),
    )


def _pools(world: World) -> dict[str, list[Any]]:
    """Member names whose values mean something to the fake, and where to draw real ones."""
    keys = world.key_refs
    return {
        "KeyId": keys, "TargetKeyId": keys, "DestinationKeyId": keys, "SourceKeyId": keys,
        "AliasName": world.aliases, "Marker": world.markers, "CiphertextBlob": world.ciphertexts,
        "ImportToken": world.tokens, "EncryptedKeyMaterial": world.wrapped, "KeyMaterialId": world.material_ids,
        "Signature": world.signatures, "Mac": world.signatures, "Policy": world.policies,
        "PolicyName": ["default", "other", "", "é"],
        "ReplicaRegion": [OTHER_REGION, "eu-west-1", REGION, "xx-nowhere-1", ""],
        "PrimaryRegion": [OTHER_REGION, "eu-west-1", REGION, "xx-nowhere-1", ""],
        "TagKey": ["k0", "k1", "aws:reserved", "é", "a" * 128, "a" * 129],
        # RetireGrant's GrantToken, and each member of every operation's GrantTokens list.
        "GrantToken": world.grant_tokens, "GrantTokenType": world.grant_tokens, "GrantId": world.grant_ids,
        "CustomKeyStoreId": world.stores, "CustomKeyStoreName": ["hsm-store", "xks-store", "idle", "new", ""],
        "PublicKey": world.public_keys, "SharedSecretCiphertextBlob": world.encapsulated,
        "GranteePrincipal": [GRANTEE, "s3.amazonaws.com", "*", ""],
        "RetiringPrincipal": [GRANTEE, "s3.amazonaws.com", "*", ""],
    }


def shape_strategy(shape: Any, world: World, plausible: bool, name: str = "", depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for `shape`. `plausible` keeps to the model's limits and to the fake's real values,
    which reaches the operations' own logic; otherwise limits are crossed and values forged."""
    pool = _pools(world).get(name)
    if pool and plausible:
        return st.sampled_from(pool)
    generic = _generic(shape, world, plausible, depth)
    return st.one_of(st.sampled_from(pool), generic) if pool else generic


def _generic(shape: Any, world: World, plausible: bool, depth: int) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        if depth > 2:
            return st.just({})
        members = {n: shape_strategy(s, world, plausible, n, depth + 1) for n, s in shape.members.items()
                   if not (plausible and n in GAP_MEMBERS)}
        required = set(shape.required_members) | (PLAUSIBLY_REQUIRED if plausible else set())
        return st.fixed_dictionaries(
            {n: s for n, s in members.items() if n in required},
            optional={n: s for n, s in members.items() if n not in required},
        )
    if kind == "list":
        _, high = _limits(shape)
        member = shape_strategy(shape.member, world, plausible, shape.member.name, depth + 1)
        too_long = [] if plausible or high is None or high > 50 else [
            st.lists(member, min_size=high + 1, max_size=high + 1)]
        return st.one_of(st.lists(member, max_size=min(high or 4, 4)), *too_long)
    if kind == "map":
        return st.dictionaries(shape_strategy(shape.key, world, plausible, "", depth + 1),
                               shape_strategy(shape.value, world, plausible, "", depth + 1), max_size=3)
    if kind == "string":
        return _string(shape, plausible)
    if kind in ("integer", "long"):
        return _number(shape, plausible)
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return _blob(shape, plausible)
    if kind == "timestamp":
        return _timestamp(plausible)
    raise AssertionError(f"no strategy for shape type {kind}")


WRONG_TYPES = st.one_of(
    st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.booleans(), TEXT,
    st.lists(st.integers(), max_size=2), st.dictionaries(TEXT, st.integers(), max_size=2),
)


@st.composite
def requests(draw: st.DrawFn, operation: str, world: World) -> tuple[bool, dict[str, Any]]:
    """(loose, params): `loose` means the client skips botocore's validation and sends anything."""
    shape = MODEL.operation_model(operation).input_shape
    plausible = draw(st.booleans())
    params: dict[str, Any] = draw(shape_strategy(shape, world, plausible)) if shape is not None else {}
    loose = draw(st.booleans())
    if loose and shape is not None and shape.members:
        mutation = draw(st.sampled_from(["none", "drop", "wrong type"]))
        member = draw(st.sampled_from(sorted(shape.members)))
        if mutation == "drop":
            params.pop(member, None)
        elif mutation == "wrong type":
            params[member] = draw(WRONG_TYPES)
    return loose, params


# -- the property ------------------------------------------------------------------------------


class _Sent:
    """Notes whether botocore got as far as building the request, i.e. whether the fake saw it."""

    def __init__(self) -> None:
        self.sent = False

    def __call__(self, **_: Any) -> None:
        self.sent = True


def _plugin_frames(tb: TracebackType | None) -> list[str]:
    """Frames of the plugin in a traceback, bar the emitter wrapper every botocore event passes."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if "pytest_kmsrotate" in code.co_filename and code.co_name != "_emit":
            frames.append(f"{code.co_filename}:{tb.tb_lineno} {code.co_name}")
        tb = tb.tb_next
    return frames


def check_answer(operation: str, call: Callable[[], dict[str, Any]], sent: _Sent) -> str:
    """Run one call; fail unless its answer is a valid success or a modeled error. Returns the outcome."""
    sent.sent = False
    try:
        response = call()
    except ClientError as error:
        code: str = error.response["Error"]["Code"]
        modeled = {e.name for e in MODEL.operation_model(operation).error_shapes} | ALWAYS_ALLOWED
        modeled |= DOCUMENTED_EXTRA_CODES.get(operation, set())
        assert code in modeled, f"{operation} answered {code}, which its model does not list: {error}"
        return code
    except NotImplementedByFake as gap:
        assert gap.operation in DOCUMENTED_GAPS, f"undocumented gap: {gap}"
        return "gap"
    except ParamValidationError:
        assert not sent.sent
        return "refused by botocore"
    except Exception as error:
        frames = _plugin_frames(error.__traceback__)
        assert not frames, f"{operation} raised {type(error).__name__}: {error} inside the plugin: {frames}"
        # botocore's serializer refusing a wrong type is the client's doing, before anything is sent.
        assert not sent.sent, f"{operation}: {type(error).__name__}: {error} after the request was sent"
        return "refused by botocore"
    assert_matches_output_shape(operation, response)
    return "ok"


def still_works(kms: Any, fake: KmsRotation) -> None:
    """The state survived the example: a new key encrypts, decrypts and lists."""
    meta = kms.create_key()["KeyMetadata"]
    assert_matches_output_shape("CreateKey", {"KeyMetadata": meta})
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"canary")
    assert_matches_output_shape("Encrypt", blob)
    plain = kms.decrypt(CiphertextBlob=blob["CiphertextBlob"])
    assert_matches_output_shape("Decrypt", plain)
    assert (plain["Plaintext"], plain["KeyId"]) == (b"canary", meta["Arn"])
    listed = [k for page in kms.get_paginator("list_keys").paginate() for k in page["Keys"]]
    assert meta["Arn"] in {k["KeyArn"] for k in listed}
    assert fake.key(meta["KeyId"]).exists  # answered by this fake, not by anything else


@pytest.fixture
def fuzz_fake() -> Iterator[KmsRotation]:
    with KmsRotation() as fake:
        yield fake


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_answer_is_modeled_and_state_survives(operation: str, fuzz_fake: KmsRotation) -> None:
    strict = boto3.client("kms", region_name=REGION, config=BotoConfig(**NO_RETRIES))
    loose = boto3.client("kms", region_name=REGION, config=BotoConfig(parameter_validation=False, **NO_RETRIES))
    sent = _Sent()
    for client in (strict, loose):
        client.meta.events.register("request-created.kms", sent)
    world = build_world(strict)
    method_name = strict.meta.method_to_api_mapping
    method = {api: py for py, api in method_name.items()}[operation]
    outcomes: list[str] = []

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(request=requests(operation, world))
    def run(request: tuple[bool, dict[str, Any]]) -> None:
        use_loose, params = request
        client = loose if use_loose else strict
        outcomes.append(check_answer(operation, lambda: getattr(client, method)(**params), sent))
        still_works(strict, fuzz_fake)

    run()
    # The run is only worth something if the fake answered: not every example may die in botocore.
    assert any(o not in ("refused by botocore",) for o in outcomes), outcomes


NULL_CIPHERTEXT = ("ValidationException", "CiphertextBlob is required.")


@requires_member("DecryptRequest", "DryRunModifiers")  # older models require CiphertextBlob client-side
def test_a_missing_ciphertext_is_a_validation_error_not_a_crash(fuzz_fake: KmsRotation) -> None:
    """Found by the fuzzer: botocore's model makes CiphertextBlob optional, so it may not arrive."""
    kms = boto3.client("kms", region_name=REGION, config=BotoConfig(**NO_RETRIES))
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    calls: list[Callable[[], Any]] = [lambda: kms.decrypt(KeyId=key), lambda: kms.re_encrypt(DestinationKeyId=key)]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == NULL_CIPHERTEXT
    # DryRun with IGNORE_CIPHERTEXT is why the member is optional: that call needs no ciphertext.
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(KeyId=key, DryRun=True, DryRunModifiers=["IGNORE_CIPHERTEXT"])
    assert error_of(excinfo)[0] == "DryRunOperationException"
