"""What each KMS operation needs, read from botocore's model documentation at run time.

Every operation's documentation in the model has a "Cross-account use: Yes|No" sentence and a
"Required permissions: kms:<Action> (key policy|IAM policy)" sentence (the API Reference's own
words). The core's authorisation step learns them from here, so no table is copied by hand.
An operation whose input has `GrantTokens` and whose error list has InvalidGrantTokenException
has its grant tokens checked (docs/fidelity.md §20.2); DescribeKey takes them but lists no such error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from .._core.access import Permission
from .service_model import service_model

_CROSS_ACCOUNT = re.compile(r"<b>Cross-account use</b>:\s*(Yes|No)")
_REQUIRED = re.compile(r"<b>Required permissions</b>:(.*?)</p>", re.S)
_ACTION = re.compile(r"kms:([A-Za-z]+)")


@functools.lru_cache(maxsize=1)
def permissions() -> Mapping[str, Permission]:
    model = service_model()
    found: dict[str, Permission] = {}
    for operation in model.operation_names:
        operation_model = model.operation_model(operation)
        text = operation_model.documentation or ""
        takes_tokens = operation_model.input_shape is not None and "GrantTokens" in operation_model.input_shape.members
        refuses_tokens = any(e.name == "InvalidGrantTokenException" for e in operation_model.error_shapes)
        cross = _CROSS_ACCOUNT.search(text)
        required = _REQUIRED.search(text)
        sentence = re.sub(r"<[^>]+>", "", required.group(1)) if required else ""
        action = _ACTION.search(sentence)
        found[operation] = Permission(
            action=f"kms:{action.group(1)}" if action else f"kms:{operation}",
            # "(IAM policy)" alone means no key policy is consulted; anything else names a key.
            key_policy="(IAM policy)" not in sentence or "(key policy)" in sentence,
            cross_account=bool(cross and cross.group(1) == "Yes"),
            checks_grant_tokens=takes_tokens and refuses_tokens,
        )
    return found
