"""Torque-aware policies; importing this package registers their configs with LeRobot."""

from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.policies.pi0_torque import PI0TorqueConfig

__all__ = ["ACTTorqueConfig", "PI0TorqueConfig"]
