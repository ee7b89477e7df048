"""Real cryptography for the fake: the ciphertext blob, key pairs, signatures, MACs, import wrapping.

Pure functions over bytes and `KeyMaterial`; no KMS rules live here (crypto_operations and imports own
those). Anything expensive (RSA key generation, HKDF) happens at most once per material and is
cached on the material object, so a key that is never used for signing never pays for a key pair.

Ciphertext blob, version 1 (the fake's own format; AWS's is opaque too):

    b"\\x01" | u16 len | key ARN | 32-byte KeyMaterialId | 12-byte nonce | AES-256-GCM(ct || tag)

The GCM associated data is the header (everything before the nonce), the owning fake's realm and
the canonical EncryptionContext, so a blob's key and material cannot be swapped, a different
context fails, and another fake refuses the blob even for imported material it holds too.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import os
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

from .ed25519ph import sign as ed25519ph_sign
from .ed25519ph import verify as ed25519ph_verify
from .model import KeyMaterial

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

if TYPE_CHECKING:  # the post-quantum modules exist from cryptography 47 only; pyproject allows 42
    from cryptography.hazmat.primitives.asymmetric import mldsa, mlkem

    MlDsaKey = mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey
    PqKey = MlDsaKey | mlkem.MLKEM768PrivateKey | mlkem.MLKEM1024PrivateKey

BLOB_VERSION = 1
_NONCE = 12
_TAG = 16
_MATERIAL = 32


# Materials made by the fake draw their secret on first cryptographic use, not at rotation: a
# test that lives through a century of automatic rotations never pays for secrets it never uses.
# The secret is keyed by the owning fake's realm, so two fakes that name a material alike (same
# seed) still hold different secrets; _ROOT only serves materials made outside any fake.
_ROOT = os.urandom(32)


def secret_of(material: KeyMaterial) -> bytes:
    if material.secret is None:
        material.secret = hashlib.sha256((material.realm or _ROOT) + material.material_id.encode()).digest()
    return material.secret


def _derived(material: KeyMaterial) -> dict[str, Any]:
    if material.derived is None:
        material.derived = {}
    return material.derived


# Keys of the per-material cache of objects derived from the secret.
_PRIVATE_ATTR = "private_key"
_HMAC_ATTR = "hmac_key"
_AEAD_ATTR = "aead"

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA_1": hashes.SHA1,
    "SHA_224": hashes.SHA224,
    "SHA_256": hashes.SHA256,
    "SHA_384": hashes.SHA384,
    "SHA_512": hashes.SHA512,
}
_CURVES: dict[str, ec.EllipticCurve] = {
    "ECC_NIST_P256": ec.SECP256R1(),
    "ECC_NIST_P384": ec.SECP384R1(),
    "ECC_NIST_P521": ec.SECP521R1(),
    "ECC_SECG_P256K1": ec.SECP256K1(),
}
# AWS HMAC keys are as long as the digest they are named after.
HMAC_KEY_BYTES = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}


def _hash_of(algorithm: str) -> hashes.HashAlgorithm:
    """The hash an algorithm name ends with: RSASSA_PSS_SHA_256 -> SHA256, HMAC_SHA_384 -> SHA384."""
    return _HASHES[algorithm[algorithm.index("SHA_") :]]()


# --- the symmetric ciphertext blob -----------------------------------------------------------


def canonical_context(context: Mapping[str, str] | None) -> bytes:
    """The EncryptionContext as AWS treats it: an unordered map, so key order never matters."""
    if not context:
        return b""
    text = json.dumps(dict(context), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # The protocol refuses lone surrogates (SerializationException); a caller of the engine itself
    # may still pass one, and must get an answer rather than a UnicodeEncodeError from in here.
    return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class SealedBlob:
    key_arn: str
    material_id: str
    header: bytes
    nonce: bytes
    body: bytes


def _aead(material: KeyMaterial) -> AESGCM:
    cached: AESGCM | None = _derived(material).get(_AEAD_ATTR)
    if cached is None:
        cached = AESGCM(secret_of(material))
        _derived(material)[_AEAD_ATTR] = cached
    return cached


def seal(key_arn: str, material: KeyMaterial, plaintext: bytes, context: Mapping[str, str] | None) -> bytes:
    arn = key_arn.encode()
    header = bytes([BLOB_VERSION]) + struct.pack(">H", len(arn)) + arn + bytes.fromhex(material.material_id)
    nonce = os.urandom(_NONCE)
    associated = header + material.realm + canonical_context(context)
    return header + nonce + _aead(material).encrypt(nonce, plaintext, associated)


def parse_blob(blob: bytes) -> SealedBlob | None:
    """The blob's parts, or None when it is not a well-formed blob of this fake."""
    if len(blob) < 3 or blob[0] != BLOB_VERSION:
        return None
    (arn_len,) = struct.unpack(">H", blob[1:3])
    header_len = 3 + arn_len + _MATERIAL
    if len(blob) < header_len + _NONCE + _TAG:
        return None
    try:
        arn = blob[3 : 3 + arn_len].decode()
    except UnicodeDecodeError:
        return None
    return SealedBlob(
        key_arn=arn,
        material_id=blob[3 + arn_len : header_len].hex(),
        header=blob[:header_len],
        nonce=blob[header_len : header_len + _NONCE],
        body=blob[header_len + _NONCE :],
    )


