"""ALOHA follower arms with effort; importing registers `aloha_torque`."""

from lerobot_torque.robots.aloha_torque.config_aloha_torque import AlohaTorqueConfig

__all__ = ["AlohaTorqueConfig"]
