"""Ingest parallel corpora into `{out}/{l1}-{l2}/part-00000.parquet` + `{out}/manifest.json`.

One language pair is cleaned at a time and held in memory while it is (the length-ratio filter
needs the pair's median first); a pair's Parquet is written atomically, so a re-run rewrites the
same bytes. The whole ingest is one step (`{out}/_done/ingest.json`, see `xlm_core.steps`), keyed
by the inputs' checksums and the cleaning config."""

from __future__ import annotations

import logging
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq

from xlm_core.document import document_id
from xlm_core.io import atomic_open, exists, join, sha256_file, write_json
from xlm_core.parallel.clean import clean_pairs
from xlm_core.parallel.config import ParallelConfig
from xlm_core.parallel.ingest import Pair, read_moses, read_tsv
from xlm_core.steps import StepMarkers, run_step

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
MANIFEST_KIND = "xlm-parallel"

PAIR_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("l1", pa.string(), nullable=False),
        pa.field("l2", pa.string(), nullable=False),
        pa.field("text1", pa.string(), nullable=False),
        pa.field("text2", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("offset", pa.int64(), nullable=False),
    ]
)


def read_input(spec: dict):
    """Pairs of one `parallel.inputs` entry: {"tsv": uri} or {"moses": [uri1, uri2]}."""
    if "tsv" in spec:
        return read_tsv(spec["tsv"])
    if "moses" in spec:
        return read_moses(*spec["moses"])
    raise ValueError(f"parallel.inputs: entry {spec!r} needs a 'tsv' or a 'moses' key")


def pairs_table(pairs: list[Pair]) -> pa.Table:
    return pa.Table.from_pydict(
        {
            "id": [document_id("parallel", f"{p.source_file}:{p.offset}") for p in pairs],
            "l1": [p.l1 for p in pairs],
            "l2": [p.l2 for p in pairs],
            "text1": [p.text1 for p in pairs],
            "text2": [p.text2 for p in pairs],
            "source_file": [p.source_file for p in pairs],
            "offset": [p.offset for p in pairs],
        },
        schema=PAIR_SCHEMA,
    )


def ingest_parallel(inputs: list[dict], out_dir: str, config: ParallelConfig = ParallelConfig(), *, lid=None) -> dict:
    """Read, clean and write every language pair; returns the manifest (also written).
    `lid`: a LanguageIdentifier (default: the bundled lid.176); pass False to skip language ID."""
    input_records = []
    for spec in inputs:
        uris = [spec["tsv"]] if "tsv" in spec else list(spec["moses"])
        input_records.append({**spec, "sha256": [sha256_file(u)[0] for u in uris]})
    config_record = {
        "lid_threshold": config.lid_threshold,
        "per_language": config.per_language,
        "skip_lid": list(config.skip_lid),
        "max_length_ratio": config.max_length_ratio,
        "max_bytes": config.max_bytes,
        "languages": list(config.languages or []),
        "lid": lid is not False,
    }
    key = {"inputs": input_records, "config": config_record}
    # A re-run of the flow does not redo the cleaning: same inputs (checksums) and config, with the
    # Parquet files still in place.
    manifest, _ = run_step(
        StepMarkers(out_dir),
        "ingest",
        _ingest,
        inputs,
        out_dir,
        config,
        lid,
        key,
        key=key,
        intact=lambda done: all(exists(join(out_dir, r["path"])) for r in done["pairs"]),
    )
    return manifest


def _ingest(inputs: list[dict], out_dir: str, config: ParallelConfig, lid, key: dict) -> dict:
    """Every pair cleaned and written; the manifest (also written) records `key` (inputs, config)."""
    groups: dict[str, list[Pair]] = {}
    for spec in inputs:
        for pair in read_input(spec):
            if config.languages is None or pair.l1 in config.languages:
                groups.setdefault(pair.name, []).append(pair)
    if not groups:
        raise ValueError(f"no sentence pairs in parallel.inputs {[i for i in inputs]}")
    if lid is None:
        from xlm_core.langid import LangIdConfig, LanguageIdentifier

        lid = LanguageIdentifier(LangIdConfig())
    records, counters = [], {}
    for name in sorted(groups):
        c: Counter = Counter()
        kept = clean_pairs(groups.pop(name), config, lid or None, c)
        counters[name] = dict(sorted(c.items()))
        if not kept:
            log.warning("%s: no pair survived cleaning (%s)", name, counters[name])
            continue
        rel = f"{name}/part-00000.parquet"
        with atomic_open(join(out_dir, rel), "wb") as f:
            pq.write_table(pairs_table(kept), f, compression="zstd")
        digest, size = sha256_file(join(out_dir, rel))
        records.append(
            {
                "pair": name,
                "l1": kept[0].l1,
                "l2": kept[0].l2,
                "path": rel,
                "rows": len(kept),
                "bytes": size,
                "sha256": digest,
            }
        )
        log.info("%s: kept %d of %d pairs", name, len(kept), c["read"])
    manifest = {
        "kind": MANIFEST_KIND,
        **key,
        "pairs": records,
        "counters": counters,
    }
    write_json(join(out_dir, MANIFEST), manifest)
    return manifest
