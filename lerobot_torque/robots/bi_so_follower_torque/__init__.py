"""Bimanual SO follower with effort; importing registers `bi_so100_follower_torque`/`bi_so101_…`."""

from lerobot_torque.robots.bi_so_follower_torque.config_bi_so_follower_torque import BiSOFollowerTorqueConfig

__all__ = ["BiSOFollowerTorqueConfig"]
