"""The call log's entries: what each API call asked and how it ended."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import KMSError


@dataclass(frozen=True)
class CallRecord:
    """What one API call asked and how it ended, in the order calls were answered."""

    operation: str
    params: Mapping[str, Any]
    region: str
    time: datetime
    response: Mapping[str, Any] | None = None
    error: KMSError | None = None
    key_arn: str | None = None
    injected: bool = False
    caller: str = ""  # the principal ARN the call was attributed to; "" is the account root
    decided_by: str | None = None  # with policies enforced: the statement (or grant) that decided

    @property
    def ok(self) -> bool:
        return self.error is None
