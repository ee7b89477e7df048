"""Load: 32 concurrent clients over HTTP while the test moves the clock.

Zero errors beyond the modeled one (the on-demand quota), the quota never exceeded, no rotation
lost or doubled, every call logged once, all within a bound. The issue asks for 500 calls per
client; the suite runs 40 per client (1,280 calls, a few seconds on a shared 2-core machine),
and KMSROTATE_LOAD_CALLS=500 runs the full size.
"""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from botocore.config import Config as BotocoreConfig
from botocore.exceptions import ClientError

from pytest_kmsrotate import KmsRotation
from tests._doors import endpoint_client

CLIENTS = 32
CALLS = int(os.environ.get("KMSROTATE_LOAD_CALLS", "40"))
KEYS = 8
PERIOD = 90
BOUND_SECONDS = 120  # a hang, not slowness, is what this catches; speed lives in benchmarks/bench.py


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.on_demand: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.unexpected: list[str] = []

    def add(self, calls: int, key: str | None = None, rotated: bool = False, refused: bool = False) -> None:
        with self.lock:
            self.calls += calls
            if rotated and key:
                self.on_demand[key] += 1
            if refused and key:
                self.refused[key] += 1


def _work(kms: Any, keys: list[str], seed: int, tally: Tally) -> None:
    rng = random.Random(seed)
    for _ in range(CALLS):
        key = rng.choice(keys)
        pick = rng.random()
        try:
            if pick < 0.2:
                try:
                    kms.rotate_key_on_demand(KeyId=key)
                    tally.add(1, key, rotated=True)
                except ClientError as error:
                    if error.response["Error"]["Code"] != "LimitExceededException":
                        raise
                    tally.add(1, key, refused=True)
            elif pick < 0.4:
                blob = kms.encrypt(KeyId=key, Plaintext=b"load")["CiphertextBlob"]
                assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"load"
                tally.add(2)
            elif pick < 0.6:
                status = kms.get_key_rotation_status(KeyId=key)
                assert status["KeyRotationEnabled"] is True
                tally.add(1)
            elif pick < 0.8:
                kms.list_key_rotations(KeyId=key, Limit=5)
                tally.add(1)
            else:
                assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
                tally.add(1)
        except Exception as error:  # anything else is a failure of the fake under load
            with tally.lock:
                tally.unexpected.append(f"{type(error).__name__}: {error}")


@pytest.mark.kms_rotation(endpoint=True)
def test_concurrent_clients_while_the_clock_moves(kms_rotation: KmsRotation) -> None:
    keys = []
    for _ in range(KEYS):
        handle = kms_rotation.create_key(rotation_period_in_days=PERIOD)
        keys.append(handle.arn)
    start = kms_rotation.clock.now()
    # One attempt per call: a retried LimitExceededException would sleep real seconds in these threads.
    config = BotocoreConfig(retries={"total_max_attempts": 1}, max_pool_connections=2)
    clients = [endpoint_client(kms_rotation, "us-east-1", config=config) for _ in range(CLIENTS)]
    tally = Tally()
    workers = [threading.Thread(target=_work, args=(kms, keys, n, tally), daemon=True)
               for n, kms in enumerate(clients)]
    for worker in workers:
        worker.start()
    moved = threading.Event()
    while any(worker.is_alive() for worker in workers):
        kms_rotation.clock.advance(days=5)
        moved.wait(0.02)
    for worker in workers:
        worker.join(BOUND_SECONDS)
    assert not any(worker.is_alive() for worker in workers), "clients still running: the endpoint hung"

    assert tally.unexpected == []
    assert kms_rotation.endpoint.errors == []
    assert tally.calls >= CLIENTS * CALLS  # every call answered (encrypt+decrypt count as two)...
    assert len(kms_rotation.calls) == tally.calls  # ...and logged once
    assert kms_rotation.endpoint.requests_served == len(kms_rotation.calls)
    elapsed_days = (kms_rotation.clock.now() - start) / timedelta(days=1)
    assert elapsed_days >= 2 * PERIOD, "the clock barely moved during the load: the test proves little"
    for arn in keys:
        handle = kms_rotation.key(arn)
        on_demand = [r for r in handle.rotations if r.type == "ON_DEMAND"]
        automatic = [r for r in handle.rotations if r.type == "AUTOMATIC"]
        assert len(on_demand) == tally.on_demand[arn] <= 10  # the quota, never exceeded, nothing lost
        if tally.on_demand[arn] + tally.refused[arn] >= 10:
            assert len(on_demand) == 10
        assert len(automatic) == int(elapsed_days // PERIOD)  # every due date passed rotated, once
