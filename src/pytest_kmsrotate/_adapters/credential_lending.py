"""Which credentials a KMS request is signed with while a fake runs; shared by the botocore doors.

A client made before the fake may hold the machine's refreshable credentials (SSO, assume-role,
web identity, credential_process, instance metadata): signing with them could refresh them over
the network or run a process. Static credentials (a developer's keys, or a principal's from
`kms_rotation.principal`) are read without any look-up and kept, so the fake learns who is
calling; the request never leaves the process either way. botocore and aiobotocore differ only
in their static credential class (aiobotocore's frozen copy is awaited), so each door passes its own.
"""

from __future__ import annotations

from typing import Any


def lend_credentials(kwargs: dict[str, Any], static_type: Any, throwaway: Any) -> None:
    """On a `before-sign.kms.*` event: sign with `throwaway` unless the client holds static credentials."""
    signer = kwargs.get("request_signer")
    request = kwargs.get("request")
    if signer is None or request is None:
        return
    if type(getattr(signer, "_credentials", None)) is static_type:
        return
    request.context.setdefault("signing", {})["request_credentials"] = throwaway
