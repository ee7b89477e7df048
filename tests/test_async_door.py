"""The aiobotocore door: async clients reach the same fake as boto3 clients, through aiobotocore's own pipeline.

Runs where aiobotocore is installed (the `aio` extra; CI's .venv-aio pass); skipped elsewhere.
Async scenarios run with `asyncio.run` inside sync tests: the suite adds no async test plugin.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, NoCredentialsError

from pytest_kmsrotate import KmsRotation
from pytest_kmsrotate._core.config import Config
from pytest_kmsrotate._process.throwaway import FAKE_ACCESS_KEY_ID
from tests._doors import AIOBOTOCORE_MISSING
from tests.conftest import assert_matches_output_shape, error_of

pytest.importorskip("aiobotocore", reason=AIOBOTOCORE_MISSING)

import aiobotocore.endpoint
from aiobotocore.hooks import AioHierarchicalEmitter
from aiobotocore.session import AioSession, get_session


def record_back_off(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds aiobotocore's retry loop awaits (`asyncio.sleep` called from aiobotocore.endpoint:
    directly in 2.x, through `AioEndpoint._sleep` in 3.x); other sleeps pass unrecorded."""
    awaited: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float, *args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_globals.get("__name__") == "aiobotocore.endpoint":
            awaited.append(delay)
        return await real_sleep(delay, *args, **kwargs)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return awaited


def aio_client(**kwargs: Any) -> Any:
    """An async context manager giving an aiobotocore KMS client (region us-east-1 unless given)."""
    return get_session().create_client("kms", **{"region_name": "us-east-1", **kwargs})


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())  # type: ignore[arg-type]


def signed_access_keys(client: Any) -> list[str]:
    """Record the access key ID of every request `client` signs (read after botocore's signer ran)."""
    seen: list[str] = []

    def record(request: Any, **_: Any) -> None:
        authorization = request.headers.get("Authorization", b"")
        text = authorization.decode() if isinstance(authorization, bytes) else authorization
        seen.append(text.split("Credential=")[1].split("/")[0])

    client.meta.events.register_last("request-created.kms", record)
    return seen


@pytest.mark.usefixtures("no_earlier_orphans")  # a leftover thread would keep the guard's wrapper on
def test_the_door_is_open_while_a_fake_runs_and_every_wrapper_goes_when_it_stops() -> None:
    originals = (AioHierarchicalEmitter._emit, AioSession._create_client)
    endpoint = dict(vars(aiobotocore.endpoint.AioEndpoint))
    with KmsRotation(Config(seed="aio-doors")) as fake:
        assert [door.name for door in fake.doors] == ["botocore", "aiobotocore"]
        assert all(door.is_open for door in fake.doors)
        assert AioHierarchicalEmitter._emit is not originals[0]
        assert AioSession._create_client is not originals[1]
        # Back-off is simulated through the `needs-retry` event, so no endpoint method is patched
        # (aiobotocore 2.x has no `AioEndpoint._sleep` to patch).
        assert dict(vars(aiobotocore.endpoint.AioEndpoint)) == endpoint
    assert (AioHierarchicalEmitter._emit, AioSession._create_client) == originals


def test_a_client_created_before_the_fake_started_is_answered_and_keeps_its_static_credentials() -> None:
    async def scenario() -> None:
        async with aio_client(aws_access_key_id="AKIAMACHINEKEY", aws_secret_access_key="machine") as kms:
            signed = signed_access_keys(kms)
            with KmsRotation(Config(seed="aio-before")) as fake:
                created = await kms.create_key(Description="made before")
                assert_matches_output_shape("CreateKey", created)
                assert created["KeyMetadata"]["Description"] == "made before"
                assert fake.key(created["KeyMetadata"]["KeyId"]).exists
            assert signed == ["AKIAMACHINEKEY"]  # static keys are read without a look-up, as for boto3

    run(scenario)


def test_a_client_without_credentials_reaches_the_fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    async def scenario() -> None:
        async with aio_client() as kms:  # resolves no credentials
            with pytest.raises(NoCredentialsError):
                await kms.list_keys()  # no fake: aiobotocore refuses to sign, as always
            with KmsRotation(Config(seed="aio-nocreds")):
                assert (await kms.list_keys())["Keys"] == []

    run(scenario)


def test_a_client_made_during_the_fake_gets_throwaway_credentials(kms_rotation: KmsRotation) -> None:
    async def scenario() -> None:
        async with aio_client() as kms:
            signed = signed_access_keys(kms)
            await kms.list_keys()
            assert signed == [FAKE_ACCESS_KEY_ID]

    run(scenario)


def test_modeled_errors_raise_the_clients_exception_classes(kms_rotation: KmsRotation) -> None:
    async def scenario() -> None:
        async with aio_client() as kms:
            with pytest.raises(kms.exceptions.NotFoundException) as excinfo:
                await kms.get_key_rotation_status(KeyId="1234abcd-12ab-34cd-56ef-1234567890ab")
            assert isinstance(excinfo.value, ClientError)
            assert error_of(excinfo) == (
                "NotFoundException",
                "Key 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist")

    run(scenario)


