"""Config of ALOHA's two WidowX leader arms (`--teleop.type=aloha_leader`)."""

from dataclasses import dataclass, field

from lerobot.teleoperators.config import TeleoperatorConfig

from lerobot_torque.teleoperators.widowx_leader.config_widowx_leader import WidowXArmConfig


@TeleoperatorConfig.register_subclass("aloha_leader")
@dataclass
class AlohaLeaderConfig(TeleoperatorConfig):
    """Bimanual ALOHA leader whose actions are `{left,right}_<joint>.pos` for `aloha_torque`.

    Args:
        left_arm_config: Left leader options (`--teleop.left_arm_config.port=…`); default port
            `/dev/ttyDXL_leader_left` (Interbotix udev rules).
        right_arm_config: Right leader options; default port `/dev/ttyDXL_leader_right`.
    """

    left_arm_config: WidowXArmConfig = field(
        default_factory=lambda: WidowXArmConfig(port="/dev/ttyDXL_leader_left")
    )
    right_arm_config: WidowXArmConfig = field(
        default_factory=lambda: WidowXArmConfig(port="/dev/ttyDXL_leader_right")
    )
