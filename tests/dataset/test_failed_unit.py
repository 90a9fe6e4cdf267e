"""A permanently failing input fails only its unit: the other units finish, the flow names the failed
input (error and `dataset-failed-units` artifact), writes no manifest, and a rerun after the fix
reuses the finished units."""

import shutil
from pathlib import Path

import pytest

from flows.build_dataset import UnitsFailed, run_build
from tests.dataset.helpers import WET, WIKI, small_spec
from xlm_core.shards.manifest import load_manifest, verify


def _latest_failed_units_artifact() -> list[dict]:
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        (art,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["dataset-failed-units"])),
            sort=ArtifactSort.CREATED_DESC, limit=1)
    return json.loads(art.data) if isinstance(art.data, str) else art.data


def test_a_404_input_fails_only_its_unit_and_a_rerun_reuses_the_others(tmp_path, http_server, prefect_api):
    missing = f"{http_server.url}/ukwiki-20230501-pages-articles.xml.bz2"  # not on the mirror (yet): 404
    out = tmp_path / "out"
    spec = small_spec(tmp_path, str(out), wiki={"en": WIKI["en"], "uk": missing, "nl": WIKI["nl"]}, wet=WET,
                      download={"retries": 1, "cache_dir": str(tmp_path / "cache")})

    with pytest.raises(UnitsFailed) as failed:
        run_build(spec, show_progress=False)
    message = str(failed.value)
    assert message.startswith("1 of 4 input files failed; no dataset version was written")
    assert f"unit 0001 {missing}: DownloadError: " in message and "404" in message
    assert WIKI["en"] not in message and WIKI["nl"] not in message and WET not in message
    assert "rerun: the 3 finished units are reused" in message
    rows = _latest_failed_units_artifact()
    assert [(r["unit"], r["input"], r["error"]) for r in rows] == [(1, missing, "DownloadError")]
    assert "404" in rows[0]["message"]
    # the other units ran to the end; nothing that looks like a dataset version was written
    dataset = out / "small"
    assert len(list(dataset.glob("_work/units/_done/*.json"))) == 3
    assert not list(dataset.glob("*/manifest.json")) and not list(dataset.glob("*/*/part-*.parquet"))
    assert len(http_server.requests_for("/ukwiki-*")) == 1  # a 404 is final: no download or task retries

    # the mirror gets the file: the rerun builds only that unit and writes a complete dataset
    shutil.copy(WIKI["uk"], http_server.root / "ukwiki-20230501-pages-articles.xml.bz2")
    result = run_build(spec, show_progress=False)
    assert result["reused_units"] == 3
    assert verify(result["version_dir"]) == []
    m = load_manifest(result["version_dir"])
    assert [i["uri"] for i in m["inputs"]] == [WIKI["en"], missing, WIKI["nl"], WET]
    assert m["languages"]["uk"]["documents"] > 0
    assert len(list(dataset.glob("_work/units/_done/*.json"))) == 4
    assert Path(result["version_dir"]).parent == dataset
