"""Tokenize cleaned sentence pairs into aligned token streams for TLM (read by `PairDataset`).

One step (`{out}/_done/tokenize.json`, see `xlm_core.steps`) keyed by the vocabulary's sha256 and
the pairs' source checksums."""

from __future__ import annotations

import os

import pyarrow.parquet as pq

from xlm_core.io import fs_and_path, join, read_json, write_json
from xlm_core.parallel.dataset import MANIFEST, MANIFEST_KIND
from xlm_core.steps import StepMarkers, run_step
from xlm_core.tokenize.manifest import vocab_entry
from xlm_core.tokenize.stream import StreamWriter
from xlm_core.vocab.model import Vocabulary


def _streams_intact(out_root: str, manifest: dict) -> bool:
    """Every stream file of `manifest` still has its recorded size."""
    _, root = fs_and_path(out_root)
    for e in manifest["pairs"]:
        for rec in e["streams"].values():
            for rel, size in ((rec["bin"], rec["bin_bytes"]), (rec["idx"], rec["idx_bytes"])):
                path = os.path.join(root, e["pair"], rel)
                if not os.path.isfile(path) or os.path.getsize(path) != size:
                    return False
    return True


def tokenize_pairs(parallel_dir: str, out_root: str, vocab: Vocabulary | str, *, num_threads: int = -1) -> dict:
    """For every pair of `{parallel_dir}/manifest.json`: `{out_root}/{l1}-{l2}/{l1}.bin|.idx` and
    `{l2}.bin|.idx`, sentence i of both streams = pair i (Parquet row order). No special tokens:
    `PairDataset.tlm_example` adds them. Returns the manifest (also written)."""
    vocab = vocab if isinstance(vocab, Vocabulary) else Vocabulary(vocab)
    source = read_json(join(parallel_dir, "manifest.json"))
    # Reused when made from the same pairs with the same vocabulary, its files of the recorded sizes.
    key = {"vocab_sha256": vocab.sha256, "pairs": [[r["pair"], r["sha256"]] for r in source["pairs"]]}
    manifest, _ = run_step(
        StepMarkers(out_root),
        "tokenize",
        _tokenize,
        parallel_dir,
        source,
        out_root,
        vocab,
        num_threads,
        key=key,
        intact=lambda done: _streams_intact(out_root, done),
    )
    return manifest


def _tokenize(parallel_dir: str, source: dict, out_root: str, vocab: Vocabulary, num_threads: int) -> dict:
    entries = []
    for rec in source["pairs"]:
        fs, path = fs_and_path(join(parallel_dir, rec["path"]))
        with fs.open(path, "rb") as f:
            table = pq.read_table(f, columns=["text1", "text2"])
        pair_dir = join(out_root, rec["pair"])
        streams = {}
        for column, lang in (("text1", rec["l1"]), ("text2", rec["l2"])):
            tokens, offsets = vocab.encode_concat(table.column(column).to_pylist(), num_threads=num_threads, eos=False)
            with StreamWriter(pair_dir, lang, vocab.dtype) as w:
                w.write(tokens, offsets)
                streams[lang] = w.close().to_json()
        entries.append(
            {
                "pair": rec["pair"],
                "l1": rec["l1"],
                "l2": rec["l2"],
                "pairs": table.num_rows,
                "source": rec["path"],
                "source_sha256": rec["sha256"],
                "streams": streams,
            }
        )
    manifest = {
        "kind": MANIFEST_KIND,
        "format": 1,
        "vocab": vocab_entry(vocab),
        "dtype": vocab.dtype.name,
        "layout": "aligned streams per pair, no special tokens; see xlm_core/parallel/dataset.py",
        "pairs": entries,
    }
    write_json(join(out_root, MANIFEST), manifest)
    return manifest
