"""Imported key material (Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial, and material expiry as the simulated clock passes ValidTo (docs/fidelity.md §5).

Import tokens live in the state's import book. A token binds one key and expires 24 hours of
simulated time after issue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from . import errors, primitives
from .errors import KMSError
from .key_states import SCHEDULED_FOR_DELETION, check_key_state
from .keyspecs import KEY_SPECS
from .model import (
    CURRENT,
    ENABLED,
    NON_CURRENT,
    PENDING_DELETION,
    PENDING_IMPORT,
    PENDING_MULTI_REGION_IMPORT_AND_ROTATION,
    PENDING_REPLICA_DELETION,
    PENDING_ROTATION,
    ImportToken,
    Key,
    KeyMaterial,
)
from .resolve import key_by_id_or_arn
from .state import Request, State

IMPORTED = "IMPORTED"
AWAITING_IMPORT = "PENDING_IMPORT"  # ImportState of deleted or expired material
EXPIRES = "KEY_MATERIAL_EXPIRES"
DOES_NOT_EXPIRE = "KEY_MATERIAL_DOES_NOT_EXPIRE"
NEW = "NEW_KEY_MATERIAL"
EXISTING = "EXISTING_KEY_MATERIAL"
TOKEN_LIFETIME = timedelta(hours=24)  # MODEL: "import token ... valid for 24 hours"
_TOKEN_PREFIX = b"kmsrotate-import-token-v1:"
_PENDING = (PENDING_ROTATION, PENDING_MULTI_REGION_IMPORT_AND_ROTATION)
# ImportKeyMaterial accepts HMAC material from the digest size up to the block size (MODEL docs).
_HMAC_MAX = {"HMAC_224": 64, "HMAC_256": 64, "HMAC_384": 128, "HMAC_512": 128}


# --- shared checks ---------------------------------------------------------------------------


def _external_key(state: State, request: Request) -> Key:
    key = key_by_id_or_arn(state, request)  # inferred: ID or ARN only
    if key.origin != "EXTERNAL":
        # OBS (fidelity §5.6) for AWS_KMS; the custom-key-store origins are inferred to read the same.
        raise errors.origin_not_valid(key.arn, key.origin)
    return key


def _permanent(material: KeyMaterial) -> bool:
    return material.state in (CURRENT, NON_CURRENT)


# --- GetParametersForImport -----------------------------------------------------------------


def get_parameters_for_import(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    key = _external_key(state, request)
    check_key_state(key, SCHEDULED_FOR_DELETION)
    spec, algorithm = p["WrappingKeySpec"], p["WrappingAlgorithm"]
    if spec == "SM2" or algorithm == "SM2PKE":
        # inferred: SM2 wrapping is offered in China Regions only; the fake has no SM2.
        raise errors.unsupported(f"WrappingKeySpec {spec} with WrappingAlgorithm {algorithm} is not supported.")
    wrapping = primitives.wrapping_key(spec)
    token = _TOKEN_PREFIX + state.ids.secret_token("import-token").encode()
    valid_to = request.now + TOKEN_LIFETIME
    state.imports.tokens[token] = ImportToken(key.arn, spec, algorithm, valid_to)
    return {
        "KeyId": key.arn,
        "ImportToken": token,
        "PublicKey": primitives.public_key_der(wrapping),
        "ParametersValidTo": valid_to,
    }


# --- ImportKeyMaterial -----------------------------------------------------------------------


def _check_expiration(request: Request) -> tuple[str, datetime | None]:
    """Fidelity §5.6 ValidTo/ExpirationModel rules, all OBS texts."""
    p = request.params
    model = p.get("ExpirationModel", EXPIRES)
    valid_to: datetime | None = p.get("ValidTo")
    if model == EXPIRES and valid_to is None:
        raise errors.validation("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
    if model == DOES_NOT_EXPIRE and valid_to is not None:
        raise errors.validation("A validTo date cannot be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE")
    if valid_to is not None:
        if valid_to <= request.now:
            raise errors.validation("ValidTo must be in the future")
        if valid_to > request.now + timedelta(days=365):
            raise errors.validation("ValidTo must be less than 365 days in the future")
    return model, valid_to


def _unwrap(state: State, request: Request, key: Key) -> bytes:
    token = state.imports.tokens.get(request.params["ImportToken"])
    if token is None or token.key_arn != key.arn:
        raise KMSError("InvalidImportTokenException", None)  # OBS: no message (fidelity §1, §5.6)
    if request.now >= token.valid_to:
        # inferred: no recorded text; the model's exception doc sentence.
        raise KMSError("ExpiredImportTokenException", "The specified import token is expired.")
    material = primitives.unwrap(
        primitives.wrapping_key(token.wrapping_spec), token.algorithm, request.params["EncryptedKeyMaterial"]
    )
    if material is None:
        raise KMSError("InvalidCiphertextException", None)  # OBS: no message (fidelity §5.6)
    return material


def _parsed_private_key(key: Key, material: bytes) -> primitives.PrivateKey | None:
    """The imported asymmetric private key if it fits the key spec, else None."""
    try:
        loaded = serialization.load_der_private_key(material, password=None)
    except (ValueError, TypeError):
        return None
    spec = key.key_spec
    if isinstance(loaded, rsa.RSAPrivateKey) and spec == f"RSA_{loaded.key_size}":
        return loaded
    if isinstance(loaded, ed25519.Ed25519PrivateKey) and spec == "ECC_NIST_EDWARDS25519":
        return loaded
    curves = {
        "ECC_NIST_P256": "secp256r1",
        "ECC_NIST_P384": "secp384r1",
        "ECC_NIST_P521": "secp521r1",
        "ECC_SECG_P256K1": "secp256k1",
    }
    if isinstance(loaded, ec.EllipticCurvePrivateKey) and curves.get(spec) == loaded.curve.name:
        return loaded
    return None


def _check_material_fits(key: Key, material: bytes) -> primitives.PrivateKey | None:
    info = KEY_SPECS[key.key_spec]
    # inferred: IncorrectKeyMaterialException with no message for bytes of the wrong kind or size.
    wrong = KMSError("IncorrectKeyMaterialException", None)
    if info.is_symmetric_encryption:
        if len(material) != 32:
            raise wrong
        return None
    if info.is_hmac:
        if not primitives.HMAC_KEY_BYTES[key.key_spec] <= len(material) <= _HMAC_MAX[key.key_spec]:
            raise wrong
        return None
    private = _parsed_private_key(key, material)
    if private is None:
        raise wrong
    return private


def import_key_material(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    key = _external_key(state, request)
    check_key_state(key, SCHEDULED_FOR_DELETION)
    model, valid_to = _check_expiration(request)
    import_type = p.get("ImportType") or (EXISTING if key.has_imported else NEW)
    if import_type == NEW and p.get("KeyMaterialId") is not None:
        raise errors.validation("Input parameter keyMaterialId cannot be used with NEW_KEY_MATERIAL importType.")
    secret = _unwrap(state, request, key)
    private = _check_material_fits(key, secret)
    material_id = primitives.imported_material_id(key.account, key.key_id, secret)
    existing = key.lineage.by_id(material_id)
    # A replica's first import of its primary's material is an EXISTING import whatever it says.
    if key.is_replica and existing is not None and p.get("ImportType") is None:
        import_type = EXISTING
    if import_type == NEW:
        material = _import_new(state, key, material_id, secret)
    else:
        material = _import_existing(state, key, material_id, existing, p.get("KeyMaterialId"))
        material.secret = secret
    if private is not None:
        primitives.preset_private_key(material, private)
    material.import_state = IMPORTED
    material.expiration_model = model
    material.valid_to = valid_to
    if p.get("KeyMaterialDescription") is not None:
        material.description = p["KeyMaterialDescription"]
    if valid_to is not None:
        book = state.imports
        book.next_expiry = valid_to if book.next_expiry is None else min(book.next_expiry, valid_to)
    _restore_if_complete(key)
    return {"KeyId": key.arn, "KeyMaterialId": material_id}


def _import_new(state: State, key: Key, material_id: str, secret: bytes) -> KeyMaterial:
    lineage = key.lineage
    if lineage.by_id(material_id) is not None:
        raise KMSError(
            "IncorrectKeyMaterialException",
            f"Key material (id: {material_id}) being imported as NEW_KEY_MATERIAL is already associated with "
            f"KMS key {key.arn}.",
        )
    if not key.has_imported:
        # The first import is current at once: no rotation (fidelity §5.2).
        material = KeyMaterial(material_id=material_id, secret=secret, state=CURRENT, realm=state.ids.realm)
        lineage.materials.append(material)
        key.has_imported = True
        return material
    pending = next((m for m in lineage.materials if m.state in _PENDING), None)
    if pending is not None:
        raise errors.invalid_state(
            f"New key material (id: {material_id}) cannot be imported into KMS key {key.arn}, because another "
            f"key material (id: {pending.material_id}) is pending rotation."
        )
    replicas = set(key.lineage.replica_arns)
    material = KeyMaterial(
        material_id=material_id,
        secret=secret,
        state=PENDING_MULTI_REGION_IMPORT_AND_ROTATION if replicas else PENDING_ROTATION,
        realm=state.ids.realm,
    )
    lineage.materials.append(material)
    if replicas:
        state.imports.awaiting_replicas[material_id] = replicas
    return material


def _import_existing(
    state: State, key: Key, material_id: str, existing: KeyMaterial | None, expected_id: str | None
) -> KeyMaterial:
    if expected_id is None:
        current = key.lineage.current()
        expected_id = current.material_id if current is not None else material_id
        if existing is not None:
            expected_id = material_id
    if existing is None or expected_id != material_id:
        raise KMSError(
            "IncorrectKeyMaterialException",
            f"Imported key material does not have the expected identifier ({expected_id}).",
        )
    if key.is_replica:
        key.has_imported = True
        waiting = state.imports.awaiting_replicas.get(material_id)
        if waiting is not None:
            waiting.discard(key.arn)
            if not waiting:
                del state.imports.awaiting_replicas[material_id]
                existing.state = PENDING_ROTATION
    return existing


def _restore_if_complete(key: Key) -> None:
    """PendingImport ends once every permanently associated material is imported again (fidelity §5.7)."""
    if key.key_state != PENDING_IMPORT:
        return
    if all(m.import_state == IMPORTED for m in key.lineage.materials if _permanent(m)) and key.lineage.current():
        key.key_state = ENABLED


# --- DeleteImportedKeyMaterial ---------------------------------------------------------------


def delete_imported_key_material(state: State, request: Request) -> dict[str, Any]:
    key = _external_key(state, request)
    wanted = request.params.get("KeyMaterialId")
    if wanted is None:
        material = key.lineage.current()
        if material is None:
            return {"KeyId": key.arn}  # inferred: nothing was ever imported, nothing to delete
    else:
        found = key.lineage.by_id(wanted)
        if found is None:
            raise errors.validation(f"Key material (id: {wanted}) has never been imported into KMS key {key.arn}.")
        material = found
    if material.state in _PENDING:
        _delete_pending(state, key, material)
    else:
        _unimport(material)
        if key.key_state not in SCHEDULED_FOR_DELETION:
            key.key_state = PENDING_IMPORT
    return {"KeyId": key.arn, "KeyMaterialId": material.material_id}


def _delete_pending(state: State, key: Key, material: KeyMaterial) -> None:
    book = state.imports
    if key.is_replica:
        # On a replica only that replica loses it: the primary waits for it again (fidelity §12).
        material.state = PENDING_MULTI_REGION_IMPORT_AND_ROTATION
        book.awaiting_replicas.setdefault(material.material_id, set()).add(key.arn)
        return
    key.lineage.materials.remove(material)
    book.awaiting_replicas.pop(material.material_id, None)


def _unimport(material: KeyMaterial) -> None:
    # The bytes stay in memory (a multi-Region relative may still hold them); the key state gates use.
    material.import_state = AWAITING_IMPORT
    material.expiration_model = None
    material.valid_to = None


# --- expiry ----------------------------------------------------------------------------------


def expire_materials(state: State, now: datetime) -> None:
    """Expire imported material whose ValidTo has passed; the engine calls this before each operation.

    Expired current or non-current material puts every key holding it in PendingImport, as
    DeleteImportedKeyMaterial does (fidelity §5.7). Expired pending material is dropped (inferred:
    it can no longer be rotated in).
    """
    book = state.imports
    if book.next_expiry is None or now < book.next_expiry:
        return
    next_expiry: datetime | None = None
    seen: dict[int, bool] = {}
    for key in state.keys.values():
        if key.origin != "EXTERNAL":
            continue
        lineage = key.lineage
        if id(lineage) not in seen:
            lost_permanent = False
            for material in list(lineage.materials):
                if material.valid_to is None or material.import_state != IMPORTED:
                    continue
                if material.valid_to > now:
                    next_expiry = material.valid_to if next_expiry is None else min(next_expiry, material.valid_to)
                elif material.state in _PENDING:
                    lineage.materials.remove(material)
                    book.awaiting_replicas.pop(material.material_id, None)
                else:
                    _unimport(material)
                    lost_permanent = True
            seen[id(lineage)] = lost_permanent
        if seen[id(lineage)] and key.key_state not in (PENDING_DELETION, PENDING_REPLICA_DELETION):
            key.key_state = PENDING_IMPORT
    book.next_expiry = next_expiry


OPERATIONS = {
    "GetParametersForImport": get_parameters_for_import,
    "ImportKeyMaterial": import_key_material,
    "DeleteImportedKeyMaterial": delete_imported_key_material,
}
