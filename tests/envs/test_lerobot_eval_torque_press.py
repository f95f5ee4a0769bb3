"""The unchanged `lerobot-eval --env.type=torque_press` runs a trained act_torque, effort every step."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lerobot.envs.factory import make_env, make_env_pre_post_processors
from lerobot.policies.factory import make_pre_post_processors
from lerobot.scripts.lerobot_eval import rollout

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.datasets.sim_demos import SimDemosConfig, write_demos
from lerobot_torque.evaluation.plots import plot_effort_traces
from lerobot_torque.evaluation.rollout import TrainedPolicy
from lerobot_torque.evaluation.rollout import rollout as replay_episodes
from lerobot_torque.policies.act_torque.modeling_act_torque import ACTTorquePolicy
from tests.envs.press_fixtures import IMAGE, SHORT_EPISODE, make_config
from tests.fake_hub import publish_paligemma_tokenizer
from tests.test_pi0_lerobot_train import pi0_train_args
from tests.tiny import lerobot_train_args

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
CAMERA_ENV = {  # short torque_press episodes seen by a 32×32 camera, effort every step
    "obs_type": "pixels_agent_pos",
    "observation_height": IMAGE,
    "observation_width": IMAGE,
    "episode_length": SHORT_EPISODE,
}
ENV_ARGS = [
    "--env.type=torque_press",
    f"--env.observation_height={IMAGE}",
    f"--env.observation_width={IMAGE}",
    f"--env.episode_length={SHORT_EPISODE}",
]


def run(command: str, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(BIN / command), *args], capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )
    if result.returncode != 0:
        raise AssertionError(f"{command} failed:\n{result.stderr[-4000:]}")
    return result


def write_press_demos(root: Path) -> Path:
    """Two short scripted torque_press episodes with the camera, effort in `observation.effort`."""
    env = make_config(**CAMERA_ENV)
    dataset, _ = write_demos(
        SimDemosConfig(env=env, repo_id="local/press", root=str(root), num_episodes=2, keep_failed=True)
    )
    return Path(dataset.root)


@pytest.fixture(scope="module")
def press_demos(tmp_path_factory) -> Path:
    """The scripted episodes act_torque and pi0_torque are trained on."""
    return write_press_demos(tmp_path_factory.mktemp("press_demos") / "press")


@pytest.fixture(scope="module")
def checkpoint(press_demos, tmp_path_factory) -> Path:
    """A tiny act_torque trained 2 steps by `lerobot-train` on the scripted episodes."""
    output = tmp_path_factory.mktemp("press_eval") / "train"
    run("lerobot-train", *lerobot_train_args(press_demos, output, steps=2))
    return output / "checkpoints" / "last" / "pretrained_model"


def lerobot_eval(checkpoint: Path, output_dir: Path) -> dict:
    """`lerobot-eval` on 2 short torque_press episodes; its eval_info.json."""
    run(
        "lerobot-eval",
        f"--policy.path={checkpoint}",
        *ENV_ARGS,
        "--eval.n_episodes=2",
        "--eval.batch_size=2",
        "--eval.use_async_envs=false",
        "--policy.device=cpu",
        f"--output_dir={output_dir}",
    )
    return json.loads((output_dir / "eval_info.json").read_text())


def test_lerobot_eval_runs_act_torque_on_torque_press(checkpoint, tmp_path):
    info = lerobot_eval(checkpoint, tmp_path)
    assert info["overall"]["n_episodes"] == 2
    assert 0.0 <= info["overall"]["pc_success"] <= 100.0
    assert len(info["per_task"][0]["metrics"]["successes"]) == 2
    assert all(Path(path).exists() for path in info["overall"]["video_paths"])


def test_lerobot_eval_runs_a_tiny_pi0_torque_on_torque_press(press_demos, tmp_path):
    """π0 with the local PaliGemma tokenizer stand-in: trained, then evaluated in the env."""
    publish_paligemma_tokenizer()
    run("lerobot-train", *pi0_train_args(press_demos, tmp_path / "train"))
    checkpoint = tmp_path / "train" / "checkpoints" / "last" / "pretrained_model"
    assert json.loads((checkpoint / "config.json").read_text())["type"] == "pi0_torque"
    info = lerobot_eval(checkpoint, tmp_path / "eval")
    assert info["overall"]["n_episodes"] == 2
    assert len(info["per_task"][0]["metrics"]["successes"]) == 2


def test_effort_reaches_the_policy_history_at_every_step(checkpoint):
    """LeRobot's own `rollout` with the env's observations: one effort frame pushed per control step."""
    policy = ACTTorquePolicy.from_pretrained(checkpoint)
    preprocessor, postprocessor = make_pre_post_processors(policy.config, pretrained_path=str(checkpoint))
    env_config = make_config(**CAMERA_ENV)
    env_pre, env_post = make_env_pre_post_processors(env_config, policy.config)
    vector_env = make_env(env_config, n_envs=2)["torque_press"][0]

    pushed = []
    policy.reset()
    original_reset = policy.reset

    def reset_and_spy():
        original_reset()
        history = policy._effort_history
        push = history.push

        def spy(frame):
            pushed.append(frame.clone())
            return push(frame)

        history.push = spy

    policy.reset = reset_and_spy
    data = rollout(
        vector_env,
        policy,
        env_pre,
        env_post,
        preprocessor,
        postprocessor,
        seeds=[0, 1],
        return_observations=True,
    )
    steps = data["action"].shape[1]
    assert steps == SHORT_EPISODE and len(pushed) == steps
    raw_effort = data["observation"][OBS_EFFORT][:, :steps]  # (B, T, 2) as the env reported it
    normalised = torch.stack(pushed, dim=1)  # (B, T, 2) what the policy's history received
    # The history holds the normalised effort: an affine, per-joint map of the raw effort.
    for joint in range(2):
        x, y = raw_effort[..., joint].flatten().numpy(), normalised[..., joint].flatten().numpy()
        slope, intercept = np.polyfit(x, y, 1)
        np.testing.assert_allclose(slope * x + intercept, y, atol=1e-4)
        assert slope > 0
    vector_env.close()


def test_effort_trace_plot_replays_the_policy_with_the_envs_effort(checkpoint, tmp_path):
    """The benchmark's trace plot: closed-loop episodes, reproducible per seed, effort of every step."""
    trained = TrainedPolicy.load(checkpoint)
    [first], [again] = (replay_episodes(make_config(**CAMERA_ENV), [3], trained) for _ in range(2))
    assert first.effort.shape == (SHORT_EPISODE, 2) and first.force.shape == (SHORT_EPISODE,)
    assert np.isfinite(first.effort).all() and np.abs(first.effort).max() > 0
    np.testing.assert_array_equal(first.effort, again.effort)
    plot_effort_traces(checkpoint, tmp_path / "traces.png", first_seed=3, env_flags=CAMERA_ENV, tries=2)
    assert (tmp_path / "traces.png").stat().st_size > 10_000
