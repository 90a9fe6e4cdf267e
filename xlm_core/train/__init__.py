"""Pretraining: MLM/TLM batches (masking, tlm, sampler, data), run configuration (config,
deepspeed_config), the per-rank DeepSpeed loop (trainer, run), checkpoints, the subprocess
launcher (launch), metrics, and the Hugging Face export."""
