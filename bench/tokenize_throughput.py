"""Tokenize throughput: our tokenize stage vs Hugging Face's fast XLM-R tokenizer, same model, same text.

    .venv/bin/python bench/tokenize_throughput.py [--threads 1] [--model-type bpe|unigram|both] [--write-results]

Text: the XNLI test sentences of all 15 languages (../shared/data/xnli), 10 sentences per
document, written as one zstd Parquet shard. Model: a SentencePiece vocabulary (16k pieces)
trained on the XNLI dev sentences by our vocab stage code, exported with our HF export.

Both sides run the same job in this process, from the same Parquet shard to the same on-disk
stream (`.bin` token ids + `.idx` offsets, `</s>` after every document):
  ours  `xlm_core.tokenize.shard.tokenize_shard` (SentencePiece batch encode + numpy);
  peer  `XLMRobertaTokenizerFast` (unigram: the class itself; bpe: transformers 5's
        XLMRobertaTokenizer is Unigram-only, so the tokenizer.json loads through AutoTokenizer /
        TokenizersBackend) called on the same batches, ids flattened with numpy, same writer.
The two streams are checked to be identical. Threads: both limited to --threads (spm's
num_threads; RAYON_NUM_THREADS for tokenizers). Throughput is tokens per CPU-second
(process_time covers every thread), i.e. tokens/s per core, best of --repeats."""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
XNLI = REPO.parent / "shared/data/xnli"
RESULTS = REPO / "bench/RESULTS.md"


