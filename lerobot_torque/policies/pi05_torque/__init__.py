from lerobot_torque.policies.pi05_torque.configuration_pi05_torque import PI05TorqueConfig

__all__ = ["PI05TorqueConfig"]
