from __future__ import annotations

import pytest

from tests.xnli.tiny import build_tiny_xlmr


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    """Folder of a random tiny XLMRobertaForMaskedLM export with its sentencepiece tokenizer."""
    return str(build_tiny_xlmr(tmp_path_factory.mktemp("tiny-xlmr")))
