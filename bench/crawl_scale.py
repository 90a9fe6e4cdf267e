"""Crawl-scale build: `xlm build` on the synthetic crawl of bench/synth_crawl.py at 1× and 8×,
per CPU-second and peak memory of the whole process tree, against datatrove 0.10.1 doing the same
stages on the same WET files, in the same command.

    .venv/bin/python bench/crawl_scale.py [--scales 1,8] [--peer-scales 1,8] [--write-results LABEL]
    .venv/bin/python bench/crawl_scale.py --dask 1,2 [--dask-scale 8]     # wall time, same manifest?
    .venv/bin/python bench/crawl_scale.py --profile [--profile-scale 1]   # where the time goes

Ours: `xlm build SPEC` (run as `python -m flows.cli build`, what .venv/bin/xlm calls, so `--code`
can point it at another tree, e.g. `git archive HEAD` unpacked) in a subprocess, SPEC written into a temp dir: the 15 XNLI languages, the
WET files as one commoncrawl source, langid as data_specs/xnli15.yaml (0.5; sw 0.3, ur 0.4),
filters as data_specs/demo.yaml (min_words 20, zh min_chars 100), exact (CCNet lines + whole
documents) and MinHash (14 × 8) dedup, a fresh PREFECT_HOME (so the ephemeral Prefect server it
starts, and its database, are part of the measured tree).

Peer: datatrove's own components, run by `LocalPipelineExecutor(workers=1)` stage after stage in a
subprocess: WarcReader -> LanguageFilter (ft176, same lid.176.ftz, 0.5) -> GopherRepetitionFilter
-> GopherQualityFilter (min_doc_words 20, no stop-word rule) -> JsonlWriter; line dedup
(SentenceDedup on "\\n"-split lines, 1 line per span: CCNet's rule); MinHash (5-grams, 14 × 8,
64-bit) -> ParquetWriter per language. Its word tokenizer is spaCy English for every language
(datatrove's default; per-language tokenizers need stanza/pythainlp/indic-nlp/jieba), which makes
its Gopher rules and shingles wrong for zh/th: the quality table shows what that costs.

Measures, per build: CPU = user + system seconds of every process of the tree, from
getrusage(RUSAGE_CHILDREN) in a fresh wrapper process that only waits for the build (reaped
descendants: the Prefect server and Dask workers are waited for; the psutil-sampled sum is printed
beside it as a check); peak RSS = the highest sum of RSS over the live processes of the tree,
sampled every 0.2 s with psutil (shared pages of forked processes count once per process), and the
largest single process (ru_maxrss of the wrapper's children). docs/CPU-s = WET records in ÷ CPU s.
Quality from the sidecar truth.json: clean pages kept, planted duplicates left with both copies,
junk and off-language pages left in.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

LANGUAGES = [
    "ar",
    "bg",
    "de",
    "el",
    "en",
    "es",
    "fr",
    "hi",
    "ru",
    "sw",
    "th",
    "tr",
    "ur",
    "vi",
    "zh",
]
RESULTS = REPO / "bench" / "RESULTS.md"
PY = sys.executable


# --- inputs ---------------------------------------------------------------------------------
def crawl(scale: float, seed: int, root: Path, files: int | None = None) -> Path:
    """The synthetic crawl for (scale, seed), generated once and reused (it is deterministic)."""
    out = root / (f"scale{scale:g}-seed{seed}" + (f"-files{files}" if files else ""))
    truth = out / "truth.json"
    if truth.exists():
        return out
    import synth_crawl

    print(f"generating the {scale:g}× crawl under {out} ...", flush=True)
    synth_crawl.generate(out, scale=scale, files=files, seed=seed, log=lambda *_: None)
    return out


TASKS = 8  # execution.tasks and hash partitions: a few times the cores, sized for ~200 MB of text


def write_spec(tmp: Path, crawl_dir: Path) -> Path:
    import yaml

    truth = json.loads((crawl_dir / "truth.json").read_text())
    spec = {
        "name": "crawl_scale",
        "languages": LANGUAGES,
        "sources": [
            {
                "type": "commoncrawl",
                "crawl": "CC-MAIN-2026-12",
                "files": [str(crawl_dir / f) for f in truth["files"]],
            }
        ],
        "langid": {"threshold": 0.5, "per_language": {"sw": 0.3, "ur": 0.4}},
        "filters": {
            "defaults": {"min_words": 20},
            "per_language": {"zh": {"min_chars": 100}},
        },
        "dedup": {
            "exact": {"segment": "line", "whole_document": True, "partitions": TASKS or 32},
            "minhash": {"bands": 14, "rows": 8, "partitions": TASKS or 32},
        },
        # Relative (to the build's cwd): the spec, hence the manifest, is then the same bytes in
        # every work folder, so two builds' manifests can be compared.
        "output": "out",
    }
    if TASKS:  # `--tasks 0` for trees older than the `execution` section
        # 2 threads on 2 cores: datatrove runs 1 task; more threads only add buffers in memory
        spec["execution"] = {"tasks": TASKS, "workers": 2}
    path = tmp / "crawl_scale.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def build_env(tmp: Path, code: Path | None = None) -> dict:
    env = dict(os.environ)
    if (
        code is not None
    ):  # import flows/ and xlm_core/ from that tree (ahead of the editable install)
        env["PYTHONPATH"] = str(code)
    env.update(
        PREFECT_HOME=str(tmp / "prefect-home"),
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
        PYTHONUNBUFFERED="1",
    )
    env.pop("PREFECT_API_URL", None)
    return env


# --- measuring a process tree ---------------------------------------------------------------
def _role(p) -> str:
    try:
        cmd = " ".join(p.cmdline())
    except Exception:  # noqa: BLE001 - gone or unreadable: still counted, just unnamed
        return "other"
    if "uvicorn" in cmd or "prefect.server" in cmd or "server start" in cmd:
        return "prefect server"
    if (
        "distributed" in cmd
        or "dask" in cmd
        or "multiprocessing" in cmd
        or "forkserver" in cmd
    ):
        return "workers"
    return "other"


def measured(cmd: list[str], *, cwd: Path, env: dict, log: Path) -> dict:
    """Run `cmd` under a wrapper process (`--wrap`) and sample its tree; see the module docstring."""
    import psutil

    with open(log, "wb") as out:
        t0 = time.perf_counter()
        wrapper = psutil.Popen(
            [PY, __file__, "--wrap", *cmd],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        seen: dict[int, dict] = {}
        peak_sum, peak_at = 0, 0.0
        while wrapper.poll() is None:
            total = 0
            try:
                procs = wrapper.children(recursive=True)
            except psutil.NoSuchProcess:
                break
            for p in procs:
                try:
                    with p.oneshot():
                        rss, cpu = p.memory_info().rss, sum(p.cpu_times()[:2])
                except (
                    psutil.NoSuchProcess,
                    psutil.AccessDenied,
                    psutil.ZombieProcess,
                ):
                    continue
                rec = seen.get(p.pid)
                if rec is None:
                    rec = seen[p.pid] = {
                        "role": "main" if p.ppid() == wrapper.pid else _role(p),
                        "cpu": 0.0,
                        "rss": 0,
                    }
                rec["cpu"], rec["rss"] = max(rec["cpu"], cpu), max(rec["rss"], rss)
                total += rss
            if total > peak_sum:
                peak_sum, peak_at = total, time.perf_counter() - t0
            time.sleep(0.2)
        wall = time.perf_counter() - t0
    text = log.read_text(errors="replace")
    m = re.findall(r"^WRAP (\{.*\})$", text, re.MULTILINE)
    if wrapper.returncode or not m:
        raise RuntimeError(
            f"{' '.join(cmd)} failed (rc {wrapper.returncode}); last output:\n{text[-4000:]}"
        )
    usage = json.loads(m[-1])
    if usage["rc"]:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {usage['rc']}; last output:\n{text[-4000:]}"
        )
    roles: dict[str, dict] = defaultdict(lambda: {"cpu": 0.0, "rss": 0, "n": 0})
    for rec in seen.values():
        r = roles[rec["role"]]
        r["cpu"] += rec["cpu"]
        r["rss"] = max(r["rss"], rec["rss"])
        r["n"] += 1
    return {
        "wall_s": wall,
        "cpu_s": usage["cpu_s"],
        "cpu_sampled_s": sum(r["cpu"] for r in seen.values()),
        "peak_tree_rss": peak_sum,
        "peak_tree_at_s": peak_at,
        "max_proc_rss": usage["maxrss_kib"] * 1024,
        "processes": len(seen),
        "roles": dict(roles),
        "output": text,
    }


def wrap(cmd: list[str]) -> int:
    """The wrapper: run `cmd`, then print the CPU and max RSS of everything it reaped."""
    rc = subprocess.call(cmd)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        "WRAP "
        + json.dumps(
            {"rc": rc, "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kib": ru.ru_maxrss}
        ),
        flush=True,
    )
    return 0


# --- ours -----------------------------------------------------------------------------------
def run_ours(
    crawl_dir: Path,
    work: Path,
    extra: list[str] = (),
    prefix: list[str] = (),
    code: Path = REPO,
) -> dict:
    """`xlm build` (as `python -m flows.cli build`, importing the code at `code`)."""
    work.mkdir(parents=True, exist_ok=True)
    spec = write_spec(work, crawl_dir)
    res = measured(
        [*prefix, PY, "-m", "flows.cli", "build", str(spec), *extra],
        cwd=work,
        env=build_env(work, code),
        log=work / "build.log",
    )
    vdir = re.search(r"^dataset: (.+)$", res["output"], re.MULTILINE)
    digest = re.search(r"^manifest sha256: (\w+)$", res["output"], re.MULTILINE)
    if not (vdir and digest):
        raise RuntimeError(
            f"xlm build printed no dataset/manifest line:\n{res['output'][-3000:]}"
        )
    res["version_dir"], res["manifest_sha256"] = vdir.group(1).strip(), digest.group(1)
    res["version"] = os.path.basename(res["version_dir"].rstrip("/"))
    manifest = json.loads((Path(res["version_dir"]) / "manifest.json").read_text())
    res["manifest"] = manifest
    res["kept"] = sum(v["documents"] for v in manifest["languages"].values())
    res["warnings"] = re.findall(r"^warning: .*$", res["output"], re.MULTILINE)
    return res


def ours_output(res: dict) -> dict[str, str]:
    """document id -> language of every row of our dataset version."""
    import pyarrow.parquet as pq

    out = {}
    for shard in Path(res["version_dir"]).rglob("*.parquet"):
        t = pq.read_table(shard, columns=["id", "language"])
        out.update(zip(t.column("id").to_pylist(), t.column("language").to_pylist()))
    return out


# --- datatrove ------------------------------------------------------------------------------
def run_datatrove(crawl_dir: Path, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / "datatrove.json"
    truth = json.loads((crawl_dir / "truth.json").read_text())
    cfg.write_text(
        json.dumps(
            {"input": str(crawl_dir), "files": len(truth["files"]), "work": str(work)}
        )
    )
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    res = measured(
        [PY, __file__, "--datatrove-child", str(cfg)],
        cwd=work,
        env=env,
        log=work / "datatrove.log",
    )
    res["kept"] = sum(1 for _ in datatrove_output(work))
    return res


def datatrove_output(work: Path):
    import pyarrow.parquet as pq

    for shard in sorted((work / "output").rglob("*.parquet")):
        t = pq.read_table(shard)
        meta = (
            t.column("metadata").to_pylist()
            if "metadata" in t.column_names
            else [{}] * t.num_rows
        )
        for rid, m in zip(t.column("id").to_pylist(), meta):
            yield rid, (m or {}).get("language", shard.parent.name)


def datatrove_child(cfg_path: str) -> None:
    """Runs in its own process: the datatrove pipeline, stage after stage."""
    import logging

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
        SentDedupConfig,
        SentenceDedupFilter,
        SentenceDedupSignature,
        SentenceFindDedups,
    )
    from datatrove.pipeline.filters import (
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
    )
    from datatrove.pipeline.readers import JsonlReader, WarcReader
    from datatrove.pipeline.writers import JsonlWriter, ParquetWriter
    from datatrove.utils.hashing import HashConfig
    from fasttext.FastText import _FastText
    from loguru import logger

    from xlm_core.langid import bundled_model_path

    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    logging.disable(logging.WARNING)
    _patch_datatrove_xxhash()
    cfg = json.loads(Path(cfg_path).read_text())
    w, files = Path(cfg["work"]), cfg["files"]
    from datatrove.utils import lid as dt_lid

    model_path = bundled_model_path()

    def offline_model(
        self,
    ):  # same lid.176.ftz as ours, loaded where the step runs (no download)
        if self._model is None:
            self._model = _FastText(model_path)
        return self._model

    # A property, not an injected object: the executor deep-copies the pipeline, and a loaded
    # fastText model does not pickle.
    dt_lid.FT176LID.model = property(offline_model)
    lf = LanguageFilter(languages=LANGUAGES, language_threshold=0.5)
    sent = SentDedupConfig(
        n_sentences=1, split_sentences=False, min_doc_words=0, min_num_sentences=1
    )
    mh = MinhashConfig(
        hash_config=HashConfig(precision=64),
        n_grams=5,
        num_buckets=14,
        hashes_per_bucket=8,
    )
    logs = str(w / "logs")
    stages = [
        (
            "read + LID + Gopher + line-dedup signatures",
            files,
            [
                WarcReader(cfg["input"], glob_pattern="*.warc.wet.gz"),
                lf,
                GopherRepetitionFilter(),
                GopherQualityFilter(min_doc_words=20, min_stop_words=None),
                JsonlWriter(str(w / "filtered")),
                SentenceDedupSignature(str(w / "sent_sigs"), config=sent),
            ],
        ),
        (
            "line dedup: find",
            1,
            [
                SentenceFindDedups(
                    str(w / "sent_sigs"), str(w / "sent_dups"), config=sent
                )
            ],
        ),
        (
            "line dedup: remove + MinHash signatures",
            files,
            [
                JsonlReader(str(w / "filtered")),
                SentenceDedupFilter(str(w / "sent_dups"), config=sent),
                JsonlWriter(str(w / "lines")),
                MinhashDedupSignature(str(w / "mh_sigs"), config=mh),
            ],
        ),
        (
            "MinHash buckets",
            mh.num_buckets,
            [MinhashDedupBuckets(str(w / "mh_sigs"), str(w / "mh_buckets"), config=mh)],
        ),
        (
            "MinHash clusters",
            1,
            [
                MinhashDedupCluster(
                    str(w / "mh_buckets"), str(w / "mh_remove"), config=mh
                )
            ],
        ),
        (
            "MinHash filter + Parquet per language",
            files,
            [
                JsonlReader(str(w / "lines")),
                MinhashDedupFilter(str(w / "mh_remove")),
                ParquetWriter(
                    str(w / "output"), output_filename="${language}/${rank}.parquet"
                ),
            ],
        ),
    ]
    times = {}
    for i, (name, tasks, pipeline) in enumerate(stages):
        t0 = time.process_time()
        LocalPipelineExecutor(
            pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f"{logs}/{i}"
        ).run()
        times[name] = time.process_time() - t0
    print("STAGES " + json.dumps(times), flush=True)


def _patch_datatrove_xxhash() -> None:
    """datatrove 0.10.1 hands `str` to xxhash, which xxhash >= 4 refuses; xxhash 3 encoded it as
    UTF-8. Do that encode, nothing else (as bench/dedup_throughput.py does)."""
    import xxhash
    from datatrove.utils.hashes import xxhash as dt_xxhash

    def enc(d):
        return d.encode() if isinstance(d, str) else d

    dt_xxhash.xxhash64 = lambda d: xxhash.xxh64_intdigest(enc(d))
    dt_xxhash.xxhash32 = lambda d: xxhash.xxh32_intdigest(enc(d))


# --- quality --------------------------------------------------------------------------------
def quality(truth: dict, kept: dict[str, str], id_of) -> dict:
    """Shares of each planted kind left in the output. `kept`: output id -> language; `id_of`
    maps a WARC-Record-ID to the pipeline's document id."""
    q: dict[str, Counter] = defaultdict(Counter)
    for lang, rids in truth["clean"].items():
        for rid in rids:
            got = kept.get(id_of(rid))
            q["clean"]["n"] += 1
            q["clean"]["kept"] += got is not None
            q["clean"]["right_language"] += got == lang
            q[f"clean.{lang}"]["n"] += 1
            q[f"clean.{lang}"]["kept"] += got == lang
    for kind in ("exact_copies", "near_copies"):
        for c in truth[kind]:
            key = (
                kind
                if kind == "exact_copies"
                else (
                    "near_copies (J >= 0.8)"
                    if c["jaccard"] >= 0.8
                    else "near_copies (J < 0.8)"
                )
            )
            q[key]["n"] += 1
            q[key]["both_kept"] += id_of(c["id"]) in kept and id_of(c["of"]) in kept
    for j in truth["junk"]:
        q[f"junk.{j['kind']}"]["n"] += 1
        q[f"junk.{j['kind']}"]["kept"] += id_of(j["id"]) in kept
    for o in truth["off_language"]:
        q["off_language"]["n"] += 1
        q["off_language"]["kept"] += id_of(o["id"]) in kept
    return {k: dict(v) for k, v in q.items()}


