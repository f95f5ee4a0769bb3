from lerobot_torque.policies.pi0_torque.configuration_pi0_torque import PI0TorqueConfig

__all__ = ["PI0TorqueConfig"]
