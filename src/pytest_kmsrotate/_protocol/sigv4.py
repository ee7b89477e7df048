"""AWS Signature Version 4 checked the way KMS checks it, for requests that arrive over HTTP.

The expected signature is computed by botocore's own `SigV4Auth` (the signer every Python
client uses), fed the request exactly as it arrived: only the headers the client says it
signed, the body's real SHA-256, and the client's own signing time and credential scope. This
module decides nothing about transport; the HTTP door hands it the request's parts and the
times it accepts, and turns a refusal into AWS's error answer.

Messages are AWS's: see docs/fidelity.md ("Endpoint: signatures") for the evidence of each.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from hashlib import sha256
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "kms"
# KMS refuses a signature more than five minutes from its own time (aws-sdk-js-v3#6400).
MAX_SKEW = timedelta(minutes=5)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"

MISSING_TOKEN = "Request is missing Authentication Token"
INVALID_TOKEN = "The security token included in the request is invalid."
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class Refusal:
    """Why a request's signature is not accepted, as AWS says it."""

    code: str
    message: str
    status: int = 400


@dataclass(frozen=True)
class Signer:
    """Who signed an accepted request, and for which region."""

    access_key: str
    region: str


def _incomplete(message: str) -> Refusal:
    return Refusal("IncompleteSignatureException", message)


def _invalid(message: str) -> Refusal:
    return Refusal("InvalidSignatureException", message)


def _fields(authorization: str) -> dict[str, str] | Refusal:
    """The key=value fields after the algorithm, or AWS's complaint about the first bad one."""
    _, _, rest = authorization.partition(" ")
    fields: dict[str, str] = {}
    for part in (p.strip() for p in rest.split(",")):
        if not part:
            continue
        if "=" not in part:
            return _incomplete(
                f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'."
            )
        name, _, value = part.partition("=")
        fields[name.strip()] = value.strip()
    return fields


def _signing_time(headers: Mapping[str, str]) -> datetime | None:
    amz_date = headers.get("X-Amz-Date")
    if amz_date:
        try:
            return datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=timezone.utc)
        except ValueError:
            return None
    date = headers.get("Date")
    if date:
        try:
            when = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return None
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return None


def _stamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime(_AMZ_DATE)


def _skew(signed_at: datetime, accepted: Sequence[tuple[datetime, datetime]]) -> Refusal | None:
    """None if the signing time is within five minutes of a span of accepted times; the first
    span's end is the "now" the refusal quotes."""
    if any(earliest - MAX_SKEW <= signed_at <= latest + MAX_SKEW for earliest, latest in accepted):
        return None
    now = accepted[0][1]
    if signed_at < now:
        return _invalid(f"Signature expired: {_stamp(signed_at)} is now earlier than "
                        f"{_stamp(now - MAX_SKEW)} ({_stamp(now)} - 5 min.)")
    return _invalid(f"Signature not yet current: {_stamp(signed_at)} is still later than "
                    f"{_stamp(now + MAX_SKEW)} ({_stamp(now)} + 5 min.)")


class _ArrivedRequestAuth(SigV4Auth):  # type: ignore[misc]  # botocore is untyped
    """botocore's signer, told to sign what the client signed rather than what it would choose."""

    def __init__(self, credentials: Credentials, region: str, signed_headers: Sequence[str], body: bytes) -> None:
        super().__init__(credentials, SERVICE, region)
        self._signed_headers = signed_headers
        self._body_hash = sha256(body).hexdigest()

    def headers_to_sign(self, request: Any) -> Any:
        # Exactly the client's list: botocore's own choice would drop some (user-agent) a client may sign.
        header_map = HTTPHeaders()
        for name in self._signed_headers:
            for value in request.headers.get_all(name) or []:
                header_map[name] = value
        return header_map

    def payload(self, request: Any) -> str:
        return self._body_hash


def verify(
    method: str,
    path: str,
    headers: Any,
    body: bytes,
    secret_for: Callable[[str], str | None],
    accepted: Sequence[tuple[datetime, datetime]],
) -> Signer | Refusal:
    """Check one request's SigV4 `Authorization` header.

    `headers` is the request's case-insensitive header map (an `email.message.Message`, as
    `http.server` gives it); `secret_for` returns the secret of a known access key, else None;
    `accepted` are spans (earliest, latest) of times a signing time may be within five minutes of.
    """
    authorization = headers.get("Authorization")
    if not authorization:
        return Refusal("MissingAuthenticationTokenException", MISSING_TOKEN)
    fields = _fields(authorization)
    if isinstance(fields, Refusal):
        return fields
    algorithm = authorization.partition(" ")[0]
    missing = [f"Authorization header requires '{name}' parameter."
               for name in ("Credential", "Signature", "SignedHeaders") if not fields.get(name)]
    signed_at = _signing_time(headers)
    if headers.get("X-Amz-Date") is None and headers.get("Date") is None:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        return _incomplete(" ".join(missing) + f" Authorization={authorization}")
    if algorithm != ALGORITHM:
        return _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'")  # inferred: AWS's wording unseen
    credential = fields["Credential"].split("/")
    if len(credential) != 5:
        return _incomplete("Credential must have exactly 5 slash-delimited elements, e.g. "
                           f"keyid/date/region/service/term, got '{fields['Credential']}'")
    access_key, scope_date, region, service, terminator = credential
    secret = secret_for(access_key)
    if secret is None:
        return Refusal("UnrecognizedClientException", INVALID_TOKEN)
    if signed_at is None:
        return _incomplete("Date must be in ISO-8601 'basic format'. Got "
                           f"'{headers.get('X-Amz-Date') or headers.get('Date')}'. "
                           "See http://en.wikipedia.org/wiki/ISO_8601")
    if terminator != "aws4_request":
        return _invalid(f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'.")
    if service != SERVICE:
        return _invalid(f"Credential should be scoped to correct service: '{SERVICE}'. ")
    stamp = _stamp(signed_at)
    if scope_date != stamp[:8]:
        return _invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                        f"from HTTP: '{scope_date}' != '{stamp[:8]}', from '{stamp}'.")
    signed_headers = [h.strip().lower() for h in fields["SignedHeaders"].split(";") if h.strip()]
    if "host" not in signed_headers:
        return _incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    for name in signed_headers:
        if headers.get(name) is None:
            return _incomplete(f"'{name}' is named as a SignedHeader, but it does not exist in the HTTP request.")
    claimed = headers.get("X-Amz-Content-SHA256")
    if claimed is not None and claimed != sha256(body).hexdigest():
        return _invalid("The provided 'x-amz-content-sha256' header does not match what was computed.")
    expected = _expected_signature(method, path, headers, body, access_key, secret, region, signed_headers, stamp)
    if not hmac.compare_digest(expected, fields["Signature"]):
        return _invalid(SIGNATURE_MISMATCH)
    refusal = _skew(signed_at, accepted)
    if refusal is not None:
        return refusal
    return Signer(access_key, region)


def _expected_signature(method: str, path: str, headers: Any, body: bytes, access_key: str, secret: str,
                        region: str, signed_headers: Sequence[str], stamp: str) -> str:
    request = AWSRequest(method=method, url=f"http://{headers.get('Host', '')}{path}", data=body)
    for name in signed_headers:
        for value in headers.get_all(name) or []:
            request.headers.add_header(name, value)
    request.context["timestamp"] = stamp
    auth = _ArrivedRequestAuth(Credentials(access_key, secret), region, signed_headers, body)
    canonical = auth.canonical_request(request)
    return str(auth.signature(auth.string_to_sign(request, canonical), request))
