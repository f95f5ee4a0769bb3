"""Names shared by every part of lerobot-torque, defined once.

"Effort" is the recorded joint signal (its unit depends on the robot: mA, register units or
N·m); "torque" names the package and the policies.

Two kinds of batch keys: what datasets and robots provide (LeRobot's `observation.*` keys, one
name for every shape LeRobot gives them: a frame, a batch of frames or a dataset window), and the
tensors a torque policy derives from them for its model (`EffortInputs.model_batch`), which
no dataset or robot has. A reader knows from the key which one a tensor is.
"""

from lerobot.utils.constants import OBS_STR

# --- What datasets and robots provide -----------------------------------------------------------
# A dataset feature of its own, as in the ALOHA datasets on the Hub (`lerobot/aloha_static_*`).
OBS_EFFORT = f"{OBS_STR}.effort"
# Suffix of the effort entries a robot reports, e.g. `shoulder_pan.effort`; an unchanged
# `lerobot-record` folds them into `observation.state` (lerobot/utils/feature_utils.py).
EFFORT_SUFFIX = ".effort"
# Suffix of the external (measured minus model) effort entries, paper §3 and appendix A.2.
EFFORT_EXT_SUFFIX = ".effort_ext"
# Every state-entry suffix our robots give effort; these entries never reach a policy's state input.
EFFORT_SUFFIXES = (EFFORT_SUFFIX, EFFORT_EXT_SUFFIX)
# Suffix of joint positions in LeRobot's robots (`shoulder_pan.pos`).
POSITION_SUFFIX = ".pos"
# Padding flags LeRobot's dataset returns next to a windowed key.
IS_PAD_SUFFIX = "_is_pad"

# --- What a torque policy derives from them for its model ----------------------------------------
# (B, S) the current frame of `observation.state` without its effort entries.
OBS_STATE_WITHOUT_EFFORT = f"{OBS_STR}.state_without_effort"
# (B, H, D) the effort frames at the history offsets, oldest first, the current frame last.
OBS_EFFORT_HISTORY = f"{OBS_STR}.effort_history"
# (B, H) True for history frames before the episode start (they repeat its first frame).
OBS_EFFORT_HISTORY_IS_PAD = OBS_EFFORT_HISTORY + IS_PAD_SUFFIX
