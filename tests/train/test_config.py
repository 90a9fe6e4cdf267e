import json
import os

import pytest

from xlm_core.train.config import RunConfig, TrainConfig, load_run_config


def test_batch_layout_that_does_not_divide_is_refused_with_the_numbers():
    t = TrainConfig(max_steps=10, micro_batch_size=8, global_batch_size=40)
    assert t.grad_accumulation(1) == 5
    with pytest.raises(ValueError, match=r"global_batch_size=40 is not divisible by train.micro_batch_size=8 × 2 ranks = 16"):
        t.grad_accumulation(2)
    with pytest.raises(ValueError, match="not a positive multiple of train.micro_batch_size=8"):
        TrainConfig(max_steps=10, micro_batch_size=8, global_batch_size=12)


def test_lr_schedule_warmup_then_linear_and_polynomial_decay():
    t = TrainConfig(max_steps=10, warmup_steps=2, lr=1.0)
    assert [round(t.lr_factor(i), 3) for i in range(10)] == [0.5, 1.0, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125]
    p = TrainConfig(max_steps=10, warmup_steps=0, decay="polynomial", decay_power=2.0, min_lr_ratio=0.1)
    assert p.lr_factor(0) == pytest.approx(1.0) and p.lr_factor(5) == pytest.approx(0.1 + 0.9 * 0.25)
    assert TrainConfig(max_steps=4, decay="constant").lr_factor(3) == 1.0


def test_bad_fields_name_the_field():
    with pytest.raises(ValueError, match="train.zero_stage=4"):
        TrainConfig(max_steps=1, zero_stage=4)
    with pytest.raises(ValueError, match="train.decay='cosine'"):
        TrainConfig(max_steps=1, decay="cosine")
    with pytest.raises(ValueError, match=r"train: unknown field\(s\) \['micro_batch'\]"):
        RunConfig.from_dict({"model": {"vocab_size": 300}, "train": {"max_steps": 1, "micro_batch": 2}, "data": {"mlm": {}}, "output_dir": "x"})


def test_run_config_round_trip(tmp_path):
    d = {"model": {"size": "tiny", "vocab_size": 300}, "train": {"max_steps": 3, "betas": [0.9, 0.98]},
         "data": {"mlm": {"en": "en.npy"}}, "output_dir": str(tmp_path)}
    (tmp_path / "run.json").write_text(json.dumps(d))
    run = load_run_config(str(tmp_path / "run.json"))
    assert run.model.hidden_size == 64 and run.train.betas == (0.9, 0.98)
    assert RunConfig.from_dict(run.to_dict()) == run


def test_spec_sections_are_validated_with_field_names():
    import yaml

    from xlm_core.spec import SpecError, parse_spec

    demo = os.path.join(os.path.dirname(__file__), "..", "..", "data_specs", "demo.yaml")
    with open(demo) as f:
        spec = yaml.safe_load(f)
    assert parse_spec(spec, path=demo, base_dir=os.path.dirname(demo)).section("train")["zero_stage"] == 1
    bad = {**spec, "train": {**spec["train"], "zero_stage": 5}, "model": {"size": "huge"}}
    with pytest.raises(SpecError) as exc:
        parse_spec(bad, path=demo, base_dir=os.path.dirname(demo))
    assert "train.zero_stage" in str(exc.value) and "model.size" in str(exc.value)
