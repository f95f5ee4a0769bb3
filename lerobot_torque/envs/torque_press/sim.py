"""Physics of `torque_press` without gym or rendering: servo loop, effort sensor, button state.

`PressSimulation.step(target)` advances one control period: at every physics step (500 Hz) the servos
read the quantised encoders and set the motor torques; the effort sensor filters those torques.
`PressKinematics` gives the model quantities an expert may use (tip position, Jacobian, gravity
torque) at any joint angle, on its own `MjData` so it never disturbs the simulation.

Per-episode hidden parameters (`PressEpisodeParams`) are drawn by `sample_episode_params` from the
ranges of `TorquePressEnvConfig`; none of them is observable except through effort (stiffness) or not
at all (servo gains, friction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mujoco
import numpy as np

from lerobot_torque.envs.torque_press.scene import (
    BUTTON_TRAVEL,
    FOREARM_LENGTH,
    JOINT_ARMATURE,
    JOINT_DAMPING,
    PHYSICS_TIMESTEP_S,
    PRESS_JOINTS,
    SHOULDER_HEIGHT,
    TIP_RADIUS,
    UPPER_ARM_LENGTH,
    cap_rest_top_z,
    press_scene_xml,
)
from lerobot_torque.envs.torque_press.servo import (
    EffortSensor,
    PositionServo,
    ServoGains,
    ServoModel,
    back_emf_damping,
    encoder_step_rad,
)

if TYPE_CHECKING:
    from lerobot_torque.envs.configs import TorquePressEnvConfig


@dataclass
class PressEpisodeParams:
    """What one episode hides from the policy (and the start pose it begins in)."""

    stiffness: float  # N/m of the button spring
    button_x: float  # m, visible in the image
    gains: ServoGains
    joint_friction: np.ndarray  # N·m per joint
    start_q: np.ndarray  # rad


@dataclass
class PressReading:
    """What the simulation reports after a control step (observable and hidden parts)."""

    encoder: np.ndarray  # rad, quantised joint angles (observable)
    effort: np.ndarray  # N·m, sensed motor torque (observable)
    motor_torque: np.ndarray  # N·m, applied at the last physics step (hidden truth)
    button_force: float  # N, spring force of the button (hidden truth)
    button_depth: float  # m (visible in the image as the cap's position)
    peak_force: float  # N, the highest button force during the control period (hidden truth)
    broken: bool = False


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def sample_episode_params(
    config: TorquePressEnvConfig, rng: np.random.Generator, kinematics: PressKinematics
) -> PressEpisodeParams:
    """Draw stiffness (log-uniform), button position, servo gains, friction and a start pose above it."""
    n = len(PRESS_JOINTS)
    button_x = float(rng.uniform(*config.button_x_range))
    start_tip = np.array(
        [button_x + rng.uniform(-0.04, 0.04), cap_rest_top_z() + TIP_RADIUS + rng.uniform(0.03, 0.07)]
    )
    kp = np.array([log_uniform(rng, *config.servo_kp_range) for _ in range(n)])
    gains = ServoGains(
        kp=kp,
        ki=kp * np.array([log_uniform(rng, *config.servo_integral_rate_range) for _ in range(n)]),
        kd=np.array([rng.uniform(*config.servo_kd_range) for _ in range(n)]),
        torque_limit=np.full(n, config.torque_limit),
        back_emf_damping=np.full(n, back_emf_damping(config.torque_limit, config.no_load_speed)),
    )
    return PressEpisodeParams(
        stiffness=log_uniform(rng, *config.stiffness_range),
        button_x=button_x,
        gains=gains,
        joint_friction=rng.uniform(*config.joint_friction_range, size=n),
        start_q=kinematics.inverse(start_tip),
    )


class PressKinematics:
    """Forward/inverse kinematics, tip Jacobian and gravity torque of the arm (model quantities)."""

    def __init__(self, model: mujoco.MjModel):
        self.model = model
        self.data = mujoco.MjData(model)
        self.site_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SITE, "tip")
        self.qpos_ids = [model.jnt_qposadr[model.joint(name).id] for name in PRESS_JOINTS]
        self.dof_ids = [model.jnt_dofadr[model.joint(name).id] for name in PRESS_JOINTS]

    def _set(self, q: np.ndarray) -> None:
        self.data.qpos[:] = 0.0
        self.data.qvel[:] = 0.0
        self.data.qpos[self.qpos_ids] = q
        mujoco.mj_kinematics(self.model, self.data)
        mujoco.mj_comPos(self.model, self.data)

    def tip(self, q: np.ndarray) -> np.ndarray:
        """(x, z) of the fingertip centre in m."""
        self._set(q)
        pos = self.data.site_xpos[self.site_id]
        return np.array([pos[0], pos[2]])

    def jacobian(self, q: np.ndarray) -> np.ndarray:
        """(2, J) Jacobian of the tip's (x, z) w.r.t. the joint angles."""
        self._set(q)
        jacp = np.zeros((3, self.model.nv))
        mujoco.mj_jacSite(self.model, self.data, jacp, None, self.site_id)
        return jacp[[0, 2]][:, self.dof_ids]

    def gravity_torque(self, q: np.ndarray) -> np.ndarray:
        """Joint torque (N·m) that holds the arm still at `q` against gravity (MuJoCo's qfrc_bias)."""
        self._set(q)
        mujoco.mj_rne(self.model, self.data, 0, self.data.qfrc_bias)
        return self.data.qfrc_bias[self.dof_ids].copy()

    def inverse(self, tip: np.ndarray) -> np.ndarray:
        """Elbow-up joint angles placing the tip at (x, z), analytic two-link IK."""
        dx, dz = tip[0], tip[1] - SHOULDER_HEIGHT
        l1, l2 = UPPER_ARM_LENGTH, FOREARM_LENGTH
        cos_elbow = np.clip((dx**2 + dz**2 - l1**2 - l2**2) / (2 * l1 * l2), -1.0, 1.0)
        elbow = np.arccos(cos_elbow)  # > 0: the forearm turns down relative to the upper arm
        # The tip direction is atan2(-dz, dx) below horizontal (positive angles lower the link).
        shoulder = np.arctan2(-dz, dx) - np.arctan2(l2 * np.sin(elbow), l1 + l2 * np.cos(elbow))
        return np.array([shoulder, elbow])


