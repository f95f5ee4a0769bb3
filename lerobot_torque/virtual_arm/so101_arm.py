"""The virtual SO-101 (and SO-100) arm: our SO-101 rigid-body model plus servos, a gripper and a block.

Kinematics and masses: `lerobot_torque/robots/assets/so101_simplified.xml` (the same model the
robot uses for external effort, joint zeros = LeRobot's calibration zeros). Added here with
`mujoco.MjSpec`: a gripper hinge on the moving jaw (the model welds it), the gearbox's reflected
inertia (`armature`) and friction (`damping`) on every joint, a floor, a fingertip sphere at the
tool point and a fixed block under the tool at the home pose, so that pressing down shows up in
`Present_Load`/`Present_Current`. Motor ids and names are LeRobot's (`lerobot/robots/so_follower/`).
"""

from lerobot_torque.robots.effort.feetech_units import STS3215_12V_STALL_TORQUE_NM
from lerobot_torque.robots.so_follower_torque.so_follower_torque import SO101_MJCF
from lerobot_torque.virtual_arm.arm_sim import ServoSpec
from lerobot_torque.virtual_arm.camera import CameraView
from lerobot_torque.virtual_arm.hand import JointRange

MOTORS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
# Gripper hinge range (rad): closed … open; the SO-101 jaw opens about 100°.
GRIPPER_RANGE = JointRange(-0.17, 1.75)
# Home pose (rad): forearm folded down, tool 5 cm above the table and about 5 mm above the block.
HOME = {
    "shoulder_pan": 0.0,
    "shoulder_lift": -0.4,
    "elbow_flex": 1.2,
    "wrist_flex": 0.0,
    "wrist_roll": 0.0,
    "gripper": 0.3,
}
# The scripted operator's `wave` (rad): lowers the tool 3 cm onto the block and opens the gripper.
WAVE_AMPLITUDE = {"shoulder_lift": 0.25, "elbow_flex": 0.1, "shoulder_pan": 0.15, "gripper": 0.6}
BLOCK_CENTER = (0.02, -0.24, 0.015)  # m; top face at 30 mm
BLOCK_HALF_SIZE = (0.03, 0.03, 0.015)
TOOL_TIP_RADIUS = 0.008
TOOL_SITE = "tcp"
# Servo model (this port): stiffness and damping of the STS3215 position loop, gearbox inertia.
STIFFNESS_NM_PER_RAD = 10.0
DAMPING_NM_S_PER_RAD = 0.3
ARMATURE_KG_M2 = 0.005
JOINT_FRICTION_NM_S_PER_RAD = 0.01
TIMESTEP_S = 0.002
CAMERA_VIEW = CameraView(lookat=(0.02, -0.15, 0.08), distance=0.75, azimuth=150.0, elevation=-25.0)
LINK_RADIUS = 0.012
LINK_RGBA = [0.9, 0.5, 0.1, 1.0]
# Where each horn sits on its encoder at joint angle 0 (ticks): a real arm's mounting is arbitrary,
# so calibration has something to find; a half-turn homing brings each back to 2047.
ZERO_TICKS = {
    "shoulder_pan": 2011,
    "shoulder_lift": 1950,
    "elbow_flex": 2140,
    "wrist_flex": 2088,
    "wrist_roll": 1990,
    "gripper": 1800,
}


def build_model():
    """The compiled MuJoCo model of the virtual SO-101 arm."""
    import mujoco

    spec = mujoco.MjSpec.from_file(str(SO101_MJCF))
    spec.option.timestep = TIMESTEP_S
    jaw = spec.body("moving_jaw")
    jaw.add_joint(name="gripper", axis=[0, 0, 1], range=[GRIPPER_RANGE.low, GRIPPER_RANGE.high])
    for joint in spec.joints:
        joint.armature = ARMATURE_KG_M2
        joint.damping = [JOINT_FRICTION_NM_S_PER_RAD, 0, 0]
        joint.limited = mujoco.mjtLimited.mjLIMITED_TRUE
    tool = spec.site(TOOL_SITE)
    tool.parent.add_geom(
        name="tool_tip", type=mujoco.mjtGeom.mjGEOM_SPHERE, size=[TOOL_TIP_RADIUS, 0, 0], pos=tool.pos
    )
    for body in spec.bodies:  # visible links for the camera: a capsule to each child joint (no mass)
        for child in body.bodies:
            if any(abs(x) > 0 for x in child.pos):
                body.add_geom(
                    type=mujoco.mjtGeom.mjGEOM_CAPSULE,
                    size=[LINK_RADIUS, 0, 0],
                    fromto=[0, 0, 0, *child.pos],
                    rgba=LINK_RGBA,
                    contype=0,
                    conaffinity=0,
                    mass=0,
                )
    world = spec.worldbody
    world.add_geom(
        name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0.5, 0.5, 0.01], rgba=[0.5, 0.5, 0.5, 1]
    )
    world.add_geom(
        name="block",
        type=mujoco.mjtGeom.mjGEOM_BOX,
        size=list(BLOCK_HALF_SIZE),
        pos=list(BLOCK_CENTER),
        rgba=[0.2, 0.4, 0.9, 1],
    )
    world.add_light(pos=[0, -0.2, 1.0], dir=[0, 0, -1], diffuse=[0.8, 0.8, 0.8])
    for geom in spec.geoms:  # only the tool tip touches the world; the links have no collision shape
        if geom.type != mujoco.mjtGeom.mjGEOM_CAPSULE:
            geom.contype, geom.conaffinity = (1, 0) if geom.name == "tool_tip" else (0, 1)
    return spec.compile()


def joint_ranges(model) -> dict[str, JointRange]:
    return {name: JointRange(*map(float, model.joint(name).range)) for name in MOTORS}


def servos(stall_torque_nm: float = STS3215_12V_STALL_TORQUE_NM) -> list[ServoSpec]:
    """STS3215 servos with LeRobot's SO-101 ids (1…6), one per joint."""
    return [
        ServoSpec(
            motor=name,
            motor_id=i,
            model="sts3215",
            joint=name,
            stiffness_nm_per_rad=STIFFNESS_NM_PER_RAD,
            damping_nm_s_per_rad=DAMPING_NM_S_PER_RAD,
            stall_torque_nm=stall_torque_nm,
            zero_ticks=ZERO_TICKS[name],
        )
        for i, name in enumerate(MOTORS, start=1)
    ]