def test_a_client_in_another_event_loop_in_another_thread(kms_rotation: KmsRotation) -> None:
    made: list[str] = []
    failures: list[BaseException] = []

    def in_thread() -> None:
        async def scenario() -> None:
            async with aio_client() as kms:
                key = (await kms.create_key())["KeyMetadata"]["KeyId"]
                await kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
                made.append(key)

        try:
            asyncio.run(scenario())
        except BaseException as error:  # reported in the test's thread below
            failures.append(error)

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join(30)
    assert failures == [] and len(made) == 1
    status = boto3.client("kms", region_name="us-east-1").get_key_rotation_status(KeyId=made[0])
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 90)


@pytest.mark.kms_rotation(on_demand_limit=250)
def test_async_paginator_over_250_rotations_at_one_instant(kms_rotation: KmsRotation) -> None:
    sync = boto3.client("kms", region_name="us-east-1")
    key = sync.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(250):
        sync.rotate_key_on_demand(KeyId=key)
        kms_rotation.complete_rotations()
    expected = [r for page in sync.get_paginator("list_key_rotations").paginate(KeyId=key) for r in page["Rotations"]]
    assert len(expected) == 250 and len({r["RotationDate"] for r in expected}) == 1, "all at one instant"

    async def scenario() -> list[dict[str, Any]]:
        async with aio_client() as kms:
            pages = [page async for page in kms.get_paginator("list_key_rotations").paginate(KeyId=key)]
        for page in pages:
            assert_matches_output_shape("ListKeyRotations", page)
        assert [len(page["Rotations"]) for page in pages] == [100, 100, 50]
        return [r for page in pages for r in page["Rotations"]]

    listed = run(scenario)
    assert listed == expected
    assert len({r["KeyMaterialId"] for r in listed}) == 250


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_injected_faults_are_retried_and_the_back_off_moves_the_simulated_clock(
    kms_rotation: KmsRotation, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = kms_rotation.create_key().key_id
    kms_rotation.inject_fault("RotateKeyOnDemand", "ThrottlingException", times=2)
    before = kms_rotation.clock.now()
    awaited = record_back_off(monkeypatch)

    async def scenario() -> dict[str, Any]:
        async with aio_client(config=BotoConfig(retries={"mode": mode})) as kms:
            return await kms.rotate_key_on_demand(KeyId=key)  # type: ignore[no-any-return]

    response = run(scenario)
    assert_matches_output_shape("RotateKeyOnDemand", response)
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    attempts = [c for c in kms_rotation.calls if c.operation == "RotateKeyOnDemand"]
    assert [(c.error.code if c.error else None, c.injected) for c in attempts] == [
        ("ThrottlingException", True), ("ThrottlingException", True), (None, False)]
    assert kms_rotation.clock.now() > before, "the two back-offs were simulated, not slept"
    assert awaited == [0, 0], "aiobotocore awaited no back-off of its own"
    assert attempts[0].time < attempts[2].time


def test_a_fault_without_retries_meets_the_code_as_aws_sends_it(kms_rotation: KmsRotation) -> None:
    key = kms_rotation.create_key().key_id
    kms_rotation.inject_fault("DescribeKey", "DependencyTimeoutException")

    async def scenario() -> None:
        async with aio_client(config=BotoConfig(retries={"total_max_attempts": 1})) as kms:
            with pytest.raises(kms.exceptions.DependencyTimeoutException) as excinfo:
                await kms.describe_key(KeyId=key)
            metadata = excinfo.value.response["ResponseMetadata"]
            assert (metadata["HTTPStatusCode"], metadata["RetryAttempts"]) == (503, 0)

    run(scenario)


@pytest.mark.kms_rotation(patch_sleep=False)
def test_without_the_sleep_patch_async_back_off_is_real(
    kms_rotation: KmsRotation, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = kms_rotation.create_key().key_id
    kms_rotation.inject_fault("DescribeKey", "KMSInternalException")
    before = kms_rotation.clock.now()
    awaited = record_back_off(monkeypatch)

    async def scenario() -> dict[str, Any]:
        async with aio_client(config=BotoConfig(retries={"mode": "standard"})) as kms:
            return await kms.describe_key(KeyId=key)  # type: ignore[no-any-return]

    assert run(scenario)["ResponseMetadata"]["RetryAttempts"] == 1
    assert kms_rotation.clock.now() == before
    assert len(awaited) == 1 and awaited[0] > 0, "aiobotocore awaited botocore's own back-off"


def test_sync_and_async_clients_share_one_engine_clock_calls_and_events(kms_rotation: KmsRotation) -> None:
    sync = boto3.client("kms", region_name="us-east-1")
    key = sync.create_key()["KeyMetadata"]["KeyId"]

    async def scenario() -> None:
        async with aio_client() as kms:
            await kms.enable_key_rotation(KeyId=key)
            await kms.rotate_key_on_demand(KeyId=key)

    run(scenario)
    assert sync.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    assert [c.operation for c in kms_rotation.calls] == [
        "CreateKey", "EnableKeyRotation", "RotateKeyOnDemand", "GetKeyRotationStatus"]
    assert kms_rotation.events.where(key=key, type="AwsApiCall").names == [
        "CreateKey", "EnableKeyRotation", "RotateKeyOnDemand", "GetKeyRotationStatus"]
    assert [r.type for r in kms_rotation.key(key).rotations] == ["ON_DEMAND"]


def test_a_principals_credentials_on_an_async_client_are_that_principals(kms_rotation: KmsRotation) -> None:
    arn = "arn:aws:iam::111122223333:role/KeyRotator"
    principal = kms_rotation.principal(arn)

    async def scenario() -> None:
        async with get_session().create_client("kms", **principal.client_kwargs) as kms:
            signed = signed_access_keys(kms)
            await kms.create_key()
            assert signed == [principal.client_kwargs["aws_access_key_id"]]

    run(scenario)
    assert kms_rotation.calls[-1].caller == arn


@pytest.mark.kms_rotation(enforce_policies=True)
def test_an_async_principal_is_judged_by_the_policies(kms_rotation: KmsRotation) -> None:
    arn = "arn:aws:iam::111122223333:role/rotator"
    key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    principal = kms_rotation.principal(arn)

    async def rotate() -> None:
        async with principal.aio_client() as kms:
            await kms.rotate_key_on_demand(KeyId=key)

    with pytest.raises(ClientError) as excinfo:
        run(rotate)
    assert error_of(excinfo) == ("AccessDeniedException", (
        f"User: {arn} is not authorized to perform: kms:RotateKeyOnDemand on resource: {key} "
        "because no identity-based policy allows the kms:RotateKeyOnDemand action"))
    kms_rotation.attach_policy(principal, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:RotateKeyOnDemand", "Resource": "*"}]})
    run(rotate)
    assert kms_rotation.calls[-1].caller == arn and kms_rotation.calls[-1].ok


def test_aioboto3_sessions_are_answered(kms_rotation: KmsRotation) -> None:
    aioboto3 = pytest.importorskip(
        "aioboto3", reason="aioboto3 is not installed: CI runs it in .venv-aio-min, with the aiobotocore "
        "its newest release pins (the `aio` extra's minimum)")

    async def scenario() -> str:
        async with aioboto3.Session().client("kms", region_name="us-east-1") as kms:
            key = (await kms.create_key())["KeyMetadata"]["KeyId"]
            await kms.rotate_key_on_demand(KeyId=key)
            return str(key)

    key = run(scenario)
    assert [r.type for r in kms_rotation.key(key).rotations] == ["ON_DEMAND"]


def test_an_aiohttp_app_whose_handler_rotates_a_key_end_to_end(kms_rotation: KmsRotation) -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    kms_client = web.AppKey("kms", object)

    async def kms_lifecycle(app: web.Application) -> Any:
        async with aio_client() as kms:
            app[kms_client] = kms
            yield

    async def rotate(request: web.Request) -> web.Response:
        kms: Any = request.app[kms_client]
        key_id = request.match_info["key_id"]
        try:
            await kms.rotate_key_on_demand(KeyId=key_id)
        except kms.exceptions.NotFoundException as error:
            return web.json_response({"error": error.response["Error"]["Message"]}, status=404)
        status = await kms.get_key_rotation_status(KeyId=key_id)
        return web.json_response({"next": str(status.get("NextRotationDate", "")),
                                  "in_progress": "OnDemandRotationStartDate" in status})

    app = web.Application()
    app.cleanup_ctx.append(kms_lifecycle)
    app.router.add_post("/keys/{key_id}/rotate", rotate)
    key = kms_rotation.create_key().key_id

    async def scenario() -> tuple[int, Any, int, Any]:
        async with TestClient(TestServer(app, host="127.0.0.1")) as http:
            ok = await http.post(f"/keys/{key}/rotate")
            missing = await http.post("/keys/1234abcd-12ab-34cd-56ef-1234567890ab/rotate")
            return ok.status, await ok.json(), missing.status, await missing.json()

    ok_status, ok_body, missing_status, missing_body = run(scenario)
    assert (ok_status, missing_status) == (200, 404)
    assert missing_body == {"error": "Key 'arn:aws:kms:us-east-1:111122223333:key/"
                                     "1234abcd-12ab-34cd-56ef-1234567890ab' does not exist"}
    assert [r.type for r in kms_rotation.key(key).rotations] == ["ON_DEMAND"]
    assert [c.operation for c in kms_rotation.calls] == [
        "RotateKeyOnDemand", "GetKeyRotationStatus", "RotateKeyOnDemand"]
    assert ok_body["in_progress"] is False  # the default on-demand delay completes at once
