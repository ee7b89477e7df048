"""The one constructor of a stored key: CreateKey and the AWS managed keys both make keys here.

Kept apart from the operations in `keys` so that `managed` (which DescribeKey consults for
`alias/aws/...` names) can build a key without importing the operations that import it.
"""

from __future__ import annotations

import functools
import json

from .materials import new_material
from .model import ENABLED, PENDING_IMPORT, SYMMETRIC_DEFAULT, Key, Lineage
from .state import Request, State


@functools.lru_cache(maxsize=32)  # pretty-printing JSON is slow and the text never changes per account
def default_policy(account: str, partition: str = "aws") -> str:
    """The key policy AWS attaches when CreateKey gets none (the "default key policy")."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
        indent=2,
    )


def new_key(
    state: State,
    request: Request,
    *,
    key_spec: str = SYMMETRIC_DEFAULT,
    key_usage: str = "ENCRYPT_DECRYPT",
    origin: str = "AWS_KMS",
    key_manager: str = "CUSTOMER",
    description: str = "",
    multi_region: bool = False,
    custom_key_store_id: str | None = None,
    tags: dict[str, str] | None = None,
    policy: str | None = None,
    xks_key_id: str | None = None,
) -> Key:
    """Create and store a key in the caller's account and region (no checks: callers decide)."""
    key_id = state.ids.multi_region_key_id() if multi_region else state.ids.key_id()
    external = origin == "EXTERNAL"
    arn = f"{request.arn_prefix()}:key/{key_id}"
    lineage = Lineage(primary_arn=arn)
    if not external:
        lineage.materials.append(new_material(state))
    key = Key(
        key_id=key_id,
        arn=arn,
        account=request.account,
        region=request.region,
        creation_date=request.now,
        key_spec=key_spec,
        key_usage=key_usage,
        origin=origin,
        key_manager=key_manager,
        key_state=PENDING_IMPORT if external else ENABLED,
        lineage=lineage,
        description=description,
        multi_region=multi_region,
        custom_key_store_id=custom_key_store_id,
        tags=dict(tags or {}),
        policy=policy or default_policy(request.account, request.partition),
        xks_key_id=xks_key_id,
    )
    state.add_key(key)
    return key
