"""The build flow end to end (in-process, on the session's Prefect server), on real samples."""

import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.build_dataset import run_build
from tests.dataset.helpers import same_tree, small_spec
from xlm_core.shards.manifest import load_manifest, verify


@pytest.fixture(scope="module")
def built(tmp_path_factory, prefect_server):
    """The same spec (relative `output`) built twice in one place and once in another."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    tmp = tmp_path_factory.mktemp("build")
    spec = small_spec(tmp, "out")
    cwd = os.getcwd()
    try:
        with temporary_settings({PREFECT_API_URL: prefect_server}):
            (tmp / "a").mkdir()
            os.chdir(tmp / "a")
            first = run_build(spec, show_progress=False)
            again = run_build(spec, show_progress=False)
            (tmp / "b").mkdir()
            os.chdir(tmp / "b")
            elsewhere = run_build(spec, show_progress=False)
    finally:
        os.chdir(cwd)
    return first, again, elsewhere


def test_dataset_layout_manifest_and_rows(built):
    first, _, _ = built
    root = Path(first["version_dir"])
    m = load_manifest(str(root))
    assert m["version"] == root.name and len(m["inputs"]) == 4
    assert {"en", "nl", "uk", "ru", "zh"} <= set(m["languages"])
    seen = set()
    for shard in m["shards"]:
        t = pq.read_table(root / shard["path"])
        assert t.num_rows == shard["rows"] > 0
        assert set(t.column("language").to_pylist()) == {shard["language"]}
        assert all(t.column("text").to_pylist())
        ids = t.column("id").to_pylist()
        assert not seen & set(ids)
        seen |= set(ids)
    assert sum(v["documents"] for v in m["languages"].values()) == len(seen)
    # web text was routed by LID; Wikipedia rows kept their dump language
    cc = m["counters"]["langid"]
    assert cc["read"] == cc["kept"] + cc.get("dropped.lang_not_wanted", 0) + cc.get("dropped.lang_low_score", 0)
    assert m["counters"]["extract"]["dropped.redirect"] > 0
    assert verify(str(root)) == []


def test_rerun_reuses_every_unit_and_changes_nothing(built):
    first, again, _ = built
    assert again["reused_units"] == 4
    assert again["manifest_sha256"] == first["manifest_sha256"]


def test_build_elsewhere_is_byte_identical(built):
    first, _, elsewhere = built
    assert elsewhere["version"] == first["version"]
    assert elsewhere["manifest_sha256"] == first["manifest_sha256"]
    assert same_tree(Path(first["version_dir"]), Path(elsewhere["version_dir"])) == []
