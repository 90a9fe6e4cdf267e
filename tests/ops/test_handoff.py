"""The pipeline deployment on a real server hands its GPU stages to the gpu work pool: a worker
on `cpu` runs the pipeline (dataset, vocabulary), `run_deployment` starts pretrain and
evaluate-xnli as child runs that a worker on `gpu` executes, and the pipeline reads their outputs."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.conftest import XLM
from tests.ops.conftest import WIKI, api, artifacts_of, process_worker, wait_final, wait_logged

pytestmark = pytest.mark.slow


def chain_spec(tmp_path, **pipeline) -> str:
    """Two real Wikipedia excerpts through the whole chain at the smallest useful sizes."""
    data = {
        "name": "handoff",
        "languages": ["en", "nl"],
        "sources": [{"type": "wikipedia", "language": lang, "files": [str(WIKI / f"{lang}wiki-sample-pages-articles.xml.bz2")]}
                    for lang in ("en", "nl")],
        "output": str(tmp_path / "datasets"),
        "vocab": {"vocab_size": 1000, "sentences": 5000, "byte_fallback": True, "num_threads": 1},
        "tokenize": {"seq_len": 64},
        "model": {"size": "tiny"},
        "train": {"max_steps": 4, "micro_batch_size": 4, "global_batch_size": 4, "seq_len": 64,
                  "checkpoint_every": 4},
        "xnli": {"epochs": 1, "max_train": 200, "max_eval": 20, "max_length": 32, "threads": 1,
                 "languages": ["en", "de"]},
        "pipeline": {"runs": str(tmp_path / "runs"), "nproc": 1, **pipeline},
    }
    path = tmp_path / "handoff.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def test_pipeline_hands_pretrain_and_xnli_to_the_gpu_pool(deployed, tmp_path):
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
    from prefect.deployments import run_deployment

    spec = chain_spec(tmp_path)
    cpu_log, gpu_log = tmp_path / "cpu-worker.log", tmp_path / "gpu-worker.log"
    with process_worker(deployed, "cpu", cpu_log), process_worker(deployed, "gpu", gpu_log), api(deployed) as client:
        run = run_deployment("pipeline/pipeline", parameters={"spec_path": spec}, timeout=0)
        run = wait_final(client, run.id, 480)
        assert run.state.is_completed(), (run.state, cpu_log.read_text()[-3000:], gpu_log.read_text()[-3000:])
        children = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id])))
        pipeline_logs = wait_logged(client, run.id, "pretrain: handing over to deployment pretrain/pretrain")
        arts = artifacts_of(client, run.id)
        child_arts = {c.name: artifacts_of(client, c.id) for c in children}
        deployments = {d.id: d.name for d in client.read_deployments()}

    # the data stages ran in the pipeline's own process (cpu worker); the GPU stages are child
    # runs of their deployments, on the gpu pool
    by_deployment = {deployments.get(c.deployment_id): c for c in children if c.deployment_id}
    assert set(by_deployment) == {"pretrain", "evaluate-xnli"}, [(c.name, c.deployment_id) for c in children]
    assert all(c.work_pool_name == "gpu" and c.state.is_completed() for c in by_deployment.values())
    in_process = {c.flow_id for c in children if not c.deployment_id}
    assert len(in_process) == 2  # build_dataset and train_vocab subflows
    assert any("pretrain: handing over to deployment pretrain/pretrain" in m for m in pipeline_logs)
    # the child runs published their own artifacts; the pipeline's report reads their outputs
    assert "pretrain-loss" in child_arts[by_deployment["pretrain"].name]
    assert "xnli-accuracy" in child_arts[by_deployment["evaluate-xnli"].name]
    assert "| en |" in arts["pipeline-xnli"] and "| de |" in arts["pipeline-xnli"]
    (xnli,) = (tmp_path / "runs" / "handoff").glob("pretrain-main-*/xnli/xnli_results.json")
    assert (xnli.parent.parent / "hf" / "config.json").exists()


def test_missing_gpu_deployment_fails_before_any_compute(ops_server, tmp_path):
    spec = chain_spec(tmp_path, gpu_deployments={"pretrain": "pretrain/not-deployed"})
    r = subprocess.run([XLM, "run", spec], env=ops_server.env(), capture_output=True, text=True, timeout=300)
    assert r.returncode != 0
    assert "xlm run: error: pipeline.gpu_deployments: no deployment pretrain/not-deployed (stage pretrain)" in r.stderr
    assert not (tmp_path / "datasets").exists()


def test_cancelling_a_pretrain_run_stops_every_rank_and_a_rerun_resumes(deployed, tmp_path):
    """Cancel from the UI/API while the gpu worker trains: the worker stops the flow run, whose
    cancellation hook kills the launcher and its ranks; running the deployment again resumes from
    the newest complete checkpoint."""
    import json
    import time

    from prefect.deployments import run_deployment
    from prefect.states import Cancelling

    from tests.train.conftest import make_run
    from tests.train.test_trainer import _no_process_mentions
    from xlm_core.train import checkpoint as ckpt

    config = make_run(tmp_path, stage=1, steps=5000, micro_batch_size=8, global_batch_size=8, checkpoint_every=3)
    metrics = tmp_path / "run" / "metrics.jsonl"
    log = tmp_path / "gpu-worker.log"
    with process_worker(deployed, "gpu", log), api(deployed) as client:
        run = run_deployment("pretrain/pretrain", parameters={"config": config, "nproc_per_node": 1}, timeout=0)
        deadline = time.monotonic() + 240
        while not (metrics.exists() and len(metrics.read_text().splitlines()) >= 5):
            assert time.monotonic() < deadline, f"no training progress: {log.read_text()[-3000:]}"
            assert not client.read_flow_run(run.id).state.is_final(), log.read_text()[-3000:]
            time.sleep(0.5)
        client.set_flow_run_state(run.id, Cancelling(message="cancelled by the test"))
        cancelled = wait_final(client, run.id, 120)
        assert cancelled.state.is_cancelled(), cancelled.state
        assert _no_process_mentions(config, wait_s=30), "a training process outlived the cancelled run"
        done = ckpt.latest_complete_tag(str(tmp_path / "run" / "checkpoints"))
        steps_done = int(done.removeprefix("step"))
        assert 3 <= steps_done < 5000

        data = json.loads(open(config).read())
        data["train"]["max_steps"] = steps_done + 2  # the operator lets it finish sooner this time
        open(config, "w").write(json.dumps(data))
        again = run_deployment("pretrain/pretrain", parameters={"config": config, "nproc_per_node": 1}, timeout=0)
        again = wait_final(client, again.id, 240)
        assert again.state.is_completed(), (again.state, log.read_text()[-3000:])
        resumed = [m for m in wait_logged(client, again.id, "resumed from") if "resumed from" in m]
    assert resumed and done in resumed[0], resumed
    assert ckpt.latest_complete_tag(str(tmp_path / "run" / "checkpoints")) == f"step{steps_done + 2:08d}"
