"""The build on a 2-worker Dask LocalCluster gives the same dataset as the default runner."""

import os

import pytest

from flows.build_dataset import run_build
from tests.dataset.helpers import WIKI, small_spec


@pytest.mark.slow
def test_dask_local_cluster_build_is_identical_to_threads(tmp_path, prefect_api):
    spec = small_spec(tmp_path, "out", wiki={"nl": WIKI["nl"]})
    cwd = os.getcwd()
    try:
        (tmp_path / "threads").mkdir()
        os.chdir(tmp_path / "threads")
        plain = run_build(spec, show_progress=False)
        (tmp_path / "dask").mkdir()
        os.chdir(tmp_path / "dask")
        dask = run_build(spec, dask_workers=2, show_progress=False)
    finally:
        os.chdir(cwd)
    assert dask["version"] == plain["version"]
    assert dask["manifest_sha256"] == plain["manifest_sha256"]
