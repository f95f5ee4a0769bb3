"""LeRobot's own record entry point with our SO follower (mocked bus), then act_torque on the result."""

from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
import torch

from lerobot.common.control_utils import predict_action
from lerobot.configs.dataset import DatasetRecordConfig
from lerobot.datasets import factory
from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
from lerobot.policies.factory import make_policy, make_pre_post_processors
from lerobot.scripts.lerobot_record import RecordConfig, record
from lerobot.teleoperators.so_leader import SOLeaderTeleopConfig
from lerobot.utils.constants import OBS_STR
from lerobot.utils.feature_utils import build_dataset_frame, hw_to_dataset_features

from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.robots.so_follower_torque import SOFollowerTorqueConfig
from lerobot_torque.robots.so_follower_torque.so_follower_torque import SOFollowerTorque
from tests.robots.config_fake_camera import FakeCameraConfig
from tests.robots.mock_buses import bus_class_mock, make_bus_mock

FOLLOWER_BUS = "lerobot_torque.robots.so_follower_torque.so_follower_torque.FeetechEffortBus"
LEADER_BUS = "lerobot.teleoperators.so_leader.so_leader.FeetechMotorsBus"
MOTORS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
FPS = 30
EPISODE_S = 1.0
TASK = "press the button"
TINY_ACT_TORQUE = {
    "dim_model": 16,
    "n_heads": 2,
    "dim_feedforward": 32,
    "n_encoder_layers": 1,
    "n_vae_encoder_layers": 1,
    "latent_dim": 4,
    "chunk_size": 5,
    "n_action_steps": 5,
    "pretrained_backbone_weights": None,
    "device": "cpu",
}
TRAIN_STEPS = 3


class RandomRegisters(dict):
    """Register answers that change at every read, like a moving arm (seeded)."""

    def __init__(self, seed: int):
        super().__init__()
        self._rng = np.random.default_rng(seed)

    def __getitem__(self, name: str) -> dict[str, float]:
        scale = {"Present_Position": 45.0, "Present_Load": 300.0}[name]
        return {motor: float(self._rng.uniform(-scale, scale)) for motor in MOTORS}


def record_so100_episode(root: Path) -> LeRobotDataset:
    follower, leader = make_bus_mock(RandomRegisters(0)), make_bus_mock(RandomRegisters(1))
    config = RecordConfig(
        robot=follower_config(root),
        teleop=SOLeaderTeleopConfig(port="/dev/null", id="leader", calibration_dir=root / "calibration"),
        dataset=DatasetRecordConfig(
            repo_id="local/so100_effort",
            single_task=TASK,
            root=root / "dataset",
            fps=FPS,
            episode_time_s=EPISODE_S,
            reset_time_s=0,
            num_episodes=1,
            video=False,
            push_to_hub=False,
            no_stamp=True,
        ),
        play_sounds=False,
    )
    with patch(FOLLOWER_BUS, bus_class_mock(follower)), patch(LEADER_BUS, bus_class_mock(leader)):
        return record(config)


def follower_config(root: Path) -> SOFollowerTorqueConfig:
    return SOFollowerTorqueConfig(
        port="/dev/null",
        id="follower",
        calibration_dir=root / "calibration",
        cameras={"top": FakeCameraConfig(width=32, height=32, fps=FPS)},
    )


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> LeRobotDataset:
    return record_so100_episode(tmp_path_factory.mktemp("record"))


@pytest.fixture(scope="module")
def trained(recorded):
    """A tiny act_torque trained a few steps on the recording, as lerobot-train builds it."""
    config = ACTTorqueConfig(**TINY_ACT_TORQUE)
    meta = LeRobotDatasetMetadata(recorded.repo_id, root=recorded.root)  # as lerobot-train loads it
    delta_timestamps = factory.resolve_delta_timestamps(config, meta)  # patched by act_torque
    dataset = LeRobotDataset(recorded.repo_id, root=recorded.root, delta_timestamps=delta_timestamps)
    torch.manual_seed(0)
    policy = make_policy(config, ds_meta=dataset.meta)
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=dataset.meta.stats)
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=True)
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-3)
    before = {name: p.detach().clone() for name, p in policy.named_parameters()}
    effort_losses = []
    policy.train()
    for _, batch in zip(range(TRAIN_STEPS), loader, strict=False):
        loss, terms = policy.forward(preprocessor(batch))
        effort_losses.append(terms["effort_l1_loss"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    changed = {name for name, p in policy.named_parameters() if not torch.equal(p, before[name])}
    return policy, preprocessor, postprocessor, effort_losses, changed


def test_record_writes_every_motor_effort_into_observation_state(recorded):
    assert recorded.meta.features["observation.state"]["names"] == (
        [f"{m}.pos" for m in MOTORS] + [f"{m}.effort" for m in MOTORS]
    )
    assert recorded.meta.features["action"]["names"] == [f"{m}.pos" for m in MOTORS]
    assert recorded.meta.total_frames > 0


def test_act_torque_finds_the_recorded_effort_and_trains_on_it(trained):
    policy, _, _, effort_losses, changed = trained
    assert policy.config.torque.layout.names == [f"{m}.effort" for m in MOTORS]
    assert all(torch.isfinite(torch.as_tensor(v)) and v > 0 for v in effort_losses)  # effort is a target
    assert any("effort" in name for name in changed)


def test_trained_policy_acts_on_a_live_observation_of_the_robot(trained, tmp_path):
    policy, preprocessor, postprocessor, _, _ = trained
    bus = make_bus_mock(RandomRegisters(2))
    with patch(FOLLOWER_BUS, bus_class_mock(bus)):
        robot = SOFollowerTorque(follower_config(tmp_path))
    robot.connect()
    features = hw_to_dataset_features(robot.observation_features, OBS_STR, use_video=False)
    frame = build_dataset_frame(features, robot.get_observation(), prefix=OBS_STR)  # as lerobot-rollout
    policy.eval()
    policy.reset()
    action = predict_action(frame, policy, torch.device("cpu"), preprocessor, postprocessor, False, TASK)
    robot.disconnect()
    assert action.shape == (1, len(MOTORS)) and torch.isfinite(action).all()
