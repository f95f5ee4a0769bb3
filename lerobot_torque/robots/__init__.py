"""Robots that report joint effort next to positions; importing registers their configs.

Config classes only: motor SDKs and MuJoCo load when a robot is built.
"""

from lerobot_torque.robots.aloha_torque import AlohaTorqueConfig
from lerobot_torque.robots.bi_so_follower_torque import BiSOFollowerTorqueConfig
from lerobot_torque.robots.so_follower_torque import SOFollowerTorqueArmConfig, SOFollowerTorqueConfig
from lerobot_torque.robots.viperx_follower_torque import ViperXArmConfig, ViperXFollowerTorqueConfig

__all__ = [
    "AlohaTorqueConfig",
    "BiSOFollowerTorqueConfig",
    "SOFollowerTorqueArmConfig",
    "SOFollowerTorqueConfig",
    "ViperXArmConfig",
    "ViperXFollowerTorqueConfig",
]
