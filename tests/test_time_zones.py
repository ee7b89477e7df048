"""The process's local zone never changes an age (issue 12).

TZ is process-wide, so each zone runs in its own pytest subprocess with TZ set. The inner test
creates a key, moves the clock 89 days (across Lord Howe's 30-minute DST change, and London's
1-hour one) and checks every way code computes the key's age; the outer test checks that the
ages printed by every zone are identical.
"""

from __future__ import annotations

import json

import pytest

ZONES = ["UTC", "America/Los_Angeles", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/London"]

INNER = """
import json
import time
from datetime import date, datetime, timedelta, timezone

import boto3
import pytest


@pytest.mark.kms_rotation(start="2024-03-01T00:00:00Z")
def test_ages(kms_rotation):
    kms = boto3.client("kms", region_name="us-east-1")
    created = kms.create_key()["KeyMetadata"]["CreationDate"]  # aware, in botocore's tzlocal()
    created_utc = created.astimezone(timezone.utc).replace(tzinfo=None)
    kms_rotation.clock.advance(days=89)
    now = kms_rotation.clock.now()
    ages = {
        "aware local now": datetime.now().astimezone() - created,
        "now(utc)": datetime.now(timezone.utc) - created,
        "utcnow": datetime.utcnow() - created_utc,
        "time.time": timedelta(seconds=time.time() - created.timestamp()),
        "mktime(localtime)": timedelta(seconds=time.mktime(time.localtime()) - created.timestamp()),
        "gmtime": datetime(*time.gmtime()[:6]) - created_utc,
        "fromtimestamp(time)": datetime.fromtimestamp(time.time()).astimezone() - created,
    }
    assert set(ages.values()) == {timedelta(days=89)}, ages
    # Naive local time is the simulated instant in this zone, exactly as without the fake.
    assert datetime.now() == now.astimezone().replace(tzinfo=None)
    assert datetime.now() == datetime.fromtimestamp(time.time())
    assert time.localtime()[:6] == now.astimezone().timetuple()[:6]
    assert time.localtime().tm_gmtoff == now.astimezone().utcoffset().total_seconds()
    assert date.today() == now.astimezone().date()
    assert time.strftime("%Y-%m-%d %H:%M:%S") == now.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    print("AGES=" + json.dumps({name: age.total_seconds() for name, age in ages.items()}))
"""


@pytest.fixture(scope="module")
def ages_by_zone() -> dict[str, dict[str, float]]:
    return {}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("zone", ZONES)
def test_every_zone_gives_the_same_ages(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                        zone: str, ages_by_zone: dict[str, dict[str, float]]) -> None:
    monkeypatch.setenv("TZ", zone)
    pytester.makepyfile(test_zone=INNER)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-q", "-s", timeout=100)
    result.assert_outcomes(passed=1)
    [line] = [line for line in result.outlines if "AGES=" in line]
    ages = json.loads(line.split("AGES=", 1)[1])
    assert set(ages.values()) == {89 * 86400.0}
    for other in ages_by_zone.values():
        assert other == ages
    ages_by_zone[zone] = ages


def test_the_zones_really_differ() -> None:
    """Guards the test above: the zones chosen have different offsets, one of them a 30-minute DST."""
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    march, june = datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 5, 29, tzinfo=timezone.utc)
    offsets = {zone: (march.astimezone(ZoneInfo(zone)).utcoffset(), june.astimezone(ZoneInfo(zone)).utcoffset())
               for zone in ZONES}
    assert len(set(offsets.values())) == len(ZONES)
    lord_howe = offsets["Australia/Lord_Howe"]
    assert lord_howe[0] - lord_howe[1] == timedelta(minutes=30)
