import os

import pytest

from xlm_core.train.launch import LaunchConfig, LaunchError, build_command, run_training


def test_single_node_uses_torchrun_and_shows_rank_0_only():
    cmd = build_command("run.json", LaunchConfig(nproc_per_node=2), python="py")
    assert cmd[:3] == ["py", "-m", "torch.distributed.run"] and "--standalone" in cmd
    assert cmd[cmd.index("--nproc_per_node") + 1] == "2" and cmd[cmd.index("--local-ranks-filter") + 1] == "0"
    assert cmd[-4:] == ["-m", "xlm_core.train.run", "--config", os.path.abspath("run.json")]


def test_hostfile_uses_the_deepspeed_launcher(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("node-a slots=8\nnode-b slots=8\n")
    cmd = build_command("run.json", LaunchConfig(nproc_per_node=8, hostfile=str(hosts)), python="py")
    assert cmd[:3] == ["py", "-m", "deepspeed.launcher.runner"]
    assert cmd[cmd.index("--hostfile") + 1] == str(hosts) and "--module" in cmd
    with pytest.raises(FileNotFoundError, match="hostfile"):
        build_command("run.json", LaunchConfig(hostfile=str(tmp_path / "missing")))


def test_a_failing_run_raises_with_its_error_line(tmp_path):
    bad = tmp_path / "run.json"
    bad.write_text('{"model": {"vocab_size": 300}, "train": {"max_steps": 1}, "data": {"mlm": {}}}')
    with pytest.raises(LaunchError) as exc:
        run_training(str(bad), LaunchConfig(nproc_per_node=1), on_line=lambda line: None)
    assert "missing 'output_dir'" in str(exc.value)
