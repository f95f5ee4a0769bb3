"""Simulated contact-rich tasks with joint effort in the observation; importing registers configs.

`--env.type=torque_press` and `--env.type=aloha_insertion_torque` become available to the unchanged
`lerobot-eval` (LeRobot imports our distribution through its plugin discovery). Only the config
classes are imported here; MuJoCo and dm_control load when an env is created.
"""

from lerobot_torque.envs.configs import AlohaInsertionTorqueEnvConfig, TorquePressEnvConfig

__all__ = ["AlohaInsertionTorqueEnvConfig", "TorquePressEnvConfig"]
