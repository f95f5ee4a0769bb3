"""ALOHA leader arms; importing registers `aloha_leader`."""

from lerobot_torque.teleoperators.aloha_leader.config_aloha_leader import AlohaLeaderConfig

__all__ = ["AlohaLeaderConfig"]
