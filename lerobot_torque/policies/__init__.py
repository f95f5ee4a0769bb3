"""Torque-aware policies; importing this package registers their configs with LeRobot."""

from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.policies.pi0_torque import PI0TorqueConfig
from lerobot_torque.policies.pi05_torque import PI05TorqueConfig
from lerobot_torque.policies.smolvla_torque import SmolVLATorqueConfig

__all__ = ["ACTTorqueConfig", "PI05TorqueConfig", "PI0TorqueConfig", "SmolVLATorqueConfig"]
