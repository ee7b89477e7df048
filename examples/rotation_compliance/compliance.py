"""A key-rotation compliance job, as a platform team would run it nightly.

Policy: every customer managed symmetric KMS key must rotate automatically at most every
`max_period_days` days; keys tagged `compromised=true` are rotated on demand at once, within the
on-demand quota; data encrypted under an old key material is re-encrypted under the newest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    rotated: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _in_scope(meta: dict[str, Any]) -> bool:
    """Customer managed, symmetric, AWS_KMS origin, enabled, and not a multi-Region replica."""
    replica = meta.get("MultiRegionConfiguration", {}).get("MultiRegionKeyType") == "REPLICA"
    return (
        meta["KeyManager"] == "CUSTOMER"
        and meta["KeySpec"] == "SYMMETRIC_DEFAULT"
        and meta["Origin"] == "AWS_KMS"
        and meta["KeyState"] == "Enabled"
        and not replica
    )


def customer_keys(kms: Any) -> list[dict[str, Any]]:
    keys = []
    for page in kms.get_paginator("list_keys").paginate():
        for entry in page["Keys"]:
            keys.append(kms.describe_key(KeyId=entry["KeyId"])["KeyMetadata"])
    return keys


def enforce_rotation_policy(kms: Any, max_period_days: int = 365) -> Report:
    report = Report()
    for meta in customer_keys(kms):
        if not _in_scope(meta):
            continue
        report.checked.append(meta["KeyId"])
        status = kms.get_key_rotation_status(KeyId=meta["KeyId"])
        if not status["KeyRotationEnabled"] or status["RotationPeriodInDays"] > max_period_days:
            kms.enable_key_rotation(KeyId=meta["KeyId"], RotationPeriodInDays=max_period_days)
            report.fixed.append(meta["KeyId"])
    return report


def rotate_compromised(kms: Any, report: Report | None = None) -> Report:
    report = report or Report()
    for meta in customer_keys(kms):
        if not _in_scope(meta):
            continue
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]}
        if tags.get("compromised") != "true":
            continue
        try:
            kms.rotate_key_on_demand(KeyId=meta["KeyId"])
        except kms.exceptions.LimitExceededException:
            report.skipped[meta["KeyId"]] = "on-demand rotation quota used up: needs a new key"
        except kms.exceptions.ConflictException:
            report.skipped[meta["KeyId"]] = "automatic rotation imminent: retry after it"
        except ClientError as error:
            report.skipped[meta["KeyId"]] = error.response["Error"]["Code"]
        else:
            report.rotated.append(meta["KeyId"])
    return report


def reencrypt_stale(kms: Any, key_id: str, blobs: list[bytes]) -> list[bytes]:
    """Re-encrypt every blob not under the key's current material; returns the new list."""
    current = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    fresh = []
    for blob in blobs:
        if kms.decrypt(CiphertextBlob=blob)["KeyMaterialId"] == current:
            fresh.append(blob)
        else:
            fresh.append(kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id)["CiphertextBlob"])
    return fresh
