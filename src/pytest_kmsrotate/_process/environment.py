"""The process environment a fake needs: throwaway credentials and a region, only when missing.

Everything set here is recorded and put back exactly as it was when the fake stops.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
_CONFIG_CREDENTIAL_KEYS = ("aws_access_key_id", "credential_process", "role_arn", "sso_", "web_identity")

FAKE_ACCESS_KEY_ID = "AKIAKMSROTATEFAKE000"
FAKE_SECRET_ACCESS_KEY = "pytest-kmsrotate-fake-secret"


def _read(path: str) -> str:
    try:
        return Path(path).expanduser().read_text(errors="replace")
    except OSError:
        return ""


def credentials_configured(env: Mapping[str, str]) -> bool:
    """True when botocore would find credentials without asking instance metadata."""
    if any(env.get(name) for name in _CREDENTIAL_VARIABLES):
        return True
    if _read(env.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")).strip():
        return True
    config = _read(env.get("AWS_CONFIG_FILE", "~/.aws/config"))
    return any(key in config for key in _CONFIG_CREDENTIAL_KEYS)


def region_configured(env: Mapping[str, str]) -> bool:
    if env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION"):
        return True
    return "region" in _read(env.get("AWS_CONFIG_FILE", "~/.aws/config"))


class EnvironmentPatch:
    """Sets missing AWS variables for one test and restores the previous values afterwards."""

    def __init__(self, region: str, env: MutableMapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env
        self._region = region
        self._saved: dict[str, str | None] = {}

    def apply(self) -> None:
        wanted: dict[str, str] = {}
        if not credentials_configured(self._env):
            wanted["AWS_ACCESS_KEY_ID"] = FAKE_ACCESS_KEY_ID
            wanted["AWS_SECRET_ACCESS_KEY"] = FAKE_SECRET_ACCESS_KEY
            # No credentials anywhere would send botocore to instance metadata, which hangs
            # for seconds off EC2; the fake never needs it.
            wanted["AWS_EC2_METADATA_DISABLED"] = "true"
        if not region_configured(self._env):
            wanted["AWS_DEFAULT_REGION"] = self._region
        for name, value in wanted.items():
            self._saved[name] = self._env.get(name)
            self._env[name] = value

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                self._env.pop(name, None)
            else:
                self._env[name] = value
        self._saved.clear()

    @property
    def applied(self) -> frozenset[str]:
        return frozenset(self._saved)
