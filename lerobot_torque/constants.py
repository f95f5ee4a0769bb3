"""Names shared by every part of lerobot-torque, defined once.

"Effort" is the recorded joint signal (its unit depends on the robot: mA, register units or
N·m); "torque" names the package and the policies.
"""

from lerobot.utils.constants import OBS_STR

# A dataset feature of its own, as in the ALOHA datasets on the Hub (`lerobot/aloha_static_*`).
OBS_EFFORT = f"{OBS_STR}.effort"
# Suffix of the effort entries a robot reports, e.g. `shoulder_pan.effort`; an unchanged
# `lerobot-record` folds them into `observation.state` (lerobot/utils/feature_utils.py).
EFFORT_SUFFIX = ".effort"
# Suffix of the external (measured minus model) effort entries, paper §3 and appendix A.2.
EFFORT_EXT_SUFFIX = ".effort_ext"
# Every state-entry suffix that carries effort; all of them are removed from the policy's state input.
EFFORT_SUFFIXES = (EFFORT_SUFFIX, EFFORT_EXT_SUFFIX)
# Padding flags LeRobot's dataset returns next to a windowed key.
IS_PAD_SUFFIX = "_is_pad"
