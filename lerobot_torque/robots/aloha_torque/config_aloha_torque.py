"""Config of ALOHA's two ViperX followers with effort (`--robot.type=aloha_torque`)."""

from dataclasses import dataclass, field

from lerobot.cameras import CameraConfig
from lerobot.robots.config import RobotConfig

from lerobot_torque.robots.viperx_follower_torque.config_viperx_follower_torque import ViperXArmConfig


@RobotConfig.register_subclass("aloha_torque")
@dataclass
class AlohaTorqueConfig(RobotConfig):
    """Bimanual ALOHA follower (two ViperX 300 S) reporting `{left,right}_<joint>.pos/.effort`.

    Args:
        left_arm_config: Left arm options, see ViperXArmConfig (`--robot.left_arm_config.port=…`).
            Default port: the Interbotix udev name `/dev/ttyDXL_follower_left`.
        right_arm_config: Right arm options; default port `/dev/ttyDXL_follower_right`.
        cameras: Cameras of the whole robot, keys unprefixed. Name them like the ALOHA datasets
            (`cam_high`, `cam_low`, `cam_left_wrist`, `cam_right_wrist`) to run policies trained there.
    """

    left_arm_config: ViperXArmConfig = field(
        default_factory=lambda: ViperXArmConfig(port="/dev/ttyDXL_follower_left")
    )
    right_arm_config: ViperXArmConfig = field(
        default_factory=lambda: ViperXArmConfig(port="/dev/ttyDXL_follower_right")
    )
    cameras: dict[str, CameraConfig] = field(default_factory=dict)
