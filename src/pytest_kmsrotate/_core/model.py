"""The fake's state as plain data: keys, their key materials and rotation settings, aliases.

Nothing here enforces a rule; the operation modules do. Keeping the data dumb keeps every
rule in one place and lets the pytest adapter read state without going through the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Key states (KeyMetadata.KeyState).
ENABLED = "Enabled"
DISABLED = "Disabled"
PENDING_DELETION = "PendingDeletion"
PENDING_IMPORT = "PendingImport"
PENDING_REPLICA_DELETION = "PendingReplicaDeletion"
UNAVAILABLE = "Unavailable"
CREATING = "Creating"
UPDATING = "Updating"

# Key material states (RotationsListEntry.KeyMaterialState).
CURRENT = "CURRENT"
NON_CURRENT = "NON_CURRENT"
PENDING_ROTATION = "PENDING_ROTATION"
PENDING_MULTI_REGION_IMPORT_AND_ROTATION = "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"

# The key spec most rules single out (rotation, CurrentKeyMaterialId, data keys); also the name of
# its one encryption algorithm.
SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"

AUTOMATIC = "AUTOMATIC"
ON_DEMAND = "ON_DEMAND"


@dataclass(slots=True)
class KeyMaterial:
    """One version of a key's material, in the order the key received them.

    Slotted: a test that lives through a century of rotations holds hundreds of thousands.
    """

    material_id: str
    secret: bytes | None  # None until first use (see crypto.secret_of)
    state: str
    rotation_date: datetime | None = None
    rotation_type: str | None = None
    # Imported (EXTERNAL) material only.
    import_state: str | None = None
    expiration_model: str | None = None
    valid_to: datetime | None = None
    description: str | None = None
    # The owning fake's secret realm (ids.IdFactory.realm): it keys a made material's secret and
    # binds every ciphertext blob, so another fake never opens this fake's blobs.
    realm: bytes = field(default=b"", repr=False)
    # Objects derived from the secret on first use (cipher, private key, HMAC key), never per call.
    derived: dict[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass
class Lineage:
    """What a multi-Region primary shares with its replicas: materials and rotation settings.

    A single-Region key has a lineage of its own. Sharing the object (rather than copying on
    every change) is what makes a replica mirror its primary at every instant, as AWS shows it.
    """

    materials: list[KeyMaterial] = field(default_factory=list)
    # The multi-Region family: who is primary now, and the replicas (empty for single-Region keys).
    primary_arn: str = ""
    replica_arns: list[str] = field(default_factory=list)
    rotation_enabled: bool = False
    rotation_period_days: int | None = None
    next_rotation_date: datetime | None = None
    on_demand_started: datetime | None = None
    on_demand_used: int = 0

    def current(self) -> KeyMaterial | None:
        for material in reversed(self.materials):
            if material.state == CURRENT:
                return material
        return None

    def by_id(self, material_id: str) -> KeyMaterial | None:
        for material in self.materials:
            if material.material_id == material_id:
                return material
        return None


@dataclass
class Key:
    key_id: str
    arn: str
    account: str
    region: str
    creation_date: datetime
    key_spec: str
    key_usage: str
    origin: str
    key_manager: str
    key_state: str
    lineage: Lineage
    description: str = ""
    multi_region: bool = False
    custom_key_store_id: str | None = None
    xks_key_id: str | None = None  # EXTERNAL_KEY_STORE keys: the key's ID in the external key manager
    cloudhsm_cluster_id: str | None = None  # AWS_CLOUDHSM keys: their store's cluster
    deletion_date: datetime | None = None
    pending_window_days: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    policy: str = ""
    # EXTERNAL keys: material ever imported, so CurrentKeyMaterialId keeps showing (fidelity §11).
    has_imported: bool = False

    @property
    def is_replica(self) -> bool:
        return self.lineage.primary_arn != self.arn

    @property
    def is_aws_managed(self) -> bool:
        return self.key_manager == "AWS"

    @property
    def enabled(self) -> bool:
        return self.key_state == ENABLED


@dataclass(frozen=True)
class ImportToken:
    """What GetParametersForImport handed out: valid for one key, one wrapping, 24 hours."""

    key_arn: str
    wrapping_spec: str
    algorithm: str
    valid_to: datetime


@dataclass
class ImportBook:
    """Imported-material bookkeeping of one fake (fidelity §5)."""

    tokens: dict[bytes, ImportToken] = field(default_factory=dict)
    # Earliest ValidTo of any imported material, so expiry checks cost nothing until then.
    next_expiry: datetime | None = None
    # A multi-Region primary's pending material ID -> replica ARNs that still lack it.
    awaiting_replicas: dict[str, set[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Alias:
    name: str
    arn: str
    target_key_id: str
    creation_date: datetime
    last_updated_date: datetime


@dataclass(frozen=True)
class Grant:
    """One grant on one key (CreateGrant); stored, listed and retired, not yet evaluated."""

    grant_id: str
    key_arn: str
    account: str
    region: str
    operations: tuple[str, ...]
    creation_date: datetime
    grantee: str | None = None
    grantee_service: str | None = None
    name: str | None = None
    retiring: str | None = None
    retiring_service: str | None = None
    constraints: Any = None  # GrantConstraints as sent, or None
