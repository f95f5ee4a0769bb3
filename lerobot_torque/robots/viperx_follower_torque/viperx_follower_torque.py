"""One ALOHA follower arm (Interbotix ViperX 300 S) on LeRobot's Dynamixel bus, with joint effort.

LeRobot 0.6.1 no longer supports ALOHA; this follows its Koch follower (lerobot/robots/koch_follower)
for structure and ALOHA's own setup (aloha/robot_utils.py, Interbotix vx300s.yaml) for the motors:
- Shoulder and elbow have a shadow motor that follows the primary (`Secondary_ID`), so goals are
  written to the primaries only; torque on/off, configuration and current reads cover all 9 motors.
- Arm joints in position mode, the gripper in current-based position mode (ALOHA `setup_follower_bot`),
  Velocity_Limit 131 and P/I gains 800/0 (ALOHA `set_standard_pid_gains`).
- Units as the `lerobot/aloha_static_*` datasets: arm joints in rad, gripper 0…1, effort in mA of the
  primary motor (or N·m / primary+shadow, see config).
- One bus transaction per observation: Present_Current … Present_Position of all 9 motors.
- Calibration is stored like LeRobot's robots (`<calibration_dir>/<id>.json`, `MotorCalibration`);
  there is no manual procedure: `calibrate()` writes the Interbotix factory values and aligns each
  shadow's homing offset to its primary, as the Interbotix driver does at start-up.
"""

import logging
import time
from functools import cached_property

import numpy as np

from lerobot.cameras import make_cameras_from_configs
from lerobot.lerobot_types import RobotAction, RobotObservation
from lerobot.motors.dynamixel import OperatingMode
from lerobot.robots.robot import Robot
from lerobot.robots.utils import ensure_safe_goal_position
from lerobot.utils.decorators import check_if_already_connected, check_if_not_connected

from lerobot_torque.constants import EFFORT_EXT_SUFFIX, EFFORT_SUFFIX
from lerobot_torque.robots.camera_frames import camera_features, read_camera_frames
from lerobot_torque.robots.effort.buses import DynamixelEffortBus
from lerobot_torque.robots.effort.dynamixel_units import (
    STALL_CURRENT_A,
    TORQUE_CONSTANT_NM_PER_A,
    current_units_to_milliamperes,
    milliamperes_to_newton_meters,
    position_units_to_radians,
    radians_to_position_units,
)
from lerobot_torque.robots.effort.guard import EffortGuard, resolve_effort_limits, split_goal
from lerobot_torque.robots.effort.options import DEFAULT_LIMIT_FRACTION_OF_STALL
from lerobot_torque.robots.effort.reading import EffortReadings, JointReading
from lerobot_torque.robots.interbotix import (
    ARM_JOINTS,
    GRIPPER,
    JOINTS,
    POSITION_I_GAIN,
    POSITION_P_GAIN,
    SHADOWS,
    VELOCITY_LIMIT,
    VIPERX_MOTORS,
    bus_motors,
    factory_calibration,
    gripper_radians_to_normalized,
    normalized_to_gripper_radians,
)
from lerobot_torque.robots.viperx_follower_torque.config_viperx_follower_torque import (
    CurrentUnit,
    ShadowEffort,
    ViperXFollowerTorqueConfig,
)
from lerobot_torque.robots.viperx_follower_torque.viperx_model import load_viperx_model

logger = logging.getLogger(__name__)


