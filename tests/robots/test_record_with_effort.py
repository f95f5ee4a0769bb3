"""LeRobot's own record entry point with our SO follower (mocked bus), then act_torque on the result."""

from unittest.mock import patch

import numpy as np
import torch

from lerobot.configs.dataset import DatasetRecordConfig
from lerobot.datasets import factory
from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
from lerobot.policies.factory import make_policy, make_pre_post_processors
from lerobot.scripts.lerobot_record import RecordConfig, record
from lerobot.teleoperators.so_leader import SOLeaderTeleopConfig

from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.robots.so_follower_torque import SOFollowerTorqueConfig
from tests.robots.config_fake_camera import FakeCameraConfig
from tests.robots.mock_buses import bus_class_mock, make_bus_mock

FOLLOWER_BUS = "lerobot_torque.robots.so_follower_torque.so_follower_torque.FeetechEffortBus"
LEADER_BUS = "lerobot.teleoperators.so_leader.so_leader.FeetechMotorsBus"
MOTORS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
FPS = 30
EPISODE_S = 1.0
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


def record_so100_episode(root) -> LeRobotDataset:
    follower, leader = make_bus_mock(RandomRegisters(0)), make_bus_mock(RandomRegisters(1))
    config = RecordConfig(
        robot=SOFollowerTorqueConfig(
            port="/dev/null",
            id="follower",
            calibration_dir=root / "calibration",
            cameras={"top": FakeCameraConfig(width=32, height=32, fps=FPS)},
        ),
        teleop=SOLeaderTeleopConfig(port="/dev/null", id="leader", calibration_dir=root / "calibration"),
        dataset=DatasetRecordConfig(
            repo_id="local/so100_effort",
            single_task="press the button",
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


def test_record_writes_effort_names_into_state_and_act_torque_trains_on_them(tmp_path):
    recorded = record_so100_episode(tmp_path)

    state_names = recorded.meta.features["observation.state"]["names"]
    assert state_names == [f"{m}.pos" for m in MOTORS] + [f"{m}.effort" for m in MOTORS]
    assert recorded.meta.features["action"]["names"] == [f"{m}.pos" for m in MOTORS]
    assert recorded.meta.total_frames > 0

    config = ACTTorqueConfig(**TINY_ACT_TORQUE)
    meta = LeRobotDatasetMetadata(recorded.repo_id, root=recorded.root)  # as lerobot-train loads it
    delta_timestamps = factory.resolve_delta_timestamps(config, meta)  # patched by act_torque
    dataset = LeRobotDataset(recorded.repo_id, root=recorded.root, delta_timestamps=delta_timestamps)
    torch.manual_seed(0)
    policy = make_policy(config, ds_meta=dataset.meta)
    preprocessor, _ = make_pre_post_processors(config, dataset_stats=dataset.meta.stats)
    assert policy.config.torque.layout.names == [f"{m}.effort" for m in MOTORS]

    loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=True)
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-3)
    before = {name: p.detach().clone() for name, p in policy.named_parameters()}
    policy.train()
    for _, batch in zip(range(TRAIN_STEPS), loader, strict=False):
        loss, terms = policy.forward(preprocessor(batch))
        assert torch.isfinite(loss)
        assert terms["effort_l1_loss"] > 0  # the recorded effort is a training target
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    changed = [name for name, p in policy.named_parameters() if not torch.equal(p, before[name])]
    assert any("effort" in name for name in changed)
