"""A clock jump's rotations as one lazy `MaterialRun` (issue 17): it reads like the list of
materials it stands for, and checkpoints share it without sharing anything that changes."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from pytest_kmsrotate._core.config import Config
from pytest_kmsrotate._core.engine import Engine
from pytest_kmsrotate._core.model import AUTOMATIC, CURRENT, NON_CURRENT, KeyMaterial, MaterialRun
from pytest_kmsrotate._core.snapshot import restore, take


def _jumped() -> tuple[Engine, str]:
    engine = Engine(Config(seed="runs"))
    arn = engine.execute("CreateKey", {})["KeyMetadata"]["Arn"]
    engine.execute("EnableKeyRotation", {"KeyId": arn, "RotationPeriodInDays": 90})
    engine.clock.advance(days=3650)  # 40 rotations: a run of 39, then the CURRENT one
    return engine, arn


def test_a_run_reads_like_the_materials_it_stands_for() -> None:
    engine, arn = _jumped()
    materials = engine.state.keys[arn].lineage.materials
    listed = engine.execute("ListKeyRotations", {"KeyId": arn, "Limit": 1000})["Rotations"]
    assert any(isinstance(part, MaterialRun) for part in materials._parts)
    assert len(materials) == len(list(materials)) == 41 == len(listed) + 1
    assert [m.material_id for m in materials][1:] == [r["KeyMaterialId"] for r in listed]
    assert [m.material_id for m in reversed(materials)] == [m.material_id for m in materials][::-1]
    assert [materials[n].material_id for n in range(-41, 41)] == [m.material_id for m in materials] * 2
    assert [m.state for m in materials].count(CURRENT) == 1 and materials.current() is materials[-1]
    dates = [m.rotation_date for m in materials][1:]
    assert {b - a for a, b in pairwise(dates)} == {timedelta(days=90)}  # type: ignore[operator]
    middle = materials[20]
    assert (middle.state, middle.rotation_type, middle.realm) == (NON_CURRENT, AUTOMATIC, engine.state.ids.realm)
    assert materials.by_id(middle.material_id) is middle  # looked up once, kept
    assert materials.by_id("0" * 64) is None


def test_a_run_member_is_real_material_with_its_own_secret() -> None:
    from pytest_kmsrotate._core.primitives import open_blob, parse_blob, seal

    engine, arn = _jumped()
    materials = engine.state.keys[arn].lineage.materials
    one, other = materials[5], materials[6]
    blob = seal(arn, one, b"p", None)
    sealed = parse_blob(blob)
    assert sealed is not None and sealed.material_id == one.material_id
    assert open_blob(sealed, materials.by_id(one.material_id) or other, None) == b"p"
    assert open_blob(sealed, other, None) is None
    rebuilt = KeyMaterial(one.material_id, None, NON_CURRENT, realm=one.realm)  # derived again: same secret
    assert open_blob(sealed, rebuilt, None) == b"p"


def test_a_restored_fake_gets_the_run_back_and_later_rotations_do_not_leak_into_the_checkpoint() -> None:
    engine, arn = _jumped()
    checkpoint = take(engine)
    before = [m.material_id for m in engine.state.keys[arn].lineage.materials]
    engine.clock.advance(days=3650)
    assert len(engine.state.keys[arn].lineage.materials) == 82
    restore(engine, checkpoint)
    assert [m.material_id for m in engine.state.keys[arn].lineage.materials] == before
