"""The shape the layers promise: one protocol path, doors opened and closed on a running fake,
an exception-safe patch stack, the engine's read API, and the public names."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.signers import RequestSigner

import pytest_kmsrotate
from pytest_kmsrotate import Config, KmsRotation
from pytest_kmsrotate._process.stack import PatchStack


def test_every_public_name_is_importable_and_listed() -> None:
    listed = dir(pytest_kmsrotate)
    for name in pytest_kmsrotate.__all__:
        assert name in listed
        assert getattr(pytest_kmsrotate, name) is not None
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        pytest_kmsrotate.Nope  # noqa: B018


class _CountingDoor:
    name = "counting"

    def __init__(self) -> None:
        self.opened = self.closed = 0

    @property
    def is_open(self) -> bool:
        return self.opened > self.closed

    def open(self) -> None:
        self.opened += 1

    def close(self) -> None:
        self.closed += 1


def test_a_door_opens_and_closes_on_a_running_fake() -> None:
    real_sign = RequestSigner.sign
    with KmsRotation(Config(seed="doors"), freeze_time=False, patch_sleep=False) as fake:
        opened = fake.doors  # botocore's, then aiobotocore's where it is installed
        botocore_door = opened[0]
        assert botocore_door.name == "botocore" and botocore_door.is_open
        extra = _CountingDoor()
        assert fake.open_door(extra) is extra
        assert fake.doors == (*opened, extra) and extra.is_open
        fake.close_door(extra)
        assert fake.doors == opened and (extra.opened, extra.closed) == (1, 1)
        fake.close_door(botocore_door)
        assert not botocore_door.is_open and RequestSigner.sign is real_sign
        again = _CountingDoor()
        fake.open_door(again)
    assert (again.opened, again.closed) == (1, 1), "a door still open closes with the fake"
    assert fake.doors == ()


def test_the_protocol_answers_bytes_as_aws_sends_them() -> None:
    fake = KmsRotation(Config(seed="protocol"))
    created = fake.protocol.respond("CreateKey", b"{}", "eu-west-1")
    assert created.status == 200
    assert created.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert created.headers["Content-Length"] == str(len(created.body))
    assert created.headers["Date"].endswith(" GMT")
    assert created.headers["x-amzn-RequestId"]
    arn = json.loads(created.body)["KeyMetadata"]["Arn"]
    assert arn.startswith("arn:aws:kms:eu-west-1:111122223333:key/")

    refused = fake.protocol.respond("RotateKeyOnDemand", json.dumps({"KeyId": "alias/x"}).encode(), "eu-west-1")
    assert refused.status == 400
    assert json.loads(refused.body) == {"__type": "InvalidArnException",
                                        "message": "Key Aliases are not supported for this operation."}
    garbled = fake.protocol.respond("DescribeKey", b"{not json", None)
    assert garbled.status == 400 and json.loads(garbled.body)["__type"] == "SerializationException"


def test_botocore_and_the_protocol_give_the_same_bytes() -> None:
    seen: list[Any] = []
    with KmsRotation(Config(seed="same-bytes")) as fake:
        client = boto3.client("kms", region_name="us-east-1")
        client.meta.events.register("after-call.kms.ListKeys", lambda http_response, **_: seen.append(http_response))
        client.list_keys()
        direct = fake.protocol.respond("ListKeys", b"{}", "us-east-1")
    assert seen[0].status_code == direct.status
    assert seen[0].content == direct.body
    assert {k: v for k, v in seen[0].headers.items() if k != "x-amzn-RequestId"} == {
        k: v for k, v in direct.headers.items() if k != "x-amzn-RequestId"}


def test_the_patch_stack_runs_every_undo_and_raises_the_first_failure() -> None:
    done: list[str] = []
    stack = PatchStack()

    def fail(name: str) -> Any:
        def undo() -> None:
            done.append(name)
            raise RuntimeError(name)
        return undo

    stack.enter(lambda: None, lambda: done.append("first"))
    stack.enter(lambda: None, fail("second"))
    stack.enter(lambda: None, fail("third"))
    with pytest.raises(RuntimeError, match="third"):
        stack.unwind()
    assert done == ["third", "second", "first"]
    assert not stack

    def broken_install() -> None:
        raise ValueError("install")

    with pytest.raises(ValueError, match="install"):
        stack.enter(broken_install, lambda: done.append("never"))
    stack.unwind()
    assert "never" not in done


def test_the_engine_read_api_snapshots_keys_and_forgets_deleted_ones() -> None:
    with KmsRotation(Config(seed="read-api")) as fake:
        kms = boto3.client("kms", region_name="us-east-1")
        arn = kms.create_key()["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName="alias/read", TargetKeyId=arn)
        assert fake.engine.find_key("alias/read") == arn
        handle = fake.key("alias/read")
        snap = handle.snapshot()
        assert (snap.arn, snap.key_state, snap.aliases) == (arn, "Enabled", ("alias/read",))
        assert snap.on_demand_remaining == 10
        assert handle.aliases == ["alias/read"]
        kms.rotate_key_on_demand(KeyId=arn)
        assert snap.rotations == (), "a snapshot is frozen"
        assert [r.type for r in handle.rotations] == ["ON_DEMAND"]
        seen = fake.engine.inspect()
        assert [k.arn for k in seen.keys] == [arn]
        assert [c.operation for c in seen.calls] == ["CreateKey", "CreateAlias", "RotateKeyOnDemand"]
        kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
        fake.clock.advance(days=7)
        assert fake.engine.key_snapshot(arn) is None
        with pytest.raises(LookupError, match="its deletion completed"):
            handle.state  # noqa: B018
