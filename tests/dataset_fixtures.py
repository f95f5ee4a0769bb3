"""Tiny effort datasets and a tiny torque checkpoint for the `lerobot-torque-dataset` tests."""

from pathlib import Path

from lerobot.datasets import LeRobotDataset

from lerobot_torque.datasets.edit import copy_with_features
from lerobot_torque.datasets.effort_meta import updated_feature
from lerobot_torque.datasets.sim_demos import SimDemosConfig, write_demos
from tests.envs.press_fixtures import make_config
from tests.tiny import HISTORY, STRIDE, TINY_ACT

# torque_press without a camera, short enough to be quick and long enough for the expert to finish
# in seed 0 and not in seed 1 (tests/envs/press_fixtures.run_expert with these settings).
PRESS_EPISODE = 80
PRESS_HOLD_S = 0.4
PRESS_SEEDS = {0: "success", 1: "failure"}
PRESS_JOINTS = ["shoulder", "elbow"]


def write_press_demos(root: Path) -> LeRobotDataset:
    """Two scripted torque_press episodes (seeds 0 and 1), failures kept; effort in N·m, not recorded."""
    config = SimDemosConfig(
        env=make_config(episode_length=PRESS_EPISODE, hold_time_s=PRESS_HOLD_S),
        repo_id="local/press_demos",
        root=str(root),
        num_episodes=len(PRESS_SEEDS),
        keep_failed=True,
    )
    return write_demos(config)[0]


def with_state_names(dataset: LeRobotDataset, names: list[str], root: Path) -> LeRobotDataset:
    """A copy of `dataset` whose `observation.state` entries carry `names` (e.g. another project's)."""
    features = dict(dataset.meta.features)
    features["observation.state"] = updated_feature(features["observation.state"], names=names)
    return copy_with_features(dataset, features, root, "local/renamed_source")


def save_tiny_act_torque(dataset: LeRobotDataset, path: Path) -> Path:
    """An untrained tiny act_torque for `dataset`, saved with its processors as lerobot-train saves them."""
    import torch

    from lerobot.policies.factory import make_policy, make_pre_post_processors

    from lerobot_torque.policies.act_torque import ACTTorqueConfig
    from lerobot_torque.policies.torque import TorqueConfig

    torch.manual_seed(0)
    config = ACTTorqueConfig(**TINY_ACT, torque=TorqueConfig(history_length=HISTORY, history_stride=STRIDE))
    policy = make_policy(config, ds_meta=dataset.meta)
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=dataset.meta.stats)
    for item in (policy, preprocessor, postprocessor):
        item.save_pretrained(path)
    return path
