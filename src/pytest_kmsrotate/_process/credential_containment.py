"""KMS clients made while a fake runs never consult the machine's credential chain or config files.

botocore resolves a client's credentials when the client is made: environment, shared files,
SSO (token files, then a network call), assume-role and web-identity profiles (STS over the
network), `credential_process` (a child process) and instance metadata (169.254.169.254). Any
of them may reach outside the process or fail on a developer's laptop, and none is needed: the
fake answers every KMS request itself. So while installed, `Session.create_client("kms", ...)`
(every botocore session, boto3's included, at the class level) gets the fake's throwaway
credentials unless the caller passed credentials explicitly, and a region from the call, the
`AWS_REGION`/`AWS_DEFAULT_REGION` variables or the fake, never from a config file or IMDS.
Clients made before the fake keep whatever they resolved; the botocore door signs their KMS
requests with throwaway credentials instead (see `_adapters/botocore_sync.py`), so a
refreshable credential is never refreshed while the fake runs.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
from collections.abc import Callable, MutableMapping
from typing import Any

FAKE_ACCESS_KEY_ID = "AKIAKMSROTATEFAKE000"
FAKE_SECRET_ACCESS_KEY = "pytest-kmsrotate-fake-secret"

_lock = threading.Lock()
_active: list[CredentialContainment] = []  # innermost last
_original: Callable[..., Any] | None = None


def contain_client_arguments(service_name: str, arguments: MutableMapping[str, Any]) -> None:
    """Give a KMS client's creation throwaway credentials and a config-free region, in place.

    Shared by every door whose client library creates clients (botocore, aiobotocore).
    """
    containment = _active[-1] if _active else None
    if containment is None or service_name != "kms":
        return
    if arguments.get("aws_access_key_id") is None and arguments.get("aws_secret_access_key") is None:
        arguments["aws_access_key_id"] = FAKE_ACCESS_KEY_ID
        arguments["aws_secret_access_key"] = FAKE_SECRET_ACCESS_KEY
        arguments["aws_session_token"] = None
    if arguments.get("region_name") is None:
        arguments["region_name"] = (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
                                    or containment.region)


@functools.lru_cache(maxsize=4)
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


def _create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
    original = _original
    if original is None:  # uninstalled meanwhile by another thread
        import botocore.session

        return botocore.session.Session.create_client(self, *args, **kwargs)
    bound = _signature(original).bind(self, *args, **kwargs)
    contain_client_arguments(bound.arguments.get("service_name", ""), bound.arguments)
    return original(*bound.args, **bound.kwargs)


class CredentialContainment:
    """Installs the class-level `create_client` wrapper while at least one fake runs."""

    def __init__(self, region: str) -> None:
        self.region = region

    def install(self) -> None:
        global _original
        import botocore.session

        with _lock:
            if not _active:
                _original = botocore.session.Session.create_client
                botocore.session.Session.create_client = _create_client
            _active.append(self)

    def uninstall(self) -> None:
        global _original
        import botocore.session

        with _lock:
            if self in _active:
                _active.remove(self)
            if not _active and _original is not None:
                botocore.session.Session.create_client = _original
                _original = None
