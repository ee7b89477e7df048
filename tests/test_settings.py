"""Settings: defaults, then ini options, then the test's marker; bad values fail at setup."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pytest_kmsrotate._pytest_plugin.settings import SETTING_NAMES, SettingsError, resolve


def test_defaults() -> None:
    values = resolve({}, {})
    assert values == {
        "on_demand_limit": 10,
        "on_demand_delay": timedelta(0),
        "replication_delay": timedelta(seconds=60),
        "start": datetime(2024, 1, 1, tzinfo=timezone.utc),
        "account_id": "111122223333",
        "region": "us-east-1",
        "patch_sleep": True,
        "freeze_time": True,
        "async_time": False,
        "follow_freezegun": False,
        "enforce_policies": False,
        "endpoint": False,
        "aws_managed_rotation_status": False,
    }


def test_aws_managed_rotation_status_is_a_marker_setting(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3
        import pytest

        @pytest.mark.kms_rotation(aws_managed_rotation_status=True)
        @pytest.mark.kms_keys(aws_managed="s3")
        def test_documented_true(kms_rotation):
            kms = boto3.client("kms", region_name="us-east-1")
            key = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
            assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True

        @pytest.mark.kms_keys(aws_managed="s3")
        def test_observed_false_by_default(kms_rotation):
            kms = boto3.client("kms", region_name="us-east-1")
            key = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
            assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_marker_wins_over_ini_and_ini_over_the_default() -> None:
    values = resolve({"on_demand_limit": "25", "region": "eu-west-1", "on_demand_delay": ""},
                     {"on_demand_limit": 3})
    assert (values["on_demand_limit"], values["region"], values["on_demand_delay"]) == (3, "eu-west-1", timedelta(0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"on_demand_limt": 3}, "@pytest.mark.kms_rotation got unknown argument(s) on_demand_limt "
                                "(did you mean 'on_demand_limit'?); valid arguments: "
                                + ", ".join(SETTING_NAMES)),
        ({"on_demand_limit": -1}, "kms_rotation(on_demand_limit=...) must be >= 0, got -1"),
        ({"on_demand_limit": True}, "kms_rotation(on_demand_limit=...) must be a whole number, got True"),
        ({"on_demand_delay": "soon"}, "kms_rotation(on_demand_delay=...) must be seconds or a timedelta, got 'soon'"),
        ({"on_demand_delay": -5}, "kms_rotation(on_demand_delay=...) must not be negative, got -5"),
        ({"replication_delay": "a minute"},
         "kms_rotation(replication_delay=...) must be seconds or a timedelta, got 'a minute'"),
        ({"replication_delay": -1}, "kms_rotation(replication_delay=...) must not be negative, got -1"),
        ({"replication_delay": float("inf")},
         "kms_rotation(replication_delay=...) must be a finite number of seconds, got inf"),
        ({"start": "2024-04-01"}, "kms_rotation(start=...) must carry a time zone (for example a trailing Z), "
                                  "got '2024-04-01'"),
        ({"start": "yesterday"}, "kms_rotation(start=...) must be an ISO 8601 time such as 2024-04-01T00:00:00Z, "
                                 "got 'yesterday'"),
        ({"account_id": "123"}, "kms_rotation(account_id=...) must be a 12-digit AWS account ID, got '123'"),
        ({"region": "us east"}, "kms_rotation(region=...) must be an AWS region name such as us-east-1, got 'us east'"),
        ({"patch_sleep": "maybe"}, "kms_rotation(patch_sleep=...) must be true or false, got 'maybe'"),
        ({"endpoint": "perhaps"}, "kms_rotation(endpoint=...) must be true or false, got 'perhaps'"),
    ],
)
def test_bad_values_are_named_with_the_reason(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError) as excinfo:
        resolve({}, kwargs)
    assert str(excinfo.value) == message


def test_delay_accepts_seconds_and_timedeltas() -> None:
    assert resolve({}, {"on_demand_delay": 120})["on_demand_delay"] == timedelta(seconds=120)
    assert resolve({}, {"on_demand_delay": timedelta(minutes=2)})["on_demand_delay"] == timedelta(seconds=120)
    assert resolve({"on_demand_delay": "1.5"}, {})["on_demand_delay"] == timedelta(seconds=1.5)
    assert resolve({}, {"replication_delay": 0})["replication_delay"] == timedelta(0)
    assert resolve({}, {"replication_delay": timedelta(seconds=20)})["replication_delay"] == timedelta(seconds=20)
    assert resolve({"replication_delay": "30"}, {})["replication_delay"] == timedelta(seconds=30)


def test_replication_delay_is_a_marker_and_ini_setting(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        kms_rotation_replication_delay = 20
        """
    )
    pytester.makepyfile(
        """
        import time
        from datetime import timedelta

        import boto3
        import pytest

        def replicate():
            east, west = (boto3.client("kms", region_name=r) for r in ("us-east-1", "us-west-2"))
            key_id = east.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
            replica = east.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]
            return west, replica

        def state(west, replica):
            return west.describe_key(KeyId=replica["Arn"])["KeyMetadata"]["KeyState"]

        def test_ini(kms_rotation):
            assert kms_rotation.config.replication_delay == timedelta(seconds=20)
            west, replica = replicate()
            time.sleep(19)
            assert state(west, replica) == "Creating"
            time.sleep(1)  # polling with time.sleep moves through the delay
            assert state(west, replica) == "Enabled"

        @pytest.mark.kms_rotation(replication_delay=0)
        def test_marker_zero(kms_rotation):
            west, replica = replicate()
            assert replica["KeyState"] == "Enabled" and state(west, replica) == "Enabled"

        @pytest.mark.kms_rotation(replication_delay=timedelta(minutes=2))
        def test_marker_timedelta(kms_rotation):
            west, replica = replicate()
            kms_rotation.clock.advance(seconds=119)
            assert state(west, replica) == "Creating"
            kms_rotation.clock.advance(seconds=1)
            assert state(west, replica) == "Enabled"
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_ini_options_and_markers_reach_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        kms_rotation_on_demand_limit = 25
        kms_rotation_start = 2026-02-16T00:00:00Z
        kms_rotation_account_id = 123456789012
        """
    )
    pytester.makepyfile(
        """
        import pytest
        from datetime import datetime, timezone

        def test_ini(kms_rotation):
            assert kms_rotation.config.on_demand_limit == 25
            assert kms_rotation.config.account_id == "123456789012"
            assert kms_rotation.clock.now() == datetime(2026, 2, 16, tzinfo=timezone.utc)

        @pytest.mark.kms_rotation(on_demand_limit=1)
        class TestClassMarker:
            def test_class(self, kms_rotation):
                assert kms_rotation.config.on_demand_limit == 1

            @pytest.mark.kms_rotation(on_demand_limit=2)
            def test_closest_wins(self, kms_rotation):
                assert kms_rotation.config.on_demand_limit == 2

        @pytest.mark.kms_rotation(region="eu-west-1")
        def test_marker_alone_activates_the_fake():
            import boto3
            arn = boto3.client("kms", region_name="eu-west-1").create_key()["KeyMetadata"]["Arn"]
            assert arn.startswith("arn:aws:kms:eu-west-1:123456789012:key/")
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=4)


def test_a_bad_marker_fails_the_test_at_setup_with_a_clear_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kms_rotation(on_demand_limt=3)
        def test_typo():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*pytest-kmsrotate: @pytest.mark.kms_rotation got unknown argument(s) on_demand_limt "
         "(did you mean 'on_demand_limit'?); valid arguments: "
         "on_demand_limit, on_demand_delay, replication_delay, start, account_id, region, patch_sleep, freeze_time, "
         "async_time, follow_freezegun, enforce_policies, endpoint, aws_managed_rotation_status"]
    )
    assert "Traceback" not in result.stdout.str()
    assert "During handling of the above exception" not in result.stdout.str()


def test_help_lists_every_ini_option(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    for name in SETTING_NAMES:
        result.stdout.fnmatch_lines([f"  kms_rotation_{name} (string):", "*pytest-kmsrotate: *"])


def test_the_markers_are_registered_for_strict_markers(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.kms_rotation(**settings):*", "@pytest.mark.kms_keys(*keys, **key):*"])
