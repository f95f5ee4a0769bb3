"""What our code uses of gym-aloha's insertion model: names, rates and where each part sits.

Two index spaces, from gym-aloha's `bimanual_viperx_insertion.xml` and `gym_aloha/tasks/sim.py`
(`get_qpos`, `get_env_state`):
- the MuJoCo model's qpos, dofs and actuators: 0-7 the left arm, 8-15 the right one (6 joints, then
  the two finger slides); the peg's and the socket's free joints follow in qpos;
- the 14-value joint vectors of the env (`agent_pos`, `action`, `effort`): per arm its 6 joints, then
  one gripper value, left arm first.
"""

ALOHA_CAMERA = "top"
ALOHA_ARM_JOINTS = ("waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper")
ALOHA_JOINTS = tuple(f"{side}_{joint}" for side in ("left", "right") for joint in ALOHA_ARM_JOINTS)
ALOHA_FPS = 50  # gym-aloha's control period DT = 0.02 s (gym_aloha/constants.py)
JOINTS_PER_ARM = 6  # without the gripper

# MuJoCo model indices (qpos, dofs and actuators alike for the robots).
LEFT_ARM, RIGHT_ARM = slice(0, 6), slice(8, 14)
FINGERS = (6, 7, 14, 15)
WRISTS = (3, 4, 5, 11, 12, 13)  # forearm_roll, wrist_angle, wrist_rotate of each arm
ROBOT_DOFS = 16
EFFORT_ACTUATORS = (0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14)  # 6 joints + first finger per arm
OBJECT_QPOS = slice(16, 30)  # the peg's pose, then the socket's: gym-aloha's `env_state`
# In an object-pose vector (`env_state`): position (3) and wxyz quaternion (4) of each object.
PEG_POSE, SOCKET_POSE = slice(0, 7), slice(7, 14)

# Indices of the env's 14-value joint vectors.
LEFT_JOINTS, RIGHT_JOINTS = slice(0, 6), slice(7, 13)
GRIPPERS = [6, 13]  # left, right
