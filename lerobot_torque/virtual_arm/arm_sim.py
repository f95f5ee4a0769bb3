"""A MuJoCo arm driven by simulated position servos, stepped in real time in a background thread.

Each motor is a PD position servo whose torque saturates at the motor's stall torque (the STS3215
and Dynamixel X series are position-controlled by an internal PID on the encoder; their P gain
sets the stiffness). The torque the motor produces is what its current sensor and load register
report: gravity, contact with the block, inertia. A joint whose torque is off produces no torque and
follows the operator's `Hand`.

Units: angles in rad, torques in N·m at the output shaft, time in s.
"""

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from lerobot_torque.virtual_arm.hand import Hand

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServoSpec:
    """One motor on the bus and the simulated joint it drives.

    Args:
        motor: LeRobot motor name.
        motor_id: Bus id.
        model: LeRobot motor model, e.g. `sts3215`, `xm540-w270`.
        joint: MJCF joint it drives; shadow motors name the same joint as their primary and share
            its torque equally.
        stiffness_nm_per_rad: P gain of the simulated servo.
        damping_nm_s_per_rad: D gain of the simulated servo.
        stall_torque_nm: Torque limit of the simulated servo (datasheet stall torque).
        zero_ticks: Encoder reading at joint angle 0, before any homing offset (the horn's mounting).
        direction: +1 if the encoder counts up with the joint angle, -1 if down.
    """

    motor: str
    motor_id: int
    model: str
    joint: str
    stiffness_nm_per_rad: float
    damping_nm_s_per_rad: float
    stall_torque_nm: float
    zero_ticks: int = 2048
    direction: int = 1
    ticks_per_rev: int = 4096

    def ticks(self, angle_rad: float) -> float:
        """Encoder reading (before homing) at `angle_rad`."""
        return self.zero_ticks + self.direction * angle_rad * self.ticks_per_rev / (2 * np.pi)

    def angle(self, ticks: float) -> float:
        """Joint angle (rad) at encoder reading `ticks` (before homing)."""
        return self.direction * (ticks - self.zero_ticks) * 2 * np.pi / self.ticks_per_rev


@dataclass(frozen=True)
class ServoReading:
    angle: float  # rad
    velocity: float  # rad/s
    torque: float  # N·m produced by this motor


class ArmSimulation:
    """MuJoCo model + servos + hand; `step()` advances one physics step, `run()` keeps real time.

    Args:
        model: Compiled MuJoCo model whose joints the servos name (motor actuators are not needed:
            servo torques are applied as generalised forces).
        servos: The motors.
        hand: Moves the joints whose torque is off.
        home: Joint → initial angle (rad).
        zero_effort: Report zero torque for every motor (a dead current sensor), physics unchanged.
    """

    def __init__(
        self,
        model,
        servos: list[ServoSpec],
        hand: Hand,
        home: dict[str, float],
        zero_effort: bool = False,
    ):
        import mujoco

        self._mujoco = mujoco
        self.model = model
        self.data = mujoco.MjData(model)
        self.servos = {servo.motor: servo for servo in servos}
        self.hand = hand
        self.zero_effort = zero_effort
        self.joints = list(dict.fromkeys(servo.joint for servo in servos))
        ids = {joint: mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, joint) for joint in self.joints}
        missing = [joint for joint, i in ids.items() if i < 0]
        if missing:
            raise ValueError(f"The arm model has no joints {missing}; it has {self._joint_names()}.")
        self._qpos = {joint: int(model.jnt_qposadr[i]) for joint, i in ids.items()}
        self._dof = {joint: int(model.jnt_dofadr[i]) for joint, i in ids.items()}
        self._motors_of = {joint: [s for s in servos if s.joint == joint] for joint in self.joints}
        for joint, angle in home.items():
            self.data.qpos[self._qpos[joint]] = angle
        mujoco.mj_forward(model, self.data)
        self.goal = {joint: float(home.get(joint, 0.0)) for joint in self.joints}
        self.torque_on = dict.fromkeys(self.joints, False)
        self.motor_torque = dict.fromkeys(self.joints, 0.0)
        for joint in self.joints:
            self.hand.release(joint, 0.0, self.angle(joint))
        self.lock = threading.Lock()

    def _joint_names(self) -> list[str]:
        return [self.model.joint(i).name for i in range(self.model.njnt)]

    @property
    def time(self) -> float:
        return float(self.data.time)

    def angle(self, joint: str) -> float:
        return float(self.data.qpos[self._qpos[joint]])

    def set_goal(self, joint: str, angle: float) -> None:
        with self.lock:
            self.goal[joint] = angle

    def set_torque(self, joint: str, enabled: bool) -> None:
        with self.lock:
            if enabled and not self.torque_on[joint]:
                self.goal[joint] = self.angle(joint)  # a servo holds where it is when torque comes on
                self.hand.grab(joint)
            elif not enabled and self.torque_on[joint]:
                self.hand.release(joint, self.time, self.angle(joint))
            self.torque_on[joint] = enabled

    def step(self) -> None:
        """One physics step: servo torques on enabled joints, the hand on released ones."""
        mujoco, data = self._mujoco, self.data
        with self.lock:
            for joint in self.joints:
                q, qd = data.qpos[self._qpos[joint]], data.qvel[self._dof[joint]]
                motors = self._motors_of[joint]
                torque = 0.0
                if self.torque_on[joint]:
                    servo = motors[0]
                    limit = sum(m.stall_torque_nm for m in motors)
                    pd = servo.stiffness_nm_per_rad * (self.goal[joint] - q) - servo.damping_nm_s_per_rad * qd
                    torque = float(np.clip(pd * len(motors), -limit, limit))
                self.motor_torque[joint] = torque
                data.qfrc_applied[self._dof[joint]] = torque
            mujoco.mj_step(self.model, data)
            dt = self.model.opt.timestep
            for joint in self.joints:
                if not self.torque_on[joint]:
                    target = self.hand.target(joint, data.time)
                    previous = data.qpos[self._qpos[joint]]
                    data.qpos[self._qpos[joint]] = target
                    data.qvel[self._dof[joint]] = (target - previous) / dt
            mujoco.mj_forward(self.model, data)

    def readings(self) -> dict[str, ServoReading]:
        """Every motor's angle, velocity and produced torque (shadows share their joint's torque)."""
        with self.lock:
            out = {}
            for joint in self.joints:
                motors = self._motors_of[joint]
                torque = 0.0 if self.zero_effort else self.motor_torque[joint] / len(motors)
                q, qd = self.angle(joint), float(self.data.qvel[self._dof[joint]])
                out |= {m.motor: ServoReading(q, qd, torque) for m in motors}
            return out

    def run(self, stop: threading.Event, on_tick, tick_s: float = 0.002) -> None:
        """Step in real time until `stop`; call `on_tick(readings)` every `tick_s` of simulated time."""
        start = time.perf_counter() - self.time
        steps_per_tick = max(1, round(tick_s / self.model.opt.timestep))
        while not stop.is_set():
            for _ in range(steps_per_tick):
                self.step()
            on_tick(self.readings())
            lag = self.time - (time.perf_counter() - start)
            if lag > 0:
                time.sleep(lag)
            elif lag < -0.5:  # fell behind (a loaded machine): slow simulated time down, don't burst
                start = time.perf_counter() - self.time
