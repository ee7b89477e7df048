"""The environment that points child processes' KMS clients at the fake's local endpoint.

`AWS_ENDPOINT_URL_KMS` is the service-specific endpoint variable botocore, the AWS CLI (v1 and
v2) and the JavaScript, Go and Java SDKs honour. While the endpoint runs it is set in this
process's environment, so any child a test starts, however it is started, sends its KMS calls to
loopback rather than to AWS; the value in place before is put back when the fake stops.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

from .throwaway import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_KMS"

# Variables that would make a child sign with other credentials than the fake's (a profile, a
# session token, a role to assume, a container or web-identity provider) or ignore the endpoint.
_DROPPED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
)


def subprocess_environment(endpoint_url: str, region: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (this process's environment by default) with KMS pointed at the endpoint and the
    fake's throwaway credentials and region, for `subprocess.run(..., env=...)`."""
    env = dict(os.environ if base is None else base)
    for name in _DROPPED:
        env.pop(name, None)
    env.update({
        ENDPOINT_VARIABLE: endpoint_url,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",  # no credential lookup may leave the machine
        "AWS_PAGER": "",  # AWS CLI v2 would otherwise page output and wait on a terminal
    })
    return env


class EndpointVariable:
    """Sets `AWS_ENDPOINT_URL_KMS` (and switches instance metadata off) in the process environment
    while the endpoint runs, and restores both exactly afterwards.

    A child that inherits the environment then sends KMS to the fake; with no credentials of its
    own its SDK would ask 169.254.169.254 for some, which the fake never needs.
    """

    def __init__(self, endpoint_url: str, env: MutableMapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env
        self._wanted = {ENDPOINT_VARIABLE: endpoint_url, "AWS_EC2_METADATA_DISABLED": "true"}
        self._saved: dict[str, str | None] = {}

    def apply(self) -> None:
        for name, value in self._wanted.items():
            self._saved[name] = self._env.get(name)
            self._env[name] = value

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                self._env.pop(name, None)
            else:
                self._env[name] = value
        self._saved.clear()
