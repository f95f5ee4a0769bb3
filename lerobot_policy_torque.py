"""Entry module LeRobot's plugin discovery imports (it imports the distribution's own name).

The code lives in :mod:`lerobot_torque`; importing it registers our policy, robot,
teleoperator and environment configs with LeRobot's draccus registries.
"""

import lerobot_torque  # noqa: F401