def open_blob(sealed: SealedBlob, material: KeyMaterial, context: Mapping[str, str] | None) -> bytes | None:
    """The plaintext, or None when the blob or its context fails authentication."""
    try:
        associated = sealed.header + material.realm + canonical_context(context)
        return _aead(material).decrypt(sealed.nonce, sealed.body, associated)
    except (InvalidTag, ValueError):
        return None


# --- asymmetric key pairs --------------------------------------------------------------------


def private_key(material: KeyMaterial, key_spec: str, imported: bool = False) -> PrivateKey:
    """The material's private key, made on first use and cached on the material.

    Generated keys: RSA is generated (the slow part, hence lazily); ECC and Ed25519 private keys
    are derived from the material's 32-byte secret, which makes them deterministic per test.
    Imported keys: the secret is the PKCS #8 DER the caller imported.
    """
    cached: PrivateKey | None = _derived(material).get(_PRIVATE_ATTR)
    if cached is not None:
        return cached
    key: PrivateKey
    if imported:
        loaded = serialization.load_der_private_key(secret_of(material), password=None)
        if not isinstance(loaded, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)):
            raise ValueError("unsupported imported private key")
        key = loaded
    elif key_spec.startswith("RSA_"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(key_spec[4:]))
    elif key_spec == "ECC_NIST_EDWARDS25519":
        key = ed25519.Ed25519PrivateKey.from_private_bytes(secret_of(material)[:32])
    elif key_spec in _CURVES:
        curve = _CURVES[key_spec]
        scalar = int.from_bytes(hashlib.sha512(secret_of(material)).digest(), "big")
        key = ec.derive_private_key(scalar % (_ORDERS[key_spec] - 1) + 1, curve)
    else:
        raise ValueError(f"no key pair for key spec {key_spec}")
    _derived(material)[_PRIVATE_ATTR] = key
    return key


_ORDERS = {
    "ECC_NIST_P256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "ECC_NIST_P384": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16
    ),
    "ECC_NIST_P521": int(
        "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
        "FFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
        16,
    ),
    "ECC_SECG_P256K1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
}


def preset_private_key(material: KeyMaterial, key: PrivateKey) -> None:
    """Cache an already-parsed key (imports parse the DER once to validate it)."""
    _derived(material)[_PRIVATE_ATTR] = key


def public_key_der(key: PrivateKey) -> bytes:
    """DER SubjectPublicKeyInfo, what GetPublicKey returns."""
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def digest_size(algorithm: str) -> int:
    return _hash_of(algorithm).digest_size


# KMS takes only a DIGEST for it and still applies Ed25519ph's own SHA-512 prehash to those bytes
# (Sign's MessageType docs, MODEL), so the caller's digest is the M of RFC 8032, not PH(M).
ED25519_PH = "ED25519_PH_SHA_512"


