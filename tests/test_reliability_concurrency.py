"""Reliability under threads: 32 workers share keys through real boto3 clients while the clock moves.

The schedule of work is deterministic (seeded per thread) and bounded (32 threads x 20 calls);
only the interleaving is left to the OS. The assertions are invariants that hold for every
interleaving: the cap, no lost or duplicated rotation, every ciphertext decrypts, and the only
errors are the ones AWS models for a rotation racing the quota or the schedule.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from pytest_kmsrotate._core.clock import Clock
from pytest_kmsrotate._core.engine import Engine
from tests.conftest import assert_matches_output_shape

WORKERS = 32
OPS_PER_WORKER = 20
SHARED_KEYS = 4
LIMIT = 5
PERIOD_DAYS = 90
CYCLES = 3  # automatic rotations each rotating key goes through
STEPS_PER_CYCLE = 12  # 5-minute steps across each due date, through the 20-minute conflict window
# Retries would make botocore sleep, and sleeping advances the shared clock: one attempt per call
# keeps the count of calls the fake answered equal to the calls the workers made.
NO_RETRIES = BotoConfig(retries={"total_max_attempts": 1, "mode": "standard"})
ROTATION_RACE_CODES = {"LimitExceededException", "ConflictException"}


@dataclass
class Tally:
    """What one worker saw; merged by the main thread after every worker has finished."""

    rotated: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    ciphertexts: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    listings: list[tuple[str, list[str]]] = field(default_factory=list)
    calls: int = 0
    failures: list[str] = field(default_factory=list)


def _clock_steps(start: datetime) -> list[datetime]:
    """Targets from 30 minutes before each due date to 30 minutes after, in 5-minute steps."""
    targets = []
    for cycle in range(1, CYCLES + 1):
        due = start + timedelta(days=PERIOD_DAYS * cycle)
        targets += [due - timedelta(minutes=30) + timedelta(minutes=5 * i) for i in range(STEPS_PER_CYCLE + 1)]
    return targets


class Progress:
    """Lets the clock thread move in step with the workers' progress instead of with real time."""

    def __init__(self) -> None:
        self.done = 0
        self.condition = threading.Condition()

    def tick(self) -> None:
        with self.condition:
            self.done += 1
            self.condition.notify_all()

    def wait_for(self, count: int) -> None:
        with self.condition:
            self.condition.wait_for(lambda: self.done >= count)


def _worker(index: int, client: Any, keys: list[str], barrier: threading.Barrier, progress: Progress,
            tally: Tally) -> None:
    rng = random.Random(index)
    barrier.wait()
    for step in range(OPS_PER_WORKER):
        key = rng.choice(keys)
        action = rng.choice(["rotate", "rotate", "encrypt", "decrypt", "list", "status", "list_keys"])
        try:
            _one_call(action, step, index, client, key, rng, tally)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if action == "rotate" and code in ROTATION_RACE_CODES:
                tally.refused[code] += 1
            else:
                tally.failures.append(f"worker {index} {action}: {code} {error}")
        except BaseException as error:  # anything else is the failure looked for
            tally.failures.append(f"worker {index} {action}: {type(error).__name__}: {error}")
        finally:
            tally.calls += 1
            progress.tick()


