"""Scripted `torque_press` policies for baselines and the leak check (run them with `rollout.py`).

- `ExpertPolicy`: the effort-aware scripted expert that writes the demonstrations (`PressExpert`).
- `FixedDepthPolicy`: the best *blind* script: the expert's alignment, then the tip driven to one
  fixed depth below the cap, no effort anywhere; `best_fixed_depth` picks that depth.
Used by `lerobot-torque-benchmark` and `benchmarks/torque_press_leak_check.py`.
"""

from dataclasses import replace

import numpy as np

from lerobot_torque.envs.configs import TorquePressEnvConfig
from lerobot_torque.envs.torque_press.env import TorquePressEnv
from lerobot_torque.envs.torque_press.expert import PressExpert, PressExpertSettings
from lerobot_torque.envs.torque_press.scene import TIP_RADIUS, cap_rest_top_z

EXPERT_SETTINGS = PressExpertSettings()


def make_expert(env: TorquePressEnv) -> PressExpert:
    """The scripted expert with the (benchmark-tunable) `EXPERT_SETTINGS`."""
    return PressExpert.for_env(env, replace(EXPERT_SETTINGS))


def best_fixed_depth(cfg: TorquePressEnvConfig) -> tuple[float, float]:
    """The depth (m) that fits the most stiffnesses, and that share of a log-uniform stiffness.

    The band [F_lo/d, F_hi/d] of stiffnesses a depth d serves is centred (in log scale) on the range;
    every depth whose band fits inside the range serves log(F_hi/F_lo) / log(k_max/k_min) of it.
    """
    low, high = cfg.force_band
    depth = float(np.mean(cfg.force_band) / np.sqrt(np.prod(cfg.stiffness_range)))
    share = min(1.0, float(np.log(high / low) / np.log(cfg.stiffness_range[1] / cfg.stiffness_range[0])))
    return depth, share


class ExpertPolicy:
    """The effort-aware scripted expert, reading the button position the camera shows."""

    def reset(self, env: TorquePressEnv, obs: dict) -> None:
        self.expert = make_expert(env)
        self.expert.reset(obs["agent_pos"])

    def __call__(self, env: TorquePressEnv, obs: dict) -> np.ndarray:
        return self.expert.act(obs, env.button_x)


class FixedDepthPolicy:
    """Blind scripted baseline: the expert's alignment, then the tip driven to a fixed depth below
    the cap's rest height (no effort anywhere)."""

    def __init__(self, depth: float):
        self.depth = depth

    def reset(self, env: TorquePressEnv, obs: dict) -> None:
        self.expert = make_expert(env)
        self.expert.reset(obs["agent_pos"])

    def __call__(self, env: TorquePressEnv, obs: dict) -> np.ndarray:
        kin, expert = env.sim.kinematics, self.expert
        q = obs["agent_pos"]
        tip = kin.tip(q)
        step = expert.settings.speed * expert.dt
        hover_z = cap_rest_top_z() + TIP_RADIUS + expert.settings.hover_height
        if abs(env.button_x - tip[0]) > expert.settings.align_tolerance and tip[1] > hover_z - 0.002:
            d_tip = np.array(
                [np.clip(env.button_x - tip[0], -step, step), np.clip(hover_z - tip[1], -step, step)]
            )
        else:
            goal_z = cap_rest_top_z() + TIP_RADIUS - self.depth
            d_tip = np.array([0.0, np.clip(goal_z - kin.tip(expert.command)[1], -step, step)])
        d_q = np.linalg.solve(kin.jacobian(q), d_tip)
        expert.command = expert.command + d_q
        return d_q.astype(np.float32)
