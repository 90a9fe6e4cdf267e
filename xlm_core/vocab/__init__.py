"""Shared multilingual vocabulary: α-sampled sentences -> SentencePiece (BPE or unigram) with
XLM-R's ids -> Hugging Face tokenizer folder + per-language report.

  config.py      VocabConfig + SPEC_SCHEMA of the spec's `vocab:` section
  sampling.py    sentence splitting, p_l ∝ n_l^α plan, deterministic per-language sampling
  train.py       SentencePiece training
  specials.py    the XLM-R id layout (<s>=0 <pad>=1 </s>=2 <unk>=3 pieces+1 <mask>=last)
  model.py       Vocabulary: our encoder (batch encode -> encoder ids), decode
  hf_export.py   tokenizer.json / tokenizer_config.json for transformers
  report.py      fertility, unk / byte-fallback rates, vocabulary share
  stage.py       resumable steps + build_vocab (all of it in one process)"""

from xlm_core.vocab.config import SPEC_SCHEMA, VocabConfig

__all__ = ["SPEC_SCHEMA", "VocabConfig"]
