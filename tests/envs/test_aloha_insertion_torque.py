"""`--env.type=aloha_insertion_torque`: gym-aloha's insertion with the 14 joint efforts."""

import numpy as np
import pytest

from lerobot.envs.configs import EnvConfig
from lerobot.envs.utils import preprocess_observation

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.envs.aloha_insertion.demos import AlohaDemoExpert
from lerobot_torque.envs.aloha_insertion.env import AlohaInsertionTorqueEnv
from lerobot_torque.envs.aloha_insertion.model import EFFORT_ACTUATORS
from lerobot_torque.envs.configs import AlohaInsertionTorqueEnvConfig

EXPERT_SEEDS = (100, 101, 102)  # the expert's success is asserted on these
SHORT = 10


def make_env(**overrides) -> AlohaInsertionTorqueEnv:
    return AlohaInsertionTorqueEnv(AlohaInsertionTorqueEnvConfig(**{"obs_type": "agent_pos", **overrides}))


def test_registered_with_lerobot_and_rejects_other_rates():
    assert EnvConfig.get_choice_class("aloha_insertion_torque") is AlohaInsertionTorqueEnvConfig
    with pytest.raises(ValueError, match="50 Hz"):
        AlohaInsertionTorqueEnvConfig(fps=30)
    with pytest.raises(ValueError, match="'insertion'"):
        AlohaInsertionTorqueEnvConfig(task="transfer")


def test_effort_is_the_actuator_force_of_each_joint_and_first_finger():
    env = make_env()
    observation, _ = env.reset(seed=0)
    observation, *_ = env.step(observation["agent_pos"])
    forces = env.physics.data.actuator_force
    np.testing.assert_array_equal(observation["effort"], forces[list(EFFORT_ACTUATORS)])
    assert observation["effort"].shape == (14,)


def test_effort_holds_the_arms_against_gravity_with_lowered_friction():
    env = make_env()
    observation, _ = env.reset(seed=0)
    hold = observation["agent_pos"].copy()
    for _ in range(50):  # 1 s: the arms settle where their servos hold them
        observation, *_ = env.step(hold)
    assert np.abs(env.physics.data.qvel[:16]).max() < 1e-3
    bias = env.physics.data.qfrc_bias  # gravity, at rest
    arm_dofs = [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13]
    arm_effort = observation["effort"][[0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12]]
    np.testing.assert_allclose(arm_effort, bias[arm_dofs], atol=env.config.arm_joint_friction + 0.05)
    assert np.abs(arm_effort[[1, 2, 7, 8]]).max() > 0.5  # shoulders and elbows carry the arm's weight


def test_same_seed_gives_the_same_episode():
    runs = []
    for _ in range(2):
        env = make_env()
        observation, _ = env.reset(seed=5)
        arrays = [env.object_poses.copy()]
        for _ in range(SHORT):
            observation, *_ = env.step(observation["agent_pos"] + 0.01)
            arrays += [observation["agent_pos"], observation["effort"]]
        runs.append(arrays)
    assert all(np.array_equal(a, b) for a, b in zip(*runs, strict=True))


def test_camera_observation_and_lerobot_keys():
    config = AlohaInsertionTorqueEnvConfig(observation_height=48, observation_width=64)
    vector_env = config.create_envs(n_envs=1)["aloha_insertion_torque"][0]
    observation, _ = vector_env.reset(seed=[0])
    assert (
        observation["pixels"]["top"].shape == (1, 48, 64, 3)
        and observation["pixels"]["top"].dtype == np.uint8
    )
    assert observation["pixels"]["top"].std() > 0  # a rendered scene, not a blank frame
    batch = preprocess_observation(observation)
    assert batch["observation.images.top"].shape == (1, 3, 48, 64)
    assert batch[OBS_EFFORT].shape == (1, 14) and batch["observation.state"].shape == (1, 14)
    vector_env.close()


@pytest.mark.parametrize("seed", EXPERT_SEEDS)
def test_scripted_expert_inserts_the_peg(seed):
    env = make_env()
    observation, _ = env.reset(seed=seed)
    expert = AlohaDemoExpert(env, observation)
    for _ in range(env.config.episode_length):
        observation, _, terminated, truncated, info = env.step(expert.act(observation))
        if terminated or truncated:
            break
    assert terminated and info["is_success"], f"seed {seed} ended in stage {info['reward_stage']}"


def test_expert_waits_for_both_grippers_to_hold_before_lifting():
    """The grasp ends on finger effort, an observation, not after a fixed time."""
    env = make_env()
    observation, _ = env.reset(seed=EXPERT_SEEDS[0])
    expert = AlohaDemoExpert(env, observation).expert
    while expert.phase.name != "raise":
        previous = observation
        observation, *_ = env.step(expert.act(observation))
    assert np.abs(previous["effort"][[6, 13]]).min() > 3.0
