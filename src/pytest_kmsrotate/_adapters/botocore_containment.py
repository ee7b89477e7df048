"""KMS clients never consult the machine's credentials or config-file region while a fake runs.

A developer's laptop or a CI runner may have an SSO profile, a web-identity token (EKS), an
assume-role profile, a `credential_process` or instance metadata. botocore consults that chain
when a client is created (a `credential_process` runs, instance metadata is asked) and again
when it signs (SSO, STS and refreshable credentials call the network). None of that may happen
for a KMS request the fake answers. Two seams, both for the `kms` service only:

- creation: `botocore.session.Session.create_client` is wrapped at class level, so every
  session (boto3's default one included) gives a KMS client created while a fake runs
  throwaway credentials when none were passed (the chain is never resolved), and a region
  from the call, the client config, the session (`Session(region_name=...)`) or
  `AWS_DEFAULT_REGION`, else the fake's region: never from a config file;
- signing: `sign_with_fake_credentials` (called by the botocore door on `before-sign.kms.*`)
  makes every KMS request, of clients created before the fake too, sign with the throwaway
  credentials, so a client's own (possibly refreshable) credentials are never touched.

Nothing is written to `os.environ`: other services' clients resolve their credentials exactly
as they would without the fake. See docs/containment.md and tests/test_containment.py.
"""

from __future__ import annotations

import inspect
import os
import threading
from collections.abc import Callable
from typing import Any

import botocore.session
from botocore.credentials import Credentials

from .._process.throwaway import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

FAKE_CREDENTIALS = Credentials(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)

_lock = threading.Lock()
_active: list[Containment] = []  # innermost last: its region is the default
_original_create_client: Callable[..., Any] | None = None


def sign_with_fake_credentials(kwargs: dict[str, Any]) -> None:
    """Make this KMS request sign with throwaway credentials unless the client holds static ones.

    botocore's signer prefers `request.context["signing"]["request_credentials"]` to its own, so
    a client's refreshable credentials (SSO, STS, web identity, credential_process, instance
    metadata) are never asked, and never refreshed over the network. Static credentials (a
    developer's keys, or a principal's from `kms_rotation.principal`) are read without any
    look-up and kept, so the fake learns who is calling; the request never leaves the process.
    """
    signer = kwargs.get("request_signer")
    request = kwargs.get("request")
    if request is None:
        return
    if type(getattr(signer, "_credentials", None)) is Credentials:
        return
    request.context.setdefault("signing", {})["request_credentials"] = FAKE_CREDENTIALS


def contained_region(session: Any, region_name: str | None, config: Any, default: str) -> str:
    """The region of a KMS client created while a fake runs, without reading any config file."""
    if region_name:
        return region_name
    if config is not None and getattr(config, "region_name", None):
        return str(config.region_name)
    session_region = session.instance_variables().get("region")
    return str(session_region or os.environ.get("AWS_DEFAULT_REGION") or default)


def contain_client_arguments(session: Any, arguments: dict[str, Any], default_region: str) -> None:
    """Rewrite `create_client`'s arguments for a KMS client in place (doors of other SDKs reuse this)."""
    arguments["region_name"] = contained_region(
        session, arguments.get("region_name"), arguments.get("config"), default_region
    )
    if arguments.get("aws_access_key_id") is None or arguments.get("aws_secret_access_key") is None:
        # Explicit credentials: botocore then never resolves the session's credential chain.
        arguments["aws_access_key_id"] = FAKE_ACCESS_KEY_ID
        arguments["aws_secret_access_key"] = FAKE_SECRET_ACCESS_KEY
        arguments["aws_session_token"] = None


def innermost_region() -> str | None:
    """The default region of the innermost active containment; None while no fake runs.

    For the doors of other SDKs (aiobotocore) that contain their own client creation.
    """
    innermost = next(iter(_active[-1:]), None)
    return innermost.region if innermost is not None else None


_SIGNATURE = inspect.signature(botocore.session.Session.create_client)


def _create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
    original = _original_create_client or botocore.session.Session.create_client
    innermost = next(iter(_active[-1:]), None)
    service = args[0] if args else kwargs.get("service_name")
    if innermost is None or service != "kms":  # other services: untouched, not even inspected
        return original(self, *args, **kwargs)
    arguments = dict(_SIGNATURE.bind(self, *args, **kwargs).arguments)
    del arguments["self"]
    contain_client_arguments(self, arguments, innermost.region)
    return original(self, **arguments)


class Containment:
    """While installed, KMS clients created through any botocore session are contained."""

    def __init__(self, region: str) -> None:
        self.region = region

    def install(self) -> None:
        global _original_create_client
        with _lock:
            if not _active:
                _original_create_client = botocore.session.Session.create_client
                botocore.session.Session.create_client = _create_client
            _active.append(self)

    def uninstall(self) -> None:
        global _original_create_client
        with _lock:
            if self in _active:
                _active.remove(self)
            if not _active and _original_create_client is not None:
                botocore.session.Session.create_client = _original_create_client
                _original_create_client = None
