"""The scripted torque_press expert: succeeds, uses effort, and keeps no clock."""

import numpy as np
import pytest

from tests.envs.press_fixtures import SEEDS, make_env, make_expert, run_expert


@pytest.mark.parametrize("action_mode", ["delta", "absolute"])
def test_expert_succeeds_on_every_test_seed(action_mode):
    env = make_env(action_mode=action_mode)
    for seed in SEEDS:
        info, steps = run_expert(env, seed)
        assert info["is_success"], f"seed {seed}: force {info['button_force']:.2f} N after {steps} steps"
        assert steps == env.config.episode_length and not info["broken"]


def test_expert_action_is_a_function_of_the_current_observation():
    """No hidden timer: a fresh expert given the same observation takes the same (delta) action."""
    env = make_env()
    observation, _ = env.reset(seed=1)
    running = make_expert(env)
    for step in range(40):
        action = running.act(observation, env.button_x)
        if step in (5, 20, 39):
            fresh = make_expert(env)
            np.testing.assert_allclose(fresh.act(observation, env.button_x), action, rtol=0, atol=0)
        observation, *_ = env.step(action)


def test_expert_estimates_the_button_force_from_effort():
    env = make_env(effort_noise_std=0.0)
    observation, _ = env.reset(seed=0)
    expert = make_expert(env)
    for _ in range(100):
        observation, _, _, _, info = env.step(expert.act(observation, env.button_x))
    expert.act(observation, env.button_x)
    assert expert.force_estimate == pytest.approx(info["button_force"], abs=0.5)
