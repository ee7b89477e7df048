"""The fake's settings from three layers: defaults, then ini options, then the test's marker.

Kept apart from the plugin so the parsing (and its error messages) can be tested directly.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from .._core.clock import LATEST, PLANNING_HORIZON
from .._core.defaults import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_ON_DEMAND_LIMIT,
    DEFAULT_REGION,
    DEFAULT_REPLICATION_DELAY,
    DEFAULT_START,
)

if TYPE_CHECKING:
    from .._core.config import Config


class SettingsError(ValueError):
    """A marker argument or ini option the plugin cannot use; the message says which and why."""


def parse_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def parse_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise SettingsError(f"{name} must be a whole number, got {value!r}")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
    if number < 0:
        raise SettingsError(f"{name} must be >= 0, got {number}")
    return number


def parse_delay(value: Any, name: str) -> timedelta:
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        try:
            seconds = float(str(value).strip())
        except ValueError:
            raise SettingsError(f"{name} must be seconds or a timedelta, got {value!r}") from None
    if not math.isfinite(seconds):
        raise SettingsError(f"{name} must be a finite number of seconds, got {value!r}")
    if seconds < 0:
        raise SettingsError(f"{name} must not be negative, got {value!r}")
    if seconds > PLANNING_HORIZON.total_seconds():
        # The clock keeps room for this much work ahead of it (clock.PLANNING_HORIZON).
        raise SettingsError(f"{name} must be at most {PLANNING_HORIZON.days} days "
                            f"({PLANNING_HORIZON.total_seconds():.0f} seconds), got {value!r}")
    return timedelta(milliseconds=round(seconds * 1000))  # AWS's times have millisecond precision


def parse_start(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        when = value
    else:
        text = str(value).strip()
        try:
            when = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise SettingsError(
                f"{name} must be an ISO 8601 time such as 2024-04-01T00:00:00Z, got {value!r}"
            ) from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise SettingsError(f"{name} must carry a time zone (for example a trailing Z), got {value!r}")
    try:
        when = when.astimezone(timezone.utc)
    except OverflowError:  # datetime(1, 1, 1, tzinfo=+01:00) has no UTC form
        raise SettingsError(f"{name} must lie between years 1 and 9999 in UTC, got {value!r}") from None
    if when > LATEST:
        raise SettingsError(f"{name} must be at or before {LATEST.isoformat()} (the fake dates work up to "
                            f"{PLANNING_HORIZON.days} days ahead of its clock), got {value!r}")
    return when


def parse_account(value: Any, name: str) -> str:
    text = str(value).strip()
    if len(text) != 12 or not text.isdigit():
        raise SettingsError(f"{name} must be a 12-digit AWS account ID, got {value!r}")
    return text


@functools.cache
def _region_patterns() -> tuple[re.Pattern[str], ...]:
    """Each partition's region name pattern, from botocore's endpoint data (loaded on first use:
    the plugin imports this module at load time and must not import botocore then)."""
    from botocore.loaders import create_loader

    partitions = create_loader().load_data("endpoints")["partitions"]
    return tuple(re.compile(p["regionRegex"]) for p in partitions if p.get("regionRegex"))


def is_region_name(value: Any) -> bool:
    """A name of the shape of an AWS Region in some partition (us-east-1, cn-north-1, us-gov-west-1),
    as botocore's endpoint data describes them; future Regions of a known shape pass too."""
    return isinstance(value, str) and any(p.match(value) for p in _region_patterns())


def parse_region(value: Any, name: str) -> str:
    text = str(value).strip()
    if not is_region_name(text):
        raise SettingsError(f"{name} must be an AWS region name such as us-east-1, got {value!r}")
    return text


class Setting(NamedTuple):  # not a dataclass: the plugin imports this module at load time
    name: str
    help: str
    default: Any
    parse: Callable[[Any, str], Any]


