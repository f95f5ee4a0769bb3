"""lerobot-torque: torque-aware LeRobot policies, effort-recording robots and a contact-rich benchmark.

Importing this package (LeRobot's plugin discovery does, through the `lerobot_policy_torque`
distribution) registers config classes only; models, motor SDKs and MuJoCo load when used. It also
installs our LeRobot patches, here and nowhere else (creating a config or a policy patches
nothing): effort windows in LeRobot's datasets (`compat/dataset_windows.py`), effort features for
`lerobot-rollout` (`compat/rollout_features.py`) and config validation messages in LeRobot's CLIs
(`compat/config_errors.py`). Each leaves other policies' runs as LeRobot's own.
"""

import lerobot_torque.envs  # noqa: F401
import lerobot_torque.robots  # noqa: F401
import lerobot_torque.teleoperators  # noqa: F401
from lerobot_torque.compat import install_config_errors, install_dataset_windows, install_rollout_features
from lerobot_torque.policies import ACTTorqueConfig, PI0TorqueConfig

install_config_errors()
install_dataset_windows()
install_rollout_features()

__all__ = ["ACTTorqueConfig", "PI0TorqueConfig"]
