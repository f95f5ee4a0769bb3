"""What the demonstration writer needs of `aloha_insertion_torque`: env, expert, feature names, card."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lerobot.utils.constants import ACTION, OBS_STATE

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.envs.aloha_insertion.model import ALOHA_JOINTS, OBJECT_QPOS
from lerobot_torque.envs.scripted import ScriptedTask, expert_and_eval_lines

if TYPE_CHECKING:
    from lerobot_torque.envs.configs import AlohaInsertionTorqueEnvConfig


class AlohaDemoExpert:
    """`AlohaInsertionExpert` bound to one env: reads the objects' poses the camera shows."""

    def __init__(self, env, observation: dict):
        from lerobot_torque.envs.aloha_insertion.expert import AlohaInsertionExpert

        physics = env.physics
        self.expert = AlohaInsertionExpert(
            physics.model.ptr, physics.data.qpos.copy(), lambda: physics.data.qpos[OBJECT_QPOS].copy()
        )

    def act(self, observation: dict) -> np.ndarray:
        return self.expert.act(observation)

    def executed(self, env) -> None:
        pass  # absolute joint targets: nothing to follow


def aloha_names(config: AlohaInsertionTorqueEnvConfig) -> dict[str, list[str]]:
    """ALOHA's joint names as in the Hub datasets (`left_waist`, …), `.pos` for state and action."""
    return {
        OBS_STATE: [f"{joint}.pos" for joint in ALOHA_JOINTS],
        OBS_EFFORT: list(ALOHA_JOINTS),
        ACTION: [f"{joint}.pos" for joint in ALOHA_JOINTS],
    }


def aloha_card(config: AlohaInsertionTorqueEnvConfig, seeds: list[int], *outcome: int | bool) -> dict:
    """Dataset card text; `outcome` = (successes, attempts, keep_failed)."""
    description = f"""Scripted demonstrations of **aloha_insertion_torque** from lerobot-torque
(`lerobot_torque.envs`, written by `lerobot-torque-sim-demos`): gym-aloha's bimanual peg insertion
(`lerobot[aloha]`) with the joint efforts in the observation.

- **`observation.effort`** (14: `left_waist` … `right_gripper`, ALOHA's order): the MuJoCo actuator
  force of each joint's position servo, in **N·m** for the 12 arm joints and **N** for the two
  gripper entries (the first finger slide of each gripper). Source: `mjData.actuator_force` of
  gym-aloha's position actuators, sampled every control step{
        f", plus Gaussian noise σ = {config.effort_noise_std:g}"
        if config.effort_noise_std
        else " without noise"
    }.
  Joint friction is lowered from gym-aloha's 30-60 N·m to {config.arm_joint_friction:g} N·m (arms)
  and {config.gripper_joint_friction:g} N (fingers) so that effort carries gravity and contact. (The
  ALOHA datasets on the Hub store effort in mA; never pool the two.)
- **`observation.state`**: gym-aloha's `agent_pos` (6 joint angles in rad and a normalised gripper
  opening per arm).
- **`observation.images.top`**: top camera, {config.observation_height}×{config.observation_width}.
- **`action`**: gym-aloha's joint-position targets (rad) and normalised gripper openings.
- fps {config.fps}; env seeds of the episodes, in order: {seeds}.
"""
    expert = "joint-space expert (`lerobot_torque.envs.aloha_insertion.expert.AlohaInsertionExpert`)"
    return {"dataset_description": description + expert_and_eval_lines(config, expert, *outcome)}


def make_aloha_env(config: AlohaInsertionTorqueEnvConfig):
    from lerobot_torque.envs.aloha_insertion.env import AlohaInsertionTorqueEnv

    return AlohaInsertionTorqueEnv(config)


ALOHA_SCRIPTED_TASK = ScriptedTask(make_aloha_env, AlohaDemoExpert, aloha_names, aloha_card)
