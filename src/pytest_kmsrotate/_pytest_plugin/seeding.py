"""Seeding: keys described by `@pytest.mark.kms_keys` or `kms_rotation.create_key(**fields)`.

Every key is built through the engine's own operations (CreateKey, CreateAlias, ReplicateKey,
EnableKeyRotation, RotateKeyOnDemand, DisableKey, ScheduleKeyDeletion, and DescribeKey on
`alias/aws/<service>` for AWS managed keys), so every AWS rule applies to a seeded key as it
would to one the code under test made. History (rotations already done) is built by running
the simulated clock from each key's `created` instant up to the test's start: automatic
rotations fall due through the schedule, on-demand ones are requested at instants spread
between creation and the start.

The seeding calls are answered by the engine but are not the code under test's calls, so they
are taken out of `kms_rotation.calls` and the event log once the keys exist.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from .._core.config import Config
from .._core.errors import KMSError
from .._core.managed import PREFIX as MANAGED_PREFIX
from .._core.managed import SERVICES
from .._core.rotation import CONFLICT_WINDOW
from .._protocol.respond import Protocol
from .settings import SettingsError, did_you_mean, parse_delay
from .tracebacks import hide_misuse
from .views import KeyHandle

# The caller's mistakes show the caller's line, not these frames (see tracebacks.py).
__tracebackhide__ = hide_misuse

FIELDS = (
    "alias", "aws_managed", "created", "description", "enabled", "key_spec", "key_usage", "multi_region",
    "on_demand_delay", "on_demand_rotations", "origin", "pending_deletion_days", "policy", "region", "replica_regions",
    "rotation_period_in_days", "tags",
)
# AWS creates and configures its managed keys; a test can only say where and when.
MANAGED_FIELDS = ("alias", "aws_managed", "created", "region")
# A key created during the test is created now: the simulated clock cannot go back.
RUNTIME_FIELDS = tuple(f for f in FIELDS if f != "created")
SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"
AWS_KMS = "AWS_KMS"


class SeedingError(ValueError):
    """A seeded key the fake cannot build; the message names the key, the field and the fix."""


@dataclass(frozen=True)
class SeedKey:
    """One validated seeding request."""

    label: str
    region: str
    created: datetime
    alias: str | None = None
    aws_managed: str | None = None
    description: str | None = None
    key_spec: str | None = None
    key_usage: str | None = None
    origin: str | None = None
    multi_region: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)
    policy: str | None = None
    rotation_period_in_days: int | None = None
    enabled: bool = True
    pending_deletion_days: int | None = None
    on_demand_rotations: int = 0
    replica_regions: tuple[str, ...] = ()
    on_demand_delay: timedelta | None = None


# -- reading markers -----------------------------------------------------------------------------


def marker_keys(markers: Iterable[tuple[Sequence[Any], Mapping[str, Any]]]) -> list[Mapping[str, Any]]:
    """The keys of `kms_keys` markers given farthest first: positional mappings, or keywords as one key."""
    keys: list[Mapping[str, Any]] = []
    for args, kwargs in markers:
        if args and kwargs:
            raise SeedingError("takes mappings (one per key) or keyword arguments (one key), not both")
        for arg in args:
            if not isinstance(arg, Mapping):
                raise SeedingError(
                    f"key #{len(keys) + 1}: expected a mapping of fields (one dict per key), got {arg!r}; "
                    f"valid fields: {', '.join(FIELDS)}"
                )
            keys.append(arg)
        if kwargs:
            keys.append(dict(kwargs))
    return keys


# -- validating one key --------------------------------------------------------------------------


def _fail(label: str, text: str) -> SeedingError:
    return SeedingError(f"{label}: {text}")


def _optional(fields: Mapping[str, Any], name: str, ok: Callable[[Any], bool], what: str, label: str) -> Any:
    value = fields.get(name)
    if value is not None and not ok(value):
        raise _fail(label, f"{name} must be {what}, got {value!r}")
    return value


def is_text(value: Any) -> bool:
    """A string AWS can hold: Unicode text (no lone surrogate, which has no UTF-8 form)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _no_surrogate(value: Any, name: str, label: str) -> None:
    if isinstance(value, str) and not is_text(value):
        raise _fail(label, f"{name} must be Unicode text, but {value!r} holds a lone surrogate "
                           "(AWS refuses it: SerializationException)")


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_region(value: Any) -> bool:
    from .settings import is_region_name

    return is_region_name(value)


