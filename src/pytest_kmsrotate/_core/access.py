"""Callers and their permissions in one fake: access keys, principals, identity policies, and
the authorisation check the engine runs before an operation when policies are enforced.

Every request arrives with the access key it was signed with. A key the fake issued through
`Access.issue(principal)` makes the request that principal's; any other key (the fake's
throwaway one, a developer's own) is the configured account's root user, so tests that never
name a principal behave as before.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Key
from .policy_language import Policy, parse_policy
from .state import Request

_PRINCIPAL = re.compile(
    r"arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+|assumed-role/[\w+=,.@-]+/[\w+=,.@-]+)")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class Permission:
    """What one operation needs: the IAM action, whether a key policy decides it, and whether
    the grant tokens it is sent must be valid (its model lists InvalidGrantTokenException)."""

    action: str
    key_policy: bool
    cross_account: bool
    checks_grant_tokens: bool = False


@dataclass(frozen=True)
class Credentials:
    """Credentials the fake issued: requests signed with them are the principal's."""

    principal: str
    access_key_id: str
    secret_access_key: str


def check_principal(arn: Any) -> str:
    if not isinstance(arn, str) or not _PRINCIPAL.fullmatch(arn):
        raise ValueError(
            f"principal must be an IAM principal ARN such as 'arn:aws:iam::111122223333:role/rotator', "
            f"'arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::111122223333:root' or "
            f"'arn:aws:sts::111122223333:assumed-role/rotator/session', got {arn!r}")
    return arn


def _roles_of(principal: str) -> tuple[str, ...]:
    """The principal and, for an assumed-role session, its role: both carry identity policies."""
    partition, _, account, resource = _PRINCIPAL.fullmatch(principal).groups()  # type: ignore[union-attr]
    if resource.startswith("assumed-role/"):
        return principal, f"arn:{partition}:iam::{account}:role/{resource.split('/')[1]}"
    return (principal,)


@dataclass
class Access:
    """The callers of one fake and the identity policies attached to them."""

    seed: str
    enforce: bool = False
    _by_key: dict[str, Credentials] = field(default_factory=dict)
    _identity: dict[str, list[Policy]] = field(default_factory=dict)
    _permissions: dict[str, Permission] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __deepcopy__(self, memo: dict[int, Any]) -> Access:
        # A checkpoint keeps the callers and policies of its moment (a lock is never copied).
        with self._lock:
            return Access(self.seed, self.enforce, dict(self._by_key),
                          {name: list(policies) for name, policies in self._identity.items()},
                          dict(self._permissions))

    # -- callers -------------------------------------------------------------------------------

    def issue(self, principal: str) -> Credentials:
        """Credentials for `principal` (the same ones each time it is asked for)."""
        check_principal(principal)
        digest = hashlib.sha256(f"{self.seed}\0{principal}".encode()).digest()
        access_key_id = "AKIA" + "".join(_ALPHABET[b % 32] for b in digest[:16])
        credentials = Credentials(principal, access_key_id, digest[16:].hex())
        with self._lock:
            self._by_key[access_key_id] = credentials
        return credentials

    def credentials(self, access_key_id: str | None) -> Credentials | None:
        """The issued credentials behind an access key ID, or None for any other key."""
        if access_key_id is None:
            return None
        with self._lock:
            return self._by_key.get(access_key_id)

    def caller(self, access_key_id: str | None) -> str | None:
        found = self.credentials(access_key_id)
        return found.principal if found is not None else None

    def attach_policy(self, principal: str, document: str | Mapping[str, Any]) -> None:
        """An identity (IAM) policy for `principal`; MalformedPolicyDocumentException if AWS would refuse it."""
        check_principal(principal)
        policy = parse_policy(document, key_policy=False)
        with self._lock:
            self._identity.setdefault(principal, []).append(policy)

    def identity_policies(self, principal: str) -> list[Policy]:
        with self._lock:
            return [p for name in _roles_of(principal) for p in self._identity.get(name, [])]

    # -- what operations need ------------------------------------------------------------------

    def learn(self, permissions: Mapping[str, Permission]) -> None:
        """What each operation needs, as the service model documents it (see the protocol layer)."""
        with self._lock:
            self._permissions.update(permissions)

    def checks_grant_tokens(self, operation: str) -> bool:
        found = self._permissions.get(operation)
        return found is not None and found.checks_grant_tokens

    def permission(self, operation: str, names_key: bool) -> Permission:
        found = self._permissions.get(operation)
        if found is not None:
            return found
        # Without the model's word: an operation on a key is the key policy's to decide.
        return Permission(f"kms:{operation}", names_key, False)


def request_context(request: Request, key: Key | None) -> dict[str, list[str]]:
    """The condition keys a KMS request carries (KMS and global keys the fake knows)."""
    caller = request.caller_arn
    p = request.params
    context: dict[str, list[str]] = {
        "aws:PrincipalArn": [caller],
        "aws:PrincipalAccount": [caller.split(":")[4]],
        "kms:CallerAccount": [caller.split(":")[4]],
        "aws:CurrentTime": [request.now.strftime("%Y-%m-%dT%H:%M:%SZ")],
        "aws:EpochTime": [str(int(request.now.timestamp()))],
    }
    if "RotationPeriodInDays" in p:
        context["kms:RotationPeriodInDays"] = [str(p["RotationPeriodInDays"])]
    for param in ("EncryptionContext", "SourceEncryptionContext", "DestinationEncryptionContext"):
        if isinstance(p.get(param), Mapping):
            for name, value in p[param].items():
                context[f"kms:EncryptionContext:{name}"] = [str(value)]
            context["kms:EncryptionContextKeys"] = [str(k) for k in p[param]]
    if isinstance(p.get("Operations"), list):
        context["kms:GrantOperations"] = [str(op) for op in p["Operations"]]
        context["kms:GrantIsForAWSResource"] = ["false"]  # the fake's callers are never AWS services
    if isinstance(p.get("Tags"), list):
        tags = [t for t in p["Tags"] if isinstance(t, Mapping)]
        for tag in tags:
            context[f"aws:RequestTag/{tag.get('TagKey')}"] = [str(tag.get("TagValue"))]
        context["aws:TagKeys"] = [str(t.get("TagKey")) for t in tags]
    if key is not None:
        context["kms:KeySpec"] = [key.key_spec]
        context["kms:KeyUsage"] = [key.key_usage]
        context["kms:KeyOrigin"] = [key.origin]
        context["kms:MultiRegion"] = ["true" if key.multi_region else "false"]
        for name, value in key.tags.items():
            context[f"aws:ResourceTag/{name}"] = [value]
    else:  # CreateKey: the key to be
        for param, name in (("KeySpec", "kms:KeySpec"), ("KeyUsage", "kms:KeyUsage"), ("Origin", "kms:KeyOrigin")):
            if param in p:
                context[name] = [str(p[param])]
        if "MultiRegion" in p:
            context["kms:MultiRegion"] = ["true" if p["MultiRegion"] else "false"]
    return context


