"""Without an offscreen GL context, the torque_press error gives the fix that applies to what rendered."""

import os
import subprocess
import sys
from pathlib import Path

import mujoco
import pytest

from tests.envs.press_fixtures import IMAGE, make_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_gl_context(monkeypatch):
    """MuJoCo's `Renderer` failing as it does on a headless machine without MUJOCO_GL."""

    def fail(*args, **kwargs):
        raise mujoco.FatalError("gladLoadGL error")

    monkeypatch.setattr(mujoco, "Renderer", fail)


def test_eval_video_frames_of_a_state_only_env_do_not_recommend_the_flag_already_given(no_gl_context):
    env = make_env(obs_type="agent_pos")
    env.reset(seed=0)  # observations need no camera
    with pytest.raises(RuntimeError) as error:
        env.render()  # what lerobot-eval calls for its videos
    message = str(error.value)
    assert "MUJOCO_GL=egl" in message
    assert "--eval.recording=true" in message
    assert "use --env.obs_type=agent_pos" not in message


def test_camera_observations_recommend_the_state_only_obs_type(no_gl_context):
    env = make_env(obs_type="pixels_agent_pos", observation_height=IMAGE, observation_width=IMAGE)
    with pytest.raises(RuntimeError, match="MUJOCO_GL=egl.*use --env.obs_type=agent_pos"):
        env.reset(seed=0)


@pytest.mark.parametrize(
    "environ, expected",
    [({}, "egl"), ({"MUJOCO_GL": "osmesa"}, "osmesa"), ({"DISPLAY": ":0"}, None)],
    ids=["headless", "user-choice-kept", "display"],
)
def test_egl_is_the_default_only_without_a_display_and_a_choice(environ, expected, monkeypatch):
    from lerobot_torque.envs.rendering import default_to_egl_without_display

    for name in ("MUJOCO_GL", "DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    default_to_egl_without_display()
    assert os.environ.get("MUJOCO_GL") == expected


def test_with_the_default_a_headless_process_renders_the_torque_press_camera():
    """What the benchmark's in-process rollouts (the effort-trace plots of camera policies) need."""
    script = (
        "from lerobot_torque.envs.rendering import default_to_egl_without_display\n"
        "default_to_egl_without_display()\n"
        "from tests.envs.press_fixtures import make_env\n"
        f"env = make_env(obs_type='pixels_agent_pos', observation_height={IMAGE}, "
        f"observation_width={IMAGE})\n"
        "observation, _ = env.reset(seed=0)\n"
        "print(next(iter(observation['pixels'].values())).shape)\n"
    )
    environ = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=environ, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith(f"({IMAGE}, {IMAGE}, 3)")
