"""Scripted experts for `torque_press`: the effort-aware one that writes the demonstrations, and
the best blind (no-effort) scripted baselines used by the leak check.

`PressExpert` is a force-admittance controller in the tip's (x, z) frame, run at the control rate:

1. Align: while the tip is more than `align_tolerance` off the button's x, move towards the point
   `hover_height` above the cap (x and z at up to `speed`).
2. Press and hold: keep x, descend by `gain · (F* − F̂)` per step (clipped to `speed`), F* the band centre
   and F̂ the button force estimated from effort: F̂ = −[J(q)⁻ᵀ (τ − G(q))]_z, the paper's eq. 3
   (τ_measured = τ_model + Jᵀ F_ext) with the gravity torque G as τ_model.

Every phase is decided from the current observation (joint angles, effort, and the button's x which
the camera shows), never from a clock: experts must not depend on hidden timers. The
admittance gain is set so that the loop gain `gain × stiffness` stays ≤ 0.5 for the stiffest button.
Joint increments come from the tip increments through J(q)⁻¹ and are accumulated on the expert's
previous command, so the action in `delta` mode is a function of the observation alone.
"""

from dataclasses import dataclass

import numpy as np

from lerobot_torque.envs.torque_press.scene import TIP_RADIUS, cap_rest_top_z
from lerobot_torque.envs.torque_press.sim import PressKinematics


@dataclass
class PressExpertSettings:
    """Expert constants (ours)."""

    speed: float = 0.04  # m/s, largest tip speed while aligning
    press_speed: float = 0.015  # m/s, largest tip speed once aligned: a slow press keeps the servo's
    # transient lag, which grows with the rate of force change, below an encoder tick
    hover_height: float = 0.015  # m above the cap where alignment ends
    align_tolerance: float = 0.004  # m of |x error| tolerated before pressing
    loop_gain: float = 0.4  # admittance gain × stiffest button (≤ 0.5 for stability with delays)


def estimate_button_force(kinematics: PressKinematics, q: np.ndarray, effort: np.ndarray) -> float:
    """Upward force (N) on the tip explaining effort beyond gravity: −[J⁻ᵀ(τ − G(q))]_z (paper eq. 3)."""
    jac = kinematics.jacobian(q)  # (2, 2): rows x, z
    external = np.linalg.lstsq(jac.T, effort - kinematics.gravity_torque(q), rcond=None)[0]
    return float(-external[1])


class PressExpert:
    """Effort-aware scripted expert; `act(obs)` returns the env action (delta or absolute)."""

    def __init__(
        self,
        kinematics: PressKinematics,
        force_target: float,
        stiffness_max: float,
        fps: int,
        action_mode: str,
        settings: PressExpertSettings | None = None,
    ):
        self.kinematics = kinematics
        self.force_target = force_target
        self.settings = settings or PressExpertSettings()
        self.dt = 1.0 / fps
        self.gain = self.settings.loop_gain / stiffness_max  # m per N per step
        self.action_mode = action_mode
        self.command: np.ndarray | None = None
        self.force_estimate = 0.0
        self.phase = "align"

    @classmethod
    def for_env(cls, env, settings: PressExpertSettings | None = None) -> "PressExpert":
        """The expert for a `TorquePressEnv`: its arm, force band, stiffness range, fps and action mode."""
        cfg = env.config
        return cls(
            env.sim.kinematics,
            float(np.mean(cfg.force_band)),
            cfg.stiffness_range[1],
            cfg.fps,
            cfg.action_mode,
            settings,
        )

    def reset(self, q: np.ndarray) -> None:
        self.command = np.asarray(q, dtype=float).copy()
        self.phase = "align"

    def tip_step(self, q: np.ndarray, effort: np.ndarray, button_x: float) -> np.ndarray:
        """The (dx, dz) tip increment for this step (observation → motion, no internal clock)."""
        s = self.settings
        step = s.speed * self.dt
        tip = self.kinematics.tip(q)
        self.force_estimate = estimate_button_force(self.kinematics, q, effort)
        dx = np.clip(button_x - tip[0], -step, step)
        hover_z = cap_rest_top_z() + TIP_RADIUS + s.hover_height
        if abs(button_x - tip[0]) > s.align_tolerance and self.force_estimate < 1.0:
            self.phase = "align"
            return np.array([dx, np.clip(hover_z - tip[1], -step, step)])
        self.phase = "press"
        press_step = s.press_speed * self.dt
        dz = -np.clip(self.gain * (self.force_target - self.force_estimate), -press_step, press_step)
        return np.array([0.0, dz])  # x is left alone once aligned: cap friction would make it hunt

    def act(self, observation: dict, button_x: float) -> np.ndarray:
        q = np.asarray(observation["agent_pos"], dtype=float)
        if self.command is None:
            self.reset(q)
        d_tip = self.tip_step(q, np.asarray(observation["effort"], dtype=float), button_x)
        d_q = np.linalg.solve(self.kinematics.jacobian(q), d_tip)
        self.command = self.command + d_q
        if self.action_mode == "delta":
            return d_q.astype(np.float32)
        return self.command.astype(np.float32)
