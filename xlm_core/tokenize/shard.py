"""Tokenize one dataset shard into one token stream (the unit of work of the tokenize stage).

`{out}/{lang}/part-NNNNN.bin|.idx` mirrors `{dataset}/{lang}/part-NNNNN.parquet`; every document
is followed by `</s>`. Documents with only whitespace are skipped (counted). When the stream
is written, `part-NNNNN.pack{seq_len}` caches its packed sample spans (see `pack.py`) and
its step marker `{out}/_done/{lang}.part-NNNNN.json` (see `xlm_core.steps`) records both, keyed
by the source shard's sha256 and the vocabulary's: a re-run skips a shard whose marker matches both
and whose files have the recorded sizes, re-packs only when seq_len changed, and redoes the shard
otherwise, so a killed run resumes without loss or duplicates. The shards of one `out` share one
`StepMarkers(out)` (pass it as `markers=`): "done?" is one listing for the whole stage."""

from __future__ import annotations

import logging
import os

import numpy as np
import pyarrow.parquet as pq

from xlm_core.io import fs_and_path, join
from xlm_core.steps import StepMarkers
from xlm_core.tokenize.config import TokenizeConfig
from xlm_core.tokenize.pack import write_pack
from xlm_core.tokenize.stream import StreamRecord, StreamWriter
from xlm_core.vocab.model import Vocabulary

log = logging.getLogger(__name__)


def stream_name(shard_path: str) -> str:
    """`de/part-00000.parquet` -> `de/part-00000` (stream files sit where the shard would)."""
    if not shard_path.endswith(".parquet"):
        raise ValueError(f"not a Parquet shard path: {shard_path!r}")
    return shard_path[: -len(".parquet")]


def step_name(name: str) -> str:
    """`de/part-00000` -> `de.part-00000`: the shard's step under `_done/` (no `/` in step names)."""
    return name.replace("/", ".")


def _files_intact(out_root: str, record: dict) -> bool:
    rec = StreamRecord.from_json(record["stream"])
    _, root = fs_and_path(out_root)
    files = [(rec.bin, rec.bin_bytes), (rec.idx, rec.idx_bytes)]
    if "pack" in record:
        files.append((record["pack"]["path"], record["pack"]["bytes"]))
    return all(
        os.path.isfile(os.path.join(root, rel)) and os.path.getsize(os.path.join(root, rel)) == size
        for rel, size in files
    )


def tokenize_shard(
    dataset_dir: str,
    shard: dict,
    out_root: str,
    vocab: Vocabulary,
    config: TokenizeConfig = TokenizeConfig(),
    *,
    markers: StepMarkers | None = None,
) -> dict:
    """Tokenize `shard` (an entry of the dataset manifest: path, language, sha256, rows) of the
    dataset at `dataset_dir` into `out_root`. Returns the shard's marker record (small)."""
    name = stream_name(shard["path"])
    markers = markers or StepMarkers(out_root)
    step = step_name(name)
    key = {"source_sha256": shard["sha256"], "vocab_sha256": vocab.sha256}
    done = markers.result(step, key)
    if done is not None and _files_intact(out_root, done):
        if done.get("pack", {}).get("seq_len") != config.seq_len:
            # Same stream, other sample length: only the packing is redone.
            offsets = np.fromfile(os.path.join(fs_and_path(out_root)[1], done["stream"]["idx"]), dtype="<i8")
            done = {**done, "pack": write_pack(out_root, name, offsets, config.seq_len)}
            markers.mark(step, done, key)
        return {**done, "skipped": True}
    if markers.is_done(step):
        log.info("re-tokenizing %s: marker does not match the shard, the vocabulary or the files", name)
        markers.forget(step)  # the files are rewritten in place: no marker may vouch for them meanwhile
    fs, path = fs_and_path(join(dataset_dir, shard["path"]))
    documents = empty = rows = 0
    with fs.open(path, "rb") as f, StreamWriter(out_root, name, vocab.dtype) as writer:
        for batch in pq.ParquetFile(f).iter_batches(columns=["text"], batch_size=config.batch_documents):
            texts = batch.column(0).to_pylist()
            rows += len(texts)
            kept = [t for t in texts if t and not t.isspace()]
            empty += len(texts) - len(kept)
            if kept:
                tokens, offsets = vocab.encode_concat(kept, num_threads=config.num_threads or -1)
                writer.write(tokens, offsets)
                documents += len(kept)
        stream = writer.close()
    record = {
        "language": shard["language"],
        "source": shard["path"],
        "source_sha256": shard["sha256"],
        "source_rows": rows,
        "skipped_empty": empty,
        "vocab_sha256": vocab.sha256,
        "stream": stream.to_json(),
        "pack": write_pack(out_root, name, writer.offsets, config.seq_len),
    }
    markers.mark(step, record, key)
    log.info("%s: %d documents, %d tokens", name, stream.documents, stream.tokens)
    return {**record, "skipped": False}