def _created(value: Any, anchor: datetime, label: str) -> datetime:
    what = "a timezone-aware datetime, an ISO 8601 time with a zone, or a timedelta before the start"
    when: datetime
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise _fail(label, f"created must be {what}, got {value!r}")
        try:
            when = anchor - value
        except OverflowError:
            raise _fail(label, f"created must be {what} that lies after year 1, got {value!r}") from None
    elif isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            when = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise _fail(label, f"created must be {what}, got {value!r}") from None
    else:
        raise _fail(label, f"created must be {what}, got {value!r}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise _fail(label, f"created must be {what}, got {value!r}")
    try:
        when = when.astimezone(timezone.utc)
    except OverflowError:
        raise _fail(label, f"created must be {what} between years 1 and 9999 in UTC, got {value!r}") from None
    if when > anchor:
        raise _fail(label, f"created must not be after the start of the test ({anchor.isoformat()}), "
                           f"got {when.isoformat()}")
    return when


def _managed_service(fields: Mapping[str, Any], label: str) -> str | None:
    value = fields.get("aws_managed")
    alias = fields.get("alias")
    if value is None or value is False:
        if isinstance(alias, str) and alias.startswith(MANAGED_PREFIX):
            service = alias[len(MANAGED_PREFIX):]
            raise _fail(label, f"alias {alias!r} is reserved for an AWS managed key; "
                               f"seed it with aws_managed={service!r}")
        return None
    if value is True:
        if not (isinstance(alias, str) and alias.startswith(MANAGED_PREFIX)):
            raise _fail(label, "aws_managed=True needs alias='alias/aws/<service>' "
                               f"(or name the service: aws_managed='s3'), got alias={alias!r}")
        service = alias[len(MANAGED_PREFIX):]
    elif isinstance(value, str):
        service = value
    else:
        raise _fail(label, "aws_managed must be a service name such as 's3', or True with "
                           f"alias='alias/aws/<service>', got {value!r}")
    if service not in SERVICES:
        raise _fail(label, f"aws_managed {service!r} is not an AWS managed key the fake knows; "
                           f"valid services: {', '.join(sorted(SERVICES))}")
    if alias is not None and alias != MANAGED_PREFIX + service:
        raise _fail(label, f"alias {alias!r} does not match aws_managed={service!r}; "
                           f"its alias is {MANAGED_PREFIX + service!r}")
    extra = sorted(set(fields) - set(MANAGED_FIELDS))
    if extra:
        raise _fail(label, f"aws_managed cannot be combined with {', '.join(extra)}: AWS creates and "
                           f"configures its managed keys; fields valid with aws_managed: {', '.join(MANAGED_FIELDS)}")
    return service


def _tags(fields: Mapping[str, Any], label: str) -> dict[str, str]:
    value = fields.get("tags")
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _fail(label, f"tags must be a mapping of tag keys to tag values (strings), got {value!r}")
    for tag_key, tag_value in value.items():
        _no_surrogate(tag_key, "a tag key", label)
        _no_surrogate(tag_value, f"tag {tag_key!r}", label)
    return dict(value)


def _policy(fields: Mapping[str, Any], label: str) -> str | None:
    value = fields.get("policy")
    if value is None:
        return None
    if isinstance(value, str):
        _no_surrogate(value, "policy", label)
        return value
    if isinstance(value, Mapping):
        try:
            return json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as error:
            raise _fail(label, f"policy must be a JSON string or a mapping of JSON values "
                               f"(str, int, float, bool, None, list, dict): {error}") from None
    raise _fail(label, f"policy must be a JSON string or a mapping, got {value!r}")


def _replicas(fields: Mapping[str, Any], label: str) -> tuple[str, ...]:
    value = fields.get("replica_regions")
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(_is_region(r) for r in value):
        raise _fail(label, f"replica_regions must be a list of AWS region names such as ['eu-west-1'], got {value!r}")
    if not fields.get("multi_region"):
        raise _fail(label, "replica_regions needs multi_region=True")
    return tuple(value)


def _check_rotation_fields(key: SeedKey, limit: int) -> None:
    spec = key.key_spec or SYMMETRIC_DEFAULT
    origin = key.origin or AWS_KMS
    for name, present in (("rotation_period_in_days", key.rotation_period_in_days is not None),
                          ("on_demand_rotations", key.on_demand_rotations > 0)):
        if present and spec != SYMMETRIC_DEFAULT:
            raise _fail(key.label, f"{name} needs a SYMMETRIC_DEFAULT key (AWS rotates no other key spec), "
                                   f"but key_spec is {spec!r}")
        if present and origin != AWS_KMS:
            # inferred: EXTERNAL history would need imported material; seeding does not import.
            raise _fail(key.label, f"{name} needs origin AWS_KMS (seeding imports no key material), "
                                   f"but origin is {origin!r}")
    if key.on_demand_rotations > limit:
        raise _fail(key.label, f"on_demand_rotations={key.on_demand_rotations} is above the on-demand rotation limit "
                               f"of {limit} per key (raise it with @pytest.mark.kms_rotation(on_demand_limit=...))")


def parse_key(fields: Mapping[str, Any], label: str, config: Config, anchor: datetime,
              *, valid: Sequence[str] = FIELDS) -> SeedKey:
    """Check one key's fields; `anchor` is the instant the key must exist by (the test's start)."""
    unknown = sorted(str(name) for name in set(fields) - set(valid))
    if unknown:
        noun = "field" if len(unknown) == 1 else "fields"
        raise _fail(label, f"unknown {noun} {', '.join(repr(n) for n in unknown)}"
                           f"{did_you_mean(unknown, valid)}; valid fields: {', '.join(valid)}")
    for name in ("alias", "description", "key_spec", "key_usage", "origin"):
        _optional(fields, name, _is_str, "a string", label)
        _no_surrogate(fields.get(name), name, label)
    for name in ("multi_region", "enabled"):
        _optional(fields, name, _is_bool, "True or False", label)
    _optional(fields, "region", _is_region, "an AWS region name such as 'us-east-1'", label)
    _optional(fields, "rotation_period_in_days", _is_whole, "a whole number of days", label)
    _optional(fields, "on_demand_rotations", _is_whole, "a whole number >= 0", label)
    _optional(fields, "pending_deletion_days", _is_whole, "a whole number of days from 7 to 30", label)
    service = _managed_service(fields, label)
    days = fields.get("pending_deletion_days")
    if days is not None and not 7 <= days <= 30:
        raise _fail(label, f"pending_deletion_days must be from 7 to 30 (AWS's waiting period), got {days}")
    if fields.get("enabled") is False and days is not None:
        raise _fail(label, "enabled=False cannot be combined with pending_deletion_days: a key pending deletion "
                           "is in state PendingDeletion, not Disabled")
    on_demand = fields.get("on_demand_rotations") or 0
    # Default history: one on-demand rotation a day, ending the day before the start.
    created = _created(fields["created"], anchor, label) if "created" in fields else anchor - timedelta(days=on_demand)
    key = SeedKey(
        label=label,
        region=fields.get("region") or config.region,
        created=created,
        alias=MANAGED_PREFIX + service if service is not None else fields.get("alias"),
        aws_managed=service,
        description=fields.get("description"),
        key_spec=fields.get("key_spec"),
        key_usage=fields.get("key_usage"),
        origin=fields.get("origin"),
        multi_region=bool(fields.get("multi_region", False)),
        tags=_tags(fields, label),
        policy=_policy(fields, label),
        rotation_period_in_days=fields.get("rotation_period_in_days"),
        enabled=fields.get("enabled", True),
        pending_deletion_days=days,
        on_demand_rotations=on_demand,
        replica_regions=_replicas(fields, label),
        on_demand_delay=_delay(fields, label),
    )
    _check_rotation_fields(key, config.on_demand_limit)
    return key


def _delay(fields: Mapping[str, Any], label: str) -> timedelta | None:
    if fields.get("on_demand_delay") is None:
        return None
    try:
        return parse_delay(fields["on_demand_delay"], "on_demand_delay")
    except SettingsError as error:
        raise _fail(label, str(error)) from None


def parse_keys(keys: Sequence[Mapping[str, Any]], config: Config) -> list[SeedKey]:
    return [parse_key(fields, f"key #{n}", config, config.start) for n, fields in enumerate(keys, 1)]


def earliest(keys: Sequence[SeedKey], start: datetime) -> datetime:
    """Where the clock must start so that every key's history lies before `start`."""
    return min([start, *(k.created for k in keys)])


# -- building keys through the engine ------------------------------------------------------------


@dataclass(order=True)
class _Step:
    when: datetime
    index: int
    order: int
    run: Callable[[], None] = field(compare=False)


class _Builder:
    """Runs one key's steps against the engine and turns AWS's refusals into SeedingError."""

    def __init__(self, protocol: Protocol, key: SeedKey) -> None:
        self.protocol = protocol
        self.key = key
        self.arn = ""

    def call(self, operation: str, params: dict[str, Any], region: str | None = None) -> dict[str, Any]:
        # The protocol layer's entry, so AWS's server-side validation runs: seeding skips botocore, not AWS.
        try:
            return self.protocol.execute(operation, params, region or self.key.region)
        except KMSError as error:
            said = f": {error.message}" if error.message else " (AWS sent no message)"
            raise _fail(self.key.label, f"{operation} failed with {error.code}{said}") from None

    def create(self) -> None:
        key = self.key
        if key.aws_managed is not None:
            self.arn = self.call("DescribeKey", {"KeyId": key.alias})["KeyMetadata"]["Arn"]
            return
        params: dict[str, Any] = {}
        for name, member in (("description", "Description"), ("key_spec", "KeySpec"), ("key_usage", "KeyUsage"),
                             ("origin", "Origin"), ("policy", "Policy")):
            if getattr(key, name) is not None:
                params[member] = getattr(key, name)
        if key.multi_region:
            params["MultiRegion"] = True
        if key.tags:
            params["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in key.tags.items()]
        self.arn = self.call("CreateKey", params)["KeyMetadata"]["Arn"]
        key_id = self.arn.rsplit("/", 1)[1]
        for region in key.replica_regions:
            # inferred: a seeded replica carries the seeded key's description, tags and policy.
            replica = {k: v for k, v in params.items() if k in ("Description", "Tags", "Policy")}
            self.call("ReplicateKey", {"KeyId": self.arn, "ReplicaRegion": region, **replica})
        if key.replica_regions:
            # A seeded key already exists when the test starts: its replicas are past `Creating`.
            self.protocol.engine.complete_replications(self.arn)
        if key.alias is not None:
            # inferred: the alias is made in every Region of a multi-Region key, as AWS advises.
            for region in (key.region, *key.replica_regions):
                self.call("CreateAlias", {"AliasName": key.alias, "TargetKeyId": key_id}, region)
        if key.rotation_period_in_days is not None:
            self.call("EnableKeyRotation", {"KeyId": self.arn, "RotationPeriodInDays": key.rotation_period_in_days})

    def rotate_on_demand(self) -> None:
        self.call("RotateKeyOnDemand", {"KeyId": self.arn})
        # History is finished history: a seeded rotation completes when asked, whatever the delay.
        self.protocol.engine.complete_on_demand_rotations(self.arn)

    def finish(self) -> None:
        if self.key.on_demand_delay is not None:
            self.protocol.engine.set_on_demand_delay(self.arn, self.key.on_demand_delay)
        if not self.key.enabled:
            self.call("DisableKey", {"KeyId": self.arn})
        if self.key.pending_deletion_days is not None:
            self.call("ScheduleKeyDeletion", {"KeyId": self.arn, "PendingWindowInDays": self.key.pending_deletion_days})

    def view(self) -> KeyHandle:
        return KeyHandle(self.protocol.engine, self.arn)


def on_demand_times(key: SeedKey, anchor: datetime) -> list[datetime]:
    """When the key's on-demand history happened: evenly between creation and `anchor`.

    An instant within 20 minutes before an automatic rotation would be refused (ConflictException),
    so it moves to the automatic rotation's own instant, or just before the window if that is
    already the start.
    """
    n = key.on_demand_rotations
    span = anchor - key.created
    times = []
    for j in range(1, n + 1):
        when = key.created + timedelta(seconds=int((span * (2 * j - 1) / (2 * n)).total_seconds()))
        period = key.rotation_period_in_days
        if period is not None and when > key.created:
            step = timedelta(days=period)
            due = key.created + step * ((when - key.created) // step + 1)
            if due - when <= CONFLICT_WINDOW:
                when = due if due < anchor else due - CONFLICT_WINDOW - timedelta(seconds=1)
        times.append(when)
    return times


def _steps(builders: Sequence[_Builder], anchor: datetime) -> list[_Step]:
    steps = []
    for index, builder in enumerate(builders):
        steps.append(_Step(builder.key.created, index, 0, builder.create))
        for order, when in enumerate(on_demand_times(builder.key, anchor), 1):
            steps.append(_Step(when, index, order, builder.rotate_on_demand))
        steps.append(_Step(anchor, index, builder.key.on_demand_rotations + 1, builder.finish))
    return sorted(steps)


def build(protocol: Protocol, keys: Sequence[SeedKey], anchor: datetime) -> list[KeyHandle]:
    """Build `keys` (their history from each `created` on), then leave the clock at `anchor`.

    The calls made here are not the test's calls: they leave no trace in `engine.calls` or the
    event log, and faults the test injected are neither triggered nor used up.
    """
    engine = protocol.engine
    builders = [_Builder(protocol, key) for key in keys]
    with engine.off_the_record():
        for step in _steps(builders, anchor):
            if step.when > engine.clock.now():
                engine.clock.move_to(step.when)
            step.run()
        if anchor > engine.clock.now():
            engine.clock.move_to(anchor)
    return [builder.view() for builder in builders]


def create_key(protocol: Protocol, fields: Mapping[str, Any]) -> KeyHandle:
    """One key, now: what `kms_rotation.create_key(**fields)` does during a test."""
    engine = protocol.engine
    with engine.off_the_record():  # holds the engine's lock: nothing moves the clock meanwhile
        now = engine.clock.now()
        if "created" in fields:
            raise _fail("create_key", "created is only for @pytest.mark.kms_keys: create_key() creates the key "
                                      f"now, at {now.isoformat()} (the simulated clock cannot go back)")
        key = parse_key(fields, "create_key", engine.config, now, valid=RUNTIME_FIELDS)
        # History of a key made now happens now: its on-demand rotations are all dated now.
        return build(protocol, [replace(key, created=now)], now)[0]
