"""Bad effort never passes silently: checked frame by frame before training, watched live at inference."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lerobot.datasets import LeRobotDatasetMetadata
from lerobot.policies.factory import make_policy

from lerobot_torque.constants import OBS_EFFORT_HISTORY
from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.policies.act_torque.modeling_act_torque import ACTTorquePolicy
from lerobot_torque.policies.torque import OODEffortResponse, TorqueConfig
from lerobot_torque.policies.torque.effort_data_checks import (
    EffortFrames,
    check_effort_frames,
    read_effort_frames,
)
from tests.synthetic import synthetic_episode, write_synthetic_dataset
from tests.tiny import (
    FEATURE_LAYOUT,
    HISTORY,
    STRIDE,
    TINY_ACT,
    lerobot_train_args,
    make_act_config,
    make_batch,
    make_pi0_config,
)

LEROBOT_TRAIN = str(Path(sys.executable).parent / "lerobot-train")
GLITCH = 1e9
GLITCH_FRAMES = [10, 11]
UNIT_MISTAKE_Z = 3850.0  # effort 1000× the training scale, as z-score


def plant_glitch(episode_index: int, effort: np.ndarray) -> np.ndarray:
    """1e9 on joint1 in 2 of the 60 frames of episode 0."""
    if episode_index == 0:
        effort[GLITCH_FRAMES, 1] = GLITCH
    return effort


def press_frames(num_episodes: int = 40, length: int = 60, seed: int = 0) -> EffortFrames:
    """Effort of the synthetic press-until-it-pushes-back episodes (contact in most of them)."""
    rng = np.random.default_rng(seed)
    values = np.concatenate([synthetic_episode(rng, length, 2)["effort"] for _ in range(num_episodes)])
    episodes, frames = np.repeat(np.arange(num_episodes), length), np.tile(np.arange(length), num_episodes)
    return EffortFrames(values, episodes, frames, ["joint0", "joint1"])


@pytest.fixture(scope="module")
def glitched_datasets(tmp_path_factory) -> dict[str, Path]:
    """One 60-frame episode with a 1e9 effort outlier in frames 10 and 11 of joint1, in both layouts."""
    base = tmp_path_factory.mktemp("glitched")
    return {
        layout: write_synthetic_dataset(
            base / layout, layout=layout, num_episodes=1, use_videos=False, edit_effort=plant_glitch
        ).root
        for layout in ("feature", "state")
    }


# --- training time ------------------------------------------------------------------------------


def test_an_outlier_in_2_of_60_frames_is_reported_when_a_policy_is_built_for_training(
    glitched_datasets, caplog
):
    meta = LeRobotDatasetMetadata("local/glitched", root=glitched_datasets["state"])
    config = ACTTorqueConfig(**TINY_ACT, torque=TorqueConfig(history_length=HISTORY, history_stride=STRIDE))
    with caplog.at_level(logging.WARNING):
        make_policy(config, ds_meta=meta)
    [warning] = [r.getMessage() for r in caplog.records if "Effort outliers" in r.getMessage()]
    assert "joint 'joint1.effort' has 2 of 60 frames" in warning
    assert "episode 0 frame 10 (1e+09), episode 0 frame 11 (1e+09)" in warning
    assert "normalised effort is nearly constant" in warning


@pytest.mark.slow
def test_lerobot_train_shows_the_outlier_warning(glitched_datasets, tmp_path):
    args = [
        *lerobot_train_args(glitched_datasets["feature"], tmp_path / "out", steps=2),
        "--save_checkpoint=false",
    ]
    result = subprocess.run(
        [LEROBOT_TRAIN, *args], capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Effort outliers in" in result.stderr
    assert "joint 'joint1' has 2 of 60 frames" in result.stderr
    assert "episode 0 frame 10 (1e+09)" in result.stderr


def test_effort_is_read_from_the_dataset_in_both_layouts(glitched_datasets):
    for root, layout in ((glitched_datasets["feature"], FEATURE_LAYOUT), (glitched_datasets["state"], None)):
        if layout is None:
            layout = TorqueConfig().bind_dataset(LeRobotDatasetMetadata("local/x", root=root).features)
        frames = read_effort_frames(root, layout)
        assert frames.values.shape == (60, 2)
        assert frames.values[GLITCH_FRAMES, 1].tolist() == [GLITCH, GLITCH]
        assert frames.frame_index.tolist() == list(range(60))


def test_a_constant_effort_channel_is_reported(caplog):
    frames = press_frames(num_episodes=2)
    frames.values[:, 0] = 3.0
    frames.values[70, 0] = 3.5
    with caplog.at_level(logging.WARNING):
        [warning] = check_effort_frames(frames)
    assert "Constant effort" in warning and "joint 'joint0' is 3 in 119 of 120 frames" in warning
    assert "episode 1 frame 10 (3.5)" in warning


def test_a_channel_stuck_at_its_maximum_is_reported_as_saturated():
    frames = press_frames()
    frames.values[:, 1] = np.minimum(frames.values[:, 1], 0.5)
    [warning] = check_effort_frames(frames)
    assert "Saturated effort" in warning and "joint 'joint1' sits exactly at its maximum 0.5" in warning
    assert "episode " in warning and " frames from frame " in warning


def test_nan_effort_in_the_training_data_is_an_error_listing_episode_and_frame():
    frames = press_frames(num_episodes=3)
    frames.values[125, 0] = np.nan
    frames.values[130, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite") as error:
        check_effort_frames(frames)
    assert "'joint0' in 1 frame: episode 2 frame 5 (nan)" in str(error.value)
    assert "'joint1' in 1 frame: episode 2 frame 10 (inf)" in str(error.value)
    assert '--operation.episode_indices "[2]"' in str(error.value)


def test_normal_press_contact_passes_the_training_checks():
    assert check_effort_frames(press_frames()) == []


# --- inference time -----------------------------------------------------------------------------


def live_frame(policy, z: float) -> dict:
    """One normalised observation whose effort is `z` on joint1."""
    batch = make_batch(policy.config, batch_size=1, training=False)
    batch["observation.effort"][:, 1] = z
    return batch


@pytest.mark.parametrize("policy_type", ["act_torque", "pi0_torque"])
def test_effort_1000x_the_training_scale_warns_once(policy_type, caplog):
    config = (make_act_config if policy_type == "act_torque" else make_pi0_config)(torque_ood_effort_steps=3)
    policy = ACTTorquePolicy(config) if policy_type == "act_torque" else pi0_policy(config)
    with caplog.at_level(logging.WARNING):
        for step in range(6):
            policy.live_batch(live_frame(policy, UNIT_MISTAKE_Z))
            warnings = [
                r for r in caplog.records if "far outside the training distribution" in r.getMessage()
            ]
            assert len(warnings) == (step >= 2), f"step {step}"
        policy.reset()
        for _ in range(4):
            policy.live_batch(live_frame(policy, UNIT_MISTAKE_Z))
    [warning] = [r.getMessage() for r in caplog.records if "far outside" in r.getMessage()]
    assert "joint 'joint1' at 3850" in warning and "ood_effort_response=error" in warning


def pi0_policy(config):
    from lerobot_torque.policies.pi0_torque.modeling_pi0_torque import PI0TorquePolicy

    return PI0TorquePolicy(config)


def test_error_mode_stops_after_the_consecutive_steps():
    policy = ACTTorquePolicy(make_act_config(torque_ood_effort_response="error", torque_ood_effort_steps=3))
    policy.live_batch(live_frame(policy, UNIT_MISTAKE_Z))
    policy.live_batch(live_frame(policy, UNIT_MISTAKE_Z))
    with pytest.raises(ValueError, match=r"joint 'joint1' at 3850.*ood_effort_response=warn"):
        policy.live_batch(live_frame(policy, UNIT_MISTAKE_Z))


def test_clip_mode_clamps_the_effort_the_model_reads():
    policy = ACTTorquePolicy(make_act_config(torque_ood_effort_response="clip", torque_ood_effort_z=20))
    effort = policy.live_batch(live_frame(policy, UNIT_MISTAKE_Z))[OBS_EFFORT_HISTORY]  # (1, H, D)
    assert effort[0, -1, 1].item() == 20.0
    assert torch.isfinite(policy.select_action(live_frame(policy, -UNIT_MISTAKE_Z))).all()
    assert policy._effort_history._frames[-1][0, 1].item() == -20.0


def test_press_contact_and_brief_spikes_do_not_warn_with_the_defaults(caplog):
    """Every demonstration frame, normalised as the policy reads it, plus spikes of z = 10 for 5 steps."""
    frames = press_frames(num_episodes=20)
    z = torch.tensor((frames.values - frames.values.mean(0)) / frames.values.std(0), dtype=torch.float32)
    z[frames.frame_index >= 55] = 10.0
    policy = ACTTorquePolicy(make_act_config())
    batch = make_batch(policy.config, batch_size=1, training=False)
    with caplog.at_level(logging.WARNING):
        for episode in range(int(frames.episode_index.max()) + 1):
            policy.reset()
            for frame in z[frames.episode_index == episode]:
                policy.live_batch({**batch, "observation.effort": frame[None]})
    assert z.abs().max() == 10.0 and caplog.records == []
    assert policy.config.torque.ood_effort_response is OODEffortResponse.WARN


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("ood_effort_z", float("nan"), "finite number > 0"),
        ("ood_effort_z", 0.0, "finite number > 0"),
        ("ood_effort_steps", 0, ">= 1 step"),
        ("ood_effort_response", "ignore", "ignore"),
    ],
)
def test_invalid_live_check_settings_are_rejected(field, value, match):
    with pytest.raises(ValueError, match=match):
        TorqueConfig(**{field: value})
