from lerobot_torque.policies.act_torque.configuration_act_torque import ACTTorqueConfig

__all__ = ["ACTTorqueConfig"]
