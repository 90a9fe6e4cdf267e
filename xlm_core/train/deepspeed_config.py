"""The DeepSpeed config dict for a run. On one GPU it is set to add as little as possible (the
issue measured DeepSpeed costing 20-35% around the same model when left at its defaults)."""

from __future__ import annotations

from typing import Any

from xlm_core.train.config import TrainConfig


def use_bf16(train: TrainConfig, on_cuda: bool) -> bool:
    """"auto": bf16 on CUDA, fp32 on CPU. An explicit "bf16" also runs on CPU (DeepSpeed's CPU
    accelerator does bf16; slow, but it exercises the GPU precision path without a GPU)."""
    return train.precision == "bf16" or (train.precision == "auto" and on_cuda)


def build_ds_config(train: TrainConfig, *, world_size: int, on_cuda: bool) -> dict[str, Any]:
    gas = train.grad_accumulation(world_size)
    stage = train.zero_stage
    if train.offload_param and stage != 3:
        raise ValueError(f"train.offload_param needs zero_stage 3 (got zero_stage={stage})")
    if (train.offload_param or train.offload_optimizer) and not on_cuda:
        raise ValueError("train.offload_optimizer / train.offload_param move state from GPU to CPU memory; on CPU there is nothing to offload")
    if train.offload_optimizer and stage == 0:
        raise ValueError("train.offload_optimizer needs zero_stage >= 1")

    zero: dict[str, Any] = {"stage": stage}
    if stage in (1, 2):
        # Overlap only helps when there is a peer to talk to; bigger buckets = fewer collectives.
        zero.update(
            overlap_comm=world_size > 1,
            contiguous_gradients=True,
            reduce_scatter=True,
            reduce_bucket_size=int(5e8),
            allgather_bucket_size=int(5e8),
        )
    elif stage == 3:
        zero.update(
            overlap_comm=world_size > 1,
            contiguous_gradients=True,
            reduce_bucket_size=int(5e8),
            stage3_prefetch_bucket_size=int(5e8),
            # small tensors (LayerNorms, biases) stay gathered: fewer collectives per layer
            stage3_param_persistence_threshold=int(1e6),
            stage3_gather_16bit_weights_on_model_save=False,  # export consolidates the fp32 shards instead
        )
    if train.offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": True}
    if train.offload_param:
        zero["offload_param"] = {"device": "cpu", "pin_memory": True}

    bf16 = use_bf16(train, on_cuda)
    return {
        "train_batch_size": train.global_batch_size,
        "train_micro_batch_size_per_gpu": train.micro_batch_size,
        "gradient_accumulation_steps": gas,
        "gradient_clipping": train.grad_clip,
        "bf16": {"enabled": bf16},
        # fp32 gradient accumulation under bf16 (bf16 sums lose low bits over many micro-batches),
        # at ZeRO-2/3 only: without ZeRO DeepSpeed refuses the mix, and at ZeRO-1 it switches to its
        # BF16_Optimizer, whose checkpoints zero_to_fp32 cannot consolidate (no export).
        **({"data_types": {"grad_accum_dtype": "fp32"}} if bf16 and stage >= 2 else {}),
        "zero_optimization": zero,
        "zero_allow_untested_optimizer": True,  # we pass torch.optim.AdamW
        "steps_per_print": 1 << 30,  # our own metrics; DeepSpeed's prints would go to every rank
        "wall_clock_breakdown": False,
    }
