"""Ed25519ph (RFC 8032 §5.1, phflag = 1, empty context, PH = SHA-512) in pure Python.

The `cryptography` package only does PureEdDSA, and KMS offers ED25519_PH_SHA_512, so this
module fills the gap. It is meant to be correct, not fast or constant-time: it signs test data.
Both functions take the prehash PH(M) = SHA-512(M), never M itself.
"""

from __future__ import annotations

import hashlib

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
# dom2(phflag=1, context="") from RFC 8032 §2.
_DOM2 = b"SigEd25519 no Ed25519 collisions" + b"\x01\x00"

Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z


def _add(p: Point, q: Point) -> Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(scalar: int, p: Point) -> Point:
    result: Point = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, p)
        p = _add(p, p)
        scalar >>= 1
    return result


def _equal(p: Point, q: Point) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % _P == 0 and (p[1] * q[2] - q[1] * p[2]) % _P == 0


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    if x & 1 != sign:
        x = _P - x
    return x


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _recover_x(_GY, 0)
assert _GX is not None
_G: Point = (_GX, _GY, 1, _GX * _GY % _P)


def _encode(p: Point) -> bytes:
    z_inv = pow(p[2], _P - 2, _P)
    x, y = p[0] * z_inv % _P, p[1] * z_inv % _P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def _decode(data: bytes) -> Point | None:
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def _hash_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(_DOM2 + b"".join(parts)).digest(), "little") % _L


def _expand(seed: bytes) -> tuple[int, bytes]:
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def public_key(seed: bytes) -> bytes:
    """The 32-byte public key of a 32-byte seed (the same one PureEdDSA derives)."""
    return _encode(_mul(_expand(seed)[0], _G))


def sign(seed: bytes, prehash: bytes) -> bytes:
    """64-byte Ed25519ph signature over PH(M) = `prehash` (64 bytes)."""
    a, prefix = _expand(seed)
    public = _encode(_mul(a, _G))
    r = _hash_int(prefix, prehash)
    big_r = _encode(_mul(r, _G))
    s = (r + _hash_int(big_r, public, prehash) * a) % _L
    return big_r + s.to_bytes(32, "little")


def verify(public: bytes, prehash: bytes, signature: bytes) -> bool:
    """Whether `signature` is a valid Ed25519ph signature over PH(M) = `prehash` (cofactorless check)."""
    if len(signature) != 64:
        return False
    point_a = _decode(public)
    point_r = _decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if point_a is None or point_r is None or s >= _L:
        return False
    k = _hash_int(signature[:32], public, prehash)
    return _equal(_mul(s, _G), _add(point_r, _mul(k, point_a)))
