"""Train the shared SentencePiece model with the XLM-R id layout (<unk>=0, <s>=1, </s>=2, no <pad>)."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import sentencepiece as spm

from xlm_core.io import atomic_open, fs_and_path, join, sha256_file
from xlm_core.vocab import specials
from xlm_core.vocab.config import VocabConfig
from xlm_core.vocab.model import MODEL_FILE
from xlm_core.vocab.proto import without_num_threads

log = logging.getLogger(__name__)

_TOO_LARGE = re.compile(r"Vocabulary size too high \((\d+)\)\. Please set it to a value <= (\d+)")
_TOO_SMALL = re.compile(r"Vocabulary size is smaller than required_chars\. (\d+) vs (\d+)")


def _lines(uris: list[str]) -> Iterator[str]:
    for uri in uris:
        fs, path = fs_and_path(uri)
        with fs.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                yield line.rstrip("\n")


def train_sentencepiece(inputs: list[str], out_dir: str, config: VocabConfig) -> dict:
    """Train on sentence files (one sentence per line) and write `{out_dir}/spm.model` + `spm.vocab`.

    Returns {"model": uri, "sha256", "spm_size", "vocab_size"}. A vocabulary larger than the text
    supports raises ValueError naming `vocab.vocab_size` and the largest size that would work."""
    spm.set_random_generator_seed(config.seed)
    model = io.BytesIO()
    try:
        # Sentences through an iterator and the model into memory: with `input=`/`model_prefix=`
        # spm records those paths in the model, and the same vocabulary would hash differently.
        spm.SentencePieceTrainer.train(
            sentence_iterator=_lines(inputs),
            model_writer=model,
            model_type=config.model_type,
            vocab_size=config.vocab_size,
            character_coverage=config.character_coverage,
            byte_fallback=config.byte_fallback,
            num_threads=config.threads,
            unk_id=specials.SPM_UNK_ID,
            bos_id=specials.SPM_BOS_ID,
            eos_id=specials.SPM_EOS_ID,
            pad_id=-1,  # the encoder's <pad> (id 1) lives outside the spm model, as in XLM-R
            input_sentence_size=0,  # the α-sampling already chose the sentences: use them all
            max_sentence_length=config.max_sentence_bytes,
            normalization_rule_name="nmt_nfkc",
            hard_vocab_limit=True,
            minloglevel=2,
        )
    except RuntimeError as exc:
        m = _TOO_LARGE.search(str(exc))
        if m:
            raise ValueError(
                f"vocab.vocab_size: {config.vocab_size} is more than the sampled text supports "
                f"(at most {m.group(2)} for model_type {config.model_type}); lower it or raise vocab.sentences"
            ) from exc
        m = _TOO_SMALL.search(str(exc))
        if m:
            raise ValueError(
                f"vocab.vocab_size: {config.vocab_size} is below the {m.group(2)} pieces that "
                f"vocab.character_coverage {config.character_coverage} requires; raise it or lower the coverage"
            ) from exc
        raise ValueError(f"SentencePiece training failed: {exc}") from exc
    proto = without_num_threads(model.getvalue())
    with atomic_open(join(out_dir, MODEL_FILE), "wb") as f:
        f.write(proto)
    sp = spm.SentencePieceProcessor(model_proto=proto)
    # spm.vocab as spm writes it (piece <TAB> score), for people reading the vocabulary.
    with atomic_open(join(out_dir, "spm.vocab"), "wb") as f:
        f.write("".join(f"{sp.id_to_piece(i)}\t{sp.get_score(i):g}\n" for i in range(sp.get_piece_size())).encode())
    model_uri = join(out_dir, MODEL_FILE)
    sha, _ = sha256_file(model_uri)
    log.info("trained %s vocabulary: %d pieces, sha256 %s", config.model_type, sp.get_piece_size(), sha[:12])
    return {
        "model": model_uri,
        "sha256": sha,
        "spm_size": sp.get_piece_size(),
        "vocab_size": specials.encoder_vocab_size(sp.get_piece_size()),
    }
