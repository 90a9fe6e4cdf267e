"""Scale-out of the dataset build: the same spec on a Dask LocalCluster of 1 and of 2 worker
processes, same command; prints wall time, docs/s and the speed-up, and checks the two builds
give the same manifest digest.

    .venv/bin/python bench/build_scaling.py [--write-results]

Input: the 9 Wikipedia excerpts and the Common Crawl WET sample of ../shared/data if present
(larger than the bundled ones), else data_specs/samples/."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


def inputs() -> tuple[dict[str, str], list[str]]:
    if (SHARED / "wiki").is_dir():
        wiki = {p.name[:2]: str(p) for p in sorted((SHARED / "wiki").glob("*.bz2"))}
        wet = [str(p) for p in sorted((SHARED / "commoncrawl").glob("*.warc.wet.gz"))]
    else:
        wiki = {p.name[:2]: str(p) for p in sorted((REPO / "data_specs/samples/wiki").glob("*.bz2"))}
        wet = [str(p) for p in sorted((REPO / "data_specs/samples/commoncrawl").glob("*.warc.wet.gz"))]
    return wiki, wet


def write_spec(tmp: Path) -> str:
    wiki, wet = inputs()
    spec = {
        "name": "scaling",
        "languages": sorted(set(wiki) | {"ru", "zh", "de", "es", "fr", "ja", "ko", "pl"}),
        "sources": [{"type": "wikipedia", "language": lang, "files": [path]} for lang, path in wiki.items()]
        + [{"type": "commoncrawl", "files": wet}],
        "filters": {"defaults": {"min_words": 20}},
        "dedup": {},
        "output": "out",
    }
    path = tmp / "scaling.yaml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write-results", action="store_true", help="update the build_scaling section of bench/RESULTS.md")
    args = ap.parse_args()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows.build_dataset import run_build
    from xlm_core.shards.manifest import load_manifest

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        spec = write_spec(tmp)
        for workers in (1, 2):
            work = tmp / f"w{workers}"
            work.mkdir()
            os.chdir(work)
            t0 = time.perf_counter()
            result = run_build(spec, dask_workers=workers, show_progress=False)
            wall = time.perf_counter() - t0
            docs = sum(v["documents"] for v in load_manifest(result["version_dir"])["languages"].values())
            rows.append({"workers": workers, "wall_s": wall, "docs": docs, "digest": result["manifest_sha256"]})
            os.chdir(REPO)
    assert rows[0]["digest"] == rows[1]["digest"], "1- and 2-worker builds differ"
    speedup = rows[0]["wall_s"] / rows[1]["wall_s"]
    lines = ["| Dask workers | wall s | documents | docs/s | speed-up |", "|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['workers']} | {r['wall_s']:.1f} | {r['docs']} | {r['docs'] / r['wall_s']:.1f} | "
                     f"{rows[0]['wall_s'] / r['wall_s']:.2f}× |")
    table = "\n".join(lines)
    print(table)
    print(f"speed-up 2 vs 1 workers: {speedup:.2f}×; identical manifests: yes")
    if args.write_results:
        wiki, wet = inputs()
        section = (
            "## build_scaling\n\n"
            f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC\n"
            f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load avg "
            f"{os.getloadavg()[0]:.1f}\n"
            f"- command: `python bench/build_scaling.py --write-results`\n"
            f"- input: {len(wiki)} Wikipedia files + {len(wet)} WET files, filters + exact + MinHash dedup on;"
            " whole build (Prefect flow, per-input units, per-language shards)\n\n"
            f"{table}\n\nBoth builds gave the same manifest digest.\n"
        )
        results = REPO / "bench" / "RESULTS.md"
        text = results.read_text() if results.exists() else "# Benchmark results\n"
        pattern = re.compile(r"## build_scaling\n.*?(?=\n## |\Z)", re.S)
        text = pattern.sub(section.rstrip("\n"), text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
        results.write_text(text)


if __name__ == "__main__":
    main()
