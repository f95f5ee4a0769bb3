"""What the demonstration writer needs per task: the env, its scripted expert, feature names, card text.

`scripted_task(env_config)` returns a `ScriptedTask` for a registered env config; the env and expert
modules (MuJoCo) are imported only when its callables run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Protocol

import numpy as np

from lerobot.envs.configs import EnvConfig
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.envs.configs import (
    ALOHA_JOINTS,
    PRESS_JOINTS,
    AlohaInsertionTorqueEnvConfig,
    TorquePressEnvConfig,
)


class DemoExpert(Protocol):
    def act(self, observation: dict) -> np.ndarray: ...

    def executed(self, env: Any) -> None:
        """Called after each env step, so the expert can follow what was really executed."""


@dataclass(frozen=True)
class ScriptedTask:
    make_env: Callable[[EnvConfig], Any]
    make_expert: Callable[[Any, dict], DemoExpert]
    names: Callable[[EnvConfig], dict[str, list[str]]]
    card_kwargs: Callable[[EnvConfig, list[int], int, int, bool], dict]


def expert_and_eval_lines(
    config: EnvConfig, expert: str, successes: int, attempts: int, keep_failed: bool
) -> str:
    """The card's closing lines shared by every task: expert success and how to evaluate."""
    return f"""- Scripted {expert}: success {successes}/{attempts} attempts; failed episodes were
  {"kept" if keep_failed else "dropped"}.

Evaluate a policy trained on it with the same env options:
`lerobot-eval --policy.path=<checkpoint> {env_options(config)}`.
"""


# --- torque_press -----------------------------------------------------------------------------------


class PressDemoExpert:
    """`PressExpert` bound to one env: reads the button position the camera shows."""

    def __init__(self, env, observation: dict):
        from lerobot_torque.envs.press_expert import PressExpert

        self.env = env
        self.expert = PressExpert.for_env(env)
        self.expert.reset(env.target)

    def act(self, observation: dict) -> np.ndarray:
        return self.expert.act(observation, self.env.button_x)

    def executed(self, env) -> None:
        self.expert.command = env.target.copy()


def press_names(config: TorquePressEnvConfig) -> dict[str, list[str]]:
    suffix = ".delta" if config.action_mode == "delta" else ".pos"
    return {
        OBS_STATE: [f"{joint}.pos" for joint in PRESS_JOINTS],
        OBS_EFFORT: list(PRESS_JOINTS),
        OBS_ENV_STATE: ["button.x", "button.z"],
        ACTION: [f"{joint}{suffix}" for joint in PRESS_JOINTS],
    }


def env_options(config: EnvConfig) -> str:
    """`--env.*` flags recreating `config`: its type and every option that differs from the default."""
    defaults = type(config)()
    flags = [f"--env.type={config.type}"]
    for f in fields(config):
        value = getattr(config, f.name)
        if f.name in ("features", "features_map") or value == getattr(defaults, f.name):
            continue
        if isinstance(value, tuple | list):
            value = "'[" + ",".join(str(v) for v in value) + "]'"
        flags.append(f"--env.{f.name}={value}")
    return " ".join(flags)


def press_card(config: TorquePressEnvConfig, seeds: list[int], *outcome: int | bool) -> dict:
    """Dataset card text; `outcome` = (successes, attempts, keep_failed)."""
    action = (
        "increments of the two joint targets since the previous step (rad), `--env.action_mode=delta`"
        if config.action_mode == "delta"
        else "joint position targets (rad), `--env.action_mode=absolute`"
    )
    description = f"""Scripted demonstrations of **torque_press** from lerobot-torque
(`lerobot_torque.envs`, written by `lerobot-torque-sim-demos`): a 2-joint arm presses a spring-loaded
button of hidden stiffness ({config.stiffness_range[0]:g}–{config.stiffness_range[1]:g} N/m, log-uniform
per episode) until the button force is in [{config.force_band[0]:g}, {config.force_band[1]:g}] N, and
holds it; above {config.break_force:g} N the button breaks. Success is judged at the end of each
{config.episode_length}-step episode: the force stayed in the band for the last {config.hold_time_s:g} s.

- **`observation.effort`** (shoulder, elbow): simulated motor torque in **N·m** (τ = k_t·i, what a
  servo's current sensor reports). Source: the MuJoCo `motor` actuator torque of each joint's
  simulated position servo (PID on a {config.encoder_ticks_per_rev}-tick encoder, voltage-limited to
  {config.torque_limit:g} N·m, minus back-EMF damping), first-order low-pass filtered
  (τ = {config.effort_filter_time_s:g} s), Gaussian noise σ = {config.effort_noise_std:g} N·m, quantised
  to {config.effort_lsb:g} N·m. It includes gravity and friction torques, not only contact.
- **`observation.state`**: joint angles in rad, quantised to the encoder.
- **`observation.images.side`**: side camera, {config.observation_height}×{config.observation_width}.
- **`action`**: {action}.
- fps {config.fps}; env seeds of the episodes, in order: {seeds}.
"""
    expert = "effort-aware expert (`lerobot_torque.envs.press_expert.PressExpert`)"
    return {"dataset_description": description + expert_and_eval_lines(config, expert, *outcome)}


def make_press_env(config: TorquePressEnvConfig):
    from lerobot_torque.envs.torque_press import TorquePressEnv

    return TorquePressEnv(config)


# --- aloha_insertion_torque -------------------------------------------------------------------------


class AlohaDemoExpert:
    """`AlohaInsertionExpert` bound to one env: reads the objects' poses the camera shows."""

    def __init__(self, env, observation: dict):
        from lerobot_torque.envs.aloha_expert import AlohaInsertionExpert

        physics = env.physics
        self.expert = AlohaInsertionExpert(
            physics.model.ptr, physics.data.qpos.copy(), lambda: physics.data.qpos[16:30].copy()
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
    expert = "joint-space expert (`lerobot_torque.envs.aloha_expert.AlohaInsertionExpert`)"
    return {"dataset_description": description + expert_and_eval_lines(config, expert, *outcome)}


def make_aloha_env(config: AlohaInsertionTorqueEnvConfig):
    from lerobot_torque.envs.aloha_torque import AlohaInsertionTorqueEnv

    return AlohaInsertionTorqueEnv(config)


SCRIPTED_TASKS = {
    TorquePressEnvConfig: ScriptedTask(make_press_env, PressDemoExpert, press_names, press_card),
    AlohaInsertionTorqueEnvConfig: ScriptedTask(make_aloha_env, AlohaDemoExpert, aloha_names, aloha_card),
}


def scripted_task(config: EnvConfig) -> ScriptedTask:
    """The scripted task of an env config; raises a ValueError listing the supported env types."""
    for config_type, task in SCRIPTED_TASKS.items():
        if isinstance(config, config_type):
            return task
    supported = [config_type().type for config_type in SCRIPTED_TASKS]
    raise ValueError(
        f"No scripted expert for --env.type={config.type}; demonstrations can be written for {supported}."
    )