class PressSimulation:
    """The arm, its servos and effort sensor, and the button, stepped at the control rate."""

    def __init__(self, config: TorquePressEnvConfig):
        self.config = config
        self.substeps = round(1.0 / (config.fps * PHYSICS_TIMESTEP_S))
        self.model = mujoco.MjModel.from_xml_string(
            press_scene_xml(
                button_travel=BUTTON_TRAVEL,
                joint_damping=JOINT_DAMPING,
                joint_armature=JOINT_ARMATURE,
                joint_friction=float(np.mean(config.joint_friction_range)),
                image_width=max(config.observation_width, config.visualization_width),
                image_height=max(config.observation_height, config.visualization_height),
                timestep=PHYSICS_TIMESTEP_S,
            )
        )
        self.data = mujoco.MjData(self.model)
        self.kinematics = PressKinematics(self.model)
        self.encoder_step = encoder_step_rad(config.encoder_ticks_per_rev)
        self._arm_qpos = self.kinematics.qpos_ids
        self._arm_dofs = self.kinematics.dof_ids
        # The arm's joints come first in the MJCF, so their entries are contiguous slices.
        self._arm_qpos_slice = slice(min(self._arm_qpos), max(self._arm_qpos) + 1)
        self._arm_dof_slice = slice(min(self._arm_dofs), max(self._arm_dofs) + 1)
        plunger = self.model.joint("plunger")
        self._plunger_joint = plunger.id
        self._plunger_qpos = self.model.jnt_qposadr[plunger.id]
        self._button_body = self.model.body("button").id
        self._cap_geom = self.model.geom("cap").id
        self._cap_rgba = self.model.geom_rgba[self._cap_geom].copy()
        self.params: PressEpisodeParams | None = None
        self.servo: PositionServo | None = None
        self.sensor: EffortSensor | None = None
        self.target = np.zeros(len(PRESS_JOINTS))
        self.broken = False

    def reset(self, params: PressEpisodeParams, rng: np.random.Generator) -> PressReading:
        self.params = params
        model, data = self.model, self.data
        model.jnt_stiffness[self._plunger_joint] = params.stiffness
        model.body_pos[self._button_body][0] = params.button_x
        model.dof_frictionloss[self._arm_dofs] = params.joint_friction
        model.geom_rgba[self._cap_geom] = self._cap_rgba
        mujoco.mj_resetData(model, data)
        data.qpos[self._arm_qpos] = params.start_q
        mujoco.mj_forward(model, data)
        self.broken = False
        self.servo = PositionServo(
            params.gains, ServoModel(self.config.servo_model), self.encoder_step, model.opt.timestep
        )
        hold = self.kinematics.gravity_torque(params.start_q)
        self.servo.reset(params.start_q, hold_torque=hold)
        self.target = self.servo.read_encoder(params.start_q)
        self.sensor = EffortSensor(
            len(PRESS_JOINTS),
            model.opt.timestep,
            self.config.effort_filter_time_s,
            self.config.effort_noise_std,
            self.config.effort_lsb,
            rng,
        )
        self.sensor.reset(hold)
        data.ctrl[:] = hold
        return self.reading(hold, peak_force=self.button_force)

    @property
    def joint_angles(self) -> np.ndarray:
        return self.data.qpos[self._arm_qpos].copy()

    @property
    def button_depth(self) -> float:
        return float(max(0.0, -self.data.qpos[self._plunger_qpos]))

    @property
    def button_force(self) -> float:
        """Spring force of the button in N (its own "load cell"): stiffness × depth."""
        return self.params.stiffness * self.button_depth

    def step(self, target: np.ndarray, break_force: float) -> PressReading:
        """Hold `target` (rad) for one control period; the button breaks past `break_force` N."""
        self.target = np.asarray(target, dtype=float)
        model, data = self.model, self.data
        arm_q, arm_v = self._arm_qpos_slice, self._arm_dof_slice
        servo, sensor, plunger = self.servo, self.sensor, self._plunger_qpos
        lowest = 0.0  # the plunger's lowest position over the control period (m, ≤ 0)
        for _ in range(self.substeps):
            data.ctrl[:] = servo.torque(data.qpos[arm_q], self.target, data.qvel[arm_v])
            mujoco.mj_step(model, data)
            sensor.update(data.actuator_force)
            lowest = min(lowest, data.qpos[plunger])
        peak_force = self.params.stiffness * -lowest
        if peak_force > break_force and not self.broken:
            self.broken = True
            model.geom_rgba[self._cap_geom] = (0.85, 0.1, 0.1, 1.0)
        return self.reading(data.actuator_force.copy(), peak_force)

    def reading(self, motor_torque: np.ndarray, peak_force: float) -> PressReading:
        return PressReading(
            encoder=self.servo.read_encoder(self.joint_angles),
            effort=self.sensor.read(),
            motor_torque=motor_torque,
            button_force=self.button_force,
            button_depth=self.button_depth,
            peak_force=peak_force,
            broken=self.broken,
        )
