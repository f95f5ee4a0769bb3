"""Closed-loop `torque_press` episodes of any policy, scripted or trained, with what they measured.

`rollout(config, seeds, policy)` runs one episode per seed in one env and returns an `Episode` each: the
effort after every step, the button force, and the outcome. A policy is anything with
`reset(env, observation)` at an episode's start and `policy(env, observation) -> action`: the scripted
baselines (`press_baselines.py`), or `TrainedPolicy`, a LeRobot checkpoint run as `lerobot-eval`
runs it (its saved processors, LeRobot's `preprocess_observation`, no gradient).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from lerobot_torque.envs.configs import TorquePressEnvConfig
    from lerobot_torque.envs.torque_press.env import TorquePressEnv


@dataclass
class Episode:
    """One closed-loop episode: per-step effort (T, joints), button force (T,), outcome."""

    seed: int
    effort: np.ndarray
    force: np.ndarray
    success: bool
    broken: bool
    stiffness: float  # N/m, the episode's hidden button stiffness


class PressPolicy(Protocol):
    def reset(self, env: TorquePressEnv, observation: dict) -> None:
        """Called once per episode, with its first observation."""

    def __call__(self, env: TorquePressEnv, observation: dict) -> np.ndarray: ...


def rollout(config: TorquePressEnvConfig, seeds: list[int], policy: PressPolicy) -> list[Episode]:
    """Run `policy` for one episode per env seed; the env is closed afterwards."""
    from lerobot_torque.envs.torque_press.env import TorquePressEnv

    env = TorquePressEnv(config)
    episodes = []
    for seed in seeds:
        observation, info = env.reset(seed=seed)
        policy.reset(env, observation)
        efforts, forces = [], []
        for _ in range(config.episode_length):
            observation, _, terminated, truncated, info = env.step(policy(env, observation))
            efforts.append(observation["effort"])
            forces.append(info["button_force"])
            if terminated or truncated:
                break
        episodes.append(
            Episode(
                seed,
                np.array(efforts),
                np.array(forces),
                bool(info["is_success"]),
                bool(info["broken"]),
                float(info["stiffness"]),
            )
        )
    env.close()
    return episodes


class TrainedPolicy:
    """A LeRobot policy with its pre- and postprocessor, acting as in `lerobot-eval`."""

    def __init__(self, policy, preprocessor, postprocessor):
        self.policy, self.preprocessor, self.postprocessor = policy, preprocessor, postprocessor

    @classmethod
    def load(cls, checkpoint: Path) -> TrainedPolicy:
        """The policy at `checkpoint` with its saved pre- and postprocessor, as `lerobot-eval` loads them."""
        from lerobot.configs import PreTrainedConfig
        from lerobot.policies.factory import get_policy_class, make_pre_post_processors

        config = PreTrainedConfig.from_pretrained(checkpoint)
        policy = get_policy_class(config.type).from_pretrained(checkpoint, config=config).eval()
        return cls(policy, *make_pre_post_processors(config, pretrained_path=str(checkpoint)))

    def reset(self, env: TorquePressEnv, observation: dict) -> None:
        self.policy.reset()

    def __call__(self, env: TorquePressEnv, observation: dict) -> np.ndarray:
        import torch

        from lerobot.envs.utils import preprocess_observation

        batch = {**preprocess_observation(observation), "task": [env.task_description]}  # as lerobot-eval
        with torch.no_grad():
            action = self.postprocessor(self.policy.select_action(self.preprocessor(batch)))
        return action[0].numpy()