def sign(key: PrivateKey, algorithm: str, message: bytes, is_digest: bool) -> bytes:
    """Sign as AWS does: PSS salt = digest length, ECDSA signatures DER-encoded."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        if algorithm == ED25519_PH:
            return ed25519ph_sign(key.private_bytes_raw(), hashlib.sha512(message).digest())
        return key.sign(message)
    chosen = _hash_of(algorithm)
    hash_arg: hashes.HashAlgorithm | utils.Prehashed = utils.Prehashed(chosen) if is_digest else chosen
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, _rsa_signature_padding(algorithm, chosen), hash_arg)
    return key.sign(message, ec.ECDSA(hash_arg))


def verify(key: PrivateKey, algorithm: str, message: bytes, is_digest: bool, signature: bytes) -> bool:
    public = key.public_key()
    try:
        if isinstance(public, ed25519.Ed25519PublicKey):
            if algorithm == ED25519_PH:
                return ed25519ph_verify(public.public_bytes_raw(), hashlib.sha512(message).digest(), signature)
            public.verify(signature, message)
            return True
        chosen = _hash_of(algorithm)
        hash_arg: hashes.HashAlgorithm | utils.Prehashed = utils.Prehashed(chosen) if is_digest else chosen
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, message, _rsa_signature_padding(algorithm, chosen), hash_arg)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, message, ec.ECDSA(hash_arg))
        else:  # pragma: no cover - private_key() only makes the three kinds above
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def _rsa_signature_padding(algorithm: str, chosen: hashes.HashAlgorithm) -> padding.AsymmetricPadding:
    if algorithm.startswith("RSASSA_PSS_"):
        return padding.PSS(mgf=padding.MGF1(chosen), salt_length=chosen.digest_size)
    return padding.PKCS1v15()


def _oaep(algorithm: str) -> padding.OAEP:
    chosen = _hash_of(algorithm)
    return padding.OAEP(mgf=padding.MGF1(chosen), algorithm=chosen, label=None)


def rsa_max_plaintext(key_spec: str, algorithm: str) -> int:
    """OAEP's limit: modulus bytes - 2 * hash bytes - 2 (190 for RSA_2048 with SHA-256)."""
    return int(key_spec[4:]) // 8 - 2 * digest_size(algorithm) - 2


def rsa_encrypt(key: PrivateKey, algorithm: str, plaintext: bytes) -> bytes:
    public = key.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    return public.encrypt(plaintext, _oaep(algorithm))


def rsa_decrypt(key: PrivateKey, algorithm: str, ciphertext: bytes) -> bytes | None:
    if not isinstance(key, rsa.RSAPrivateKey):
        return None
    try:
        return key.decrypt(ciphertext, _oaep(algorithm))
    except ValueError:
        return None


# --- post-quantum key pairs (ML-DSA, ML-KEM) --------------------------------------------------

_PQ_ATTR = "pq_key"
# (module, class, seed bytes): FIPS 204 seeds are 32 bytes (xi), FIPS 203 seeds 64 (d || z).
_PQ_CLASSES = {
    "ML_DSA_44": ("mldsa", "MLDSA44PrivateKey", 32),
    "ML_DSA_65": ("mldsa", "MLDSA65PrivateKey", 32),
    "ML_DSA_87": ("mldsa", "MLDSA87PrivateKey", 32),
    "ML_KEM_512": ("mlkem", "MLKEM512PrivateKey", 64),
    "ML_KEM_768": ("mlkem", "MLKEM768PrivateKey", 64),
    "ML_KEM_1024": ("mlkem", "MLKEM1024PrivateKey", 64),
}


def _pq_class(key_spec: str) -> Any:
    """The `cryptography` class for the spec, or None where this version lacks it (ML-KEM-512 in 50.x)."""
    module_name, class_name, _ = _PQ_CLASSES[key_spec]
    try:
        module = importlib.import_module(f"cryptography.hazmat.primitives.asymmetric.{module_name}")
    except ImportError:
        return None
    return getattr(module, class_name, None)


