import pytest

from xlm_core.train.config import TrainConfig
from xlm_core.train.deepspeed_config import build_ds_config


def test_cpu_is_fp32_cuda_is_bf16_and_batches_are_consistent():
    t = TrainConfig(max_steps=1, zero_stage=2, micro_batch_size=4, global_batch_size=32)
    cpu = build_ds_config(t, world_size=2, on_cuda=False)
    assert cpu["bf16"] == {"enabled": False}
    assert (cpu["train_batch_size"], cpu["train_micro_batch_size_per_gpu"], cpu["gradient_accumulation_steps"]) == (32, 4, 4)
    assert cpu["zero_optimization"]["stage"] == 2 and cpu["zero_optimization"]["overlap_comm"] is True
    gpu = build_ds_config(t, world_size=1, on_cuda=True)
    assert gpu["bf16"] == {"enabled": True} and gpu["data_types"]["grad_accum_dtype"] == "fp32"
    assert gpu["zero_optimization"]["overlap_comm"] is False  # one GPU: nothing to overlap with


def test_unsupported_options_are_refused():
    with pytest.raises(ValueError, match="offload_param needs zero_stage 3"):
        build_ds_config(TrainConfig(max_steps=1, zero_stage=2, offload_param=True), world_size=1, on_cuda=True)
    with pytest.raises(ValueError, match="nothing to offload"):
        build_ds_config(TrainConfig(max_steps=1, zero_stage=3, offload_param=True), world_size=1, on_cuda=False)
    with pytest.raises(ValueError, match="bf16' needs CUDA"):
        build_ds_config(TrainConfig(max_steps=1, precision="bf16"), world_size=1, on_cuda=False)
    z3 = build_ds_config(TrainConfig(max_steps=1, zero_stage=3, offload_param=True), world_size=1, on_cuda=True)
    assert z3["zero_optimization"]["offload_param"]["device"] == "cpu"
