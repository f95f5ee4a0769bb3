"""ALOHA follower arm (ViperX 300 S) with effort; importing registers `viperx_follower_torque`."""

from lerobot_torque.robots.viperx_follower_torque.config_viperx_follower_torque import (
    CurrentUnit,
    ShadowEffort,
    ViperXArmConfig,
    ViperXFollowerTorqueConfig,
)

__all__ = ["CurrentUnit", "ShadowEffort", "ViperXArmConfig", "ViperXFollowerTorqueConfig"]
