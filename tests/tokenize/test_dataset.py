import numpy as np
import pytest

from xlm_core.tokenize.dataset import PackedDataset
from xlm_core.tokenize.stage import tokenize_dataset
from xlm_core.tokenize.stream import CorruptStreamError, VocabMismatchError


@pytest.fixture()
def tokens(built_vocab, tatoeba_dataset, tmp_path):
    tokenize_dataset(str(tatoeba_dataset), str(tmp_path), built_vocab["model"], languages=["de", "sw", "zh"])
    return tmp_path


def test_samples_start_with_bos_fit_and_cover_the_streams(tokens, built_vocab):
    ds = PackedDataset(str(tokens), seq_len=64, vocab=built_vocab["hf"])
    assert ds.languages == ("de", "sw", "zh") and len(ds) == sum(len(r) for r in ds.language_ranges.values())
    samples = [ds[i] for i in range(len(ds))]
    assert all(s[0] == ds.bos_id and 2 <= len(s) <= 64 and s.dtype == np.int64 for s in samples)
    assert ds.bos_id not in np.concatenate([s[1:] for s in samples])
    body = np.concatenate([ds[i][1:] for i in ds.language_ranges["de"]])
    assert {ds.language_of(i) for i in ds.language_ranges["de"]} == {"de"}
    assert np.count_nonzero(body == ds.eos_id) == ds.manifest["languages"]["de"]["documents"]
    assert len(body) == ds.language_tokens["de"]


def test_padding_and_collate(tokens):
    ds = PackedDataset(str(tokens), seq_len=32, pad=True)
    assert all(len(ds[i]) == 32 for i in range(0, len(ds), 7))
    ds = PackedDataset(str(tokens), seq_len=32)
    batch = ds.collate([ds[0], ds[1], ds[len(ds) - 1]])
    assert batch.shape[0] == 3 and batch[2, len(ds[len(ds) - 1]) :].tolist() == [ds.pad_id] * (
        batch.shape[1] - len(ds[len(ds) - 1])
    )


def test_language_probs_follow_token_counts(tokens):
    ds = PackedDataset(str(tokens))
    n = np.array([ds.language_tokens[k] for k in ds.languages], dtype=float)
    assert list(ds.language_probs(1.0).values()) == pytest.approx(list(n / n.sum()))
    flat = ds.language_probs(0.3)
    assert max(flat.values()) / min(flat.values()) < (n.max() / n.min())


def test_vocab_mismatch_is_refused(tokens, built_vocab, tmp_path_factory):
    from xlm_core.vocab.config import VocabConfig
    from xlm_core.vocab.train import train_sentencepiece

    other = train_sentencepiece(
        [str(built_vocab["out"] / "sample" / "de.txt")],
        str(tmp_path_factory.mktemp("other")),
        VocabConfig(vocab_size=300, num_threads=2),
    )
    with pytest.raises(VocabMismatchError, match="tokenized with vocabulary sha256"):
        PackedDataset(str(tokens), vocab=other["model"])
    PackedDataset(str(tokens), vocab=built_vocab["sha256"])  # the right one loads


def test_truncated_stream_is_detected(tokens):
    path = tokens / "zh" / "part-00001.bin"
    data = path.read_bytes()
    path.write_bytes(data[:-2])
    with pytest.raises(CorruptStreamError, match="part-00001.bin has .* bytes, the manifest recorded"):
        PackedDataset(str(tokens))


def test_altered_stream_is_detected_by_hash(tokens):
    path = tokens / "de" / "part-00000.bin"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF  # same size: only the hash can tell
    path.write_bytes(bytes(data))
    PackedDataset(str(tokens))  # the cheap size check passes
    with pytest.raises(CorruptStreamError, match="sha256"):
        PackedDataset(str(tokens), verify="sha256")


def test_unknown_language_and_missing_manifest_are_clear_errors(tokens, tmp_path_factory):
    with pytest.raises(ValueError, match="languages \\['xx'\\] are not in"):
        PackedDataset(str(tokens), languages=["xx"])
    with pytest.raises(FileNotFoundError, match="no token stream manifest"):
        PackedDataset(str(tmp_path_factory.mktemp("empty")))


def test_cached_spans_equal_computed_ones_and_are_checked(tokens):
    from xlm_core.tokenize.pack import pack_spans

    cached = PackedDataset(str(tokens), seq_len=512)  # the tokenize default: spans read from .pack512
    assert isinstance(cached._spans[0], np.memmap)
    for spans, stream in zip(cached._spans, cached._streams, strict=True):
        assert np.array_equal(spans, pack_spans(stream.offsets, 512))
    (tokens / "sw" / "part-00000.pack512").write_bytes(b"\0" * 16)
    with pytest.raises(CorruptStreamError, match="pack file"):
        PackedDataset(str(tokens), seq_len=512)
    PackedDataset(str(tokens), seq_len=256)  # another length computes its spans, the cache is not read


def test_new_seq_len_repacks_without_retokenizing(tokens, built_vocab, tatoeba_dataset):
    from xlm_core.tokenize.config import TokenizeConfig

    bins = {p: p.stat().st_mtime_ns for p in tokens.rglob("*.bin")}
    manifest = tokenize_dataset(
        str(tatoeba_dataset),
        str(tokens),
        built_vocab["model"],
        TokenizeConfig(seq_len=64),
        languages=["de", "sw", "zh"],
    )
    assert manifest["seq_len"] == 64 and {s["pack"]["seq_len"] for s in manifest["shards"]} == {64}
    assert {p: p.stat().st_mtime_ns for p in tokens.rglob("*.bin")} == bins
    assert len(list(tokens.rglob("*.pack64"))) == len(manifest["shards"])
    assert len(PackedDataset(str(tokens))) == len(PackedDataset(str(tokens), seq_len=64))
