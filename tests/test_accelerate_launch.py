"""The unchanged `accelerate launch --multi_gpu --num_processes=2 lerobot-train` on the CPU (gloo).

LeRobot's `lerobot-train` builds its own `Accelerator` (`lerobot/scripts/lerobot_train.py`: CPU
when `--policy.device=cpu`, DDP with `find_unused_parameters=True`); `accelerate launch
--multi_gpu` only starts the ranks through torchrun, which on a machine without GPUs gives
LeRobot's CPU accelerator a gloo process group. LeRobot's `EpisodeAwareSampler` draws one
permutation per seed on every rank and accelerate deals its batches out in turn, so two ranks of
batch 2 see the same four samples per step as one process of batch 4.
"""

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

from lerobot_torque.policies.pi0_torque.modeling_pi0_torque import PI0TorquePolicy
from tests.fake_hub import publish_paligemma_tokenizer
from tests.test_lerobot_train import LEROBOT_TRAIN, checkpoint, lerobot_train
from tests.test_pi0_lerobot_train import pi0_train_args
from tests.tiny import lerobot_train_args

pytestmark = pytest.mark.slow
ACCELERATE = str(Path(sys.executable).parent / "accelerate")
LAUNCH_TIMEOUT_S = 300
STEP_LOG = re.compile(r"step:(\d+) .*?loss:([-\d.]+) grdn:([-\d.]+)")
# ACT without its random parts (dropout, VAE sample), so both runs compute the same function of the
# same samples; and without padded actions: ACT's own L1 divides by each shard's count of valid
# actions (lerobot/policies/act/modeling_act.py), which weights shards with padding unequally.
EXACT_ACT = [
    "--policy.dropout=0.0",
    "--policy.use_vae=false",
    "--policy.chunk_size=1",
    "--policy.n_action_steps=1",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accelerate_launch(*args: str, temporary_dir: Path, processes: int = 2) -> subprocess.CompletedProcess:
    """The launch, in its own process group and with `TMPDIR` (torchrun's log folder) in `temporary_dir`."""
    command = [
        ACCELERATE,
        "launch",
        "--multi_gpu",
        f"--num_processes={processes}",
        "--num_machines=1",
        "--mixed_precision=no",
        "--dynamo_backend=no",
        f"--main_process_port={free_port()}",
        LEROBOT_TRAIN,
        *args,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TMPDIR": str(temporary_dir)},
        start_new_session=True,  # a timeout then ends the launcher and both ranks, not the launcher alone
    )
    try:
        stdout, stderr = process.communicate(timeout=LAUNCH_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(f"accelerate launch ran over {LAUNCH_TIMEOUT_S} s:\n{stderr[-4000:]}") from None
    if process.returncode != 0:
        raise AssertionError(f"accelerate launch failed:\n{stderr[-4000:]}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def overriding(args: list[str], *overrides: str) -> list[str]:
    """`args` with each `--key=value` of `overrides` replacing the same key's value."""
    keys = {override.split("=", 1)[0] for override in overrides}
    return [a for a in args if a.split("=", 1)[0] not in keys] + list(overrides)


def logged_steps(stderr: str) -> list[tuple[int, float, float]]:
    """(step, loss, gradient norm) of every logged step; LeRobot averages the loss over the ranks."""
    return [(int(s), float(loss), float(norm)) for s, loss, norm in STEP_LOG.findall(stderr)]


def test_two_processes_train_act_torque_like_one_process_on_one_global_batch(synthetic_datasets, tmp_path):
    """2 ranks × batch 2 vs 1 process × batch 4: same loss and gradient norm at each step, same weights.

    Both are printed to 3 decimals, so they may differ by one unit in the last digit; the weights
    differ by float32 summation order only (tests/test_distributed_training.py measures < 1e-6).
    """
    args = overriding(lerobot_train_args(synthetic_datasets["state"], tmp_path / "ddp", steps=3), *EXACT_ACT)
    ddp = accelerate_launch(*overriding(args, "--batch_size=2"), temporary_dir=tmp_path)
    assert "Effective batch size: 2 x 2 = 4" in ddp.stderr
    single_args = [a.replace(str(tmp_path / "ddp"), str(tmp_path / "single")) for a in args]
    single = lerobot_train(*overriding(single_args, "--batch_size=4"))

    ddp_steps, single_steps = logged_steps(ddp.stderr), logged_steps(single.stderr)
    assert [s[0] for s in ddp_steps] == [s[0] for s in single_steps] == [1, 2, 3]
    for (_, ddp_loss, ddp_norm), (_, loss, norm) in zip(ddp_steps, single_steps, strict=True):
        assert ddp_loss == pytest.approx(loss, abs=1.5e-3) and ddp_norm == pytest.approx(norm, abs=1.5e-3)
    ddp_weights = load_file(checkpoint(tmp_path / "ddp") / "model.safetensors")
    single_weights = load_file(checkpoint(tmp_path / "single") / "model.safetensors")
    assert ddp_weights.keys() == single_weights.keys()
    assert max((ddp_weights[k] - single_weights[k]).abs().max().item() for k in ddp_weights) < 1e-6


def test_two_processes_train_a_tiny_pi0_torque(synthetic_datasets, tmp_path):
    """The paper's final design (decoder token, future effort); π0 draws its noise per rank."""
    publish_paligemma_tokenizer()
    output = tmp_path / "out"
    args = overriding(pi0_train_args(synthetic_datasets["feature"], output), "--batch_size=2")
    result = accelerate_launch(*args, temporary_dir=tmp_path)
    assert "Effective batch size: 2 x 2 = 4" in result.stderr
    assert [step for step, _, _ in logged_steps(result.stderr)] == [1, 2]
    policy = PI0TorquePolicy.from_pretrained(checkpoint(output))
    assert policy.config.torque.predict_future_effort and policy.model.action_in_proj.in_features == 8 + 2