def pq_private_key(material: KeyMaterial, key_spec: str) -> PqKey | None:
    """The material's ML-DSA or ML-KEM private key, or None when this `cryptography` cannot make it.

    Made on first use from a seed derived from the material's secret, so it is deterministic per
    material and a key that never signs never pays for it.
    """
    cached = _derived(material).get(_PQ_ATTR)
    if cached is not None:
        return cast("PqKey", cached)
    cls = _pq_class(key_spec)
    if cls is None:
        return None
    size = _PQ_CLASSES[key_spec][2]
    seed = hashlib.shake_256(b"kmsrotate " + key_spec.encode() + b"\x00" + secret_of(material)).digest(size)
    try:
        key = cast("PqKey", cls.from_seed_bytes(seed))
    except UnsupportedAlgorithm:  # cryptography built against an OpenSSL without ML-DSA/ML-KEM
        return None
    _derived(material)[_PQ_ATTR] = key
    return key


def pq_public_key_der(key: PqKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def mldsa_sign(key: MlDsaKey, message: bytes, external_mu: bool) -> bytes:
    """Pure ML-DSA with an empty context, as KMS signs RAW; EXTERNAL_MU signs a caller-made mu (FIPS 204 6.2)."""
    return key.sign_mu(message) if external_mu else key.sign(message)


def mldsa_verify(key: MlDsaKey, message: bytes, external_mu: bool, signature: bytes) -> bool:
    public = key.public_key()
    try:
        if external_mu:
            public.verify_mu(signature, message)
        else:
            public.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- HMAC ------------------------------------------------------------------------------------


def hmac_key(material: KeyMaterial, key_spec: str, imported: bool = False) -> bytes:
    """The HMAC key: imported bytes as they are, or the 32-byte secret stretched to the spec's size."""
    cached: bytes | None = _derived(material).get(_HMAC_ATTR)
    if cached is None:
        if imported:
            cached = secret_of(material)
        else:
            size = HMAC_KEY_BYTES[key_spec]
            cached = HKDF(hashes.SHA256(), size, salt=None, info=b"kmsrotate hmac " + key_spec.encode()).derive(
                secret_of(material)
            )
        _derived(material)[_HMAC_ATTR] = cached
    return cached


def mac(key: bytes, algorithm: str, message: bytes) -> bytes:
    return hmac.new(key, message, _hash_of(algorithm).name).digest()


def mac_matches(key: bytes, algorithm: str, message: bytes, tag: bytes) -> bool:
    return hmac.compare_digest(mac(key, algorithm, message), tag)


# --- import wrapping -------------------------------------------------------------------------

_WRAPPING_KEYS: dict[str, rsa.RSAPrivateKey] = {}
_WRAPPING_LOCK = threading.Lock()


def wrapping_key(spec: str) -> rsa.RSAPrivateKey:
    """An RSA wrapping key pair for GetParametersForImport.

    AWS makes a fresh pair per call; generating RSA_4096 takes about a second, so the fake makes
    one per spec per process. The pair only protects material in transit inside one process,
    and each import token still binds its own key and expiry.
    """
    with _WRAPPING_LOCK:
        key = _WRAPPING_KEYS.get(spec)
        if key is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=int(spec[4:]))
            _WRAPPING_KEYS[spec] = key
        return key


def unwrap(key: rsa.RSAPrivateKey, algorithm: str, wrapped: bytes) -> bytes | None:
    """Undo the wrapping the caller did with the public key; None if it does not decrypt."""
    try:
        if algorithm == "RSAES_PKCS1_V1_5":
            return key.decrypt(wrapped, padding.PKCS1v15())
        if algorithm in ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"):
            return key.decrypt(wrapped, _oaep(algorithm))
        if algorithm in ("RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"):
            # RSA-OAEP-wrapped ephemeral AES key, then RFC 5649 AES key wrap of the material.
            split = key.key_size // 8
            aes_key = key.decrypt(wrapped[:split], _oaep(algorithm.replace("RSA_AES_KEY_WRAP", "RSAES_OAEP")))
            return aes_key_unwrap_with_padding(aes_key, wrapped[split:])
    except (ValueError, InvalidUnwrap):
        return None
    return None


def imported_material_id(account: str, key_id: str, material: bytes) -> str:
    """Deterministic KeyMaterialId for imported bytes (fidelity §5.2: same key and bytes, same id).

    Keyed by the key ID, not the ARN, so a multi-Region replica (same mrk- ID) gets the same id.
    """
    return hashlib.sha256(
        b"kmsrotate imported material\x00" + f"{account}:{key_id}".encode() + b"\x00" + material
    ).hexdigest()
