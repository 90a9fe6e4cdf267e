"""The Prefect UI is where a person looks: headless Chromium opens a finished build's flow run
page on a real server, clicks its Artifacts tab, saves a screenshot, and the page shows the run
and its artifacts (infra/screenshot.py, the same script an operator runs by hand)."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

from tests.conftest import REPO
from tests.ops.conftest import run_builds, tiny_spec

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location("xlm_screenshot", REPO / "infra" / "screenshot.py")
screenshot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(screenshot)


@pytest.mark.skipif(screenshot.find_chromium() is None,
                    reason="chromium is not installed (infra/install.sh installs it with apt-get: chromium)")
def test_flow_run_page_shows_the_build_and_its_artifacts(tmp_path, ops_server):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    (run,) = run_builds(ops_server, tiny_spec(tmp_path, str(tmp_path / "out"), name="ui"))
    run_id = run["flow_run_id"]
    with temporary_settings({PREFECT_API_URL: ops_server.api_url}), get_client(sync_client=True) as client:
        run_name = client.read_flow_run(run_id).name
    assert run["state"] == "COMPLETED"

    png = tmp_path / "flow-run.png"
    text = screenshot.screenshot(f"{ops_server.ui_url}/runs/flow-run/{run_id}", str(png), tab="Artifacts",
                                 wait_for=["dataset-languages", "dataset-counters"], timeout=120)
    if os.environ.get("XLM_SCREENSHOT_DIR"):  # keep it for a person (CI artifact)
        shutil.copy(png, os.path.join(os.environ["XLM_SCREENSHOT_DIR"], "flow-run.png"))
    assert run_name in text and "build_dataset" in text and "Completed" in text
    assert "documents per language" in text  # the artifacts' descriptions, i.e. the cards are rendered
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
