"""kill -9 at random moments, then rerun: the result equals an uninterrupted build."""

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.dataset.helpers import same_tree, small_spec
from tests.conftest import XLM, xlm_env


def xlm_build(spec, cwd, env, timeout=300):
    return subprocess.run([XLM, "build", spec], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def version_dir(out: Path) -> Path:
    (version,) = [p for p in (out / "small").iterdir() if not p.name.startswith("_")]
    return version


@pytest.mark.slow
def test_kill_at_random_moments_then_resume_gives_identical_dataset(tmp_path, prefect_server):
    env = xlm_env(prefect_server)
    spec = small_spec(tmp_path, "out")
    (tmp_path / "ref").mkdir()
    t0 = time.monotonic()
    ref = xlm_build(spec, tmp_path / "ref", env)
    assert ref.returncode == 0, ref.stderr[-3000:]
    full = time.monotonic() - t0

    work = tmp_path / "killed"
    work.mkdir()
    rng = random.Random(1234)
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen([XLM, "build", spec], cwd=work, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 0.9) * full)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1, "the build always finished before the kill: nothing was tested"
    done = xlm_build(spec, work, env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert same_tree(version_dir(tmp_path / "ref" / "out"), version_dir(work / "out")) == []
    # no temp files were left looking like shards
    assert not list((work / "out").rglob("*.parquet.tmp-*"))
