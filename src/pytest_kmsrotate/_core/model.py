"""The fake's state as plain data: keys, their key materials and rotation settings, aliases.

Nothing here enforces a rule; the operation modules do. Keeping the data dumb keeps every
rule in one place and lets the pytest adapter read state without going through the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .ids import run_material_id, run_material_ids

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


@dataclass(slots=True, eq=False)
class MaterialRun:
    """`count` automatic rotations of one AWS_KMS key a `period` apart, made by one clock jump.

    A century of 90-day rotations over a thousand keys is 405,000 materials; a run stands for
    its share of them in a few dozen bytes. Every member is NON_CURRENT (the run's last rotation
    is a `KeyMaterial` of its own, after the run) and nothing changes a NON_CURRENT AWS_KMS
    material, so a member is fully described by its position: its ID comes from the run's
    reserved name stream (`ids.run_material_ids`), its date is `start + period * i`, and its
    secret is derived from realm and ID on first use, like every made material's. Members are
    built when read; one that is looked up by ID (a Decrypt of an old ciphertext) is kept, so
    its derived cipher is made once.
    """

    seed: bytes
    first_position: int
    count: int
    start: datetime
    period: timedelta
    realm: bytes
    kept: dict[str, KeyMaterial] = field(default_factory=dict)

    def material_ids(self) -> list[str]:
        return run_material_ids(self.seed, self.first_position, self.count)

    def date(self, index: int) -> datetime:
        """The rotation date of the member at `index`."""
        return self.start + self.period * index

    def _member(self, index: int, material_id: str) -> KeyMaterial:
        kept = self.kept.get(material_id)
        if kept is not None:
            return kept
        return KeyMaterial(material_id, None, NON_CURRENT, self.date(index), AUTOMATIC,
                           realm=self.realm)

    def members(self) -> Iterator[KeyMaterial]:
        for index, material_id in enumerate(self.material_ids()):
            yield self._member(index, material_id)

    def member(self, index: int) -> KeyMaterial:
        """The member at `index`, kept from now on."""
        material = self._member(index, run_material_id(self.seed, self.first_position, index))
        self.kept[material.material_id] = material
        return material

    def find(self, material_id: str) -> KeyMaterial | None:
        kept = self.kept.get(material_id)
        if kept is not None:
            return kept
        if len(material_id) != 64:
            return None
        ids = self.material_ids()
        try:
            index = ids.index(material_id)
        except ValueError:
            return None
        return self.member(index)


class Materials:
    """A key's materials in the order the key received them: `KeyMaterial`s and `MaterialRun`s.

    Reads like a list of `KeyMaterial` (iteration, `len`, indexing, `append`, `remove`); a run's
    members are built as they are read (see `MaterialRun`). Only `KeyMaterial`s outside runs are
    ever CURRENT, PENDING or removed, so `current()` and the import rules never open a run.
    """

    __slots__ = ("_length", "_parts")

    def __init__(self, materials: Iterable[KeyMaterial] = ()) -> None:
        self._parts: list[KeyMaterial | MaterialRun] = list(materials)
        self._length = len(self._parts)

    def __iter__(self) -> Iterator[KeyMaterial]:
        for part in self._parts:
            if isinstance(part, MaterialRun):
                yield from part.members()
            else:
                yield part

    def __reversed__(self) -> Iterator[KeyMaterial]:
        for part in reversed(self._parts):
            if isinstance(part, MaterialRun):
                yield from reversed(list(part.members()))
            else:
                yield part

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return self._length > 0

    def __getitem__(self, index: int) -> KeyMaterial:
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("material index out of range")
        for part in self._parts:
            if isinstance(part, MaterialRun):
                if index < part.count:
                    return part.member(index)
                index -= part.count
            elif index == 0:
                return part
            else:
                index -= 1
        raise IndexError("material index out of range")  # pragma: no cover - the length says otherwise

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Materials):
            return NotImplemented
        return list(self) == list(other)

    def __repr__(self) -> str:
        return f"Materials({list(self)!r})"

    def append(self, material: KeyMaterial) -> None:
        self._parts.append(material)
        self._length += 1

    def extend(self, materials: Iterable[KeyMaterial]) -> None:
        for material in materials:
            self.append(material)

    def add_run(self, run: MaterialRun) -> None:
        self._parts.append(run)
        self._length += run.count

    def remove(self, material: KeyMaterial) -> None:
        """Remove a material outside any run (imported material: runs hold only made ones)."""
        for n, part in enumerate(self._parts):
            if part is material:
                del self._parts[n]
                self._length -= 1
                return
        raise ValueError("material not in this lineage")

    def current(self) -> KeyMaterial | None:
        for part in reversed(self._parts):
            if not isinstance(part, MaterialRun) and part.state == CURRENT:
                return part
        return None

    def by_id(self, material_id: str) -> KeyMaterial | None:
        for part in self._parts:
            if isinstance(part, MaterialRun):
                found = part.find(material_id)
                if found is not None:
                    return found
            elif part.material_id == material_id:
                return part
        return None

    def copy(self, copy_material: Callable[[KeyMaterial], KeyMaterial]) -> Materials:
        """A copy holding `copy_material(m)` for every material outside a run; runs are shared
        (nothing changes them once made; their kept members share caches, as copies do)."""
        copied = Materials()
        copied._parts = [part if isinstance(part, MaterialRun) else copy_material(part)
                         for part in self._parts]
        copied._length = self._length
        return copied


@dataclass
class Lineage:
    """What a multi-Region primary shares with its replicas: materials and rotation settings.

    A single-Region key has a lineage of its own. Sharing the object (rather than copying on
    every change) is what makes a replica mirror its primary at every instant, as AWS shows it.
    """

    materials: Materials = field(default_factory=Materials)
    # The multi-Region family: who is primary now, and the replicas (empty for single-Region keys).
    primary_arn: str = ""
    replica_arns: list[str] = field(default_factory=list)
    rotation_enabled: bool = False
    rotation_period_days: int | None = None
    next_rotation_date: datetime | None = None
    on_demand_started: datetime | None = None
    on_demand_used: int = 0
    # How long this key's on-demand rotations take (None: the fake's Config.on_demand_delay), and
    # when the one in progress completes.
    on_demand_delay: timedelta | None = None
    on_demand_due: datetime | None = None

    def current(self) -> KeyMaterial | None:
        return self.materials.current()

    def by_id(self, material_id: str) -> KeyMaterial | None:
        return self.materials.by_id(material_id)


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
    """One grant on one key (CreateGrant); it authorises its operations when policies are enforced."""

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
