"""Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies. Stored and returned, not evaluated."""

from __future__ import annotations

import json
from typing import Any

from . import errors
from .model import Key
from .resolve import key_by_id_or_arn
from .state import Request, State

# A KMS key has exactly one key policy and it is called "default" (MODEL PolicyName docs).
DEFAULT_POLICY_NAME = "default"


def _policy_name(request: Request) -> str:
    name: str = request.params.get("PolicyName", DEFAULT_POLICY_NAME)
    if name != DEFAULT_POLICY_NAME:
        # inferred: AWS's answer for another policy name is not recorded.
        raise errors.KMSError("NotFoundException", "No such policy exists")
    return name


def _policy_target(state: State, request: Request) -> tuple[Key, str]:
    key = key_by_id_or_arn(state, request)  # KeyId docs: "key ID or key ARN" (OBS: alias refused by GetKeyPolicy)
    return key, _policy_name(request)


def check_policy_document(policy: str) -> None:
    """PutKeyPolicy's and CreateKey's refusal of a policy that is not a JSON document."""
    try:
        parsed = json.loads(policy)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        # inferred text: the model's error for a policy that is not a JSON document.
        raise errors.KMSError("MalformedPolicyDocumentException", "The policy is not a valid JSON document.")


def get_key_policy(state: State, request: Request) -> dict[str, Any]:
    key, name = _policy_target(state, request)
    return {"Policy": key.policy, "PolicyName": name}


def put_key_policy(state: State, request: Request) -> dict[str, Any]:
    key, _ = _policy_target(state, request)
    policy: str = request.params["Policy"]
    check_policy_document(policy)
    key.policy = policy
    return {}


def list_key_policies(state: State, request: Request) -> dict[str, Any]:
    key_by_id_or_arn(state, request)
    return {"PolicyNames": [DEFAULT_POLICY_NAME], "Truncated": False}


OPERATIONS = {
    "GetKeyPolicy": get_key_policy,
    "PutKeyPolicy": put_key_policy,
    "ListKeyPolicies": list_key_policies,
}
