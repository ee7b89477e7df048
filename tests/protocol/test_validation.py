"""Pins the Coral ValidationException / SerializationException forms against the real KMS model."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:
    from pytest_kmsrotate._protocol.validation import java_pattern, type_error, validation_message
except ModuleNotFoundError:  # the package is not installed: test the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from pytest_kmsrotate._protocol.validation import java_pattern, type_error, validation_message

MODEL = botocore.session.get_session().get_service_model("kms")
ONE = "1 validation error detected: "
HEX64 = "a" * 64
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"


def shape(operation: str) -> Any:
    return MODEL.operation_model(operation).input_shape


def message(operation: str, **params: object) -> str | None:
    return validation_message(shape(operation), params)


def test_valid_request_is_none() -> None:
    assert message("ListKeyRotations", KeyId=KEY, Limit=1000, IncludeKeyMaterial="ROTATIONS_ONLY") is None
    assert message("EnableKeyRotation", KeyId=KEY, RotationPeriodInDays=90) is None


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [
        # recorded: spec §2 (stackd enable_2561)
        (
            "EnableKeyRotation",
            {"KeyId": KEY, "RotationPeriodInDays": 2561},
            "Value '2561' at 'rotationPeriodInDays' failed to satisfy constraint: "
            "Member must have value less than or equal to 2560",
        ),
        (
            "EnableKeyRotation",
            {"KeyId": KEY, "RotationPeriodInDays": 89},
            "Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: "
            "Member must have value greater than or equal to 90",
        ),
        (
            "ListKeyRotations",
            {"KeyId": KEY, "Limit": 1001},
            "Value '1001' at 'limit' failed to satisfy constraint: "
            "Member must have value less than or equal to 1000",
        ),
        # recorded: localstack test_generate_random_invalid_number_of_bytes[0] / [1025]
        (
            "GenerateRandom",
            {"NumberOfBytes": 0},
            "Value '0' at 'numberOfBytes' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            "GenerateRandom",
            {"NumberOfBytes": 1025},
            "Value '1025' at 'numberOfBytes' failed to satisfy constraint: "
            "Member must have value less than or equal to 1024",
        ),
        (
            "ListKeyRotations",
            {"KeyId": KEY, "IncludeKeyMaterial": "BOGUS"},
            "Value 'BOGUS' at 'includeKeyMaterial' failed to satisfy constraint: "
            "Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]",
        ),
        (
            "DescribeKey",
            {"KeyId": "k" * 2049},
            f"Value '{'k' * 2049}' at 'keyId' failed to satisfy constraint: "
            "Member must have length less than or equal to 2048",
        ),
        (
            "DescribeKey",
            {"KeyId": ""},
            "Value '' at 'keyId' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        ),
        # recorded: "Value null at 'keyId' ... Member must not be null"
        ("DescribeKey", {}, "Value null at 'keyId' failed to satisfy constraint: Member must not be null"),
        # recorded: moto KMS alias tests
        (
            "CreateAlias",
            {"AliasName": "alias/my-alias$", "TargetKeyId": KEY},
            "Value 'alias/my-alias$' at 'aliasName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        ),
        # recorded: blobs and sensitive members are not echoed
        (
            "Encrypt",
            {"KeyId": KEY, "Plaintext": b"x" * 4097},
            "Value at 'plaintext' failed to satisfy constraint: "
            "Member must have length less than or equal to 4096",
        ),
        (
            "Decrypt",
            {"CiphertextBlob": b""},
            "Value at 'ciphertextBlob' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        ),
        # nested list member paths: 'tags.1.member.tagKey'
        (
            "TagResource",
            {"KeyId": KEY, "Tags": [{"TagKey": "k" * 129, "TagValue": "v"}]},
            f"Value '{'k' * 129}' at 'tags.1.member.tagKey' failed to satisfy constraint: "
            "Member must have length less than or equal to 128",
        ),
        (
            "TagResource",
            {"KeyId": KEY, "Tags": [{"TagKey": "a", "TagValue": "v"}, {"TagKey": "b"}]},
            "Value null at 'tags.2.member.tagValue' failed to satisfy constraint: Member must not be null",
        ),
        # a list is printed the Java way, and its elements are 'name.N.member'
        (
            "Encrypt",
            {"KeyId": KEY, "Plaintext": b"x", "GrantTokens": [f"t{i}" for i in range(11)]},
            "Value '[t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10]' at 'grantTokens' failed to satisfy "
            "constraint: Member must have length less than or equal to 10",
        ),
        (
            "CreateGrant",
            {"KeyId": KEY, "GranteePrincipal": "p", "Operations": ["Encrypt", "Nope"]},
            "Value 'Nope' at 'operations.2.member' failed to satisfy constraint: Member must satisfy "
            "enum value set: [" + ", ".join(MODEL.shape_for("GrantOperation").enum) + "]",
        ),
        # nested structure path
        (
            "Decrypt",
            {"CiphertextBlob": b"c", "Recipient": {"KeyEncryptionAlgorithm": "NOPE"}},
            "Value 'NOPE' at 'recipient.keyEncryptionAlgorithm' failed to satisfy constraint: "
            "Member must satisfy enum value set: [RSAES_OAEP_SHA_256]",
        ),
        # sensitive strings are not echoed either
        (
            "UpdateCustomKeyStore",
            {"CustomKeyStoreId": "cks-1", "KeyStorePassword": "12345"},
            "Value at 'keyStorePassword' failed to satisfy constraint: "
            "Member must have length greater than or equal to 7",
        ),
    ],
)
def test_single_error_forms(operation: str, params: dict[str, object], expected: str) -> None:
    assert message(operation, **params) == ONE + expected


def test_several_errors_are_counted_and_joined_in_member_order() -> None:
    got = message("ListKeyRotations", KeyId="", IncludeKeyMaterial="X", Limit=0, Marker="\u0100")
    assert got == (
        "4 validation errors detected: "
        "Value '' at 'keyId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value 'X' at 'includeKeyMaterial' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]; "
        "Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1; "
        "Value '\u0100' at 'marker' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*"
    )


def test_one_value_breaking_length_and_pattern_reports_both_length_first() -> None:
    got = message("DeleteImportedKeyMaterial", KeyId=KEY, KeyMaterialId="XYZ")
    assert got == (
        "2 validation errors detected: "
        "Value 'XYZ' at 'keyMaterialId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 64; "
        "Value 'XYZ' at 'keyMaterialId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-f0-9]+$"
    )


def test_at_most_ten_errors_are_reported() -> None:
    tags = [{"TagKey": "", "TagValue": "v"} for _ in range(12)]
    got = message("TagResource", KeyId=KEY, Tags=tags)
    assert got is not None
    assert got.startswith("10 validation errors detected: ")
    assert got.count("failed to satisfy constraint") == 10


def test_float_for_an_integer_is_truncated_like_coral() -> None:
    assert message("ListKeyRotations", KeyId=KEY, Limit=1000.9) is None


def test_map_values_print_java_style() -> None:
    # KMS maps carry no rules, so the map form is exercised through the printer only.
    got = message("Encrypt", KeyId=KEY, Plaintext=b"x", EncryptionContext={"a": "b"}, GrantTokens=[""])
    assert got == ONE + (
        "Value '' at 'grantTokens.1.member' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


@pytest.mark.parametrize(
    ("operation", "raw", "expected"),
    [
        ("ListKeyRotations", {"KeyId": KEY}, None),
        ("ListKeyRotations", {"KeyId": KEY, "Unknown": [1], "Limit": None}, None),
        ("ListKeyRotations", {"KeyId": KEY, "Limit": 5.5}, None),
        (
            "ListKeyRotations",
            {"KeyId": KEY, "Limit": "5"},
            "class java.lang.String can not be converted to an Integer",
        ),
        (
            "ListKeyRotations",
            {"KeyId": KEY, "Limit": True},
            "class java.lang.Boolean can not be converted to an Integer",
        ),
        (
            "ListKeyRotations",
            {"KeyId": 5},
            "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
        ),
        ("ListKeyRotations", {"KeyId": [KEY]}, "Start of list found where not expected"),
        ("ListKeyRotations", {"KeyId": {}}, "Start of structure or map found where not expected."),
        ("TagResource", {"KeyId": KEY, "Tags": "x"}, "Expected list or null"),
        ("TagResource", {"KeyId": KEY, "Tags": ["x"]}, "Expected null"),
        ("Encrypt", {"KeyId": KEY, "Plaintext": "eA==", "EncryptionContext": 1}, "Expected map or null"),
        (
            "Encrypt",
            {"KeyId": KEY, "Plaintext": "abc"},
            "'abc' can not be converted to a Blob: "
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3",
        ),
        (
            "Encrypt",
            {"KeyId": KEY, "Plaintext": "ab$="},
            "'ab$=' can not be converted to a Blob: Invalid Base64 character: '$'",
        ),
        (
            "CreateKey",
            {"BypassPolicyLockoutSafetyCheck": "yes"},
            "'YES' can not be converted to an Boolean",
        ),
    ],
)
def test_type_errors(operation: str, raw: dict[str, object], expected: str | None) -> None:
    got = type_error(shape(operation), raw)
    if expected is None:
        assert got is None
    else:
        assert got == ("SerializationException", expected)


def test_timestamp_type_error_has_no_known_message() -> None:
    raw = {"KeyId": KEY, "ImportToken": "eA==", "EncryptedKeyMaterial": "eA==", "ValidTo": "tomorrow"}
    assert type_error(shape("ImportKeyMaterial"), raw) == ("SerializationException", None)


# --- every pattern in the model --------------------------------------------------------------


def _all_patterns() -> list[str]:
    return sorted(
        {str(s["pattern"]) for s in MODEL._service_description["shapes"].values() if "pattern" in s}
    )


@pytest.mark.parametrize("pattern", _all_patterns())
def test_every_model_pattern_compiles(pattern: str) -> None:
    java_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        ("^[a-f0-9]+$", ["0af9"], ["ABC", "ab\n", ""]),
        ("[\\u0020-\\u00FF]*", ["", " ~\u00ff"], ["\u0100", "\n"]),
        ("^[a-zA-Z0-9:/_\\s.-]+$", ["a b\tc.d-e"], ["\u00a0", "\u2003"]),  # Java \s is ASCII-only
        ("[\\w]+", ["a_1"], ["é"]),  # Java \w is ASCII-only
        ("^[a-zA-Z0-9-_.]+$", ["a-b_c.d"], ["a b"]),
        ("^([a-z]+-){2,3}\\d+$", ["us-east-1"], ["us-1", "us-east-\u0661"]),  # Java \d is ASCII-only
        (
            "^arn:aws[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$",
            ["arn:aws:iam::111122223333:x"],
            ["arn:aws:iam::111122223333:\u2028"],
        ),  # Java . excludes \u2028
    ],
)
def test_patterns_match_like_java(pattern: str, good: list[str], bad: list[str]) -> None:
    compiled = java_pattern(pattern)
    assert all(compiled.fullmatch(v) for v in good)
    assert not any(compiled.fullmatch(v) for v in bad)


# --- property: never raises, always a well-formed answer ---------------------------------------

_ERROR = r"Value (?:null |'.*' |)at '[^']*' failed to satisfy constraint: .+"
FORMAT = re.compile(
    rf"(?:1 validation error detected: {_ERROR}|([2-9]|10) validation errors detected: {_ERROR})", re.DOTALL
)
_JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5), st.binary(max_size=5)
)


def _values(s: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    kind = s.type_name
    if depth > 3:
        return _JUNK
    if kind == "structure":
        members = {name: _values(m, depth + 1) for name, m in s.members.items()}
        return st.fixed_dictionaries({}, optional=members)
    if kind == "list":
        return st.lists(_values(s.member, depth + 1), max_size=12)
    if kind == "map":
        return st.dictionaries(st.text(max_size=4), _values(s.value, depth + 1), max_size=3)
    if kind == "string":
        options = [st.text(max_size=80)]
        if s.enum:
            options.append(st.sampled_from(list(s.enum)))
        return st.one_of(*options, _JUNK)
    if kind in ("integer", "long"):
        return st.one_of(st.integers(-5, 3000), _JUNK)
    if kind == "blob":
        return st.one_of(st.binary(max_size=40), _JUNK)
    if kind == "timestamp":
        return st.just(datetime(2026, 1, 1, tzinfo=timezone.utc))
    return _JUNK


_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize("operation", MODEL.operation_names)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_requests_never_raise(operation: str, data: st.DataObject) -> None:
    input_shape = shape(operation)
    params = data.draw(_values(input_shape))
    got = validation_message(input_shape, params)
    assert got is None or FORMAT.fullmatch(got), got
    raw = data.draw(st.one_of(_JSON, st.dictionaries(st.sampled_from(list(input_shape.members)), _JSON)))
    answer = type_error(input_shape, raw)
    assert answer is None or answer[0] == "SerializationException"
