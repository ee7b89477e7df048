"""KMS errors as values: the code, the message and the HTTP status AWS answers with.

The core raises `KMSError`; adapters turn it into their wire format. A message of `None`
means AWS sends no message field at all (docs/fidelity.md §1), which is not the same as an empty one.
"""

from __future__ import annotations


class KMSError(Exception):
    """An error answer of the KMS API, exactly as AWS would give it."""

    def __init__(self, code: str, message: str | None = None, status: int = 400) -> None:
        super().__init__(f"{code}: {message}" if message is not None else code)
        self.code = code
        self.message = message
        self.status = status

    def __repr__(self) -> str:
        return f"KMSError({self.code!r}, {self.message!r}, status={self.status})"


def not_found(arn: str) -> KMSError:
    return KMSError("NotFoundException", f"Key '{arn}' does not exist")


def invalid_key_id(key_id: str) -> KMSError:
    return KMSError("NotFoundException", f"Invalid keyId '{key_id}'")


def invalid_arn_region(region: str) -> KMSError:
    return KMSError("NotFoundException", f"Invalid arn {region}")


def alias_not_supported() -> KMSError:
    return KMSError("InvalidArnException", "Key Aliases are not supported for this operation.")


def disabled(arn: str) -> KMSError:
    return KMSError("DisabledException", f"{arn} is disabled.")


def invalid_state(message: str) -> KMSError:
    return KMSError("KMSInvalidStateException", message)


def pending_deletion(arn: str) -> KMSError:
    return KMSError("KMSInvalidStateException", f"{arn} is pending deletion.")


def pending_import(arn: str) -> KMSError:
    return KMSError("KMSInvalidStateException", f"{arn} is pending import.")


def origin_not_valid(arn: str, origin: str) -> KMSError:
    # DOC23 footnote 6 and OBS for EXTERNAL; the same template for the other origins (inferred).
    return KMSError("UnsupportedOperationException", f"{arn} origin is {origin} which is not valid for this operation.")


def unsupported(message: str | None = None) -> KMSError:
    return KMSError("UnsupportedOperationException", message)


def validation(message: str) -> KMSError:
    return KMSError("ValidationException", message)


def access_denied(message: str) -> KMSError:
    return KMSError("AccessDeniedException", message)


class NotImplementedByFake(Exception):
    """A KMS operation the fake does not model.

    Deliberately not a botocore ``ClientError`` (nor a `KMSError`), so application code that
    catches ``ClientError`` cannot mistake a gap in the fake for an answer from AWS.
    """

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"pytest-kmsrotate does not implement the KMS operation {operation!r}; "
            "the call was not sent to AWS. See docs/reference.md for the supported operations."
        )
        self.operation = operation
