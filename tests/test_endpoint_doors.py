"""Either door, the same answer: status, headers and body bytes (request IDs and Date aside).

And the two doors never both answer one request: an in-process client is answered in-process
even when its endpoint URL is the local endpoint, while the suite's "endpoint" client really
crosses the socket.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate import KmsRotation
from pytest_kmsrotate._core.config import Config
from tests._doors import CLIENT_FACTORIES, endpoint_client

Exchange = tuple[str, int, dict[str, str], bytes]
ASIDE = {"x-amzn-requestid", "date"}


def _recorded(client: Any) -> list[Exchange]:
    """Every HTTP answer the client reads, as botocore received it."""
    seen: list[Exchange] = []

    def keep(http_response: Any, model: Any, **_: Any) -> None:
        headers = {k.lower(): v for k, v in http_response.headers.items() if k.lower() not in ASIDE}
        seen.append((model.name, http_response.status_code, headers, http_response.content))

    client.meta.events.register("after-call.kms", keep)
    return seen


def _script(kms: Any, fake: KmsRotation) -> None:
    """A run through the rotation rules, successes and errors alike."""
    key_id = kms.create_key(Description="same either way")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    kms.get_key_rotation_status(KeyId=key_id)
    for _ in range(10):
        kms.rotate_key_on_demand(KeyId=key_id)
    for failing in (lambda: kms.rotate_key_on_demand(KeyId=key_id),
                    lambda: kms.get_key_rotation_status(KeyId="1234abcd-12ab-34cd-56ef-1234567890ab"),
                    lambda: kms.describe_key(KeyId="alias/none")):
        with pytest.raises(ClientError):
            failing()
    fake.clock.advance(days=200)
    kms.list_key_rotations(KeyId=key_id, Limit=3)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob)
    kms.create_alias(AliasName="alias/same", TargetKeyId=key_id)
    kms.list_aliases()
    kms.describe_key(KeyId="alias/same")


def _run(door: str) -> list[Exchange]:
    # botocore retries LimitExceededException as throttling, sleeping a random jitter that moves the
    # simulated clock: the same seed gives both runs the same sleeps, hence the same timestamps.
    random.seed(14)
    with KmsRotation(Config(seed="same answers")) as fake:
        kms = CLIENT_FACTORIES[door](fake, "us-east-1")
        seen = _recorded(kms)
        _script(kms, fake)
        return seen


def _without_ciphertext(exchange: Exchange) -> Exchange:
    operation, status, headers, body = exchange
    payload = json.loads(body)
    blob = payload.pop("CiphertextBlob")
    return operation, status, headers, json.dumps([payload, len(blob)]).encode()


def _without_marker(exchange: Exchange) -> Exchange:
    operation, status, headers, body = exchange
    payload = json.loads(body)
    marker = payload.pop("NextMarker")
    return operation, status, headers, json.dumps([payload, len(marker)]).encode()


def test_both_doors_give_the_same_status_headers_and_bytes() -> None:
    in_process, over_http = _run("botocore"), _run("endpoint")
    assert len(in_process) == len(over_http) == 22
    for one, other in zip(in_process, over_http, strict=True):
        if one[0] == "Encrypt":  # a fresh random IV per ciphertext, as AWS's: same shape, other bytes
            one, other = _without_ciphertext(one), _without_ciphertext(other)
        if one[0] == "ListKeyRotations":  # markers are MACed with each fake's own secret
            one, other = _without_marker(one), _without_marker(other)
        assert one == other
    assert {status for _, status, _, _ in in_process} == {200, 400}


def test_the_endpoint_client_really_crosses_the_socket(kms_rotation: KmsRotation) -> None:
    kms = endpoint_client(kms_rotation, "us-east-1")
    before = kms_rotation.endpoint.requests_served
    kms.create_key()
    kms.list_keys()
    assert kms_rotation.endpoint.requests_served - before == 2
    assert [c.operation for c in kms_rotation.calls] == ["CreateKey", "ListKeys"]


def test_an_in_process_client_aimed_at_the_endpoint_is_answered_in_process_once(kms_rotation: KmsRotation) -> None:
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url=kms_rotation.endpoint_url)
    finished = threading.Event()
    outcome: list[Any] = []

    def work() -> None:
        outcome.append(kms.create_key()["KeyMetadata"]["KeyId"])
        finished.set()

    threading.Thread(target=work, daemon=True).start()
    assert finished.wait(10), "an in-process client aimed at the endpoint deadlocked"
    assert kms_rotation.endpoint.requests_served == 0  # the before-send door answered; nothing hit the socket
    assert [(c.operation, c.ok) for c in kms_rotation.calls] == [("CreateKey", True)]  # answered once


def test_a_client_created_while_the_endpoint_runs_picks_up_its_url_and_stays_in_process(
        kms_rotation: KmsRotation) -> None:
    url = kms_rotation.endpoint_url  # sets AWS_ENDPOINT_URL_KMS
    kms = boto3.client("kms", region_name="us-east-1")
    assert kms.meta.endpoint_url == url
    kms.list_keys()
    assert kms_rotation.endpoint.requests_served == 0
    assert len(kms_rotation.calls) == 1


@pytest.mark.parametrize("door", sorted(CLIENT_FACTORIES))
def test_every_door_shares_the_call_log_clock_and_faults(door: str) -> None:
    factory: Callable[[KmsRotation, str], Any] = CLIENT_FACTORIES[door]
    with KmsRotation() as fake:
        kms = factory(fake, "us-east-1")
        fake.inject_fault("ListKeys", "DependencyTimeoutException", times=1)
        kms.list_keys()  # botocore retries the 503, through whichever door
        assert [(c.operation, c.injected) for c in fake.calls] == [("ListKeys", True), ("ListKeys", False)]
