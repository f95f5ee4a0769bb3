"""What the demonstration writer needs of `torque_press`: env, expert, feature names, card, a check."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_STATE

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.envs.scripted import ScriptedTask, expert_and_eval_lines
from lerobot_torque.envs.torque_press.scene import PRESS_JOINTS

if TYPE_CHECKING:
    from lerobot_torque.envs.configs import TorquePressEnvConfig


class PressDemoExpert:
    """`PressExpert` bound to one env: reads the button position the camera shows."""

    def __init__(self, env, observation: dict):
        from lerobot_torque.envs.torque_press.expert import PressExpert

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
    expert = "effort-aware expert (`lerobot_torque.envs.torque_press.expert.PressExpert`)"
    return {"dataset_description": description + expert_and_eval_lines(config, expert, *outcome)}


def check_press_can_succeed(config: TorquePressEnvConfig) -> None:
    """Success needs the force in the band for the last `hold_steps` steps, after reaching it from rest."""
    hold = config.hold_steps
    if config.episode_length <= hold:
        raise ValueError(
            f"--env.episode_length={config.episode_length} is too short for any torque_press episode to "
            f"succeed: success needs the button force in the band for the last {hold} steps "
            f"(--env.hold_time_s={config.hold_time_s:g} s at --env.fps={config.fps}), and the arm starts "
            f"away from the button. Use --env.episode_length={hold + 1} or more (the default "
            f"{type(config)().episode_length} lets the expert settle on the softest button), or pass "
            "--keep_failed=true to record the failed episodes."
        )


def make_press_env(config: TorquePressEnvConfig):
    from lerobot_torque.envs.torque_press.env import TorquePressEnv

    return TorquePressEnv(config)


PRESS_SCRIPTED_TASK = ScriptedTask(
    make_press_env, PressDemoExpert, press_names, press_card, check_press_can_succeed
)
