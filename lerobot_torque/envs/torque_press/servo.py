"""Joint servo and effort sensor models run at the physics rate of our MuJoCo tasks.

A real position servo (Dynamixel X-series: "PID control", 4096 pulse/rev encoder, ROBOTIS e-Manual,
XM540-W270 specifications) closes its loop on a quantised encoder at kHz rates and reports its
motor current as "effort". The simulation does the same: `PositionServo.torque` is called at every
physics step (500 Hz here) with the true joint angle, sees only the quantised encoder, and returns the motor
torque that MuJoCo applies through a `motor` actuator. `EffortSensor` turns that torque into the
effort a driver reads at the control rate: low-pass filtered, noisy and quantised to a current LSB.

Why integral action matters (what prototyping this task showed): a proportional-only servo holds a
load with a steady error τ/Kp, so "command − measured position" is a force gauge and effort becomes
unnecessary. With integral action the steady error is zero whatever the load, and the remaining
transient lag (≈ τ̇/Ki) is below one encoder tick for the gains used here and scaled by per-episode
servo gains the policy cannot see (`docs/torque_press.md`).

Arrays are per joint, shape (J,). Left out: backlash, motor thermal drift, bus latency.
"""

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class ServoModel(StrEnum):
    """Position loop of the simulated servo."""

    PID = "pid"  # proportional + integral + derivative: zero steady-state error (leak-free)
    PD = "pd"  # no integral action: steady error τ/Kp reveals the load (for the leak demonstration)


def quantise(values: np.ndarray, step: float) -> np.ndarray:
    """Round to the nearest multiple of `step` (a step of 0 returns the values unchanged)."""
    if step <= 0:
        return np.array(values, dtype=float)
    return np.round(np.asarray(values) / step) * step


def encoder_step_rad(ticks_per_rev: int) -> float:
    """Angle of one encoder tick in rad; 4096 ticks/rev = 1.53 mrad (Dynamixel X, Feetech STS3215)."""
    if ticks_per_rev <= 0:
        return 0.0
    return 2.0 * np.pi / ticks_per_rev


@dataclass
class ServoGains:
    """Per-joint gains of one episode (N·m/rad, N·m/(rad·s), N·m·s/rad), stall torque (N·m) and
    back-EMF damping (N·m·s/rad)."""

    kp: np.ndarray
    ki: np.ndarray
    kd: np.ndarray
    torque_limit: np.ndarray
    back_emf_damping: np.ndarray


def back_emf_damping(stall_torque: float, no_load_speed: float) -> float:
    """Slope of a DC motor's torque-speed line, τ_stall / ω_no-load (N·m·s/rad).

    A voltage-driven servo's torque is τ = τ_stall·(V/V_max) − (τ_stall/ω_0)·ω: e.g. XM540-W150 at
    12 V, 7.3 N·m and 53 rev/min (ROBOTIS e-Manual) gives 1.3 N·m·s/rad at the output shaft.
    """
    return stall_torque / no_load_speed


class PositionServo:
    """PID (or PD) position loop on a quantised encoder, driving a motor through its voltage.

    The loop output is a voltage, written in torque units (stall torque × V/V_max) and clipped to the
    stall torque; the motor then delivers that torque minus its back-EMF damping times the true joint
    speed, which is also what its current (the effort) measures. The derivative acts on a low-pass
    filtered finite difference of the encoder, as in servo firmware; the integrator is clamped so that
    its output alone never exceeds the stall torque (anti-windup).

    The per-step update works on Python floats joint by joint: it runs 500 times per simulated second
    and numpy's per-call overhead on 2-element arrays would dominate the simulation time.
    """

    def __init__(
        self,
        gains: ServoGains,
        model: ServoModel,
        encoder_step: float,
        dt: float,
        velocity_filter_time_s: float = 0.005,
    ):
        self.gains = gains
        self.model = ServoModel(model)
        self.encoder_step = encoder_step
        self.dt = dt
        self._alpha_v = dt / (dt + velocity_filter_time_s)
        self._joints = [
            (
                float(kp),
                float(ki) * dt if self.model is ServoModel.PID else 0.0,
                float(kd),
                float(lim),
                float(b),
            )
            for kp, ki, kd, lim, b in zip(
                gains.kp, gains.ki, gains.kd, gains.torque_limit, gains.back_emf_damping, strict=True
            )
        ]
        self._integral = [0.0] * len(self._joints)
        self._velocity = [0.0] * len(self._joints)
        self._last_encoder = [0.0] * len(self._joints)

    @property
    def integral(self) -> np.ndarray:
        """The integrator's output per joint (N·m)."""
        return np.array(self._integral)

    def reset(self, q: np.ndarray, hold_torque: np.ndarray | None = None) -> None:
        """Start at rest at `q`; `hold_torque` preloads the integrator (e.g. gravity at the start pose)."""
        self._last_encoder = self.read_encoder(q).tolist()
        self._velocity = [0.0] * len(self._joints)
        self._integral = [0.0] * len(self._joints)
        if hold_torque is not None and self.model is ServoModel.PID:
            self._integral = np.clip(hold_torque, -self.gains.torque_limit, self.gains.torque_limit).tolist()

    def read_encoder(self, q: np.ndarray) -> np.ndarray:
        """The joint angle the servo (and the policy) can see: quantised to encoder ticks."""
        return quantise(q, self.encoder_step)

    def torque(self, q: np.ndarray, q_target: np.ndarray, qvel: np.ndarray) -> list[float]:
        """One servo update (every physics step): motor torque (N·m) at the true angle and speed."""
        step, alpha, dt = self.encoder_step, self._alpha_v, self.dt
        out = []
        for j, (angle, target, speed) in enumerate(
            zip(q.tolist(), q_target.tolist(), qvel.tolist(), strict=True)
        ):
            kp, ki_dt, kd, limit, damping = self._joints[j]
            encoder = round(angle / step) * step if step > 0 else angle
            self._velocity[j] += alpha * ((encoder - self._last_encoder[j]) / dt - self._velocity[j])
            self._last_encoder[j] = encoder
            error = target - encoder
            integral = min(max(self._integral[j] + ki_dt * error, -limit), limit)
            self._integral[j] = integral
            voltage = min(max(kp * error + integral - kd * self._velocity[j], -limit), limit)
            out.append(voltage - damping * speed)
        return out


class EffortSensor:
    """Motor-current effort reading: first-order low-pass filter, Gaussian noise, LSB quantisation.

    `update` runs at the physics rate with the applied motor torque; `read` samples at the control
    rate. Units stay N·m (τ = k_t·i, paper §6.1): the LSB is one current LSB times k_t.
    """

    def __init__(
        self,
        num_joints: int,
        dt: float,
        filter_time_s: float,
        noise_std: float,
        lsb: float,
        rng: np.random.Generator,
    ):
        self._alpha = dt / (dt + filter_time_s) if filter_time_s > 0 else 1.0
        self.noise_std = noise_std
        self.lsb = lsb
        self.rng = rng
        self.filtered = np.zeros(num_joints)

    def reset(self, torque: np.ndarray) -> None:
        self.filtered = np.asarray(torque, dtype=float).copy()

    def update(self, torque: np.ndarray) -> None:
        self.filtered += self._alpha * (np.asarray(torque) - self.filtered)

    def read(self) -> np.ndarray:
        noisy = self.filtered + self.rng.normal(0.0, self.noise_std, self.filtered.shape)
        return quantise(noisy, self.lsb)
