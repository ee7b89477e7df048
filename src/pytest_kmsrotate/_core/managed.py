"""AWS managed keys: `alias/aws/<service>` names a key AWS creates the first time it is used.

DescribeKey's KeyId doc (MODEL): "If you specify a predefined Amazon Web Services alias (an
Amazon Web Services alias with no key ID), KMS associates the alias with an Amazon Web
Services managed key and returns its KeyId and Arn". In AWS the service itself usually
creates the key on first use; the fake materialises it on the first reference that AWS would
answer with a key. `aws_managed_lookup` is the hook for `resolve_key(alias_lookup=...)`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

from .key_factory import new_key
from .model import Alias, Key
from .resolve import alias_arn
from .rotation import schedule_next_rotation
from .state import Request, State

PREFIX = "alias/aws/"

# Descriptions as real DescribeKey output shows them (OBS: public describe-key captures and
# Terraform imports of AWS managed keys). Services not listed get the generic form below.
_KNOWN_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "rds": "RDS database volumes",
        "s3": "S3 objects",
        "ssm": "SSM parameters",
        "backup": "Backup data",
        "elasticfilesystem": "EFS filesystems",
        "dynamodb": "DynamoDB data",
    }
)
# Predefined aliases the fake knows (ListAliases in a fresh account; LocalStack's reserved list
# plus the services whose managed keys docs/fidelity.md records). Any other `alias/aws/x` is "not found".
SERVICES: frozenset[str] = frozenset(
    {
        "acm", "backup", "cloudtrail", "codeartifact", "codecommit", "dynamodb", "ebs",
        "elasticfilesystem", "es", "glue", "kinesis", "kinesisvideo", "lambda", "logs", "rds",
        "redshift", "s3", "secretsmanager", "sns", "sqs", "ssm", "xray",
    }
)


def is_reserved(alias_name: str) -> bool:
    """Alias names users may not create, update or delete."""
    return alias_name.startswith(PREFIX)


def description(service: str) -> str:
    words = _KNOWN_WORDS.get(service, f"{service} data")  # inferred for services not listed
    return f"Default key that protects my {words} when no other key is defined"


@functools.lru_cache(maxsize=256)
def managed_policy(account: str, region: str, service: str, partition: str = "aws") -> str:
    # Shape of AWS's "auto-<service>-N" policies; the exact statements differ per service (inferred).
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": f"auto-{service}-1",
            "Statement": [
                {
                    "Sid": f"Allow access through {service} for all principals in the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                        "kms:CreateGrant", "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": account,
                            "kms:ViaService": f"{service}.{region}.amazonaws.com",
                        }
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                    "Resource": "*",
                },
            ],
        },
        indent=2,
    )


def aws_managed_lookup(state: State, request: Request, alias_name: str) -> Key | None:
    """The AWS managed key `alias_name` names, created on first use; None if AWS has no such alias."""
    if not is_reserved(alias_name):
        return None
    service = alias_name[len(PREFIX):]
    if service not in SERVICES:
        return None
    existing = state.aliases.get((request.account, request.region, alias_name))
    if existing is not None:
        key = state.keys.get(f"{request.arn_prefix()}:key/{existing.target_key_id}")
        if key is not None:
            return key
    key = new_key(
        state,
        request,
        key_manager="AWS",
        description=description(service),
        policy=managed_policy(request.account, request.region, service, request.partition),
    )
    # AWS managed keys rotate every year, whatever GetKeyRotationStatus reports (fidelity §3 rule 9).
    key.lineage.rotation_enabled = True
    key.lineage.rotation_period_days = 365
    key.lineage.next_rotation_date = request.now + timedelta(days=365)
    schedule_next_rotation(state, key)
    state.aliases[(request.account, request.region, alias_name)] = Alias(
        alias_name, alias_arn(request, alias_name), key.key_id, request.now, request.now
    )
    return key
