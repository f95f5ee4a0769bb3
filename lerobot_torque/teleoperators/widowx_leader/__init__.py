"""ALOHA leader arm (WidowX 250 S); importing registers `widowx_leader`."""

from lerobot_torque.teleoperators.widowx_leader.config_widowx_leader import (
    WidowXArmConfig,
    WidowXLeaderConfig,
)

__all__ = ["WidowXArmConfig", "WidowXLeaderConfig"]
