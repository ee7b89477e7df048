"""Engine checkpoints: restore puts everything back, any number of times, and forgets nothing."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

import pytest

from pytest_kmsrotate._core.config import Config
from pytest_kmsrotate._core.engine import Engine
from pytest_kmsrotate._core.errors import KMSError
from pytest_kmsrotate._core.faults import Fault
from pytest_kmsrotate._core.snapshot import (
    IMPORT_BOOK_CONTAINERS,
    KEY_CONTAINERS,
    LINEAGE_CONTAINERS,
    MATERIAL_SHARED,
    STATE_COPIED,
    STATE_KEPT,
    CheckpointError,
    restore,
    take,
)


def _seeded() -> tuple[Engine, str]:
    engine = Engine(Config(seed="snapshot"))
    arn = engine.execute("CreateKey", {"Description": "seeded"})["KeyMetadata"]["Arn"]
    engine.execute("EnableKeyRotation", {"KeyId": arn, "RotationPeriodInDays": 90})
    engine.execute("CreateAlias", {"AliasName": "alias/seeded", "TargetKeyId": arn})
    engine.execute("TagResource", {"KeyId": arn, "Tags": [{"TagKey": "t", "TagValue": "v"}]})
    return engine, arn


def _view(engine: Engine, arn: str) -> dict[str, Any]:
    """What a test can observe, through the API and the logs."""
    return {
        "now": engine.clock.now(),
        "keys": engine.execute("ListKeys", {})["Keys"],
        "aliases": engine.execute("ListAliases", {})["Aliases"],
        "key": engine.execute("DescribeKey", {"KeyId": arn})["KeyMetadata"],
        "rotations": engine.execute("ListKeyRotations", {"KeyId": arn})["Rotations"],
        "tags": engine.execute("ListResourceTags", {"KeyId": arn})["Tags"],
        "status": engine.execute("GetKeyRotationStatus", {"KeyId": arn}),
    }


def test_every_attribute_of_the_state_and_engine_is_either_copied_or_deliberately_kept() -> None:
    engine = Engine()
    assert set(vars(engine.state)) == set(STATE_COPIED) | set(STATE_KEPT)
    # Besides SNAPSHOT_FIELDS, only what never changes as calls are answered.
    assert set(vars(engine)) - set(Engine.SNAPSHOT_FIELDS) == {"config", "clock", "state", "lock", "_operations",
                                                               "partition_of"}


IMMUTABLE = (str, int, float, bool, bytes, datetime, timedelta, type(None), frozenset)


def _rich_state() -> Engine:
    """Keys of every kind the state can hold, so every field holds a real value."""
    engine, arn = _seeded()
    engine.execute("ScheduleKeyDeletion", {"KeyId": engine.execute("CreateKey", {})["KeyMetadata"]["Arn"],
                                           "PendingWindowInDays": 7})
    engine.execute("RotateKeyOnDemand", {"KeyId": arn})
    primary = engine.execute("CreateKey", {"MultiRegion": True, "Origin": "EXTERNAL"})["KeyMetadata"]["Arn"]
    engine.execute("ReplicateKey", {"KeyId": primary, "ReplicaRegion": "eu-west-1"})
    engine.execute("GetParametersForImport", {"KeyId": primary, "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
                                              "WrappingKeySpec": "RSA_2048"})
    engine.execute("Encrypt", {"KeyId": arn, "Plaintext": b"p"})  # draws a secret and fills a cache
    return engine


def test_only_the_declared_fields_hold_containers() -> None:
    """The snapshot copies KEY_CONTAINERS and friends one level down and shares the rest: the rest
    must be immutable, or a restored fake would share it with the checkpoint."""
    engine = _rich_state()
    declared = {"Key": KEY_CONTAINERS, "Lineage": LINEAGE_CONTAINERS, "KeyMaterial": MATERIAL_SHARED,
                "ImportBook": IMPORT_BOOK_CONTAINERS}
    objects: list[Any] = [engine.state.imports]
    for key in engine.state.keys.values():
        objects += [key, key.lineage, *key.lineage.materials]
    for obj in objects:
        names = {f.name for f in fields(obj)}
        mutable = declared[type(obj).__name__]
        assert set(mutable) <= names
        for name in names - set(mutable):
            value = getattr(obj, name)
            assert isinstance(value, IMMUTABLE), f"{type(obj).__name__}.{name} holds a {type(value).__name__}"


def test_restore_puts_back_keys_aliases_tags_schedule_clock_and_logs() -> None:
    engine, arn = _seeded()
    checkpoint = take(engine)
    calls, events = len(engine.calls), len(engine.events)
    before = _view(engine, arn)
    del engine.calls[calls:]  # _view's own calls are not part of the checkpoint
    restore(engine, checkpoint)

    blob = engine.execute("Encrypt", {"KeyId": arn, "Plaintext": b"p"})["CiphertextBlob"]
    engine.clock.advance(days=200)  # two automatic rotations
    engine.execute("RotateKeyOnDemand", {"KeyId": arn})
    engine.execute("UntagResource", {"KeyId": arn, "TagKeys": ["t"]})
    engine.execute("DeleteAlias", {"AliasName": "alias/seeded"})
    engine.execute("CreateKey", {"Description": "made after the checkpoint"})
    engine.faults.add(Fault("Decrypt", "KMSInternalException", None, 500, None))
    engine.unimplemented.append("SomethingNew")

    restore(engine, checkpoint)
    assert len(engine.calls) == calls and len(engine.events) == events
    assert not engine.faults and engine.unimplemented == []
    assert _view(engine, arn) == before
    # The blob made after the checkpoint was made by the same key: it still opens after restore.
    assert engine.execute("Decrypt", {"CiphertextBlob": blob})["Plaintext"] == b"p"
    # Timed work is back as it was: the first automatic rotation falls due 90 days on.
    engine.clock.advance(days=90)
    assert len(engine.execute("ListKeyRotations", {"KeyId": arn})["Rotations"]) == 1


def test_a_key_made_after_each_restore_gets_the_same_id() -> None:
    engine, _ = _seeded()
    checkpoint = take(engine)
    made = []
    for _ in range(3):
        restore(engine, checkpoint)
        made.append(engine.execute("CreateKey", {})["KeyMetadata"]["KeyId"])
    assert len(set(made)) == 1


def test_faults_armed_at_the_checkpoint_come_back_with_their_shots() -> None:
    engine, arn = _seeded()
    engine.faults.add(Fault("DescribeKey", "ThrottlingException", "Rate exceeded", 400, 1))
    checkpoint = take(engine)
    for _ in range(2):
        restore(engine, checkpoint)
        with pytest.raises(KMSError) as excinfo:
            engine.execute("DescribeKey", {"KeyId": arn})
        assert (excinfo.value.code, excinfo.value.message) == ("ThrottlingException", "Rate exceeded")
        engine.execute("DescribeKey", {"KeyId": arn})  # the one shot is used up


def test_a_restored_fake_shares_nothing_mutable_with_its_checkpoint() -> None:
    engine = _rich_state()
    checkpoint = take(engine)
    restore(engine, checkpoint)
    keys, aliases, _heap, imports, _rotations, _next_delay = checkpoint.state
    for arn, key in engine.state.keys.items():
        assert key is not keys[arn] and key.lineage is not keys[arn].lineage and key.tags is not keys[arn].tags
        for live, kept in zip(key.lineage.materials, keys[arn].lineage.materials, strict=True):
            assert live is not kept and live.derived is kept.derived  # the cache is shared on purpose
    assert engine.state.aliases is not aliases and engine.state.imports is not imports
    assert engine.state.imports.tokens is not imports.tokens


def test_replicas_still_share_their_primarys_lineage_after_restore() -> None:
    engine, _ = _seeded()
    primary = engine.execute("CreateKey", {"MultiRegion": True})["KeyMetadata"]["Arn"]
    engine.execute("ReplicateKey", {"KeyId": primary, "ReplicaRegion": "eu-west-1"})
    checkpoint = take(engine)
    restore(engine, checkpoint)
    replica = primary.replace("us-east-1", "eu-west-1")
    keys = engine.state.keys
    assert keys[primary].lineage is keys[replica].lineage
    engine.execute("RotateKeyOnDemand", {"KeyId": primary})
    assert len(engine.execute("ListKeyRotations", {"KeyId": replica}, "eu-west-1")["Rotations"]) == 1


def test_the_clock_goes_back_and_its_listeners_follow() -> None:
    engine, _ = _seeded()
    seen = []
    engine.clock.subscribe(seen.append)
    checkpoint = take(engine)
    engine.clock.advance(timedelta(days=3))
    restore(engine, checkpoint)
    assert engine.clock.now() == checkpoint.now == seen[-1]


def test_a_checkpoint_only_restores_into_its_own_engine() -> None:
    engine, _ = _seeded()
    checkpoint = take(engine)
    other = Engine(Config(seed="snapshot"))
    with pytest.raises(CheckpointError, match="taken from another fake"):
        restore(other, checkpoint)
    assert other.state.keys == {}



def test_grants_key_stores_and_last_use_come_back_too() -> None:
    engine, arn = _seeded()
    checkpoint = take(engine)
    engine.execute("CreateGrant", {"KeyId": arn, "GranteePrincipal": "arn:aws:iam::111122223333:role/r",
                                   "Operations": ["Encrypt"]})
    engine.execute("Encrypt", {"KeyId": arn, "Plaintext": b"p"})
    assert engine.execute("ListGrants", {"KeyId": arn})["Grants"]
    assert engine.execute("GetKeyLastUsage", {"KeyId": arn})["KeyLastUsage"]["Operation"] == "Encrypt"
    restore(engine, checkpoint)
    assert engine.execute("ListGrants", {"KeyId": arn})["Grants"] == []
    assert engine.execute("GetKeyLastUsage", {"KeyId": arn})["KeyLastUsage"] == {}


def test_the_learned_model_enums_are_kept_across_a_restore() -> None:
    """State.enums is learned once (Engine.learn_enums) and belongs to the fake, like its config."""
    engine = Engine()
    engine.learn_enums({"KeySpec": ["SYMMETRIC_DEFAULT", "RSA_2048"], "KeyUsageType": ["ENCRYPT_DECRYPT"]})
    checkpoint = take(engine)
    restore(engine, checkpoint)
    assert engine.state.enums is not None and engine.state.enums["KeySpec"] == ("SYMMETRIC_DEFAULT", "RSA_2048")
    with pytest.raises(KMSError) as excinfo:
        engine.execute("CreateKey", {"KeySpec": "ML_DSA_44", "KeyUsage": "SIGN_VERIFY"})
    assert (excinfo.value.code, excinfo.value.message) == ("ValidationException", (
        "2 validation errors detected: Value 'ML_DSA_44' at 'keySpec' failed to satisfy constraint: Member must "
        "satisfy enum value set: [SYMMETRIC_DEFAULT, RSA_2048]; Value 'SIGN_VERIFY' at 'keyUsage' failed to satisfy "
        "constraint: Member must satisfy enum value set: [ENCRYPT_DECRYPT]"))