def _one_call(action: str, step: int, index: int, client: Any, key: str, rng: random.Random, tally: Tally) -> None:
    if action == "rotate":
        assert_matches_output_shape("RotateKeyOnDemand", client.rotate_key_on_demand(KeyId=key))
        tally.rotated[key] += 1
    elif action == "encrypt" or (action == "decrypt" and not tally.ciphertexts):
        plaintext = f"worker {index} step {step} \N{SNOWMAN}".encode() + rng.randbytes(8)
        response = client.encrypt(KeyId=key, Plaintext=plaintext)
        assert_matches_output_shape("Encrypt", response)
        tally.ciphertexts.append((key, plaintext, response["CiphertextBlob"]))
    elif action == "decrypt":
        _, plaintext, blob = rng.choice(tally.ciphertexts)
        response = client.decrypt(CiphertextBlob=blob)
        assert_matches_output_shape("Decrypt", response)
        assert response["Plaintext"] == plaintext
    elif action == "list":
        response = client.list_key_rotations(KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL", Limit=1000)
        assert_matches_output_shape("ListKeyRotations", response)
        assert response["Truncated"] is False
        tally.listings.append((key, [entry["KeyMaterialId"] for entry in response["Rotations"]]))
    elif action == "status":
        assert_matches_output_shape("GetKeyRotationStatus", client.get_key_rotation_status(KeyId=key))
    else:
        response = client.list_keys()
        assert_matches_output_shape("ListKeys", response)
        assert {k["KeyArn"] for k in response["Keys"]} >= {key}


def _all_rotations(client: Any, key: str) -> list[dict[str, Any]]:
    pages = client.get_paginator("list_key_rotations").paginate(KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL",
                                                                 PaginationConfig={"PageSize": 3})
    entries = []
    for response in pages:
        assert_matches_output_shape("ListKeyRotations", response)
        entries += response["Rotations"]
    return entries


@pytest.mark.kms_rotation(on_demand_limit=LIMIT)
def test_threads_rotating_encrypting_and_listing_while_the_clock_moves(kms_rotation: Any) -> None:
    setup = boto3.client("kms", region_name="us-east-1", config=NO_RETRIES)
    keys = [setup.create_key()["KeyMetadata"]["Arn"] for _ in range(SHARED_KEYS)]
    rotating = keys[: SHARED_KEYS - 1]  # the last key never rotates automatically
    for key in rotating:
        setup.enable_key_rotation(KeyId=key, RotationPeriodInDays=PERIOD_DAYS)
    enabled_at = kms_rotation.clock.now()
    calls_before = len(kms_rotation.calls)
    # Clients are made here: boto3's default session is not safe to build clients from in many threads.
    clients = [boto3.client("kms", region_name="us-east-1", config=NO_RETRIES) for _ in range(WORKERS)]

    barrier = threading.Barrier(WORKERS + 1)
    progress = Progress()
    tallies = [Tally() for _ in range(WORKERS)]
    steps = _clock_steps(enabled_at)
    clock_failures: list[str] = []

    def move_clock() -> None:
        try:
            barrier.wait()
            for number, target in enumerate(steps, start=1):
                progress.wait_for(WORKERS * OPS_PER_WORKER * number // (len(steps) + 1))
                kms_rotation.clock.move_to(target)
        except BaseException as error:  # reported by the main thread
            clock_failures.append(f"clock: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=_worker, args=(i, clients[i], keys, barrier, progress, tallies[i]))
               for i in range(WORKERS)]
    threads.append(threading.Thread(target=move_clock))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    calls = kms_rotation.calls[calls_before:]

    failures = clock_failures + [f for t in tallies for f in t.failures]
    assert not failures, "\n".join(failures[:20])
    rotated = sum((t.rotated for t in tallies), Counter[str]())
    refused = sum((t.refused for t in tallies), Counter[str]())
    assert sum(t.calls for t in tallies) == WORKERS * OPS_PER_WORKER
    assert refused["LimitExceededException"] > 0  # the cap was reached, so the race over it was run

    final = kms_rotation.clock.now()
    assert final == steps[-1]
    for key in keys:
        entries = _all_rotations(setup, key)
        ids = [e["KeyMaterialId"] for e in entries]
        assert len(set(ids)) == len(ids), "a rotation was recorded twice"
        on_demand = [e for e in entries if e.get("RotationType") == "ON_DEMAND"]
        automatic = [e for e in entries if e.get("RotationType") == "AUTOMATIC"]
        assert len(on_demand) == rotated[key] <= LIMIT
        assert kms_rotation.key(key).on_demand_rotations_used == rotated[key]
        expected_automatic = (final - enabled_at) // timedelta(days=PERIOD_DAYS) if key in rotating else 0
        assert [e["RotationDate"] for e in automatic] == [
            enabled_at + timedelta(days=PERIOD_DAYS * n) for n in range(1, expected_automatic + 1)]
        dates = [e["RotationDate"] for e in entries[1:]]
        assert dates == sorted(dates), "rotations are listed out of time order"
        assert [e["KeyMaterialState"] for e in entries] == ["NON_CURRENT"] * (len(entries) - 1) + ["CURRENT"]
        for seen_key, seen in (listing for t in tallies for listing in t.listings):
            if seen_key == key:
                assert ids[: len(seen)] == seen, "a listing showed rotations that later vanished or moved"

    for key, plaintext, blob in (c for t in tallies for c in t.ciphertexts):
        response = setup.decrypt(CiphertextBlob=blob)
        assert (response["Plaintext"], response["KeyId"]) == (plaintext, key)

    assert len(calls) == WORKERS * OPS_PER_WORKER, "the call log lost or doubled a call"
    ok_rotations = Counter(c.key_arn for c in calls if c.operation == "RotateKeyOnDemand" and c.ok)
    assert ok_rotations == rotated
    service_events = kms_rotation.events.where(name="RotateKey", type="AwsServiceEvent")
    total = sum(rotated.values()) + CYCLES * len(rotating)
    assert len(service_events) == total


@pytest.mark.kms_rotation(on_demand_limit=LIMIT, on_demand_delay=600)
def test_delayed_rotations_coalesce_without_breaking_the_cap_under_threads(kms_rotation: Any) -> None:
    """With a 10-minute rotation, concurrent calls join the rotation in progress instead of starting one."""
    setup = boto3.client("kms", region_name="us-east-1", config=NO_RETRIES)
    keys = [setup.create_key()["KeyMetadata"]["Arn"] for _ in range(2)]
    clients = [boto3.client("kms", region_name="us-east-1", config=NO_RETRIES) for _ in range(WORKERS)]
    barrier = threading.Barrier(WORKERS + 1)
    progress = Progress()
    tallies = [Tally() for _ in range(WORKERS)]
    steps = 40

    def move_clock() -> None:
        barrier.wait()
        for number in range(1, steps + 1):
            progress.wait_for(WORKERS * OPS_PER_WORKER * number // (steps + 1))
            kms_rotation.clock.advance(minutes=4)

    threads = [threading.Thread(target=_worker, args=(i, clients[i], keys, barrier, progress, tallies[i]))
               for i in range(WORKERS)]
    threads.append(threading.Thread(target=move_clock))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    failures = [f for t in tallies for f in t.failures]
    assert not failures, "\n".join(failures[:20])
    rotated = sum((t.rotated for t in tallies), Counter[str]())
    kms_rotation.complete_rotations()
    for key in keys:
        handle = kms_rotation.key(key)
        entries = _all_rotations(setup, key)
        on_demand = [e for e in entries if e.get("RotationType") == "ON_DEMAND"]
        # Every started rotation completed exactly once and used exactly one unit of the quota.
        assert len(on_demand) == handle.on_demand_rotations_used <= LIMIT
        assert 0 < len(on_demand) <= rotated[key]
        assert not handle.on_demand_rotation_in_progress
    for _, plaintext, blob in (c for t in tallies for c in t.ciphertexts):
        assert setup.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext


class _RacingClock(Clock):
    """A clock another thread moves at the worst moment: just after the engine read it.

    A real clock thread can land there too, only rarely; here it lands there every time.
    """

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.jump: timedelta | None = None
        self.mover: threading.Thread | None = None

    def now(self) -> datetime:
        current = super().now()
        if self.jump is not None:
            self.mover = threading.Thread(target=self.advance, args=(self.jump,))
            self.jump = None
            self.mover.start()
            # The mover's listeners wait for the engine's lock; the time itself moves at once.
            while super().now() == current:
                pass
        return current


def test_a_clock_move_during_a_call_never_shows_a_stale_schedule() -> None:
    clock = _RacingClock(datetime.fromisoformat("2024-01-01T00:00:00+00:00"))
    engine = Engine(clock=clock)
    arn = engine.execute("CreateKey", {})["KeyMetadata"]["Arn"]
    engine.execute("EnableKeyRotation", {"KeyId": arn, "RotationPeriodInDays": 90})
    clock.advance(timedelta(days=90) - timedelta(minutes=1))
    clock.jump = timedelta(minutes=30)  # across the automatic rotation due in one minute
    status = engine.execute("GetKeyRotationStatus", {"KeyId": arn})
    assert clock.mover is not None
    clock.mover.join()
    answered_at = engine.calls[-1].time
    # AWS never answers with a next rotation date already behind the time it answered at.
    assert status["NextRotationDate"] > answered_at
    rotations = engine.execute("ListKeyRotations", {"KeyId": arn})["Rotations"]
    assert [r["RotationDate"] for r in rotations] == [status["NextRotationDate"]]
    times = [e["eventTime"] for e in engine.events if "eventTime" in e]
    assert times == sorted(times), "the event log went back in time"
