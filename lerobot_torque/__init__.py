"""lerobot-torque: torque-aware LeRobot policies, effort-recording robots and a contact-rich benchmark.

Importing this package (LeRobot's plugin discovery does, through the `lerobot_policy_torque`
distribution) registers config classes only; models, motor SDKs and MuJoCo load when used. It also
makes `lerobot-rollout` pass torque policies their effort features (`compat/rollout_features.py`).
"""

import lerobot_torque.envs  # noqa: F401
import lerobot_torque.robots  # noqa: F401
import lerobot_torque.teleoperators  # noqa: F401
from lerobot_torque.compat import install_rollout_features
from lerobot_torque.policies import ACTTorqueConfig, PI0TorqueConfig

install_rollout_features()

__all__ = ["ACTTorqueConfig", "PI0TorqueConfig"]
