import os

import pytest

from xlm_core.train import checkpoint as ckpt

MODEL = {"vocab_size": 300, "hidden_size": 64}


def _save(root, step, payload=b"weights"):
    tag = ckpt.tag_for(step)
    os.makedirs(root / tag / "sub")
    (root / tag / "mp_rank_00_model_states.pt").write_bytes(payload)
    (root / tag / "sub" / "shard.pt").write_bytes(payload * 2)
    ckpt.write_manifest(str(root), tag, {"step": step, "model": MODEL, "zero_stage": 2, "world_size": 2})
    return tag


def test_incomplete_tags_are_skipped_and_pruned(tmp_path):
    _save(tmp_path, 5)
    _save(tmp_path, 10)
    os.makedirs(tmp_path / ckpt.tag_for(15))  # killed while saving: no manifest
    assert ckpt.latest_complete_tag(str(tmp_path)) == "step00000010"
    _save(tmp_path, 20)
    assert ckpt.prune(str(tmp_path), keep_last=2) == ["step00000005", "step00000015"]
    assert ckpt.all_tags(str(tmp_path)) == ["step00000010", "step00000020"]


def test_corrupt_or_missing_file_is_named(tmp_path):
    tag = _save(tmp_path, 5)
    assert ckpt.verify(str(tmp_path), tag)["step"] == 5
    (tmp_path / tag / "sub" / "shard.pt").write_bytes(b"weightsweightX")  # same size, other bytes
    with pytest.raises(ckpt.CheckpointError, match="corrupt: sub/shard.pt does not match"):
        ckpt.verify(str(tmp_path), tag)
    os.remove(tmp_path / tag / "mp_rank_00_model_states.pt")
    with pytest.raises(ckpt.CheckpointError, match="mp_rank_00_model_states.pt is missing"):
        ckpt.verify(str(tmp_path), tag)


def test_other_shape_or_layout_is_refused(tmp_path):
    meta = ckpt.verify(str(tmp_path), _save(tmp_path, 5))
    ckpt.check_compatible(meta, model=MODEL, zero_stage=2, world_size=2, where="x")
    with pytest.raises(ckpt.CheckpointError, match="model.hidden_size: checkpoint 64 vs run 128"):
        ckpt.check_compatible(meta, model={**MODEL, "hidden_size": 128}, zero_stage=2, world_size=2, where="x")
    with pytest.raises(ckpt.CheckpointError, match="zero_stage=2 on 2 ranks; this run has zero_stage=3 on 2 ranks"):
        ckpt.check_compatible(meta, model=MODEL, zero_stage=3, world_size=2, where="x")
