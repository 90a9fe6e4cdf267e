"""Start the per-rank trainer as a subprocess (torchrun, or the deepspeed launcher for a hostfile),
in its own process group so one signal stops every rank, and stream its output lines.

Multi-node: give a DeepSpeed hostfile (infra/deepspeed/hostfile.example), one
`hostname slots=GPUS` line per machine, e.g.
    node-a slots=8
    node-b slots=8
and run `xlm pretrain --config run.json --hostfile hosts --nproc 8` on the first host; the
deepspeed launcher starts the ranks on every host over passwordless ssh (pdsh). The run.json
paths and output_dir must be on storage every host sees (every rank writes its ZeRO shards)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

_LIVE: set[subprocess.Popen] = set()  # launched groups, so a cancellation hook can stop them all
_LOCK = threading.Lock()


@dataclass(frozen=True, kw_only=True, slots=True)
class LaunchConfig:
    nproc_per_node: int = 1
    """Ranks per machine (GPUs per node; any number on CPU)."""
    hostfile: str | None = None
    """DeepSpeed hostfile for multi-node runs; None = this machine only, through torchrun."""
    master_port: int | None = None
    """Rendezvous port; None = a free one (single node) or 29500 (multi-node)."""
    omp_threads: int | None = None
    """OMP_NUM_THREADS per rank on CPU; None = cores / ranks."""


def build_command(config_path: str, launch: LaunchConfig, python: str = sys.executable) -> list[str]:
    if launch.hostfile is not None:
        if not os.path.isfile(launch.hostfile):
            raise FileNotFoundError(f"hostfile {launch.hostfile!r} does not exist")
        return [
            python, "-m", "deepspeed.launcher.runner", "--hostfile", launch.hostfile,
            "--num_gpus", str(launch.nproc_per_node), "--master_port", str(launch.master_port or 29500),
            "--module", "xlm_core.train.run", "--config", os.path.abspath(config_path),
        ]  # fmt: skip
    # --standalone: single-node rendezvous on a free port (parallel runs do not collide)
    where = ["--standalone"] if launch.master_port is None else ["--master-addr", "127.0.0.1", "--master-port", str(launch.master_port)]
    return [
        python, "-m", "torch.distributed.run", *where, "--nproc_per_node", str(launch.nproc_per_node),
        "--local-ranks-filter", "0",  # only rank 0's output; torchrun still reports any rank's failure
        "-m", "xlm_core.train.run", "--config", os.path.abspath(config_path),
    ]  # fmt: skip


def _env(launch: LaunchConfig) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("OMP_NUM_THREADS", str(launch.omp_threads or max(1, (os.cpu_count() or 1) // launch.nproc_per_node)))
    return env


def kill_group(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM the whole process group (launcher and every rank), SIGKILL it after grace_s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def kill_all() -> None:
    """Stop every training group this process launched (for cancellation hooks)."""
    with _LOCK:
        live = list(_LIVE)
    for proc in live:
        kill_group(proc)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


class LaunchError(RuntimeError):
    def __init__(self, returncode: int, tail: Sequence[str]):
        self.returncode, self.tail = returncode, list(tail)
        last = next((line for line in reversed(self.tail) if line.startswith("error: ")), None)
        super().__init__(last or f"training exited with code {returncode}; last lines:\n" + "\n".join(self.tail[-15:]))


def run_training(
    config_path: str,
    launch: LaunchConfig,
    on_line: Callable[[str], None] = print,
    should_stop: Callable[[], bool] | None = None,
    cwd: str | None = None,
) -> int:
    """Run the training to completion, passing each output line to on_line. Ctrl-C, an exception
    in on_line, or should_stop() returning True (checked after each line) kills the whole group.
    Returns 0, or raises LaunchError with the failure's last lines."""
    cmd = build_command(config_path, launch)
    log.info("launching: %s", " ".join(cmd))
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
        start_new_session=True,  # own process group: killpg reaches torchrun and every rank
        env=_env(launch), cwd=cwd,
    )  # fmt: skip
    with _LOCK:
        _LIVE.add(proc)
    tail: list[str] = []
    stopped = False
    previous = None
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        # SIGTERM (`kill`) would end this process and orphan the ranks. Under a Prefect flow run
        # Prefect's own handler is in place (and must stay: a worker only cancels a run
        # gracefully while it is): it raises, and the except below stops the group.
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail = (tail + [line])[-50:]
            on_line(line)
            if should_stop is not None and should_stop():
                stopped = True
                break
        if stopped:
            kill_group(proc)
        rc = proc.wait()
    except BaseException:  # KeyboardInterrupt, cancellation, a failing callback: no orphan ranks
        kill_group(proc)
        raise
    finally:
        with _LOCK:
            _LIVE.discard(proc)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if stopped:
        return -signal.SIGTERM
    if rc != 0:
        raise LaunchError(rc, tail)
    return 0
