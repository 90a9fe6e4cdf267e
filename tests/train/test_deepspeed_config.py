import os
import subprocess
import sys

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
    for stage in (0, 1):  # stage 0: DeepSpeed refuses the mix; stage 1: its BF16_Optimizer cannot be exported
        assert "data_types" not in build_ds_config(TrainConfig(max_steps=1, zero_stage=stage), world_size=1, on_cuda=True)
    assert gpu["zero_optimization"]["overlap_comm"] is False  # one GPU: nothing to overlap with


def test_unsupported_options_are_refused():
    with pytest.raises(ValueError, match="offload_param needs zero_stage 3"):
        build_ds_config(TrainConfig(max_steps=1, zero_stage=2, offload_param=True), world_size=1, on_cuda=True)
    with pytest.raises(ValueError, match="nothing to offload"):
        build_ds_config(TrainConfig(max_steps=1, zero_stage=3, offload_param=True), world_size=1, on_cuda=False)
    assert build_ds_config(TrainConfig(max_steps=1, precision="bf16"), world_size=1, on_cuda=False)["bf16"]["enabled"]
    z3 = build_ds_config(TrainConfig(max_steps=1, zero_stage=3, offload_param=True), world_size=1, on_cuda=True)
    assert z3["zero_optimization"]["offload_param"]["device"] == "cpu"


BF16_PROBE = r"""
import os, socket, sys, torch
os.environ["DS_ACCELERATOR"] = "cpu"
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
from xlm_core.train.trainer import _init_deepspeed
deepspeed = _init_deepspeed(False)
from xlm_core.model.config import ModelConfig
from xlm_core.model.encoder import XLMREncoder
from xlm_core.train.config import TrainConfig
from xlm_core.train.deepspeed_config import build_ds_config
for stage in (0, 1, 2, 3):
    t = TrainConfig(max_steps=2, zero_stage=stage, micro_batch_size=2, global_batch_size=4)
    torch.manual_seed(0)
    m = XLMREncoder(ModelConfig.from_size("tiny", vocab_size=300))
    if stage == 3:
        deepspeed.zero.register_external_parameter(m.lm_head, m.tok_emb.weight)
    engine, *_ = deepspeed.initialize(model=m, optimizer=torch.optim.AdamW(m.parameters()), config=build_ds_config(t, world_size=1, on_cuda=True))
    ids = torch.randint(4, 299, (2, 16))
    labels = torch.where(torch.arange(16) % 5 == 0, ids, -100)
    for _ in range(2):
        loss = engine(ids, labels)[0]
        engine.backward(loss)
        engine.step()
    assert next(engine.module.parameters()).dtype == torch.bfloat16 and torch.isfinite(loss)
    print("ok", stage, type(engine.optimizer).__name__, flush=True)
"""


def test_deepspeed_accepts_the_gpu_bf16_config_at_every_stage():
    """The CUDA config (bf16, fp32 gradient accumulation) run by DeepSpeed's CPU accelerator, which
    also does bf16: catches DeepSpeed refusing a dtype mix (it does at stage 0) without a GPU."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-c", BF16_PROBE], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert [line.split()[1] for line in r.stdout.splitlines() if line.startswith("ok")] == ["0", "1", "2", "3"]