SETTINGS: tuple[Setting, ...] = (
    Setting("on_demand_limit", "on-demand rotations allowed per key (AWS: 10 until 2026-02, 25 since)",
            DEFAULT_ON_DEMAND_LIMIT, parse_int),
    Setting("on_demand_delay", "seconds an on-demand rotation takes to complete (0 = at once)",
            timedelta(0), parse_delay),
    Setting("replication_delay", "seconds a new multi-Region replica stays Creating before it is Enabled "
            "(AWS: up to about a minute; 0 = at once)", DEFAULT_REPLICATION_DELAY, parse_delay),
    Setting("start", "where the simulated clock starts (ISO 8601 with a time zone)",
            DEFAULT_START, parse_start),
    Setting("account_id", "the AWS account ID the fake answers for", DEFAULT_ACCOUNT_ID, parse_account),
    Setting("region", "the default region of the fake", DEFAULT_REGION, parse_region),
    Setting("patch_sleep", "time.sleep in the test's thread advances the simulated clock instead of blocking",
            True, parse_bool),
    Setting("freeze_time", "datetime/time/date in every thread read the simulated clock", True, parse_bool),
    Setting("async_time", "asyncio loops in the test's thread run on the simulated clock and skip idle waits "
            "(off by default: a timeout guarding another thread's call_soon_threadsafe would fire at once)",
            False, parse_bool),
    Setting("follow_freezegun", "the simulated clock follows the test's own freezegun moves (forward only)",
            False, parse_bool),
    Setting("enforce_policies", "evaluate key policies, identity policies and grants (AccessDeniedException)",
            False, parse_bool),
    Setting("endpoint", "start the local KMS endpoint (kms_rotation.endpoint_url) for child processes "
            "at the start of the test", False, parse_bool),
    Setting("aws_managed_rotation_status", "what GetKeyRotationStatus says for AWS managed keys "
            "(AWS was observed to say false, its docs say true)", False, parse_bool),
)
SETTING_NAMES = tuple(s.name for s in SETTINGS)


def ini_name(setting: str) -> str:
    return f"kms_rotation_{setting}"


def did_you_mean(unknown: Sequence[str], valid: Sequence[str]) -> str:
    """A hint naming the closest valid name for each typo that has one ("" if none is close)."""
    import difflib  # only on the error path

    hints = [f"{name!r} -> {close[0]!r}" for name in unknown
             if (close := difflib.get_close_matches(str(name), list(valid), n=1))]
    if not hints:
        return ""
    if len(hints) == 1 and len(unknown) == 1:
        return f" (did you mean {hints[0].split(' -> ')[1]}?)"
    return f" (did you mean: {', '.join(hints)}?)"


def resolve(ini: Mapping[str, Any], marker_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults < ini (non-empty values) < marker keywords, each parsed and checked."""
    unknown = sorted(set(marker_kwargs) - set(SETTING_NAMES))
    if unknown:
        raise SettingsError(
            f"@pytest.mark.kms_rotation got unknown argument(s) {', '.join(unknown)}"
            f"{did_you_mean(unknown, SETTING_NAMES)}; valid arguments: {', '.join(SETTING_NAMES)}"
        )
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.name in marker_kwargs:
            values[setting.name] = setting.parse(marker_kwargs[setting.name], f"kms_rotation({setting.name}=...)")
        elif ini.get(setting.name) not in (None, ""):
            values[setting.name] = setting.parse(ini[setting.name], ini_name(setting.name))
        else:
            values[setting.name] = setting.default
    return values


def to_config(values: Mapping[str, Any], seed: str) -> Config:
    from .._core.config import Config

    return Config(
        account_id=values["account_id"],
        region=values["region"],
        on_demand_limit=values["on_demand_limit"],
        on_demand_delay=values["on_demand_delay"],
        replication_delay=values["replication_delay"],
        start=values["start"],
        aws_managed_rotation_status=values["aws_managed_rotation_status"],
        seed=seed,
        enforce_policies=values["enforce_policies"],
    )
