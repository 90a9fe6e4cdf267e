import json
import os

import numpy as np
import pytest

from xlm_core.io import sha256_file
from xlm_core.shards.manifest import load_manifest
from xlm_core.tokenize.shard import tokenize_shard
from xlm_core.tokenize.stage import tokenize_dataset
from xlm_core.tokenize.stream import StreamRecord, TokenStream
from xlm_core.vocab.model import Vocabulary
from xlm_core.vocab.specials import stream_dtype


@pytest.fixture(scope="module")
def tokens(built_vocab, tatoeba_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("tokens")
    return out, tokenize_dataset(str(tatoeba_dataset), str(out), built_vocab["model"])


def _files(root):
    return {p.relative_to(root).as_posix(): sha256_file(str(p))[0] for p in sorted(root.rglob("*")) if p.is_file()}


def test_streams_are_byte_identical_on_rebuild(tokens, built_vocab, tatoeba_dataset, tmp_path):
    out, _ = tokens
    tokenize_dataset(str(tatoeba_dataset), str(tmp_path), built_vocab["model"])
    assert _files(tmp_path) == _files(out)


def test_manifest_records_vocab_shards_and_counts(tokens, built_vocab, tatoeba_dataset):
    out, manifest = tokens
    dataset = load_manifest(str(tatoeba_dataset))
    assert manifest["vocab"]["sha256"] == built_vocab["sha256"] and manifest["dtype"] == "uint16"
    assert {(s["source"], s["source_sha256"]) for s in manifest["shards"]} == {
        (s["path"], s["sha256"]) for s in dataset["shards"]
    }
    assert manifest["languages"]["sw"]["shards"] == 3
    for lang, totals in manifest["languages"].items():
        assert totals["documents"] == dataset["languages"][lang]["documents"]
        assert totals["tokens"] == sum(s["stream"]["tokens"] for s in manifest["shards"] if s["language"] == lang)
    assert json.loads((out / "manifest.json").read_text()) == manifest


def test_every_document_decodes_back_and_ends_with_eos(tokens, built_vocab, tatoeba_dataset):
    import pyarrow.parquet as pq

    out, manifest = tokens
    vocab = Vocabulary(built_vocab["model"])
    shard = next(s for s in manifest["shards"] if s["source"] == "de/part-00001.parquet")
    stream = TokenStream(str(out), StreamRecord.from_json(shard["stream"]), np.uint16)
    texts = pq.read_table(tatoeba_dataset / shard["source"], columns=["text"]).column(0).to_pylist()
    assert len(stream) == len(texts)
    for i, text in enumerate(texts):
        doc = stream.document(i)
        assert doc[-1] == vocab.eos_id and vocab.eos_id not in doc[:-1]
        assert vocab.decode(doc) == " ".join(text.split())


def test_rerun_skips_finished_shards_and_redoes_damaged_ones(tokens, built_vocab, tatoeba_dataset):
    out, manifest = tokens
    vocab = Vocabulary(built_vocab["model"])
    dataset = load_manifest(str(tatoeba_dataset))
    shard = next(s for s in dataset["shards"] if s["path"] == "fr/part-00000.parquet")
    assert tokenize_shard(str(tatoeba_dataset), shard, str(out), vocab)["skipped"]
    bin_path = out / "fr" / "part-00000.bin"
    before = bin_path.read_bytes()
    with open(bin_path, "r+b") as f:  # a run killed mid-write on a filesystem without atomic rename
        f.truncate(len(before) // 2)
    again = tokenize_shard(str(tatoeba_dataset), shard, str(out), vocab)
    assert not again["skipped"] and bin_path.read_bytes() == before
    assert not [p for p in os.listdir(out / "fr") if ".tmp-" in p]


def test_markers_are_one_folder_keyed_by_shard_and_vocabulary(tokens, built_vocab, tatoeba_dataset):
    out, manifest = tokens
    assert sorted(p.name for p in (out / "_done").iterdir()) == sorted(
        s["source"].replace("/", ".").replace(".parquet", ".json") for s in manifest["shards"]
    )
    vocab = Vocabulary(built_vocab["model"])
    shard = next(s for s in load_manifest(str(tatoeba_dataset))["shards"] if s["path"] == "de/part-00000.parquet")
    other = {**shard, "sha256": "0" * 64}  # the same path, rebuilt from other data
    assert not tokenize_shard(str(tatoeba_dataset), other, str(out), vocab)["skipped"]
    assert not tokenize_shard(str(tatoeba_dataset), shard, str(out), vocab)["skipped"]
    assert tokenize_shard(str(tatoeba_dataset), shard, str(out), vocab)["skipped"]


def test_empty_shard_gives_an_empty_stream(tokens):
    out, manifest = tokens
    empty = next(s for s in manifest["shards"] if s["source"] == "sw/part-00002.parquet")
    assert empty["stream"]["documents"] == 0 and empty["stream"]["tokens"] == 0
    assert (out / "sw" / "part-00002.bin").stat().st_size == 0


def test_stream_dtype_grows_with_the_vocabulary():
    assert stream_dtype(65535) == np.uint16 and stream_dtype(250002) == np.uint32
