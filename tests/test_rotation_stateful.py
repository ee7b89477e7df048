"""A model-based test: random sequences of rotation, key-state, grant and replication calls through boto3.

Replicas are `Creating` for the default replication delay (60 s, docs/fidelity.md §20.1): the model
keeps when each becomes Enabled, and the clock moves by `advance` and by `time.sleep`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from pytest_kmsrotate._core.config import Config
from pytest_kmsrotate._pytest_plugin.fake import KmsRotation

LIMIT = 3
REPLICATION = Config().replication_delay  # the default: what a test that sets nothing gets
REGIONS = ("us-west-2", "eu-west-1")


@dataclass
class Model:
    arn: str
    state: str = "Enabled"
    enabled: bool = False
    period: int | None = None
    next: datetime | None = None
    on_demand: int = 0
    deletion: datetime | None = None
    rotations: list[tuple[datetime, str]] = field(default_factory=list)
    grants: list[tuple[str, str]] = field(default_factory=list)  # (GrantId, GrantToken), oldest first
    multi_region: bool = False
    replica_regions: list[str] = field(default_factory=list)


@dataclass
class Replica:
    arn: str
    region: str
    ready: datetime  # Creating until then, Enabled from then on
    grants: list[str] = field(default_factory=list)  # GrantIds, oldest first

    def creating(self, now: datetime) -> bool:
        return now < self.ready


class RotationMachine(RuleBasedStateMachine):
    keys = Bundle("keys")
    replicas = Bundle("replicas")

    def __init__(self) -> None:
        super().__init__()
        self.fake = KmsRotation(Config(on_demand_limit=LIMIT), freeze_time=False).start()
        self.kms = boto3.client("kms", region_name="us-east-1")
        self.regional = {r: boto3.client("kms", region_name=r) for r in REGIONS}
        self.models: dict[str, Model] = {}
        self.replica_models: dict[str, Replica] = {}

    def teardown(self) -> None:
        self.fake.stop()

    def now(self) -> datetime:
        now = self.fake.clock.now()  # AWS keeps milliseconds; so does the fake
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def settle(self) -> None:
        """Apply due automatic rotations to the model, as the fake does before each call."""
        now = self.now()
        for m in self.models.values():
            if m.state == "PendingDeletion" and m.deletion is not None and m.deletion <= now:
                m.state = "Deleted"  # the waiting period ended: the key is gone
            while m.enabled and m.state == "Enabled" and m.next is not None and m.next <= now:
                m.rotations.append((m.next, "AUTOMATIC"))
                m.next = m.next + timedelta(days=m.period or 365)

    def call(self, op: str, expected: tuple[str, str] | None, client: Any = None,
             **params: Any) -> dict[str, Any] | None:
        try:
            response: dict[str, Any] = getattr(client or self.kms, op)(**params)
        except ClientError as error:
            got = (error.response["Error"]["Code"], error.response["Error"].get("Message", ""))
            assert got == expected, f"{op}{params} failed with {got}, expected {expected}"
            return None
        assert expected is None, f"{op}{params} succeeded, expected {expected}"
        return response

    @staticmethod
    def gone(m: Model) -> tuple[str, str] | None:
        return ("NotFoundException", f"Key '{m.arn}' does not exist") if m.state == "Deleted" else None

    def state_error(self, m: Model) -> tuple[str, str] | None:
        if m.state == "Deleted":
            return self.gone(m)
        if m.state == "Disabled":
            return ("DisabledException", f"{m.arn} is disabled.")
        if m.state == "PendingDeletion":
            return ("KMSInvalidStateException", f"{m.arn} is pending deletion.")
        return None

    @rule(target=keys)
    def create(self) -> str:
        arn: str = self.kms.create_key()["KeyMetadata"]["Arn"]
        self.models[arn] = Model(arn)
        return arn

    @rule(target=keys)
    def create_multi_region(self) -> str:
        arn: str = self.kms.create_key(MultiRegion=True)["KeyMetadata"]["Arn"]
        self.models[arn] = Model(arn, multi_region=True)
        return arn

    @initialize(target=replicas)
    def a_replica_being_created(self) -> str:
        """Every run starts with one replica in `Creating`, so the replica rules always have one."""
        return self.replicate(self.create_multi_region(), REGIONS[0])

    @rule(target=replicas, arn=keys, region=st.sampled_from(REGIONS))
    def replicate(self, arn: str, region: str) -> str:
        self.settle()
        m = self.models[arn]
        expected = self.gone(m)
        if expected is None and not m.multi_region:
            expected = ("UnsupportedOperationException", f"{arn} is not a multi-region primary key.")
        expected = expected or self.state_error(m)
        if expected is None and region in m.replica_regions:
            expected = ("AlreadyExistsException",
                        "You can create only one replica of each primary key in each AWS Region.")
        response = self.call("replicate_key", expected, KeyId=arn, ReplicaRegion=region)
        if response is None:
            return ""  # no replica: the rules taking one skip it
        meta = response["ReplicaKeyMetadata"]
        # AWS answers while the replica is being created (issue 15, deviation 1).
        assert (meta["KeyState"], meta["Enabled"]) == ("Creating", False), meta
        m.replica_regions.append(region)
        self.replica_models[meta["Arn"]] = Replica(meta["Arn"], region, self.now() + REPLICATION)
        return str(meta["Arn"])

    def creating_error(self, r: Replica) -> tuple[str, str] | None:
        return ("KMSInvalidStateException", f"{r.arn} is creating.") if r.creating(self.now()) else None

    @rule(arn=replicas)
    def use_replica(self, arn: str) -> None:
        if not arn:
            return
        r = self.replica_models[arn]
        response = self.call("encrypt", self.creating_error(r), client=self.regional[r.region], KeyId=arn,
                             Plaintext=b"p")
        if response is not None:
            assert response["KeyId"] == arn

    @rule(arn=replicas)
    def grant_on_replica(self, arn: str) -> None:
        if not arn:
            return
        r = self.replica_models[arn]
        response = self.call("create_grant", self.creating_error(r), client=self.regional[r.region], KeyId=arn,
                             GranteePrincipal="arn:aws:iam::111122223333:role/r", Operations=["Encrypt"])
        if response is not None:
            r.grants.append(response["GrantId"])

    @rule(arn=keys, period=st.one_of(st.none(), st.sampled_from([90, 91, 365, 2560, 2561, 5000])))
    def enable_rotation(self, arn: str, period: int | None) -> None:
        self.settle()
        m = self.models[arn]
        params: dict[str, Any] = {} if period is None else {"RotationPeriodInDays": period}
        if period is not None and period > 2560:
            expected: tuple[str, str] | None = ("ValidationException", (
                f"1 validation error detected: Value '{period}' at 'rotationPeriodInDays' failed to satisfy "
                "constraint: Member must have value less than or equal to 2560"))
        else:
            expected = self.state_error(m)
        self.call("enable_key_rotation", expected, KeyId=arn, **params)
        if expected is None:
            if not m.enabled:
                m.enabled, m.period = True, period or 365
                m.next = self.now() + timedelta(days=m.period)
            elif period is not None and period != m.period:
                m.period, m.next = period, self.now() + timedelta(days=period)

    @rule(arn=keys)
    def disable_rotation(self, arn: str) -> None:
        self.settle()
        m = self.models[arn]
        expected = self.state_error(m)
        self.call("disable_key_rotation", expected, KeyId=arn)
        if expected is None:
            m.enabled, m.period, m.next = False, None, None

    @rule(arn=keys)
    def rotate_on_demand(self, arn: str) -> None:
        self.settle()
        m = self.models[arn]
        expected = self.state_error(m)
        if expected is None and m.enabled and m.next is not None and m.next <= self.now() + timedelta(minutes=20):
            expected = ("ConflictException", (
                "The request was rejected because an automatic rotation of this key is currently in progress "
                "or scheduled to begin within the next 20 minutes."))
        if expected is None and m.on_demand >= LIMIT:
            expected = ("LimitExceededException", (
                "The on-demand rotations limit has been reached for the given keyId. "
                f"No more on-demand rotations can be performed for this key: {arn}"))
        self.call("rotate_key_on_demand", expected, KeyId=arn)
        if expected is None:
            m.on_demand += 1
            m.rotations.append((self.now(), "ON_DEMAND"))

    @rule(arn=keys)
    def disable_key(self, arn: str) -> None:
        self.settle()
        m = self.models[arn]
        pending = m.state == "PendingDeletion"
        expected = self.gone(m) or (("KMSInvalidStateException", f"{arn} is pending deletion.") if pending else None)
        self.call("disable_key", expected, KeyId=arn)
        if expected is None:
            m.state = "Disabled"

    @rule(arn=keys)
    def enable_key(self, arn: str) -> None:
        self.settle()
        m = self.models[arn]
        pending = m.state == "PendingDeletion"
        expected = self.gone(m) or (("KMSInvalidStateException", f"{arn} is pending deletion.") if pending else None)
        self.call("enable_key", expected, KeyId=arn)
        if expected is None and m.state != "Enabled":
            m.state = "Enabled"
            # Spec §3.6: a rotation missed while the key was not Enabled happens now.
            if m.enabled and m.next is not None and m.next <= self.now():
                m.rotations.append((self.now(), "AUTOMATIC"))
                m.next = self.now() + timedelta(days=m.period or 365)

    @rule(arn=keys)
    def schedule_deletion(self, arn: str) -> None:
        self.settle()
        m = self.models[arn]
        pending = m.state == "PendingDeletion"
        expected = self.gone(m) or (("KMSInvalidStateException", f"{arn} is pending deletion.") if pending else None)
        self.call("schedule_key_deletion", expected, KeyId=arn, PendingWindowInDays=30)
        if expected is None:
            m.state, m.deletion = "PendingDeletion", self.now() + timedelta(days=30)

    @rule(arn=keys)
    def cancel_deletion(self, arn: str) -> None:
        self.settle()
        m = self.models[arn]
        pending = m.state == "PendingDeletion"
        not_pending = ("KMSInvalidStateException", f"{arn} is not pending deletion.")
        expected = self.gone(m) or (None if pending else not_pending)
        self.call("cancel_key_deletion", expected, KeyId=arn)
        if pending:
            m.state, m.deletion = "Disabled", None

    @rule(arn=keys)
    def create_grant(self, arn: str) -> None:
        self.settle()
        m = self.models[arn]
        pending = ("KMSInvalidStateException", f"{arn} is pending deletion.") if m.state == "PendingDeletion" else None
        response = self.call("create_grant", self.gone(m) or pending, KeyId=arn,
                             GranteePrincipal="arn:aws:iam::111122223333:role/r", Operations=["Decrypt"])
        if response is not None:
            m.grants.append((response["GrantId"], response["GrantToken"]))

    @rule(arn=keys, by_token=st.booleans())
    def retire_oldest_grant(self, arn: str, by_token: bool) -> None:
        self.settle()
        m = self.models[arn]
        if not m.grants or m.state == "Deleted":
            return
        grant_id, token = m.grants.pop(0)
        params = {"GrantToken": token} if by_token else {"KeyId": arn, "GrantId": grant_id}
        self.call("retire_grant", None, **params)

    @rule(days=st.sampled_from([0, 1, 10, 89, 90, 200, 400]), minutes=st.sampled_from([0, 10, 25]))
    def advance(self, days: int, minutes: int) -> None:
        self.fake.clock.advance(days=days, minutes=minutes)

    @rule(seconds=st.sampled_from([1, 5, 30, 59]))
    def sleep(self, seconds: int) -> None:
        # Polling code sleeps: the fake's sleep moves its clock, through the replication delay too.
        time.sleep(seconds)

    @invariant()
    def agrees_with_model(self) -> None:
        self.settle()
        for arn, m in self.models.items():
            assert m.on_demand <= LIMIT
            if m.state == "Deleted":
                self.call("get_key_rotation_status", self.gone(m), KeyId=arn)
                continue
            granted = [g["GrantId"] for p in self.kms.get_paginator("list_grants").paginate(KeyId=arn)
                       for g in p["Grants"]]
            assert granted == [grant_id for grant_id, _ in m.grants], arn
            listed = [(e["RotationDate"], e["RotationType"]) for e in self.paged(arn)]
            assert listed == m.rotations, arn
            status = self.kms.get_key_rotation_status(KeyId=arn)
            shown = m.enabled and m.state != "PendingDeletion"
            assert status["KeyRotationEnabled"] is shown
            if shown:
                assert (status["RotationPeriodInDays"], status["NextRotationDate"]) == (m.period, m.next)
            else:
                assert "NextRotationDate" not in status

    @invariant()
    def replicas_agree_with_model(self) -> None:
        now = self.now()
        for arn, r in self.replica_models.items():
            client = self.regional[r.region]
            meta = client.describe_key(KeyId=arn)["KeyMetadata"]
            expected = ("Creating", False) if r.creating(now) else ("Enabled", True)
            assert (meta["KeyState"], meta["Enabled"]) == expected, (arn, now, r.ready)
            granted = [g["GrantId"] for p in client.get_paginator("list_grants").paginate(KeyId=arn)
                       for g in p["Grants"]]
            assert granted == r.grants, arn

    def paged(self, arn: str) -> list[dict[str, Any]]:
        pages = self.kms.get_paginator("list_key_rotations").paginate(KeyId=arn, PaginationConfig={"PageSize": 2})
        return [e for p in pages for e in p["Rotations"]]


RotationMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=25, deadline=None)
TestRotationMachine = RotationMachine.TestCase
