"""infra/ checked here without Docker or Kubernetes: the compose stack's shape and interpolation,
the images' install step, the Kubernetes job template as Prefect renders and validates it, the
DeepSpeed hostfile as DeepSpeed parses it, and S3 secrets kept out of everything the server shows."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.ops.conftest import artifacts_of, logs_of, run_builds, tiny_spec

INFRA = REPO / "infra"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|ACCESS_KEY|TOKEN", re.I)
_VAR = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def _interpolate(value: str, env: dict[str, str]) -> str:
    """docker compose's ${VAR}, ${VAR:-default}, ${VAR:?error} and $$ (as `docker compose config`)."""
    def one(m: re.Match) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if env.get(name):
            return env[name]
        if op and op.endswith("?"):
            raise KeyError(f"{name}: {arg}")
        return arg if op and op.endswith("-") else ""
    return _VAR.sub(one, value.replace("$$", "\0")).replace("\0", "$")


def _walk(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {k: _walk(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, env) for v in node]
    return _interpolate(node, env) if isinstance(node, str) else node


def _env_example() -> dict[str, str]:
    lines = (INFRA / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((INFRA / "docker-compose.yml").read_text())


def test_compose_brings_up_server_postgres_minio_and_a_cpu_worker(compose):
    services = compose["services"]
    assert {"postgres", "minio", "minio-init", "prefect-server", "cpu-worker", "deploy"} <= set(services)
    rendered = _walk(compose, _env_example())
    server = rendered["services"]["prefect-server"]
    assert server["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://prefect:")
    assert server["depends_on"]["postgres"]["condition"] == "service_healthy"
    worker = rendered["services"]["cpu-worker"]
    assert worker["command"][:4] == ["prefect", "worker", "start", "--pool"] and "cpu" in worker["command"]
    assert worker["environment"]["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    assert worker["environment"]["AWS_ENDPOINT_URL"] == "http://minio:9000"
    assert worker["environment"]["AWS_ACCESS_KEY_ID"] == rendered["services"]["minio"]["environment"]["MINIO_ROOT_USER"]
    for name in ("prefect-server", "cpu-worker", "deploy"):
        assert services[name]["build"] == {"context": "..", "dockerfile": "infra/Dockerfile.cpu"}
    assert "prefect --no-prompt deploy --all" in services["deploy"]["command"][0]
    # the worker's spec for this stack writes to the bucket minio-init creates
    from xlm_core.spec import load_spec

    spec = load_spec(str(INFRA / "specs" / "demo-minio.yaml"))
    assert spec.output == f"s3://{_env_example()['XLM_BUCKET']}/datasets"


def test_compose_secrets_come_from_the_environment_only(compose):
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                assert isinstance(value, str) and value.startswith("${"), f"{name}.{key} is a literal"
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):  # refuses to start without them
        _walk(compose, {})
    # every required variable is in the example env file
    required = {m.group(1) for m in _VAR.finditer((INFRA / "docker-compose.yml").read_text()) if m.group(2) == ":?"}
    assert required <= set(_env_example())


@pytest.mark.parametrize("dockerfile, base", [("Dockerfile.cpu", "python:3.11-slim"), ("Dockerfile.gpu", "pytorch/pytorch:")])
def test_images_install_with_infra_install_sh(dockerfile, base):
    text = (INFRA / dockerfile).read_text()
    froms = re.findall(r"^FROM (\S+)", text, re.M)
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", text, re.M))
    image = _interpolate(froms[-1], args)
    assert image.startswith(base)
    runs = " ".join(re.findall(r"^RUN (.+(?:\\\n.+)*)", text, re.M))
    assert "bash infra/install.sh" in runs  # the README's install step (browser for the UI test skipped), nothing else
    assert "pip install" not in runs
    if "gpu" in dockerfile:
        assert "cuda" in image and "devel" in image  # nvcc for DeepSpeed's JIT ops
        assert "--system-site-packages" in runs  # keep the base image's CUDA torch
    ignored = (INFRA / f"{dockerfile}.dockerignore").read_text().split()
    assert {".venv", "out", ".git"} <= set(ignored)
    assert "bash infra/install.sh" in (REPO / "README.md").read_text()


def _render(template: dict, values: dict) -> dict:
    """A base job template rendered as a worker does before creating the Job: variable defaults,
    then the deployment's values, substituted into `job_configuration` by Prefect's templating."""
    from prefect.utilities.templating import apply_values
    from prefect.workers.base import BaseJobConfiguration

    variables = BaseJobConfiguration._get_base_config_defaults(template["variables"]["properties"])
    return apply_values(template["job_configuration"], {**variables, **values})


def test_k8s_gpu_job_template_renders_with_prefect_placeholders():
    template = json.loads((INFRA / "k8s" / "gpu-base-job-template.json").read_text())
    used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", json.dumps(template["job_configuration"])))
    assert used == set(template["variables"]["properties"])
    config = _render(template, {"image": "registry.example/xlm-pipeline:gpu", "gpus": 4})
    job = config["job_manifest"]
    assert (job["apiVersion"], job["kind"]) == ("batch/v1", "Job")
    assert job["metadata"]["namespace"] == "xlm-pipeline"
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "registry.example/xlm-pipeline:gpu"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 4
    assert container["envFrom"] == [{"secretRef": {"name": "xlm-s3", "optional": True}}]
    assert "{{" not in json.dumps(config)


@pytest.mark.slow
def test_k8s_template_is_accepted_by_the_server_and_a_broken_one_is_not(ops_server):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.settings import PREFECT_API_URL, temporary_settings

    template = json.loads((INFRA / "k8s" / "gpu-base-job-template.json").read_text())
    broken = json.loads(json.dumps(template).replace("{{ gpus }}", "{{ gpu_count }}"))
    with temporary_settings({PREFECT_API_URL: ops_server.api_url}), get_client(sync_client=True) as client:
        pool = client.create_work_pool(WorkPoolCreate(name="gpu-k8s", type="kubernetes", base_job_template=template),
                                       overwrite=True)
        assert pool.base_job_template["variables"]["properties"]["gpus"]["default"] == 1
        with pytest.raises(PrefectHTTPStatusError, match="gpu_count"):
            client.create_work_pool(WorkPoolCreate(name="gpu-k8s-broken", type="kubernetes", base_job_template=broken))


def test_deepspeed_reads_the_hostfile_example():
    runner = pytest.importorskip("deepspeed.launcher.runner")
    hosts = runner.fetch_hostfile(str(INFRA / "deepspeed" / "hostfile.example"))
    assert dict(hosts) == {"gpu-node-1": 8, "gpu-node-2": 8}


@pytest.mark.slow
def test_s3_keys_never_reach_logs_artifacts_or_blocks(tmp_path, ops_server, s3_bucket):
    """A build on S3 with the keys only in the environment of the process that runs it (as on a
    worker): nothing the server stores (logs, artifacts, run parameters, blocks) nor anything
    written to the bucket holds them."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from xlm_core.io import fs_and_path

    key_id, secret = "AKIAXLMOPSTEST7Q3ZK2", "xlmOpsSecret/9fQ2+vT7wLk4Rm8sBn3Hc6Jd0Ae5Gy1"
    spec = tiny_spec(tmp_path, f"s3://{s3_bucket}/datasets", name="secrets")
    (run,) = run_builds(ops_server, spec, cache=True, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret)
    assert run["state"] == "COMPLETED"
    with temporary_settings({PREFECT_API_URL: ops_server.api_url}), get_client(sync_client=True) as client:
        seen = {
            "logs": "\n".join(logs_of(client, run["flow_run_id"])),
            "artifacts": json.dumps(artifacts_of(client, run["flow_run_id"]), default=str),
            "parameters": json.dumps(client.read_flow_run(run["flow_run_id"]).parameters),
            "blocks": json.dumps([b.model_dump(mode="json") for b in client.read_block_documents(include_secrets=True)]),
        }
    assert "input files" in seen["logs"]  # real logs were read
    assert "dataset-languages" in seen["artifacts"] and f"s3://{s3_bucket}/datasets" in seen["blocks"]
    fs, root = fs_and_path(f"s3://{s3_bucket}/datasets/secrets")  # moto accepts any key
    written = {p: fs.cat_file(p) for p in fs.find(root)}
    assert any("/_work/prefect-results/" in p for p in written)  # cached results went to the bucket
    for where, text in [*seen.items(), *((p, b.decode("latin-1")) for p, b in written.items())]:
        assert key_id not in text and secret not in text, f"AWS key found in {where}"
