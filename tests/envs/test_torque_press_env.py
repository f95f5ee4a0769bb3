"""The torque_press env: determinism, spaces, LeRobot's observation keys, and effort against MuJoCo."""

import mujoco
import numpy as np
import pytest

from lerobot.envs.utils import preprocess_observation

from lerobot_torque.constants import OBS_EFFORT
from tests.envs.press_fixtures import (
    IMAGE,
    NOISE_FREE,
    SHORT_EPISODE,
    make_config,
    make_env,
    press_and_settle,
)


def rollout_arrays(env, seed: int, steps: int = SHORT_EPISODE) -> list[np.ndarray]:
    observation, _ = env.reset(seed=seed)
    arrays = [observation["agent_pos"], observation["effort"]]
    for step in range(steps):
        action = np.array([0.004, -0.002], dtype=np.float32) * np.sin(step / 3)
        observation, *_ = env.step(action)
        arrays += [observation["agent_pos"], observation["effort"]]
    return arrays


def test_same_seed_gives_identical_episodes():
    first, second = rollout_arrays(make_env(), seed=7), rollout_arrays(make_env(), seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_reset_with_the_same_seed_repeats_the_episode_in_one_env():
    env = make_env()
    first, second = rollout_arrays(env, seed=3), rollout_arrays(env, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_different_seeds_draw_different_hidden_stiffness():
    env = make_env()
    stiffness = {env.reset(seed=seed)[1]["stiffness"] for seed in range(5)}
    assert len(stiffness) == 5
    low, high = env.config.stiffness_range
    assert all(low <= k <= high for k in stiffness)


def test_observations_lie_in_the_observation_space_with_a_camera():
    env = make_env(obs_type="pixels_agent_pos", observation_height=IMAGE, observation_width=IMAGE)
    observation, _ = env.reset(seed=0)
    assert env.observation_space.contains(observation)
    observation, *_ = env.step(env.action_space.sample() * 0)
    assert env.observation_space.contains(observation)
    assert observation["pixels"]["side"].shape == (IMAGE, IMAGE, 3)
    assert observation["pixels"]["side"].dtype == np.uint8
    assert observation["pixels"]["side"].std() > 0  # a rendered scene, not a blank frame
    env.close()


def test_lerobot_preprocessing_delivers_state_effort_and_image_keys():
    config = make_config(obs_type="pixels_agent_pos", observation_height=IMAGE, observation_width=IMAGE)
    vector_env = config.create_envs(n_envs=2)["torque_press"][0]
    observation, _ = vector_env.reset(seed=[0, 1])
    batch = preprocess_observation(observation)
    assert batch["observation.state"].shape == (2, 2)
    assert batch[OBS_EFFORT].shape == (2, 2)
    assert batch["observation.images.side"].shape == (2, 3, IMAGE, IMAGE)
    vector_env.close()


def test_env_exposes_what_lerobot_eval_reads():
    env = make_env()
    assert env._max_episode_steps == env.config.episode_length
    assert env.metadata["render_fps"] == env.config.fps
    assert env.task_description and env.task == "press_to_band"


def test_effort_is_the_actuator_torque_mujoco_applies():
    env = make_env(**NOISE_FREE)
    env.reset(seed=0)
    observation, *_ = env.step(np.array([0.01, -0.01], dtype=np.float32))
    data, dofs = env.sim.data, env.sim.kinematics.dof_ids
    np.testing.assert_allclose(observation["effort"], data.actuator_force, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(observation["effort"], data.qfrc_actuator[dofs], rtol=1e-9, atol=1e-12)


def contact_force_on_tip(model, data) -> tuple[np.ndarray, np.ndarray]:
    """World-frame force of the cap on the fingertip and its application point (from MuJoCo)."""
    tip = model.geom("tip").id
    total, point = np.zeros(3), np.zeros(3)
    for i in range(data.ncon):
        contact = data.contact[i]
        if tip not in (contact.geom1, contact.geom2):
            continue
        local = np.zeros(6)
        mujoco.mj_contactForce(model, data, i, local)
        force = contact.frame.reshape(3, 3).T @ local[:3]  # contact frame → world, on geom2 from geom1
        total += force if contact.geom2 == tip else -force
        point = contact.pos.copy()
    return total, point


def test_effort_minus_gravity_is_the_contact_force_through_the_jacobian_transpose():
    """Paper §3, eq. 3: τ_measured = τ_model + Jᵀ F_ext, here with τ_model = the gravity torque.

    The servo dithers between encoder ticks, so both sides are averaged over 40 control steps.
    """
    env = make_env(**NOISE_FREE, joint_friction_range=(0.0, 0.0))
    press_and_settle(env, seed=2)
    model, data, kin = env.sim.model, env.sim.data, env.sim.kinematics
    measured, expected, forces = [], [], []
    for _ in range(40):
        env.step(np.zeros(2, dtype=np.float32))
        force, point = contact_force_on_tip(model, data)
        jacp = np.zeros((3, model.nv))
        mujoco.mj_jac(model, data, jacp, None, point, model.body("forearm").id)
        external = jacp[:, kin.dof_ids].T @ force  # joint torque of the contact force
        measured.append(data.actuator_force - kin.gravity_torque(env.sim.joint_angles))
        expected.append(-external)
        forces.append((force[2], env.sim.button_force))
    np.testing.assert_allclose(np.mean(measured, 0), np.mean(expected, 0), atol=0.04)
    contact_up, spring = np.mean(forces, 0)
    assert contact_up == pytest.approx(spring, rel=0.03)  # the cap pushes up with its spring force


def test_pressing_down_raises_the_shoulder_effort_by_the_lever_arm():
    env = make_env(**NOISE_FREE, joint_friction_range=(0.0, 0.0))
    kin = env.sim.kinematics
    free, _ = env.reset(seed=2)
    free_external = free["effort"] - kin.gravity_torque(free["agent_pos"])
    press_and_settle(env, seed=2)
    external, forces = [], []
    for _ in range(40):  # averaged: the servo dithers between encoder ticks
        pressed, *_ = env.step(np.zeros(2, dtype=np.float32))
        external.append(pressed["effort"] - kin.gravity_torque(pressed["agent_pos"]))
        forces.append(env.sim.button_force)
    lever = -kin.jacobian(pressed["agent_pos"])[1, 0]  # m of tip drop per rad of shoulder
    assert abs(free_external[0]) < 0.02
    assert np.mean(external, 0)[0] == pytest.approx(lever * np.mean(forces), rel=0.05)
    assert np.mean(external, 0)[0] > 0.5  # N·m: pressing down takes positive shoulder torque


def test_integral_action_hides_the_load_that_a_pd_servo_shows_as_position_error():
    """The leak of the task's first prototype: without integral action, command − position measures force."""
    ticks = {}
    for model in ("pid", "pd"):
        env = make_env(servo_model=model, servo_kp_range=(100.0, 100.0), **NOISE_FREE)
        observation = press_and_settle(env, seed=2, settle_steps=25)
        ticks[model] = np.abs(env.target - observation["agent_pos"]).max() / env.sim.encoder_step
        assert env.sim.button_force > 1.0
    assert ticks["pid"] <= 1.0
    assert ticks["pd"] >= 3.0


def test_encoder_quantises_the_observed_joint_angles():
    env = make_env()
    observation, _ = env.reset(seed=0)
    ticks = observation["agent_pos"] / env.sim.encoder_step
    np.testing.assert_allclose(ticks, np.round(ticks), atol=1e-9)


def test_pressing_past_the_break_force_ends_the_episode_as_a_failure():
    env = make_env(action_mode="absolute", stiffness_range=(1500.0, 1600.0))
    env.reset(seed=0)
    kin = env.sim.kinematics
    tip = kin.tip(env.target)
    deep = kin.inverse(np.array([env.button_x, tip[1] - 0.08]))
    for _ in range(SHORT_EPISODE):
        _, reward, terminated, truncated, info = env.step(deep.astype(np.float32))
        if terminated:
            break
    assert terminated and not truncated
    assert info["broken"] and not info["is_success"] and reward == 0.0


def test_success_is_only_judged_when_the_episode_ends():
    env = make_env(episode_length=SHORT_EPISODE)
    env.reset(seed=0)
    for step in range(1, SHORT_EPISODE + 1):
        _, _, terminated, truncated, info = env.step(np.zeros(2, dtype=np.float32))
        assert truncated == (step == SHORT_EPISODE)
        assert not terminated and not info["is_success"]  # never pressed


def test_malformed_actions_are_rejected_with_the_expected_shape():
    env = make_env()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        env.step(np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="finite"):
        env.step(np.array([np.nan, 0.0], dtype=np.float32))


def test_without_a_camera_the_button_position_is_the_environment_state():
    env = make_env()
    observation, _ = env.reset(seed=3)
    assert observation["environment_state"][0] == env.button_x
    assert env.observation_space["environment_state"].contains(observation["environment_state"])
