"""SO-100/SO-101 follower that reports joint effort next to positions.

Subclasses LeRobot's `SOFollower` (lerobot/robots/so_follower/so_follower.py) and changes three things:
- the bus is `FeetechEffortBus`, which reads Present_Position and the effort register of all six
  motors in one transaction (`sync_read_block`) instead of LeRobot's one-register `sync_read`;
- observations gain `<motor>.effort` (and `<motor>.effort_ext` for the five arm joints when
  `external_effort=true`); actions are unchanged (`<motor>.pos`);
- `send_action` holds over-limit joints (`EffortGuard`) before LeRobot's own send_action, which still
  applies `max_relative_target` and writes the goal.

Observation order: all `.pos`, then all `.effort`, then all `.effort_ext`; an unchanged
`lerobot-record` writes them into `observation.state` in that order.
"""

import logging
import time
from functools import cached_property
from pathlib import Path

import numpy as np

from lerobot.lerobot_types import RobotAction, RobotObservation
from lerobot.robots.so_follower import SOFollower
from lerobot.utils.decorators import check_if_not_connected

from lerobot_torque.constants import EFFORT_EXT_SUFFIX, EFFORT_SUFFIX
from lerobot_torque.robots.camera_frames import read_camera_frames
from lerobot_torque.robots.effort.buses import FeetechEffortBus
from lerobot_torque.robots.effort.external import ExternalEffortModel, import_mujoco
from lerobot_torque.robots.effort.feetech_units import (
    LOAD_FULL_SCALE,
    amperes_to_newton_meters,
    current_units_to_amperes,
    load_permille_to_newton_meters,
    torque_constant_nm_per_ampere,
)
from lerobot_torque.robots.effort.guard import EffortGuard, resolve_effort_limits, split_goal
from lerobot_torque.robots.effort.options import DEFAULT_LIMIT_FRACTION_OF_STALL
from lerobot_torque.robots.effort.reading import EffortReadings, JointReading
from lerobot_torque.robots.so_follower_torque.config_so_follower_torque import (
    EffortRegister,
    EffortUnit,
    SOFollowerTorqueConfig,
)

logger = logging.getLogger(__name__)

# Our simplified SO-101 model (joint names = LeRobot's motor names, zeros = LeRobot's calibration).
SO101_MJCF = Path(__file__).parents[1] / "assets" / "so101_simplified.xml"
GRIPPER = "gripper"


def per_motor(value: float | dict[str, float], motors: list[str], field: str) -> dict[str, float]:
    """A config value given for all motors or per motor → one value per motor."""
    if isinstance(value, int | float):
        return dict.fromkeys(motors, float(value))
    missing = sorted(set(motors) - set(value))
    if missing:
        raise ValueError(
            f"{field} has no value for {missing}; give one number or a value for each of {motors}."
        )
    return {motor: float(value[motor]) for motor in motors}


class SOFollowerTorque(EffortReadings, SOFollower):
    """[SO-100/SO-101 follower](https://github.com/TheRobotStudio/SO-ARM100) with joint effort."""

    config_class = SOFollowerTorqueConfig
    name = "so_follower_torque"

    def __init__(self, config: SOFollowerTorqueConfig):
        super().__init__(config)
        self.config = config
        self.bus = FeetechEffortBus(port=config.port, motors=self.bus.motors, calibration=self.calibration)
        motors = list(self.bus.motors)
        self.arm_joints = [motor for motor in motors if motor != GRIPPER]
        self.external_joints = self.arm_joints
        self.effort_register = (
            "Present_Load" if config.effort_register is EffortRegister.LOAD else "Present_Current"
        )
        self.stall_torque_nm = per_motor(config.stall_torque_nm, motors, "stall_torque_nm")
        self.stall_current_a = per_motor(config.stall_current_a, motors, "stall_current_a")
        self.guard = None
        if config.effort_guard:
            stall = {
                joint: self._reported_effort(joint, self._raw_at_stall(joint)) for joint in self.arm_joints
            }
            default = {joint: DEFAULT_LIMIT_FRACTION_OF_STALL * abs(value) for joint, value in stall.items()}
            self.guard = EffortGuard(resolve_effort_limits(config.effort_limits, default, motors), str(self))
        self.external = self._make_external_model() if config.external_effort else None
        self.reset_readings()

    def _make_external_model(self) -> ExternalEffortModel:
        path = self.config.external_effort_mjcf or SO101_MJCF
        model = import_mujoco().MjModel.from_xml_path(str(path))
        return ExternalEffortModel(model, {joint: joint for joint in self.arm_joints})

    def _raw_at_stall(self, motor: str) -> float:
        """Register value at motor stall: full-scale load, or stall current in 6.5 mA units."""
        if self.effort_register == "Present_Load":
            return LOAD_FULL_SCALE
        return self.stall_current_a[motor] / current_units_to_amperes(1)

    def _effort_nm(self, motor: str, raw: float) -> float:
        """Decoded effort register → N·m at the servo horn (feetech_units.py)."""
        if self.effort_register == "Present_Load":
            return load_permille_to_newton_meters(raw, self.stall_torque_nm[motor])
        k_t = torque_constant_nm_per_ampere(self.stall_torque_nm[motor], self.stall_current_a[motor])
        return amperes_to_newton_meters(current_units_to_amperes(raw), k_t)

    def _reported_effort(self, motor: str, raw: float) -> float:
        if self.config.effort_unit is EffortUnit.NEWTON_METERS:
            return self._effort_nm(motor, raw)
        return float(raw)

    @property
    def _effort_ft(self) -> dict[str, type]:
        features = {f"{motor}{EFFORT_SUFFIX}": float for motor in self.bus.motors}
        if self.config.external_effort:
            features |= {f"{joint}{EFFORT_EXT_SUFFIX}": float for joint in self.arm_joints}
        return features

    @cached_property
    def observation_features(self) -> dict[str, type | tuple]:
        return {**self._motors_ft, **self._effort_ft, **self._cameras_ft}

    def connect(self, calibrate: bool = True) -> None:
        super().connect(calibrate)
        self.reset_readings()
        if self.guard is not None:
            self.guard.reset()

    def read_joints(self) -> JointReading:
        """Positions and effort in one bus transaction; `motor_values` are the decoded effort registers."""
        start = time.perf_counter()
        values = self.bus.sync_read_block(
            ["Present_Position", self.effort_register], num_retry=self.config.num_read_retries
        )
        raw = values[self.effort_register]
        effort = {motor: self._reported_effort(motor, value) for motor, value in raw.items()}
        self.last_reading = JointReading(values["Present_Position"], effort, raw, time.perf_counter())
        logger.debug("%s read state: %.1fms", self, (self.last_reading.time - start) * 1e3)
        return self.last_reading

    def _joint_angles_rad(self, reading: JointReading) -> np.ndarray:
        return np.deg2rad([reading.positions[joint] for joint in self.arm_joints])

    def _measured_torque_nm(self, reading: JointReading) -> np.ndarray:
        return np.array([self._effort_nm(joint, reading.motor_values[joint]) for joint in self.arm_joints])

    @check_if_not_connected
    def get_observation(self) -> RobotObservation:
        return self.read_state() | read_camera_frames(str(self), self.cameras)

    @check_if_not_connected
    def send_action(self, action: RobotAction) -> RobotAction:
        """LeRobot's send_action (max_relative_target, Goal_Position) after the effort guard."""
        if self.guard is not None:
            reading = self.recent_reading()
            goal = self.guard.apply(split_goal(action), reading.positions, reading.effort)
            action = {f"{motor}.pos": value for motor, value in goal.items()}
        return super().send_action(action)
