from lerobot_torque.policies.smolvla_torque.configuration_smolvla_torque import SmolVLATorqueConfig

__all__ = ["SmolVLATorqueConfig"]
