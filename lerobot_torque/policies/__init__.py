"""Torque-aware policies; importing this package registers their configs with LeRobot."""

from lerobot_torque.policies.act_torque import ACTTorqueConfig

__all__ = ["ACTTorqueConfig"]
