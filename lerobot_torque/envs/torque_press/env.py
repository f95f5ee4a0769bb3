"""`TorquePressEnv`: the gymnasium env behind `--env.type=torque_press`.

Observation (a dict, as LeRobot's `preprocess_observation` expects):
- `agent_pos` (2,) float64: joint angles in rad, quantised to the encoder (→ `observation.state`);
- `effort` (2,) float64: sensed motor torque in N·m (→ `observation.effort`);
- `pixels/side` (H, W, 3) uint8: side camera (→ `observation.images.side`), unless obs_type=agent_pos;
- `environment_state` (2,) float64 with obs_type=agent_pos: the button's x and its cap's rest height
  in m, what the camera shows of the scene (→ `observation.environment_state`).

Action (2,) float32: joint-target increments (`delta`) or joint targets in rad (`absolute`).
Episode: terminated when the button breaks (failure), otherwise truncated after `episode_length`
steps. Success is judged then: the force has been inside the band for the last `hold_steps` control
steps. Judging at the end, not at the first completed hold, is what keeps a blind policy that creeps
slowly through the band from succeeding (docs/torque_press.md). `info` reports `is_success` and, for
analysis only, the hidden truth (`button_force`, `stiffness`, `broken`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from lerobot_torque.envs.rendering import CameraRenderer
from lerobot_torque.envs.torque_press.scene import PRESS_CAMERA, cap_rest_top_z
from lerobot_torque.envs.torque_press.sim import PressReading, PressSimulation, sample_episode_params

if TYPE_CHECKING:
    from lerobot_torque.envs.configs import TorquePressEnvConfig

TASK_DESCRIPTION = "Press the button until its force is in the target band and hold it there."


class TorquePressEnv(gym.Env):
    """Press a hidden-stiffness button to a force band and hold it (see `TorquePressEnvConfig`)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}

    def __init__(self, config: TorquePressEnvConfig):
        super().__init__()
        self.config = cfg = config
        self.metadata = {**self.metadata, "render_fps": cfg.fps}
        self.render_mode = cfg.render_mode
        self.task = cfg.task
        self.task_description = TASK_DESCRIPTION
        self._max_episode_steps = cfg.episode_length  # LeRobot's rollout reads this
        self.sim = PressSimulation(cfg)
        self._camera = CameraRenderer(PRESS_CAMERA, "torque_press side", cfg.obs_type)
        self.uses_pixels = cfg.obs_type == "pixels_agent_pos"

        joints = len(self.sim.kinematics.qpos_ids)
        limits = self.sim.model.jnt_range[:joints]
        obs = {
            "agent_pos": spaces.Box(limits[:, 0], limits[:, 1], dtype=np.float64),
            "effort": spaces.Box(-cfg.torque_limit * 2, cfg.torque_limit * 2, (joints,), dtype=np.float64),
        }
        if self.uses_pixels:
            image = spaces.Box(0, 255, (cfg.observation_height, cfg.observation_width, 3), dtype=np.uint8)
            obs["pixels"] = spaces.Dict({PRESS_CAMERA: image})
        else:
            low, high = cfg.button_x_range
            obs["environment_state"] = spaces.Box(
                np.array([low, cap_rest_top_z()]), np.array([high, cap_rest_top_z()]), dtype=np.float64
            )
        self.observation_space = spaces.Dict(obs)
        if cfg.action_mode == "delta":
            bound = np.full(joints, cfg.max_delta_rad, dtype=np.float32)
            self.action_space = spaces.Box(-bound, bound, dtype=np.float32)
        else:
            self.action_space = spaces.Box(
                limits[:, 0].astype(np.float32), limits[:, 1].astype(np.float32), dtype=np.float32
            )
        self._limits = limits
        self.target = np.zeros(joints)
        self.reading: PressReading | None = None
        self._steps = 0
        self._steps_in_band = 0

    # --- gym API -----------------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        params = sample_episode_params(self.config, self.np_random, self.sim.kinematics)
        self.reading = self.sim.reset(params, self.np_random)
        self.target = self.sim.target.copy()
        self._steps = 0
        self._steps_in_band = 0
        return self._observation(), self._info(success=False)

    def step(self, action: np.ndarray):
        if self.reading is None:
            raise RuntimeError("Call reset() before step().")
        action = np.asarray(action, dtype=float).reshape(-1)
        if action.shape != self.action_space.shape or not np.all(np.isfinite(action)):
            raise ValueError(
                f"torque_press expects a finite action of shape {self.action_space.shape} "
                f"({self.config.action_mode} joint targets), got {action!r}."
            )
        cfg = self.config
        if cfg.action_mode == "delta":
            target = self.target + np.clip(action, -cfg.max_delta_rad, cfg.max_delta_rad)
        else:
            target = action
        self.target = np.clip(target, self._limits[:, 0], self._limits[:, 1])
        self.reading = self.sim.step(self.target, cfg.break_force)
        self._steps += 1

        low, high = cfg.force_band
        in_band = low <= self.reading.button_force <= high and self.reading.peak_force <= high
        self._steps_in_band = self._steps_in_band + 1 if in_band else 0
        terminated = self.reading.broken
        truncated = not terminated and self._steps >= cfg.episode_length
        success = truncated and self._steps_in_band >= cfg.hold_steps
        return self._observation(), float(success), terminated, truncated, self._info(success)

    def render(self) -> np.ndarray:
        return self._camera_image(
            self.config.visualization_height, self.config.visualization_width, for_video=True
        )

    def close(self) -> None:
        self._camera.close()

    # --- helpers -----------------------------------------------------------------------------------

    @property
    def button_x(self) -> float:
        """The button's position along the table (m): what the camera shows, used by the expert."""
        return self.sim.params.button_x

    def _observation(self) -> dict:
        obs = {"agent_pos": self.reading.encoder.copy(), "effort": self.reading.effort.copy()}
        if self.uses_pixels:
            image = self._camera_image(self.config.observation_height, self.config.observation_width)
            obs["pixels"] = {PRESS_CAMERA: image}
        else:
            obs["environment_state"] = np.array([self.button_x, cap_rest_top_z()])
        return obs

    def _info(self, success: bool) -> dict:
        return {
            "is_success": bool(success),
            "button_force": float(self.reading.button_force),
            "button_depth": float(self.reading.button_depth),
            "broken": bool(self.reading.broken),
            "stiffness": float(self.sim.params.stiffness),
        }

    def _camera_image(self, height: int, width: int, for_video: bool = False) -> np.ndarray:
        return self._camera.image(self.sim.model, self.sim.data, height, width, for_video)
