"""What AWS would have logged: CloudTrail records and EventBridge events (docs/fidelity.md §13).

Records are plain dicts in AWS's own shapes, so assertions read like the AWS documentation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from .errors import KMSError
from .model import MaterialRun

_READ_ONLY_PREFIXES = ("Describe", "Get", "List")
# Cryptographic operations change nothing, and CloudTrail marks them readOnly: true (ct-encrypt,
# ct-decrypt, ct-generatedatakey, ct-generatedatakeyplaintext, ct-decapsulate). The others of the
# family are taken to be logged alike.
_READ_ONLY_OPERATIONS = frozenset(
    {"Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "Decapsulate",
     "ReEncrypt", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify",  # inferred
     "GenerateMac", "VerifyMac", "GenerateRandom", "DeriveSharedSecret", "Encapsulate"}  # inferred
)
# Fields CloudTrail never logs: secrets and bulk data.
_OMITTED = frozenset(
    {"Plaintext", "CiphertextBlob", "EncryptedKeyMaterial", "ImportToken", "Message", "Signature", "Mac",
     "PublicKey", "PrivateKeyPlaintext", "PrivateKeyCiphertextBlob", "SourceCiphertextBlob"}
)


# Maps whose keys are the caller's own words: logged verbatim, as in every ct-encrypt example.
_VERBATIM = frozenset(
    {"EncryptionContext", "SourceEncryptionContext", "DestinationEncryptionContext", "EncryptionContextSubset",
     "EncryptionContextEquals"}
)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _elements(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not values:
        return None
    return _fields(values)


def _fields(values: Mapping[str, Any]) -> dict[str, Any]:
    return {_camel(k): (dict(v) if k in _VERBATIM and isinstance(v, Mapping) else _plain(v))
            for k, v in values.items() if k not in _OMITTED}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, Mapping):
        return _fields(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return None
    return value


def _event_id(*parts: object) -> str:
    h = hashlib.sha256("\x00".join(map(str, parts)).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


class Rotated(NamedTuple):
    """A completed rotation, as the rotation primitive reports it to the event log.

    A tuple because a long clock jump makes one per rotation: it is the cheapest record to build.
    """

    key_arn: str
    key_id: str
    account: str
    region: str
    origin: str
    rotation_type: str
    previous_material_id: str | None
    current_material_id: str
    when: datetime


class RotationRun(NamedTuple):
    """Automatic rotations of one key a period apart, logged as one entry (a long clock jump).

    A jump of a century over a thousand keys makes 405,000 rotations; the run names its
    materials (the lineage's `MaterialRun`, then the last, CURRENT one) and makes their
    `Rotated` records only when the log is read.
    """

    key_arn: str
    key_id: str
    account: str
    region: str
    origin: str
    previous_material_id: str | None
    run: MaterialRun
    last_material_id: str
    last_date: datetime

    def expand(self) -> list[Rotated]:
        run = self.run
        material_ids = [*run.material_ids(), self.last_material_id]
        dates = [*map(run.date, range(run.count)), self.last_date]
        previous = [self.previous_material_id, *material_ids[:-1]]
        return [Rotated(self.key_arn, self.key_id, self.account, self.region, self.origin, "AUTOMATIC",
                        before, material_id, when)
                for before, material_id, when in zip(previous, material_ids, dates, strict=True)]


def user_identity(principal: str) -> dict[str, Any]:
    """CloudTrail's userIdentity block for a principal ARN (Root, IAMUser or AssumedRole)."""
    account, resource = principal.split(":")[4], principal.split(":", 5)[5]
    kind = {"root": "Root", "user": "IAMUser", "assumed-role": "AssumedRole", "role": "AssumedRole"}.get(
        resource.split("/")[0], "IAMUser")  # inferred: a role ARN as caller is logged as its session
    return {"type": kind, "accountId": account, "arn": principal}


def api_call(
    sequence: int,
    operation: str,
    params: Mapping[str, Any],
    region: str,
    account: str,
    when: datetime,
    response: Mapping[str, Any] | None,
    error: KMSError | None,
    key_arn: str | None,
    caller: str = "",
    partition: str = "aws",
) -> dict[str, Any]:
    """The CloudTrail record of one KMS API call (eventType AwsApiCall)."""
    read_only = operation.startswith(_READ_ONLY_PREFIXES) or operation in _READ_ONLY_OPERATIONS
    # Reads and cryptographic operations log no response (ct-describekey, ct-encrypt, ct-decrypt).
    response_elements = None if read_only else _elements(response)
    if response_elements is None and not read_only and error is None and key_arn and "KeyId" in params:
        # Since December 2022 KMS logs the key ARN even for operations that return nothing.
        response_elements = {"keyId": key_arn}
    record: dict[str, Any] = {
        "eventVersion": "1.11",
        "userIdentity": user_identity(caller or f"arn:{partition}:iam::{account}:root"),
        "eventTime": _iso(when),
        "eventSource": "kms.amazonaws.com",
        "eventName": operation,
        "awsRegion": region,
        "sourceIPAddress": "127.0.0.1",
        "userAgent": "pytest-kmsrotate",
        "requestParameters": _elements(params),
        "responseElements": response_elements if error is None else None,
        "requestID": _event_id("request", sequence, operation),
        "eventID": _event_id("event", sequence, operation),
        "readOnly": read_only,
        "resources": [{"accountId": account, "type": "AWS::KMS::Key", "ARN": key_arn}] if key_arn else [],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    if error is not None:
        record["errorCode"] = error.code
        if error.message is not None:
            record["errorMessage"] = error.message
    return record


def rotate_key_service_event(sequence: int, rotated: Rotated) -> dict[str, Any]:
    """CloudTrail's `RotateKey` record for a completed rotation (eventType AwsServiceEvent)."""
    return {
        "eventVersion": "1.11",
        "userIdentity": {"accountId": rotated.account, "invokedBy": "AWS Internal"},
        "eventTime": _iso(rotated.when),
        "eventSource": "kms.amazonaws.com",
        "eventName": "RotateKey",
        "awsRegion": rotated.region,
        "sourceIPAddress": "AWS Internal",
        "userAgent": "AWS Internal",
        "requestParameters": None,
        "responseElements": None,
        "eventID": _event_id("service", sequence, rotated.key_arn),
        "readOnly": False,
        "resources": [{"accountId": rotated.account, "type": "AWS::KMS::Key", "ARN": rotated.key_arn}],
        "eventType": "AwsServiceEvent",
        "managementEvent": True,
        "recipientAccountId": rotated.account,
        "serviceEventDetails": {
            "rotationType": rotated.rotation_type,
            "keyOrigin": rotated.origin,
            "previousKeyMaterialId": rotated.previous_material_id,
            "currentKeyMaterialId": rotated.current_material_id,
            # The bare key ID, as every ct-rotatekey example shows it; the ARN is in `resources`.
            "keyId": rotated.key_id,
        },
        "eventCategory": "Management",
    }


def rotation_eventbridge_event(sequence: int, rotated: Rotated) -> dict[str, Any]:
    """EventBridge's `KMS CMK Rotation` event for a completed rotation."""
    return {
        "version": "0",
        "id": _event_id("eventbridge", sequence, rotated.key_arn),
        "detail-type": "KMS CMK Rotation",
        "source": "aws.kms",
        "account": rotated.account,
        "time": _iso(rotated.when),
        "region": rotated.region,
        "resources": [rotated.key_arn],
        "detail": {
            "key-id": rotated.key_id,
            "key-origin": rotated.origin,
            "rotation-type": rotated.rotation_type,
            "previous-key-material-id": rotated.previous_material_id,
            "current-key-material-id": rotated.current_material_id,
        },
    }
