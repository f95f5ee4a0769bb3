"""Config of one ALOHA follower arm, a ViperX 300 S, with effort (`--robot.type=viperx_follower_torque`)."""

import math
from dataclasses import dataclass, field
from enum import StrEnum

from lerobot.cameras import CameraConfig
from lerobot.robots.config import RobotConfig

from lerobot_torque.config_checks import check_gripper_range, check_numbers, parse_choice
from lerobot_torque.robots.effort.options import EffortOptions
from lerobot_torque.robots.interbotix import VIPERX_GRIPPER_CLOSED_RAD, VIPERX_GRIPPER_OPEN_RAD

# LeRobot's former ALOHA default: "motor rotations are capped at 5 degrees" per goal (AlohaRobotConfig).
MAX_RELATIVE_TARGET_RAD = math.radians(5.0)


class CurrentUnit(StrEnum):
    """Unit of `<joint>.effort` for Dynamixel current readings."""

    MILLIAMPERES = "ma"  # as in the `lerobot/aloha_*` datasets (Interbotix driver: 2.69 mA/unit)
    NEWTON_METERS = "nm"  # τ = k_t·i with the ROBOTIS stall k_t of the motor model


class ShadowEffort(StrEnum):
    """Effort of a joint driven by two motors (shoulder, elbow)."""

    PRIMARY = "primary"  # the primary motor's current, as the Interbotix driver and ALOHA datasets
    SUM = "sum"  # primary + shadow: the whole joint torque


@dataclass
class ViperXArmConfig(EffortOptions):
    """One ViperX 300 S follower arm (LeRobot-style options + effort options).

    Args:
        port: Serial port of the arm's U2D2, e.g. `/dev/ttyDXL_follower_left` (Interbotix udev rules).
        disable_torque_on_disconnect: Torque off on disconnect, as LeRobot's robots.
        max_relative_target: Max change of a goal per step, rad for arm joints and 0…1 for the gripper
            (one number or a dict by joint); default 5° (LeRobot's former ALOHA preset). None disables.
        cameras: Cameras attached to this arm.
        num_read_retries: Extra attempts of a failed block read before a ConnectionError.
        effort_unit: `ma` (default, the unit of the ALOHA datasets on the Hub) or `nm`.
        shadow_effort: `primary` (default, as the ALOHA datasets) or `sum` for shoulder and elbow.
        gripper_closed_rad: Follower gripper joint angle reported as 0 (original ALOHA constants).
        gripper_open_rad: Follower gripper joint angle reported as 1.
    """

    port: str
    disable_torque_on_disconnect: bool = True
    max_relative_target: float | dict[str, float] | None = MAX_RELATIVE_TARGET_RAD
    cameras: dict[str, CameraConfig] = field(default_factory=dict)
    num_read_retries: int = 2
    effort_unit: CurrentUnit = CurrentUnit.MILLIAMPERES
    shadow_effort: ShadowEffort = ShadowEffort.PRIMARY
    gripper_closed_rad: float = VIPERX_GRIPPER_CLOSED_RAD
    gripper_open_rad: float = VIPERX_GRIPPER_OPEN_RAD

    def __post_init__(self):
        EffortOptions.__post_init__(self)
        self.effort_unit = parse_choice(CurrentUnit, self.effort_unit, "effort_unit")
        self.shadow_effort = parse_choice(ShadowEffort, self.shadow_effort, "shadow_effort")
        if self.max_relative_target is not None:
            check_numbers("max_relative_target", self.max_relative_target, gt=0)
        check_gripper_range(self.gripper_closed_rad, self.gripper_open_rad)


@RobotConfig.register_subclass("viperx_follower_torque")
@dataclass
class ViperXFollowerTorqueConfig(RobotConfig, ViperXArmConfig):
    """A single ViperX follower that reports `<joint>.pos`, `<joint>.effort` (and `.effort_ext`)."""

    def __post_init__(self):
        RobotConfig.__post_init__(self)  # checks camera configs; does not chain to the arm config
        ViperXArmConfig.__post_init__(self)