def _ours_id(rid: str) -> str:
    from xlm_core.document import document_id

    return document_id("commoncrawl", rid)


# --- profile --------------------------------------------------------------------------------
# (pattern in a py-spy frame, stage): the innermost frame that matches names the stage; frames of
# shared helpers (SKIP) are passed over so their time goes to the stage that called them.
SKIP = (
    "xlm_core/dedup/hashing.py",
    "xlm_core/dedup/units.py",
    "xlm_core/steps.py",
    "contextlib.py",
)
STAGE_RULES = [
    ("_find_and_load", "imports"),
    (
        "atomic_open (xlm_core/io.py",
        "file writes: atomic_open (fsync + rename), all stages",
    ),
    ("xlm_core/extract/", "extract (WET read)"),
    ("xlm_core/langid/", "language ID"),
    ("xlm_core/filters/", "filters"),
    ("xlm_core/dedup/exact.py", "dedup: exact"),
    ("run_exact_dedup", "dedup: exact"),
    ("xlm_core/dedup/minhash.py", "dedup: MinHash"),
    ("xlm_core/dedup/lsh.py", "dedup: MinHash"),
    ("xlm_core/dedup/clusters.py", "dedup: MinHash"),
    ("xlm_core/dedup/shingles.py", "dedup: MinHash"),
    ("run_minhash_dedup", "dedup: MinHash"),
    ("xlm_core/shards/", "shards + manifest"),
    ("xlm_core/document.py", "unit Parquet write"),
    ("_write_by_language", "unit Parquet write"),
    ("xlm_core/dataset/", "dataset (other)"),
    ("xlm_core/", "xlm_core (other)"),
    ("prefect/server", "Prefect server"),
    ("uvicorn", "Prefect server"),
    ("distributed/", "Dask"),
    ("prefect/", "Prefect client/engine"),
]


