import pytest

from xlm_core.vocab.config import VocabConfig
from xlm_core.vocab.model import Vocabulary
from xlm_core.vocab.train import train_sentencepiece


def test_ids_follow_the_xlmr_layout(built_vocab):
    vocab = Vocabulary(built_vocab["model"])
    assert (vocab.bos_id, vocab.pad_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    assert vocab.size == built_vocab["config"].vocab_size + 2 == built_vocab["vocab_size"]
    assert vocab.mask_id == vocab.size - 1
    assert [vocab.id_to_piece(i) for i in (0, 1, 2, 3, vocab.mask_id)] == ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    # a regular piece sits one above its SentencePiece id
    assert vocab.id_to_piece(10) == vocab.sp.id_to_piece(9)
    assert vocab.model_type == "bpe" and not vocab.byte_fallback


def test_training_is_reproducible(built_vocab, tmp_path):
    inputs = sorted(str(p) for p in (built_vocab["out"] / "sample").glob("*.txt"))
    again = train_sentencepiece(inputs, str(tmp_path), built_vocab["config"])
    assert again["sha256"] == built_vocab["sha256"]


def test_bpe_vocabulary_does_not_depend_on_the_thread_count(built_vocab, tmp_path):
    """spm records num_threads in the model; we drop it, so another machine rebuilds the same bytes."""
    import dataclasses

    inputs = sorted(str(p) for p in (built_vocab["out"] / "sample").glob("*.txt"))
    one = train_sentencepiece(inputs, str(tmp_path), dataclasses.replace(built_vocab["config"], num_threads=1))
    assert one["sha256"] == built_vocab["sha256"]  # built with 2 threads


def test_vocab_size_too_large_for_the_text_names_the_field(built_vocab, tmp_path):
    inputs = [str(built_vocab["out"] / "sample" / "sw.txt")]
    with pytest.raises(ValueError, match=r"vocab\.vocab_size: 60000 .*at most \d+"):
        train_sentencepiece(inputs, str(tmp_path), VocabConfig(vocab_size=60000, num_threads=2))


def test_config_errors_name_the_spec_field():
    with pytest.raises(ValueError, match="vocab.model_type"):
        VocabConfig.from_spec({"model_type": "wordpiece"})
    with pytest.raises(ValueError, match="vocab.alpha"):
        VocabConfig.from_spec({"alpha": 0})
    assert VocabConfig.from_spec({"alpha": 0.5}, vocab_size=1000, model_type=None).vocab_size == 1000


def test_spec_sections_validate_with_the_stage_schemas():
    import yaml

    from tests.tokenize.helpers import REPO
    from xlm_core.spec import SpecError, parse_spec

    spec = yaml.safe_load((REPO / "data_specs" / "demo.yaml").read_text())
    spec["vocab"] = {"vocab_size": 4000, "sentences": 50000, "alpha": 0.3, "model_type": "bpe", "byte_fallback": False}
    spec["tokenize"] = {"seq_len": 512}
    spec["parallel"] = {"inputs": [{"tsv": "samples/parallel/tatoeba_xnli14.tsv.gz"}], "skip_lid": ["sw"]}
    parsed = parse_spec(spec)
    assert VocabConfig.from_spec(parsed.section("vocab")).vocab_size == 4000
    spec["vocab"]["model_type"] = "wordpiece"
    with pytest.raises(SpecError, match="vocab.model_type: 'wordpiece' is not one of bpe, unigram"):
        parse_spec(spec)
