"""No state leaks between tests: in file order, in random orders (pytest-randomly) and under xdist.

One pytester suite runs several times. Each of its tests asserts it sees exactly its own keys,
reuses one alias name every other test also creates (a leak would make that AlreadyExists), and
writes the key IDs it got to a record file. A module-level client made before any fake (the
deliberately leaky pattern) must still reach a fresh fake in every test. Across runs the same
test gets the same key IDs whatever ran before it and on whichever worker it ran.
"""

from __future__ import annotations

import json

import pytest

SUITE = '''
import json
import os
from datetime import datetime, timezone

import boto3
import pytest
from botocore.hooks import HierarchicalEmitter

# The leaky pattern: one client for the whole module, built before any fake exists.
LEAKY = boto3.client("kms", region_name="us-east-1")
REAL_EMIT = HierarchicalEmitter._emit
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def all_keys(client):
    return [k["KeyId"] for page in client.get_paginator("list_keys").paginate() for k in page["Keys"]]


def customer_aliases(client):
    names = [a["AliasName"] for page in client.get_paginator("list_aliases").paginate() for a in page["Aliases"]]
    return [n for n in names if not n.startswith("alias/aws/")]


def record(request, ids):
    with open(os.environ["ISOLATION_RECORDS"], "a") as out:
        out.write(json.dumps({"test": request.node.nodeid, "ids": ids,
                              "worker": os.environ.get("PYTEST_XDIST_WORKER", "main")}) + "\\n")


def check_fresh(kms_rotation, client):
    assert all_keys(client) == []
    assert customer_aliases(client) == []
    assert kms_rotation.clock.now() == START
    assert kms_rotation.keys == []
    assert kms_rotation.events.names == ["ListKeys", "ListAliases"]  # just these two calls


@pytest.mark.parametrize("n", range(6))
def test_sees_only_its_own_keys(kms_rotation, request, n):
    client = boto3.client("kms", region_name="us-east-1")
    check_fresh(kms_rotation, client)
    ids = [client.create_key(Description=f"test {n} key {i}")["KeyMetadata"]["KeyId"] for i in range(n % 3 + 1)]
    client.create_alias(AliasName="alias/shared", TargetKeyId=ids[0])
    client.enable_key_rotation(KeyId=ids[0], RotationPeriodInDays=90)
    for _ in range(10):  # the whole default quota: a leaked count would refuse one of these
        client.rotate_key_on_demand(KeyId=ids[0])
    kms_rotation.clock.advance(days=200)
    assert sorted(all_keys(client)) == sorted(ids)
    assert customer_aliases(client) == ["alias/shared"]
    rotations = client.list_key_rotations(KeyId=ids[0])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"] * 10 + ["AUTOMATIC"] * 2
    record(request, ids + [r["KeyMaterialId"] for r in rotations])


@pytest.mark.parametrize("n", range(4))
def test_module_level_client_sees_a_fresh_fake(kms_rotation, request, n):
    check_fresh(kms_rotation, LEAKY)
    key = LEAKY.create_key()["KeyMetadata"]["KeyId"]
    LEAKY.create_alias(AliasName="alias/shared", TargetKeyId=key)
    blob = LEAKY.encrypt(KeyId=key, Plaintext=b"secret")["CiphertextBlob"]
    assert LEAKY.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    assert kms_rotation.key(key).key_id == key
    assert [c.operation for c in kms_rotation.calls] == [
        "ListKeys", "ListAliases", "CreateKey", "CreateAlias", "Encrypt", "Decrypt"]
    record(request, [key])


@pytest.mark.parametrize("n", range(3))
def test_between_fakes_nothing_stays_patched(n):
    assert HierarchicalEmitter._emit is REAL_EMIT
'''


def _run(pytester: pytest.Pytester, name: str, *args: str) -> list[dict[str, object]]:
    records = pytester.path / f"{name}.jsonl"
    pytester.makepyfile(test_suite=SUITE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ISOLATION_RECORDS", str(records))
        # No credentials from the machine running the suite: the fake supplies its own.
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(pytester.path / "no-credentials"))
        patch.setenv("AWS_CONFIG_FILE", str(pytester.path / "no-config"))
        for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            patch.delenv(variable, raising=False)
        # LEAKY is created at import, before any fake, with no credentials: botocore would ask
        # instance metadata (169.254.169.254) then, and the suite's network guard refuses that.
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=13)
    return [json.loads(line) for line in records.read_text().splitlines()]


def _ids(records: list[dict[str, object]]) -> dict[object, object]:
    return {r["test"]: r["ids"] for r in records}


def _order(records: list[dict[str, object]]) -> list[object]:
    return [r["test"] for r in records]


def test_no_state_leaks_in_random_orders_or_across_xdist_workers(pytester: pytest.Pytester) -> None:
    in_file_order = _run(pytester, "file-order", "-p", "no:randomly")
    assert len(in_file_order) == 10
    assert len({json.dumps(ids) for ids in _ids(in_file_order).values()}) == 10, "two tests got the same IDs"
    orders = [_order(in_file_order)]
    for seed in (1, 2):
        shuffled = _run(pytester, f"seed-{seed}", "-p", "randomly", f"--randomly-seed={seed}")
        assert _ids(shuffled) == _ids(in_file_order)
        orders.append(_order(shuffled))
    assert len({tuple(order) for order in orders}) > 1, "pytest-randomly never changed the order"
    distributed = _run(pytester, "xdist", "-p", "randomly", "--randomly-seed=3", "-n", "2")
    assert _ids(distributed) == _ids(in_file_order)
    assert {r["worker"] for r in distributed} == {"gw0", "gw1"}
