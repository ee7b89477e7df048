"""Which credentials a KMS request is signed with while a fake runs; shared by the botocore doors.

A client made before the fake may hold the machine's credentials, refreshable ones among them
(SSO, assume-role, web identity, credential_process): signing with them could refresh them
over the network. Only static credentials the fake issued (`kms_rotation.principal`) are kept,
so the fake knows who is calling; every other request is signed with throwaway credentials.
Static credentials are read without a refresh. The sync and async libraries differ only in
their static credential class (aiobotocore's is awaited for its frozen copy), so each door
passes its own.
"""

from __future__ import annotations

from typing import Any

from .._protocol.respond import Protocol


def lend_credentials(protocol: Protocol, kwargs: dict[str, Any], static_type: Any, throwaway: Any) -> None:
    """On a `before-sign.kms.*` event: sign with `throwaway` unless the fake issued the client's own."""
    signer = kwargs.get("request_signer")
    request = kwargs.get("request")
    if signer is None or request is None:
        return
    own: Any = getattr(signer, "_credentials", None)
    if type(own) is static_type and protocol.engine.access.credentials(own.access_key) is not None:
        return
    request.context.setdefault("signing", {})["request_credentials"] = throwaway
