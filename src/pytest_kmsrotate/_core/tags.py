"""Key tags: TagResource, UntagResource, ListResourceTags, and the tag rules CreateKey shares.

Length limits (128/256) are the model's and are enforced by the wire validation, which
prints AWS's `tags.1.member.tagKey` paths; the rules here are the ones AWS applies itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import errors
from .key_states import SCHEDULED_FOR_DELETION, check_key_state
from .paging import marker_secret, page
from .resolve import key_by_id_or_arn
from .state import Request, State

# AWS quota "tags per KMS key" (developer guide, resource quotas).
MAX_TAGS_PER_KEY = 50
# ListResourceTags doc: Limit "must be between 1 and 50, inclusive ... defaults to 50".
LIST_TAGS_MAX = 50


def _tag_error(message: str) -> errors.KMSError:
    return errors.KMSError("TagException", message)


def _check_keys_not_reserved(keys: Iterable[str]) -> None:
    for key in keys:
        if key.lower().startswith("aws:"):
            # Text as LocalStack's AWS-validated provider has it (3P); the rule is documented.
            raise _tag_error("Tags beginning with aws: are reserved")


def checked_tags(tags: Iterable[Mapping[str, str]], existing: Mapping[str, str] | None = None) -> dict[str, str]:
    """The tags a request adds, after AWS's checks; `existing` are the key's current tags."""
    tag_list = list(tags)
    keys = [t["TagKey"] for t in tag_list]
    if len(set(keys)) != len(keys):
        raise _tag_error("Duplicate tag keys")  # 3P LocalStack
    _check_keys_not_reserved(keys)
    added = {t["TagKey"]: t["TagValue"] for t in tag_list}
    if len({**(existing or {}), **added}) > MAX_TAGS_PER_KEY:
        raise _tag_error("Too many tags")  # 3P LocalStack; AWS's quota text is not recorded
    return added


def tag_resource(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    check_key_state(key, SCHEDULED_FOR_DELETION)  # key-state table (fidelity §7 fn3): no tagging
    key.tags.update(checked_tags(request.params["Tags"], key.tags))
    return {}


def untag_resource(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    check_key_state(key, SCHEDULED_FOR_DELETION)  # key-state table (fidelity §7 fn3): no tagging
    tag_keys = list(request.params["TagKeys"])
    _check_keys_not_reserved(tag_keys)
    for tag_key in tag_keys:
        # Removing a tag the key does not have is not an error in AWS.
        key.tags.pop(tag_key, None)
    return {}


def list_resource_tags(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    items = [{"TagKey": k, "TagValue": v} for k, v in key.tags.items()]
    limit = min(request.params.get("Limit", LIST_TAGS_MAX), LIST_TAGS_MAX)  # inferred: clamp above 50
    return page(items, limit, request.params.get("Marker"), f"ListResourceTags:{key.arn}", "Tags",
                secret=marker_secret(state))


OPERATIONS = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListResourceTags": list_resource_tags,
}
