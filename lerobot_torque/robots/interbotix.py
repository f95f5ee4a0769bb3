"""Motor tables and joint conventions of ALOHA's Interbotix arms (ViperX 300 S follower, WidowX 250 S leader).

Sources:
- Motor ids, models, drive modes, position limits, shadow motors (`Secondary_ID`): Interbotix
  `interbotix_xsarm_control/config/vx300s.yaml` and `interbotix_xs_sdk/config/wx250s.yaml`; models as
  in LeRobot's former ALOHA config (lerobot/common/robot_devices/robots/configs.py, `AlohaRobotConfig`,
  removed in June 2025).
- Joint names and order: the `lerobot/aloha_static_*` datasets (`{left,right}_{waist, shoulder, elbow,
  forearm_roll, wrist_angle, wrist_rotate, gripper}`), recorded by ALOHA's `real_env.py`.
- Units of those datasets: arm joints in rad (Interbotix driver, zero at position 2048), grippers
  normalised to 0 (closed) … 1 (open) with the joint limits of the original ALOHA
  (`gym_aloha/constants.py`: PUPPET_/MASTER_GRIPPER_JOINT_OPEN/CLOSE). ALOHA normalised the follower
  gripper by finger position; normalising the joint angle is the linear approximation ALOHA 2 itself
  uses (`aloha/constants.py`, FOLLOWER_POS2JOINT).
"""

from dataclasses import dataclass

from lerobot.motors import Motor, MotorCalibration, MotorNormMode

JOINTS = ["waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper"]
ARM_JOINTS = JOINTS[:-1]
GRIPPER = "gripper"
# Joint → its second ("shadow") motor, which follows the primary through `Secondary_ID`.
SHADOWS = {"shoulder": "shoulder_shadow", "elbow": "elbow_shadow"}
# Interbotix recommended Velocity_Limit, as LeRobot's former ALOHA preset ("advised by Trossen Robotics").
VELOCITY_LIMIT = 131
# ALOHA's `set_standard_pid_gains` for the follower arm joints (aloha/robot_utils.py).
POSITION_P_GAIN = 800
POSITION_I_GAIN = 0


@dataclass(frozen=True)
class MotorSpec:
    """One motor of an Interbotix arm: bus id, Dynamixel model, factory drive mode and position limits."""

    id: int
    model: str
    drive_mode: int
    range_min: int = 0
    range_max: int = 4095


# vx300s.yaml (drive modes and limits), LeRobot's former ALOHA config (models).
VIPERX_MOTORS = {
    "waist": MotorSpec(1, "xm540-w270", 0),
    "shoulder": MotorSpec(2, "xm540-w270", 1, 841, 2867),
    "shoulder_shadow": MotorSpec(3, "xm540-w270", 0, 841, 2867),
    "elbow": MotorSpec(4, "xm540-w270", 1, 898, 3094),
    "elbow_shadow": MotorSpec(5, "xm540-w270", 0, 898, 3094),
    "forearm_roll": MotorSpec(6, "xm540-w270", 0),
    "wrist_angle": MotorSpec(7, "xm540-w270", 1, 830, 3504),
    "wrist_rotate": MotorSpec(8, "xm430-w350", 0),
    "gripper": MotorSpec(9, "xm430-w350", 0),
}

# wx250s.yaml (drive modes and limits), LeRobot's former ALOHA config (models). Shadows are left out:
# the leader is moved by hand with torque off, so only the primaries are read.
WIDOWX_MOTORS = {
    "waist": MotorSpec(1, "xm430-w350", 0),
    "shoulder": MotorSpec(2, "xm430-w350", 0, 819, 3345),
    "elbow": MotorSpec(4, "xm430-w350", 0, 648, 3094),
    "forearm_roll": MotorSpec(6, "xm430-w350", 0),
    "wrist_angle": MotorSpec(7, "xm430-w350", 1, 910, 3447),
    "wrist_rotate": MotorSpec(8, "xl430-w250", 0),
    "gripper": MotorSpec(9, "xc430-w150", 0),
}


def bus_motors(specs: dict[str, MotorSpec]) -> dict[str, Motor]:
    """LeRobot `Motor`s of a motor table; the arms read raw position units and convert them to rad."""
    return {name: Motor(spec.id, spec.model, MotorNormMode.DEGREES) for name, spec in specs.items()}


# Gripper joint angles (rad) of the original ALOHA, gym_aloha/constants.py.
VIPERX_GRIPPER_CLOSED_RAD = -0.6213  # PUPPET_GRIPPER_JOINT_CLOSE
VIPERX_GRIPPER_OPEN_RAD = 1.4910  # PUPPET_GRIPPER_JOINT_OPEN
WIDOWX_GRIPPER_CLOSED_RAD = -0.6842  # MASTER_GRIPPER_JOINT_CLOSE
WIDOWX_GRIPPER_OPEN_RAD = 0.3083  # MASTER_GRIPPER_JOINT_OPEN


def gripper_radians_to_normalized(angle_rad: float, closed_rad: float, open_rad: float) -> float:
    """Gripper joint angle → 0 (closed) … 1 (open), ALOHA's *_GRIPPER_JOINT_NORMALIZE_FN."""
    return (angle_rad - closed_rad) / (open_rad - closed_rad)


def normalized_to_gripper_radians(opening: float, closed_rad: float, open_rad: float) -> float:
    """0 (closed) … 1 (open) → gripper joint angle, ALOHA's *_GRIPPER_JOINT_UNNORMALIZE_FN."""
    return opening * (open_rad - closed_rad) + closed_rad


def factory_calibration(motors: dict[str, MotorSpec]) -> dict[str, MotorCalibration]:
    """LeRobot calibration equal to the Interbotix factory setup: no homing offset, yaml drive modes
    and limits (shadow offsets are measured at calibration time, see ViperXFollowerTorque.calibrate)."""
    return {
        name: MotorCalibration(
            id=spec.id,
            drive_mode=spec.drive_mode,
            homing_offset=0,
            range_min=spec.range_min,
            range_max=spec.range_max,
        )
        for name, spec in motors.items()
    }
