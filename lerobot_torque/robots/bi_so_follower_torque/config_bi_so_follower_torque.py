"""Config of the bimanual SO-100/SO-101 follower with effort (`--robot.type=bi_so100_follower_torque`)."""

from dataclasses import dataclass, field

from lerobot.cameras import CameraConfig
from lerobot.robots.config import RobotConfig

from lerobot_torque.robots.so_follower_torque.config_so_follower_torque import SOFollowerTorqueArmConfig


@RobotConfig.register_subclass("bi_so101_follower_torque")
@RobotConfig.register_subclass("bi_so100_follower_torque")
@dataclass
class BiSOFollowerTorqueConfig(RobotConfig):
    """Two SO followers with effort, like LeRobot's `bi_so_follower` (lerobot/robots/bi_so_follower).

    Args:
        left_arm_config: Options of the left arm (`--robot.left_arm_config.port=…`,
            `--robot.left_arm_config.effort_register=current`, …), see SOFollowerTorqueArmConfig.
        right_arm_config: Options of the right arm.
        cameras: Cameras not attached to an arm; their keys are not prefixed.
    """

    left_arm_config: SOFollowerTorqueArmConfig
    right_arm_config: SOFollowerTorqueArmConfig
    cameras: dict[str, CameraConfig] = field(default_factory=dict)
