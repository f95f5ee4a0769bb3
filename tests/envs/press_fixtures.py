"""Tiny, seeded torque_press setups for fast env tests (sizes as named constants)."""

import numpy as np

from lerobot_torque.envs.configs import TorquePressEnvConfig
from lerobot_torque.envs.torque_press.env import TorquePressEnv
from lerobot_torque.envs.torque_press.expert import PressExpert

IMAGE = 32  # camera pixels per side
SHORT_EPISODE = 20  # control steps, when the expert need not finish
SEEDS = (0, 1, 2)  # the expert's success is asserted on these
NOISE_FREE = {"effort_noise_std": 0.0, "effort_lsb": 0.0, "effort_filter_time_s": 0.0}


def make_config(**overrides) -> TorquePressEnvConfig:
    """The default task without a camera unless `obs_type` says otherwise."""
    return TorquePressEnvConfig(**{"obs_type": "agent_pos", **overrides})


def make_env(**overrides) -> TorquePressEnv:
    return TorquePressEnv(make_config(**overrides))


def make_expert(env: TorquePressEnv) -> PressExpert:
    expert = PressExpert.for_env(env)
    expert.reset(env.target)
    return expert


def run_expert(env: TorquePressEnv, seed: int, max_steps: int | None = None) -> tuple[dict, int]:
    """Run the scripted expert for one episode (or `max_steps`); return the last info and the steps."""
    observation, info = env.reset(seed=seed)
    expert = make_expert(env)
    steps = 0
    for _ in range(max_steps or env.config.episode_length):
        observation, _, terminated, truncated, info = env.step(expert.act(observation, env.button_x))
        steps += 1
        if terminated or truncated:
            break
    return info, steps


def press_and_settle(env: TorquePressEnv, seed: int, press_steps: int = 160, settle_steps: int = 15):
    """Let the expert press into the band, then hold its last target still; return the observation."""
    observation, _ = env.reset(seed=seed)
    expert = make_expert(env)
    for _ in range(press_steps):
        observation, *_ = env.step(expert.act(observation, env.button_x))
    hold = (
        np.zeros(2, dtype=np.float32) if env.config.action_mode == "delta" else env.target.astype(np.float32)
    )
    for _ in range(settle_steps):
        observation, *_ = env.step(hold)
    return observation
