"""Teleoperators for our robots; importing registers their configs (config classes only)."""

from lerobot_torque.teleoperators.aloha_leader import AlohaLeaderConfig
from lerobot_torque.teleoperators.widowx_leader import WidowXArmConfig, WidowXLeaderConfig

__all__ = ["AlohaLeaderConfig", "WidowXArmConfig", "WidowXLeaderConfig"]