def profile(crawl_dir: Path, work: Path, extra: list[str], code: Path) -> dict:
    pyspy = Path(PY).with_name("py-spy")
    if not pyspy.exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    raw = work / "profile.txt"
    res = run_ours(
        crawl_dir,
        work,
        extra,
        prefix=[
            str(pyspy),
            "record",
            "-s",
            "-r",
            "50",
            "-f",
            "raw",
            "-o",
            str(raw),
            "--",
        ],
        code=code,
    )
    stages, leaves = Counter(), Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        frames = stack.split(";")
        stage = next(
            (
                s
                for f in reversed(frames)
                if not any(k in f for k in SKIP)
                for pat, s in STAGE_RULES
                if pat in f
            ),
            "other",
        )
        stages[stage] += int(n)
        leaves[frames[-1]] += int(n)
    res["profile"] = {"stages": stages, "leaves": leaves, "raw": str(raw)}
    return res


# --- report ---------------------------------------------------------------------------------
def mib(b: float) -> str:
    return f"{b / 2**20:,.0f}"


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load avg {os.getloadavg()[0]:.1f}"
    )


def code_label(code: Path) -> str:
    """Which code the build ran: the git commit (+ whether the tree has changes) or the folder."""
    try:
        head = subprocess.run(
            ["git", "-C", str(code), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(code),
                "status",
                "--porcelain",
                "--",
                "xlm_core",
                "flows",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        return f"{code} at {head}" + (
            " + uncommitted changes in xlm_core/ or flows/" if dirty else ""
        )
    except (subprocess.CalledProcessError, FileNotFoundError):
        return f"{code} (not a git checkout)"


def versions() -> str:
    from importlib.metadata import version

    out = []
    for pkg in (
        "prefect",
        "datatrove",
        "pyarrow",
        "fasttext-numpy2-wheel",
        "fasttext-predict",
    ):
        try:
            out.append(f"{pkg} {version(pkg)}")
        except Exception:  # noqa: BLE001 - not installed: say so
            out.append(f"{pkg} -")
    return ", ".join(out)


def scale_report(rows: list[dict], truth_by_scale: dict) -> list[str]:
    out = [
        (
            "| scale | pipeline | WET records | MB (gz) | kept | CPU s (tree) | sampled CPU s | wall s | docs/CPU-s | "
            "peak RSS MiB (tree sum) | max RSS MiB (one process) | processes |"
        ),
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        t = truth_by_scale[r["scale"]]
        out.append(
            f"| {r['scale']:g}× | {r['pipeline']} | {t['documents']:,} | {t['summary']['compressed_bytes'] / 1e6:.1f} | "
            f"{r['kept']:,} | {r['cpu_s']:.1f} | {r['cpu_sampled_s']:.1f} | {r['wall_s']:.1f} | "
            f"{t['documents'] / r['cpu_s']:.0f} | {mib(r['peak_tree_rss'])} | {mib(r['max_proc_rss'])} | "
            f"{r['processes']} |"
        )
    out.append("")
    by = {(r["scale"], r["pipeline"]): r for r in rows}
    scales = sorted({r["scale"] for r in rows})

    def rate(r):
        return truth_by_scale[r["scale"]]["documents"] / r["cpu_s"]

    for pipe in ("ours", "datatrove"):
        if len(scales) > 1 and (scales[0], pipe) in by and (scales[-1], pipe) in by:
            a, b = by[(scales[0], pipe)], by[(scales[-1], pipe)]
            out.append(
                f"- {pipe}, {scales[-1]:g}× ÷ {scales[0]:g}×: docs/CPU-s **{rate(b) / rate(a):.2f}**, "
                f"peak RSS (tree) **{b['peak_tree_rss'] / a['peak_tree_rss']:.2f}**, "
                f"max RSS (one process) **{b['max_proc_rss'] / a['max_proc_rss']:.2f}**"
            )
    for s in scales:
        if (s, "ours") in by and (s, "datatrove") in by:
            o, d = by[(s, "ours")], by[(s, "datatrove")]
            out.append(
                f"- {s:g}×, ours ÷ datatrove: docs/CPU-s **{rate(o) / rate(d):.2f}×**, "
                f"peak RSS (tree) **{o['peak_tree_rss'] / d['peak_tree_rss']:.2f}**, "
                f"max RSS (one process) **{o['max_proc_rss'] / d['max_proc_rss']:.2f}**"
            )
    out.append("")
    out.append(
        "CPU and peak RSS by role (psutil samples; the peak column is per process, not summed):"
    )
    out.append("")
    out.append("| scale | pipeline | role | processes | CPU s | max RSS MiB |")
    out.append("|---:|---|---|---:|---:|---:|")
    for r in rows:
        for role, v in sorted(r["roles"].items()):
            out.append(
                f"| {r['scale']:g}× | {r['pipeline']} | {role} | {v['n']} | {v['cpu']:.1f} | {mib(v['rss'])} |"
            )
    stage_rows = [r for r in rows if r.get("stages")]
    if stage_rows:
        out += ["", "datatrove CPU s per stage (process_time in its process):", ""]
        for r in stage_rows:
            out.append(
                f"- {r['scale']:g}×: "
                + "; ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
            )
    return out


def quality_report(rows: list[dict]) -> list[str]:
    keys = [
        "clean",
        "exact_copies",
        "near_copies (J >= 0.8)",
        "near_copies (J < 0.8)",
        "junk.nav",
        "junk.symbols",
        "junk.repeated",
        "junk.too_short",
        "junk.lorem",
        "off_language",
    ]
    out = [
        (
            "| scale | pipeline | clean kept | clean, right language | exact copies: both kept | "
            "near J≥0.8: both kept | near J<0.8: both kept | nav kept | symbols kept | 15× line kept | too short kept | "
            "lorem kept | off-language kept |"
        ),
        "|---:|---|" + "---:|" * 12,
    ]
    for r in rows:
        q = r["quality"]

        def pct(k, f="kept", q=q):
            v = q.get(k) or {}
            return f"{v.get(f, 0) / v['n']:.1%} ({v['n']})" if v.get("n") else "-"

        cells = [
            pct("clean"),
            pct("clean", "right_language"),
            pct(keys[1], "both_kept"),
            pct(keys[2], "both_kept"),
            pct(keys[3], "both_kept"),
            *[pct(k) for k in keys[4:]],
        ]
        out.append(f"| {r['scale']:g}× | {r['pipeline']} | " + " | ".join(cells) + " |")
    langs = sorted(
        k.split(".", 1)[1] for k in rows[0]["quality"] if k.startswith("clean.")
    )
    out += [
        "",
        "Clean pages kept under their own language, per language:",
        "",
        "| scale | pipeline | " + " | ".join(langs) + " |",
        "|---:|---|" + "---:|" * len(langs),
    ]
    for r in rows:
        q = r["quality"]
        out.append(
            f"| {r['scale']:g}× | {r['pipeline']} | "
            + " | ".join(
                f"{q[f'clean.{lang}']['kept'] / q[f'clean.{lang}']['n']:.0%}"
                for lang in langs
            )
            + " |"
        )
    return out


def write_results(label: str, lines: list[str]) -> None:
    """Replace (or append) the `## crawl_scale: LABEL` section; other sections belong to others."""
    head = f"## crawl_scale: {label}"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    section = "\n".join([head, "", *lines]).rstrip() + "\n"
    pattern = re.compile(
        rf"^{re.escape(head)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE
    )
    text = (
        pattern.sub(lambda _: section + "\n", text)
        if pattern.search(text)
        else text.rstrip("\n") + "\n\n" + section
    )
    tmp = RESULTS.with_name(f".{RESULTS.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, RESULTS)


# --- modes ----------------------------------------------------------------------------------
def mode_scales(args, root: Path, tmp: Path) -> list[str]:
    rows, truths = [], {}
    for s in args.scales:
        cdir = crawl(s, args.seed, root)
        truths[s] = truth = json.loads((cdir / "truth.json").read_text())
        print(f"{s:g}×: ours ...", flush=True)
        r = run_ours(cdir, tmp / f"ours-{s:g}", code=args.code)
        r.update(
            scale=s, pipeline="ours", quality=quality(truth, ours_output(r), _ours_id)
        )
        rows.append(r)
        print(
            f"  {r['cpu_s']:.1f} CPU s, {r['wall_s']:.1f} s wall, kept {r['kept']}, version {r['version']}",
            flush=True,
        )
        for wline in r["warnings"]:
            print(f"  {wline}")
        shutil.rmtree(tmp / f"ours-{s:g}" / "out", ignore_errors=True)
        if s in args.peer_scales and not args.no_peer:
            print(f"{s:g}×: datatrove ...", flush=True)
            d = run_datatrove(cdir, tmp / f"datatrove-{s:g}")
            m = re.findall(r"^STAGES (\{.*\})$", d["output"], re.MULTILINE)
            d.update(
                scale=s,
                pipeline="datatrove",
                stages=json.loads(m[-1]) if m else {},
                quality=quality(
                    truth,
                    dict(datatrove_output(tmp / f"datatrove-{s:g}")),
                    lambda rid: rid,
                ),
            )
            rows.append(d)
            print(
                f"  {d['cpu_s']:.1f} CPU s, {d['wall_s']:.1f} s wall, kept {d['kept']}",
                flush=True,
            )
            shutil.rmtree(tmp / f"datatrove-{s:g}", ignore_errors=True)
    lines = (
        scale_report(rows, truths)
        + [
            "",
            "Quality against the planted truth (share of each kind left in the output; (n) pages):",
            "",
        ]
        + quality_report(rows)
    )
    ours = [r for r in rows if r["pipeline"] == "ours"]
    lines += [
        "",
        "Our manifest counters, " + f"{ours[-1]['scale']:g}×:",
        "",
        "```",
        json.dumps(_counter_totals(ours[-1]["manifest"]), indent=None),
        "```",
    ]
    return lines


def _counter_totals(manifest: dict) -> dict:
    """Per stage counters summed over units and languages (whatever the manifest holds)."""
    tot: dict[str, Counter] = defaultdict(Counter)

    def add(counters):
        for stage, c in (counters or {}).items():
            if isinstance(c, dict):
                for k, v in c.items():
                    if isinstance(v, (int, float)):
                        tot[stage][k] += v

    add(manifest.get("counters"))
    for unit in manifest.get("units", []) or manifest.get("inputs", []):
        if isinstance(unit, dict):
            add(unit.get("counters"))
    for lang in (manifest.get("languages") or {}).values():
        if isinstance(lang, dict):
            add(lang.get("counters"))
    return {k: dict(sorted(v.items())) for k, v in tot.items()}


def mode_dask(args, root: Path, tmp: Path) -> list[str]:
    cdir = crawl(args.dask_scale, args.seed, root)
    truth = json.loads((cdir / "truth.json").read_text())
    rows = []
    for n in args.dask:
        print(f"{args.dask_scale:g}×, --dask-workers {n} ...", flush=True)
        r = run_ours(
            cdir, tmp / f"dask-{n}", ["--dask-workers", str(n)], code=args.code
        )
        r["workers"] = n
        rows.append(r)
        print(
            f"  {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} CPU s, manifest {r['manifest_sha256'][:16]}",
            flush=True,
        )
        shutil.rmtree(tmp / f"dask-{n}" / "out", ignore_errors=True)
    lines = [
        f"input: {args.dask_scale:g}× crawl, {truth['documents']:,} WET records in {len(truth['files'])} files",
        "",
        "| Dask workers | wall s | CPU s (tree) | docs/s (wall) | speed-up | peak RSS MiB (tree sum) | version | manifest sha256 |",
        "|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['workers']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {truth['documents'] / r['wall_s']:.0f} | "
            f"{rows[0]['wall_s'] / r['wall_s']:.2f}× | {mib(r['peak_tree_rss'])} | {r['version']} | "
            f"`{r['manifest_sha256'][:16]}` |"
        )
    same = len({(r["version"], r["manifest_sha256"]) for r in rows}) == 1
    if not same:
        diffs = list(_diff(rows[0]["manifest"], rows[-1]["manifest"]))
        lines += ["", f"manifest fields that differ ({len(diffs)}; first 12):", ""]
        lines += [f"- `{path}`: {a!r:.80} vs {b!r:.80}" for path, a, b in diffs[:12]]
    lines += [
        "",
        (
            f"- wall {rows[0]['workers']} ÷ {rows[-1]['workers']} workers: "
            f"**{rows[0]['wall_s'] / rows[-1]['wall_s']:.2f}×**; "
            f"identical manifests (version id and sha256): **{'yes' if same else 'NO'}**"
        ),
    ]
    return lines


def _diff(a, b, path=""):
    """(path, a, b) for each leaf where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            yield from _diff(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _diff(x, y, f"{path}[{i}]")
    elif a != b:
        yield path, a, b


def mode_profile(args, root: Path, tmp: Path) -> list[str]:
    cdir = crawl(args.profile_scale, args.seed, root)
    extra = ["--dask-workers", str(args.profile_dask)] if args.profile_dask else []
    r = profile(cdir, tmp / "profile", extra, args.code)
    total = sum(r["profile"]["stages"].values()) or 1
    lines = [
        (
            f"`xlm build` on the {args.profile_scale:g}× crawl under `py-spy record -s -r 50` (all threads and "
            "child processes; samples of threads not idle, so time in fsync counts: wall-like, not CPU): "
            f"{total:,} samples, {r['cpu_s']:.1f} CPU s (tree, with py-spy's overhead)"
        ),
        "",
        "| stage | samples | share |",
        "|---|---:|---:|",
    ]
    for stage, n in r["profile"]["stages"].most_common():
        lines.append(f"| {stage} | {n:,} | {n / total:.1%} |")
    lines += ["", "Hottest innermost frames:", "", "| frame | share |", "|---|---:|"]
    for frame, n in r["profile"]["leaves"].most_common(15):
        lines.append(f"| `{frame[:110]}` | {n / total:.1%} |")
    keep = Path(args.crawl_root) / f"profile-scale{args.profile_scale:g}.txt"
    shutil.copy(r["profile"]["raw"], keep)
    lines += ["", f"(raw py-spy stacks kept at {keep})"]
    return lines


def _floats(s: str) -> list[float]:
    return [float(x) for x in s.split(",") if x]


def main(argv=None) -> int:
    global TASKS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", type=_floats, default=[1.0, 8.0])
    ap.add_argument(
        "--peer-scales",
        type=_floats,
        default=None,
        help="scales datatrove runs at (default: --scales)",
    )
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--crawl-root",
        default=os.path.join(tempfile.gettempdir(), "xlm-synth-crawl"),
        help="where generated crawls are kept between runs",
    )
    ap.add_argument(
        "--dask",
        type=lambda s: [int(x) for x in s.split(",")],
        default=None,
        metavar="1,2",
    )
    ap.add_argument("--dask-scale", type=float, default=8.0)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--profile-scale", type=float, default=1.0)
    ap.add_argument(
        "--profile-dask",
        type=int,
        default=0,
        metavar="N",
        help="profile the build with --dask-workers N",
    )
    ap.add_argument(
        "--write-results",
        metavar="LABEL",
        default=None,
        help="write a `## crawl_scale: LABEL` section into bench/RESULTS.md",
    )
    ap.add_argument(
        "--code",
        type=lambda p: Path(p).resolve(),
        default=REPO,
        help="tree whose flows/ and xlm_core/ the build runs (e.g. an unpacked `git archive HEAD`)",
    )
    ap.add_argument(
        "--keep", action="store_true", help="keep the build folders (printed)"
    )
    ap.add_argument("--tasks", type=int, default=TASKS,
                    help="execution.tasks and dedup partitions of the spec (0: no execution section, "
                         "32 partitions, for trees before it existed)")
    ap.add_argument("--datatrove-child", help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [
        "--wrap"
    ]:  # before argparse: the wrapped command's own options are not ours
        return wrap(argv[1:])
    args = ap.parse_args(argv)
    TASKS = args.tasks
    if args.datatrove_child:
        datatrove_child(args.datatrove_child)
        return 0
    args.peer_scales = args.scales if args.peer_scales is None else args.peer_scales
    root = Path(args.crawl_root)
    tmp = Path(tempfile.mkdtemp(prefix="crawl-scale-"))
    started = dt.datetime.now(dt.UTC)
    try:
        if args.dask:
            mode, lines = "dask", mode_dask(args, root, tmp)
        elif args.profile:
            mode, lines = "profile", mode_profile(args, root, tmp)
        else:
            mode, lines = "scales", mode_scales(args, root, tmp)
    finally:
        if args.keep:
            print(f"build folders kept under {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    cmd = "python bench/crawl_scale.py " + " ".join(
        a if " " not in a else repr(a) for a in argv
    )
    head = [
        f"- date: {started:%Y-%m-%d %H:%M} UTC ({mode})",
        f"- machine: {machine()} (at the end)",
        f"- code: {code_label(args.code)}",
        f"- versions: {versions()}",
        f"- command: `{cmd.strip()}`",
        "",
    ]
    print("\n".join(head + lines))
    if args.write_results:
        write_results(args.write_results, head + lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
