"""The fake's throwaway credentials: what every KMS request is signed with unless a test names a caller."""

from __future__ import annotations

FAKE_ACCESS_KEY_ID = "AKIAKMSROTATEFAKE000"
FAKE_SECRET_ACCESS_KEY = "pytest-kmsrotate-fake-secret"
