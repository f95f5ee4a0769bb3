"""Config of one ALOHA leader arm, a WidowX 250 S (`--teleop.type=widowx_leader`)."""

from dataclasses import dataclass

from lerobot.teleoperators.config import TeleoperatorConfig

from lerobot_torque.config_checks import check_gripper_range
from lerobot_torque.robots.interbotix import WIDOWX_GRIPPER_CLOSED_RAD, WIDOWX_GRIPPER_OPEN_RAD


@dataclass
class WidowXArmConfig:
    """One WidowX 250 S leader arm.

    Args:
        port: Serial port of the arm's U2D2, e.g. `/dev/ttyDXL_leader_left` (Interbotix udev rules).
        num_read_retries: Extra attempts of a failed position read.
        gripper_closed_rad: Leader gripper joint angle reported as 0 (original ALOHA constants).
        gripper_open_rad: Leader gripper joint angle reported as 1.
    """

    port: str
    num_read_retries: int = 2
    gripper_closed_rad: float = WIDOWX_GRIPPER_CLOSED_RAD
    gripper_open_rad: float = WIDOWX_GRIPPER_OPEN_RAD

    def __post_init__(self):
        check_gripper_range(self.gripper_closed_rad, self.gripper_open_rad)


@TeleoperatorConfig.register_subclass("widowx_leader")
@dataclass
class WidowXLeaderConfig(TeleoperatorConfig, WidowXArmConfig):
    """A single WidowX leader whose actions are `<joint>.pos` (rad, gripper 0…1)."""
