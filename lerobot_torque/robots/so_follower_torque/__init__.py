"""SO-100/SO-101 follower with effort; importing registers `so100_follower_torque`, `so101_…`."""

from lerobot_torque.robots.so_follower_torque.config_so_follower_torque import (
    EffortRegister,
    EffortUnit,
    SOFollowerTorqueArmConfig,
    SOFollowerTorqueConfig,
)

__all__ = ["EffortRegister", "EffortUnit", "SOFollowerTorqueArmConfig", "SOFollowerTorqueConfig"]