def xnli_sentences(name: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with gzip.open(XNLI / name, "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            lang, _, s1, s2 = line.rstrip("\n").split("\t")
            out.setdefault(lang, []).extend([s1, s2])
    return {k: list(dict.fromkeys(v)) for k, v in out.items()}  # premises repeat: keep each once


def make_dataset(root: Path) -> Path:
    from tests.tokenize.helpers import documents
    from tests.tokenize.helpers import make_dataset as write

    by_lang = xnli_sentences("xnli.test.tsv.gz")
    docs = [d for lang in sorted(by_lang) for d in documents(by_lang[lang], per_doc=10)]
    return write(root, {"mul": [docs]}, name="xnli-test", version="bench")


def train_model(root: Path, model_type: str, threads: int) -> str:
    from xlm_core.vocab.config import VocabConfig
    from xlm_core.vocab.hf_export import export_hf_tokenizer
    from xlm_core.vocab.train import train_sentencepiece

    sample = root / "dev.txt"
    if not sample.exists():
        sample.write_text(
            "\n".join(s for v in xnli_sentences("xnli.dev.tsv.gz").values() for s in v) + "\n", encoding="utf-8"
        )
    config = VocabConfig(vocab_size=16000, model_type=model_type, num_threads=threads)
    trained = train_sentencepiece([str(sample)], str(root / model_type), config)
    export_hf_tokenizer(trained["model"], str(root / model_type / "hf"))
    return trained["model"]


def run_ours(dataset: Path, shard: dict, out: Path, model: str, threads: int) -> tuple[float, float, int]:
    from xlm_core.tokenize.config import TokenizeConfig
    from xlm_core.tokenize.shard import tokenize_shard
    from xlm_core.vocab.model import Vocabulary

    vocab = Vocabulary(model)
    c0, w0 = time.process_time(), time.perf_counter()
    rec = tokenize_shard(str(dataset), shard, str(out), vocab, TokenizeConfig(num_threads=threads))
    return time.process_time() - c0, time.perf_counter() - w0, rec["stream"]["tokens"]


def run_peer(dataset: Path, shard: dict, out: Path, folder: str, model_type: str) -> tuple[float, float, int]:
    import numpy as np
    import pyarrow.parquet as pq
    from transformers import AutoTokenizer, XLMRobertaTokenizerFast

    from xlm_core.tokenize.stream import StreamWriter
    from xlm_core.vocab.specials import EOS_ID, stream_dtype

    cls = XLMRobertaTokenizerFast if model_type == "unigram" else AutoTokenizer
    tok = cls.from_pretrained(folder)
    dtype = stream_dtype(len(tok))
    c0, w0 = time.process_time(), time.perf_counter()
    with StreamWriter(str(out), shard["path"][: -len(".parquet")], dtype) as w:
        for batch in pq.ParquetFile(dataset / shard["path"]).iter_batches(columns=["text"], batch_size=2048):
            texts = [t for t in batch.column(0).to_pylist() if t and not t.isspace()]
            ids = tok(texts, add_special_tokens=False)["input_ids"]
            lengths = np.fromiter((len(x) + 1 for x in ids), dtype=np.int64, count=len(ids))
            offsets = np.zeros(len(ids) + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            flat = np.full(int(offsets[-1]), EOS_ID, dtype=dtype)
            keep = np.ones(len(flat), dtype=bool)
            keep[offsets[1:] - 1] = False
            flat[keep] = np.fromiter((i for x in ids for i in x), dtype=np.int64, count=int(keep.sum()))
            w.write(flat, offsets)
        rec = w.close()
    return time.process_time() - c0, time.perf_counter() - w0, rec.tokens


def bench(model_type: str, threads: int, repeats: int, work: Path) -> dict:
    from xlm_core.shards.manifest import load_manifest

    dataset = (
        make_dataset(work / "data")
        if not (work / "data/xnli-test/bench/manifest.json").exists()
        else work / "data/xnli-test/bench"
    )
    shard = load_manifest(str(dataset))["shards"][0]
    model = train_model(work, model_type, threads)
    best = {}
    for side in ("ours", "peer"):
        runs = []
        for r in range(repeats):
            out = work / f"out-{model_type}-{side}-{r}"
            shutil.rmtree(out, ignore_errors=True)  # a done marker would make our side skip the shard
            if side == "ours":
                runs.append(run_ours(dataset, shard, out, model, threads))
            else:
                runs.append(run_peer(dataset, shard, out, str(work / model_type / "hf"), model_type))
        best[side] = min(runs)  # least CPU time
    ours_bin = (work / f"out-{model_type}-ours-0" / "mul/part-00000.bin").read_bytes()
    peer_bin = (work / f"out-{model_type}-peer-0" / "mul/part-00000.bin").read_bytes()
    assert ours_bin == peer_bin, "the two tokenizers disagree: benchmark void"
    tokens = best["ours"][2]
    res = {"model_type": model_type, "tokens": tokens, "documents": shard["rows"], "text_bytes": None}
    for side, (cpu, wall, _) in best.items():
        res[side] = {"cpu_s": cpu, "wall_s": wall, "tokens_per_cpu_s": tokens / cpu}
    res["ratio"] = res["ours"]["tokens_per_cpu_s"] / res["peer"]["tokens_per_cpu_s"]
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="threads for both tokenizers (default 1)")
    ap.add_argument("--model-type", choices=("bpe", "unigram", "both"), default="both")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--work", type=Path, default=None, help="scratch dir (default: a temp dir)")
    ap.add_argument("--write-results", action="store_true", help=f"append a section to {RESULTS.relative_to(REPO)}")
    args = ap.parse_args()
    os.environ["RAYON_NUM_THREADS"] = str(args.threads)  # before tokenizers starts its pool
    os.environ["TOKENIZERS_PARALLELISM"] = "true" if args.threads > 1 else "false"
    work = args.work or Path(tempfile.mkdtemp(prefix="tokbench-"))
    work.mkdir(parents=True, exist_ok=True)
    types = ("bpe", "unigram") if args.model_type == "both" else (args.model_type,)
    results = [bench(t, args.threads, args.repeats, work) for t in types]
    lines = [
        f"## tokenize ({datetime.now(UTC):%Y-%m-%d}, `bench/tokenize_throughput.py --threads {args.threads}`)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other jobs: figures are per CPU-second), "
        f"Python {platform.python_version()}. Text: XNLI test, 15 languages, {results[0]['documents']} documents of "
        "10 sentences, one zstd Parquet shard -> `.bin`/`.idx` stream. Vocabulary: 16k SentencePiece pieces trained "
        "on XNLI dev. Streams of both sides are byte-identical (checked).",
        "",
        "| model | tokens | ours tokens/CPU-s | HF fast tokens/CPU-s | ratio | ours wall s | HF wall s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['model_type']} | {r['tokens']:,} | {r['ours']['tokens_per_cpu_s']:,.0f} | "
            f"{r['peer']['tokens_per_cpu_s']:,.0f} | **{r['ratio']:.2f}×** | {r['ours']['wall_s']:.2f} | "
            f"{r['peer']['wall_s']:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write_results:
        with open(RESULTS, "a", encoding="utf-8") as f:
            f.write(("\n" if RESULTS.exists() and RESULTS.stat().st_size else "") + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
