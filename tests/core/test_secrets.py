"""Secrets a fake drew at random, exported from one engine and adopted by another (the state file)."""

from __future__ import annotations

from pytest_kmsrotate._core.config import Config
from pytest_kmsrotate._core.engine import Engine


def _rsa_engine() -> tuple[Engine, str]:
    engine = Engine(Config(seed="secrets"))
    key = engine.execute("CreateKey", {"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"})["KeyMetadata"]["KeyId"]
    return engine, key


def _public_key(engine: Engine, key: str) -> bytes:
    public: bytes = engine.execute("GetPublicKey", {"KeyId": key})["PublicKey"]
    return public


def test_an_adopting_engine_answers_with_the_exported_key_pairs_and_realm() -> None:
    first, key = _rsa_engine()
    public = _public_key(first, key)
    drawn = first.export_secrets()
    assert len(drawn.key_pairs) == 1

    second, same_key = _rsa_engine()  # the same seed names the same key and material
    assert same_key == key
    assert second.export_secrets().realm != drawn.realm  # each fake draws its own realm
    second.adopt_secrets(drawn)
    assert second.export_secrets().realm == drawn.realm
    assert _public_key(second, key) == public


def test_imported_material_is_never_exported() -> None:
    engine = Engine(Config(seed="secrets"))
    engine.execute("CreateKey", {"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY", "Origin": "EXTERNAL"})
    assert engine.export_secrets().key_pairs == {}


def test_the_call_count_and_last_call_follow_the_calls_that_reached_an_operation() -> None:
    engine = Engine(Config(seed="secrets"))
    assert (engine.call_count(), engine.last_call()) == (0, None)
    engine.execute("ListKeys", {})
    last = engine.last_call()
    assert engine.call_count() == 1 and last is not None and last.operation == "ListKeys"
