"""`lerobot-torque-sim-demos`: scripted episodes become a LeRobotDataset that reloads with effort."""

import re

import numpy as np
import pytest

from lerobot.envs.configs import AlohaEnv

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.datasets.sim_demos import SimDemosConfig, write_demos
from tests.envs.press_fixtures import IMAGE, SHORT_EPISODE, make_config

EPISODES = 2


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    config = SimDemosConfig(
        env=make_config(
            obs_type="pixels_agent_pos",
            observation_height=IMAGE,
            observation_width=IMAGE,
            episode_length=SHORT_EPISODE,
        ),
        repo_id="local/press_demos",
        root=str(tmp_path_factory.mktemp("demos") / "press_demos"),
        num_episodes=EPISODES,
        keep_failed=True,  # a 20-step episode is too short for the expert to finish
    )
    dataset, seeds = write_demos(config)
    return config, dataset, seeds


def test_dataset_has_the_keys_and_shapes_the_env_gives_the_policy(demos):
    _, dataset, _ = demos
    assert dataset.num_episodes == EPISODES and dataset.num_frames == EPISODES * SHORT_EPISODE
    assert dataset.fps == 25
    frame = dataset[0]
    assert frame["observation.state"].shape == (2,)
    assert frame[OBS_EFFORT].shape == (2,)
    assert frame["action"].shape == (2,)
    assert frame["observation.images.side"].shape == (3, IMAGE, IMAGE)
    assert dataset.meta.features["observation.images.side"]["dtype"] == "video"
    assert dataset.meta.features[OBS_EFFORT]["names"] == ["shoulder", "elbow"]
    assert dataset.meta.features["action"]["names"] == ["shoulder.delta", "elbow.delta"]


def test_dataset_stores_what_the_env_observed_for_each_seed(demos):
    config, dataset, seeds = demos
    from lerobot_torque.envs.torque_press.env import TorquePressEnv

    observation, _ = TorquePressEnv(config.env).reset(seed=seeds[1])
    first = dataset[SHORT_EPISODE]  # the second episode's first frame
    np.testing.assert_allclose(first["observation.state"].numpy(), observation["agent_pos"], rtol=1e-6)
    np.testing.assert_allclose(first[OBS_EFFORT].numpy(), observation["effort"], rtol=1e-6)


def test_statistics_cover_effort(demos):
    _, dataset, _ = demos
    stats = dataset.meta.stats[OBS_EFFORT]
    assert np.all(np.isfinite(stats["mean"])) and np.all(np.asarray(stats["std"]) > 0)


def test_card_states_effort_units_and_source(demos):
    _, dataset, seeds = demos
    card = (dataset.root / "README.md").read_text()
    assert "N·m" in card and "observation.effort" in card and "actuator" in card
    assert str(seeds) in card and "lerobot-eval" in card
    expert_line = (
        r"Scripted effort-aware expert \(`[\w.]+PressExpert`\): success \d+/(\d+) attempts; "
        r"failed episodes were\s+kept"
    )
    assert int(re.search(expert_line, card).group(1)) == EPISODES


def test_writer_refuses_tasks_without_a_scripted_expert(tmp_path):
    with pytest.raises(ValueError, match="torque_press"):
        write_demos(SimDemosConfig(env=AlohaEnv(), root=str(tmp_path / "x"), num_episodes=1))


def test_aloha_demos_carry_fourteen_named_efforts_in_mixed_units(tmp_path):
    from lerobot_torque.envs.configs import AlohaInsertionTorqueEnvConfig

    env = AlohaInsertionTorqueEnvConfig(
        observation_height=IMAGE, observation_width=IMAGE, episode_length=SHORT_EPISODE
    )
    config = SimDemosConfig(
        env=env, repo_id="local/aloha", root=str(tmp_path / "aloha"), num_episodes=1, keep_failed=True
    )
    dataset, _ = write_demos(config)
    names = dataset.meta.features[OBS_EFFORT]["names"]
    assert len(names) == 14 and names[0] == "left_waist" and names[-1] == "right_gripper"
    assert dataset[0][OBS_EFFORT].shape == (14,) and dataset.fps == 50
    card = (dataset.root / "README.md").read_text()
    assert "N·m" in card and "**N**" in card and "actuator_force" in card
