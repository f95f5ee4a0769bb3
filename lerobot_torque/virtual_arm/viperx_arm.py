"""The virtual ALOHA arms: ViperX 300 S follower and WidowX 250 S leader on Dynamixel protocol 2.0.

Kinematics, masses and meshes: gym-aloha's ViperX model (`viperx_model.py`, the same files the
robot's external-effort model loads; the simulated ALOHA and the real one share joint zeros). The
WidowX leader reuses it: a leader runs with torque off, moved by the operator, so only its joint
angles matter. Changed here with `mujoco.MjSpec`: the gripper becomes one hinge on the gripper
prop (the model's own commented-out `gripper` joint; the fingers are welded half open), the
model's large `frictionloss` (tuned for its position actuators) gives way to a servo's gearbox
friction and reflected inertia, and a fixed block sits under the gripper at the home pose.
Motor ids, models and drive modes: the Interbotix tables in `lerobot_torque/robots/interbotix.py`.
"""

from lerobot_torque.robots.interbotix import (
    GRIPPER,
    JOINTS,
    SHADOWS,
    VIPERX_GRIPPER_CLOSED_RAD,
    VIPERX_GRIPPER_OPEN_RAD,
    VIPERX_MOTORS,
    WIDOWX_MOTORS,
    MotorSpec,
)
from lerobot_torque.robots.viperx_follower_torque.viperx_model import (
    GYM_ALOHA_ARM_PREFIX,
    gym_aloha_assets,
    viperx_mjcf_xml,
)
from lerobot_torque.virtual_arm.arm_sim import ServoSpec
from lerobot_torque.virtual_arm.camera import CameraView
from lerobot_torque.virtual_arm.hand import JointRange

# ALOHA's start pose (gym_aloha/constants.py START_ARM_POSE, one arm), gripper half open (rad).
HOME = {
    "waist": 0.0,
    "shoulder": -0.96,
    "elbow": 1.16,
    "forearm_roll": 0.0,
    "wrist_angle": -0.3,
    "wrist_rotate": 0.0,
    "gripper": 0.4,
}
WAVE_AMPLITUDE = {"shoulder": 0.3, "elbow": -0.15, "waist": 0.2, "gripper": 0.5}
# Stall torque at 12 V (ROBOTIS e-Manual specifications), N·m.
STALL_TORQUE_NM = {"xm540-w270": 10.6, "xm430-w350": 4.1, "xl430-w250": 1.5, "xc430-w150": 1.6}
# Servo model (this port).
STIFFNESS_NM_PER_RAD = 40.0
DAMPING_NM_S_PER_RAD = 2.0
ARMATURE_KG_M2 = 0.05
JOINT_FRICTION_NM = 0.05
TIMESTEP_S = 0.002
CAMERA_VIEW = CameraView(lookat=(-0.2, 0.5, 0.2), distance=1.2, azimuth=120.0, elevation=-25.0)
BLOCK_HALF_SIZE = (0.05, 0.05, 0.02)
BLOCK_TOP_BELOW_GRIPPER_M = 0.01
TOOL_BODY = "gripper_link"


def joint_name(joint: str) -> str:
    return GYM_ALOHA_ARM_PREFIX + joint


def build_model():
    """The compiled MuJoCo model of one virtual ViperX arm with a block under its gripper."""
    import mujoco

    spec = mujoco.MjSpec.from_string(viperx_mjcf_xml(gym_aloha_assets()))
    spec.option.timestep = TIMESTEP_S
    for finger in ("left_finger", "right_finger"):
        spec.delete(spec.joint(joint_name(finger)))
    spec.body(joint_name("gripper_prop_link")).add_joint(
        name=joint_name(GRIPPER), axis=[1, 0, 0], range=[VIPERX_GRIPPER_CLOSED_RAD, VIPERX_GRIPPER_OPEN_RAD]
    )
    for joint in spec.joints:
        joint.armature = ARMATURE_KG_M2
        joint.frictionloss = JOINT_FRICTION_NM
        joint.limited = mujoco.mjtLimited.mjLIMITED_TRUE
    for geom in spec.geoms:  # arm meshes do not collide with each other
        geom.contype, geom.conaffinity = 1, 0
    model = spec.compile()
    data = mujoco.MjData(model)
    for joint, angle in HOME.items():
        data.qpos[model.joint(joint_name(joint)).qposadr[0]] = angle
    mujoco.mj_forward(model, data)
    tool = data.body(joint_name(TOOL_BODY)).xpos
    spec.worldbody.add_geom(
        name="floor",
        type=mujoco.mjtGeom.mjGEOM_PLANE,
        size=[1, 1, 0.01],
        pos=[tool[0], tool[1], 0],
        contype=0,
        conaffinity=1,
    )
    top = max(tool[2] - 0.05 - BLOCK_TOP_BELOW_GRIPPER_M, 2 * BLOCK_HALF_SIZE[2])
    spec.worldbody.add_geom(
        name="block",
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=list(BLOCK_HALF_SIZE),
        pos=[tool[0] + 0.05, tool[1], top - BLOCK_HALF_SIZE[2]],
        rgba=[0.2, 0.4, 0.9, 1],
        contype=0,
        conaffinity=1,
    )
    return spec.compile()


def joint_ranges(model) -> dict[str, JointRange]:
    return {joint: JointRange(*map(float, model.joint(joint_name(joint)).range)) for joint in JOINTS}


def servos(motors: dict[str, MotorSpec]) -> list[ServoSpec]:
    """One servo per motor of an Interbotix table; shadows drive their primary's joint."""
    primary_of = {shadow: joint for joint, shadow in SHADOWS.items()}
    out = []
    for name, spec in motors.items():
        out.append(
            ServoSpec(
                motor=name,
                motor_id=spec.id,
                model=spec.model,
                joint=joint_name(primary_of.get(name, name)),
                stiffness_nm_per_rad=STIFFNESS_NM_PER_RAD,
                damping_nm_s_per_rad=DAMPING_NM_S_PER_RAD,
                stall_torque_nm=STALL_TORQUE_NM[spec.model],
                zero_ticks=2048,
                direction=-1 if spec.drive_mode else 1,
            )
        )
    return out


FOLLOWER_MOTORS = VIPERX_MOTORS
LEADER_MOTORS = WIDOWX_MOTORS
