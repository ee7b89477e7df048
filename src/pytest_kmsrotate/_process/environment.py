"""The environment a test's child processes inherit: throwaway credentials and a region, only when missing.

Everything set here is recorded and put back exactly as it was when the fake stops.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from .credential_containment import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
# What makes a profile a source of credentials for botocore (its credential providers' keys).
_PROFILE_CREDENTIAL_KEYS = frozenset({
    "aws_access_key_id", "credential_process", "role_arn", "credential_source", "sso_session",
    "sso_start_url", "web_identity_token_file", "login_session",
})


def _profile(env: Mapping[str, str], path_variable: str, default_path: str, *, config: bool) -> dict[str, str] | None:
    """The active profile's keys in one AWS file; None if the file cannot be read as botocore would."""
    name = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    parser = configparser.RawConfigParser()
    try:
        parser.read(Path(env.get(path_variable, default_path)).expanduser(), encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    section = name if not config or name == "default" else f"profile {name}"
    if config and not parser.has_section(section) and name == "default":
        section = "profile default"
    if not parser.has_section(section):
        return {}
    return dict(parser.items(section))


def credentials_configured(env: Mapping[str, str]) -> bool:
    """True when the active profile or the environment names a credential source.

    Read with configparser, as botocore reads the files: a key counts only in the profile
    botocore would use, and `sso_region` is not `region`. Only the children of a test read this
    (in-process KMS clients never consult the chain: see credential_containment).
    """
    if any(env.get(name) for name in _CREDENTIAL_VARIABLES):
        return True
    for path_variable, default_path, config in (("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", False),
                                                ("AWS_CONFIG_FILE", "~/.aws/config", True)):
        keys = _profile(env, path_variable, default_path, config=config)
        if keys is None or _PROFILE_CREDENTIAL_KEYS & set(keys):
            return True  # an unreadable file is left for botocore to judge
    return False


def region_configured(env: Mapping[str, str]) -> bool:
    if env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION"):
        return True
    keys = _profile(env, "AWS_CONFIG_FILE", "~/.aws/config", config=True)
    return keys is None or "region" in keys


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