class ViperXFollowerTorque(EffortReadings, Robot):
    """[ViperX 300 S](https://www.trossenrobotics.com/viperx-300) follower arm of ALOHA with joint effort."""

    config_class = ViperXFollowerTorqueConfig
    name = "viperx_follower_torque"

    def __init__(self, config: ViperXFollowerTorqueConfig):
        super().__init__(config)
        self.config = config
        self.bus = DynamixelEffortBus(
            port=config.port,
            motors=bus_motors(VIPERX_MOTORS),
            calibration=self.calibration,
        )
        self.cameras = make_cameras_from_configs(config.cameras)
        self.guard = None
        if config.effort_guard:
            stall = {joint: self._joint_effort(joint, self._stall_current_ma()) for joint in ARM_JOINTS}
            default = {joint: DEFAULT_LIMIT_FRACTION_OF_STALL * value for joint, value in stall.items()}
            self.guard = EffortGuard(resolve_effort_limits(config.effort_limits, default, JOINTS), str(self))
        self.external = load_viperx_model(config.external_effort_mjcf) if config.external_effort else None
        self.external_joints = list(ARM_JOINTS)
        self.reset_readings()

    @staticmethod
    def _stall_current_ma() -> dict[str, float]:
        return {name: STALL_CURRENT_A[spec.model] * 1000.0 for name, spec in VIPERX_MOTORS.items()}

    def _motor_nm(self, motor: str, current_ma: float) -> float:
        return milliamperes_to_newton_meters(current_ma, TORQUE_CONSTANT_NM_PER_A[VIPERX_MOTORS[motor].model])

    def _joint_effort(self, joint: str, current_ma: dict[str, float]) -> float:
        """Reported effort of `joint` from the motor currents (mA), per effort_unit and shadow_effort."""
        motors = [joint]
        if joint in SHADOWS and self.config.shadow_effort is ShadowEffort.SUM:
            motors.append(SHADOWS[joint])
        if self.config.effort_unit is CurrentUnit.NEWTON_METERS:
            return sum(self._motor_nm(motor, current_ma[motor]) for motor in motors)
        return sum(current_ma[motor] for motor in motors)

    def _joint_torque_nm(self, joint: str, current_ma: dict[str, float]) -> float:
        """Whole joint torque (primary + shadow), N·m, for the external torque."""
        motors = [joint, SHADOWS[joint]] if joint in SHADOWS else [joint]
        return sum(self._motor_nm(motor, current_ma[motor]) for motor in motors)

    @property
    def _motors_ft(self) -> dict[str, type]:
        return {f"{joint}.pos": float for joint in JOINTS}

    @property
    def _effort_ft(self) -> dict[str, type]:
        features = {f"{joint}{EFFORT_SUFFIX}": float for joint in JOINTS}
        if self.config.external_effort:
            features |= {f"{joint}{EFFORT_EXT_SUFFIX}": float for joint in ARM_JOINTS}
        return features

    @property
    def _cameras_ft(self) -> dict[str, tuple]:
        return camera_features(self.config.cameras)

    @cached_property
    def observation_features(self) -> dict[str, type | tuple]:
        return {**self._motors_ft, **self._effort_ft, **self._cameras_ft}

    @cached_property
    def action_features(self) -> dict[str, type]:
        return self._motors_ft

    @property
    def is_connected(self) -> bool:
        return self.bus.is_connected and all(camera.is_connected for camera in self.cameras.values())

    @check_if_already_connected
    def connect(self, calibrate: bool = True) -> None:
        self.bus.connect()
        if not self.is_calibrated and calibrate:
            logger.info("%s: motors differ from the calibration file (or there is none); calibrating.", self)
            self.calibrate()
        for camera in self.cameras.values():
            camera.connect()
        self.configure()
        self.reset_readings()
        if self.guard is not None:
            self.guard.reset()
        logger.info("%s connected.", self)

    @property
    def is_calibrated(self) -> bool:
        return self.bus.is_calibrated

    def calibrate(self) -> None:
        """Write the calibration file's values, or the Interbotix factory values with shadow homing
        offsets aligned to their primaries (Interbotix `shadows: calibrate: true`), then save."""
        self.bus.disable_torque()
        if not self.calibration:
            self.calibration = factory_calibration(VIPERX_MOTORS)
            self._write_calibration()
            for joint, shadow in SHADOWS.items():
                primary = self.bus.read("Present_Position", joint, normalize=False)
                follower = self.bus.read("Present_Position", shadow, normalize=False)
                self.calibration[shadow].homing_offset = int(primary - follower)
        self._write_calibration()
        self._save_calibration()
        logger.info("%s: calibration saved to %s", self, self.calibration_fpath)

    def _write_calibration(self) -> None:
        for motor, calibration in self.calibration.items():
            self.bus.write("Drive_Mode", motor, calibration.drive_mode)
        self.bus.write_calibration(self.calibration)

    def configure(self) -> None:
        with self.bus.torque_disabled():
            self.bus.configure_motors()
            for joint, shadow in SHADOWS.items():
                self.bus.write("Secondary_ID", shadow, VIPERX_MOTORS[joint].id)
            for motor in self.bus.motors:
                self.bus.write("Velocity_Limit", motor, VELOCITY_LIMIT)
                mode = OperatingMode.CURRENT_POSITION if motor == GRIPPER else OperatingMode.POSITION
                self.bus.write("Operating_Mode", motor, mode.value)
            for joint in ARM_JOINTS:
                self.bus.write("Position_P_Gain", joint, POSITION_P_GAIN)
                self.bus.write("Position_I_Gain", joint, POSITION_I_GAIN)

    def _to_joint_value(self, joint: str, position_units: float) -> float:
        angle = position_units_to_radians(position_units)
        if joint == GRIPPER:
            return gripper_radians_to_normalized(
                angle, self.config.gripper_closed_rad, self.config.gripper_open_rad
            )
        return angle

    def _to_position_units(self, joint: str, value: float) -> int:
        if joint == GRIPPER:
            value = normalized_to_gripper_radians(
                value, self.config.gripper_closed_rad, self.config.gripper_open_rad
            )
        return radians_to_position_units(value)

    def read_joints(self) -> JointReading:
        """Current of all 9 motors (`motor_values`, mA) and joint positions in one bus transaction."""
        values = self.bus.sync_read_block(
            ["Present_Current", "Present_Position"], normalize=False, num_retry=self.config.num_read_retries
        )
        current_ma = {
            motor: current_units_to_milliamperes(v) for motor, v in values["Present_Current"].items()
        }
        positions = {
            joint: self._to_joint_value(joint, values["Present_Position"][joint]) for joint in JOINTS
        }
        effort = {joint: self._joint_effort(joint, current_ma) for joint in JOINTS}
        self.last_reading = JointReading(positions, effort, current_ma, time.perf_counter())
        return self.last_reading

    def _joint_angles_rad(self, reading: JointReading) -> np.ndarray:
        return np.array([reading.positions[joint] for joint in ARM_JOINTS])

    def _measured_torque_nm(self, reading: JointReading) -> np.ndarray:
        return np.array([self._joint_torque_nm(joint, reading.motor_values) for joint in ARM_JOINTS])

    @check_if_not_connected
    def get_observation(self) -> RobotObservation:
        return self.read_state() | read_camera_frames(str(self), self.cameras)

    @check_if_not_connected
    def send_action(self, action: RobotAction) -> RobotAction:
        """Write goal positions (rad, gripper 0…1) to the primaries after the effort guard and
        `max_relative_target`; returns the goal actually sent."""
        goal = split_goal(action)
        if self.guard is not None or self.config.max_relative_target is not None:
            reading = self.recent_reading()
            if self.guard is not None:
                goal = self.guard.apply(goal, reading.positions, reading.effort)
            if self.config.max_relative_target is not None:
                present = {joint: (value, reading.positions[joint]) for joint, value in goal.items()}
                goal = ensure_safe_goal_position(present, self.config.max_relative_target)
        raw = {joint: self._to_position_units(joint, value) for joint, value in goal.items()}
        self.bus.sync_write("Goal_Position", raw, normalize=False)
        return {f"{joint}.pos": value for joint, value in goal.items()}

    @check_if_not_connected
    def disconnect(self) -> None:
        self.bus.disconnect(self.config.disable_torque_on_disconnect)
        for camera in self.cameras.values():
            camera.disconnect()
        logger.info("%s disconnected.", self)
