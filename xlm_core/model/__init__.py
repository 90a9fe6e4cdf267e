"""XLM-R-style encoder, its config, and the masked-rows linear + cross-entropy."""

from xlm_core.model.config import ModelConfig
from xlm_core.model.encoder import XLMREncoder

__all__ = ["ModelConfig", "XLMREncoder"]
