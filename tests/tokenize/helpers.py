"""Test datasets in the build's on-disk contract, made from the bundled Tatoeba sample (real text
in 14 XNLI languages + English), and a small vocabulary trained on them."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow.parquet as pq

from xlm_core.document import Document, document_id, to_table
from xlm_core.io import sha256_file, write_json
from xlm_core.parallel.iso import to_iso1

REPO = Path(__file__).resolve().parents[2]
TATOEBA = REPO / "data_specs" / "samples" / "parallel" / "tatoeba_xnli14.tsv.gz"


def tatoeba_rows() -> list[tuple[str, str, str]]:
    """(iso639-3, sentence, english) rows of the bundled sample."""
    with gzip.open(TATOEBA, "rt", encoding="utf-8") as f:
        next(f)
        return [tuple(line.rstrip("\n").split("\t")) for line in f]


def sentences_by_language() -> dict[str, list[str]]:
    """ISO 639-1 code -> sentences (English: the English side, deduplicated in order)."""
    out: dict[str, list[str]] = {}
    english: dict[str, None] = {}
    for lang, text, eng in tatoeba_rows():
        out.setdefault(to_iso1(lang), []).append(text)
        english.setdefault(eng)
    out["en"] = list(english)
    return out


def documents(sentences: list[str], per_doc: int = 5) -> list[str]:
    """Group sentences into documents (one paragraph per two sentences, like real text)."""
    docs = []
    for i in range(0, len(sentences), per_doc):
        chunk = sentences[i : i + per_doc]
        docs.append("\n".join(" ".join(chunk[j : j + 2]) for j in range(0, len(chunk), 2)))
    return docs


def make_dataset(root: Path, texts: dict[str, list[list[str]]], name: str = "test", version: str = "v1") -> Path:
    """Write `{root}/{name}/{version}/{lang}/part-NNNNN.parquet` + manifest.json.
    `texts[lang]` is a list of shards, each a list of document texts (a shard may be empty)."""
    vdir = root / name / version
    shards, languages = [], {}
    for lang in sorted(texts):
        chars = docs = 0
        for k, shard_texts in enumerate(texts[lang]):
            rel = f"{lang}/part-{k:05d}.parquet"
            rows = [
                Document(
                    id=document_id("test", f"{lang}-{k}-{i}"),
                    text=t,
                    source="wikipedia",
                    source_file="tatoeba_xnli14.tsv.gz",
                    language=lang,
                    offset=i,
                )
                for i, t in enumerate(shard_texts)
            ]
            (vdir / lang).mkdir(parents=True, exist_ok=True)
            pq.write_table(to_table(rows), vdir / rel, compression="zstd")
            digest, size = sha256_file(str(vdir / rel))
            shards.append({"path": rel, "language": lang, "rows": len(rows), "bytes": size, "sha256": digest})
            docs += len(rows)
            chars += sum(len(t) for t in shard_texts)
        languages[lang] = {"documents": docs, "characters": chars}
    write_json(
        str(vdir / "manifest.json"), {"name": name, "version": version, "shards": shards, "languages": languages}
    )
    return vdir


# Fixtures (imported by the conftest of tests/vocab, tests/tokenize, tests/parallel).
import pytest  # noqa: E402

from xlm_core.vocab.config import VocabConfig  # noqa: E402
from xlm_core.vocab.stage import build_vocab  # noqa: E402


@pytest.fixture(scope="session")
def tatoeba_dataset(tmp_path_factory) -> Path:
    """15 languages, two shards each (sw also has an empty third shard)."""
    root = tmp_path_factory.mktemp("datasets")
    texts = {lang: [documents(s[:150]), documents(s[150:])] for lang, s in sentences_by_language().items()}
    texts["sw"].append([])
    return make_dataset(root, texts)


@pytest.fixture(scope="session")
def built_vocab(tatoeba_dataset, tmp_path_factory) -> dict:
    """BPE, 2000 pieces, no byte fallback, built by the whole vocab stage."""
    out = tmp_path_factory.mktemp("vocab-out")
    config = VocabConfig(vocab_size=2000, sentences=6000, alpha=0.3, seed=1, num_threads=2)
    return {**build_vocab(str(tatoeba_dataset), str(out), config), "out": out, "config": config}
