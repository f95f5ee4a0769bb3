"""MJCF of the `torque_press` scene: a 2-joint arm in the vertical plane above a spring-loaded button.

Frame: x to the right, z up; both joints turn about +y, so a positive angle lowers the link.
The arm's shoulder sits `SHOULDER_HEIGHT` above the floor; the button's cap rides on a slide joint
whose spring stiffness is set per episode (hidden from the policy). Only the fingertip and the cap
collide. Sizes and masses are ours, chosen to resemble a small desktop arm (≈ 0.2 m links, < 0.5 kg):
its gravity torque (≈ 0.6 N·m at the shoulder) is of the order of the press torque (≈ 1 N·m at 5 N).
"""

PRESS_JOINTS = ("shoulder", "elbow")  # hinge joints of the arm, each driven by one motor
PRESS_CAMERA = "side"
PHYSICS_TIMESTEP_S = 0.002  # 500 Hz, the rate of the servo loop (`servo.py`)
SHOULDER_HEIGHT = 0.30  # m above the floor
UPPER_ARM_LENGTH = 0.20  # m
FOREARM_LENGTH = 0.20  # m
TIP_RADIUS = 0.012  # m
BUTTON_HOUSING_HEIGHT = 0.10  # m, the cap's rest plane (its bottom) sits on top of the housing
CAP_HALF_HEIGHT = 0.006  # m
CAP_RADIUS = 0.025  # m
BUTTON_TRAVEL = 0.06  # m; the spring alone exceeds any break force before the cap bottoms out
JOINT_DAMPING = 0.1  # N·m·s/rad, gear and back-EMF losses (ours)
JOINT_ARMATURE = 0.01  # kg·m², reflected rotor inertia of a ~270:1 geared servo (ours)


def cap_rest_top_z() -> float:
    """Height of the cap's top face at rest (m)."""
    return BUTTON_HOUSING_HEIGHT + 2 * CAP_HALF_HEIGHT


def press_scene_xml(
    button_travel: float,
    joint_damping: float,
    joint_armature: float,
    joint_friction: float,
    image_width: int,
    image_height: int,
    timestep: float,
) -> str:
    """The scene as an MJCF string; the button's x position and stiffness are set per episode."""
    offscreen_w, offscreen_h = max(image_width, 640), max(image_height, 480)
    return f"""
<mujoco model="torque_press">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="{timestep}" integrator="implicitfast" cone="elliptic"/>
  <visual>
    <global offwidth="{offscreen_w}" offheight="{offscreen_h}"/>
    <quality shadowsize="0"/>
  </visual>
  <default>
    <joint damping="{joint_damping}" armature="{joint_armature}" frictionloss="{joint_friction}"/>
    <geom contype="0" conaffinity="0" condim="3" friction="0.8 0.005 0.0001"/>
  </default>
  <worldbody>
    <light name="key" pos="0.2 -0.6 0.9" dir="0 0.6 -0.8" diffuse="0.9 0.9 0.9" castshadow="false"/>
    <geom name="floor" type="plane" size="1 1 0.05" rgba="0.82 0.82 0.78 1"/>
    <camera name="{PRESS_CAMERA}" pos="0.16 -0.62 0.19" xyaxes="1 0 0 0 0 1" fovy="45"/>
    <body name="pedestal" pos="0 0 0">
      <geom type="box" pos="0 0 {SHOULDER_HEIGHT / 2}" size="0.03 0.03 {SHOULDER_HEIGHT / 2}"
            rgba="0.3 0.3 0.35 1"/>
    </body>
    <body name="upper_arm" pos="0 0 {SHOULDER_HEIGHT}">
      <joint name="{PRESS_JOINTS[0]}" type="hinge" axis="0 1 0" range="-1.2 1.6"/>
      <geom type="capsule" fromto="0 0 0 {UPPER_ARM_LENGTH} 0 0" size="0.016" mass="0.25"
            rgba="0.15 0.35 0.75 1"/>
      <body name="forearm" pos="{UPPER_ARM_LENGTH} 0 0">
        <joint name="{PRESS_JOINTS[1]}" type="hinge" axis="0 1 0" range="-0.2 2.8"/>
        <geom type="capsule" fromto="0 0 0 {FOREARM_LENGTH} 0 0" size="0.012" mass="0.12"
              rgba="0.15 0.55 0.85 1"/>
        <geom name="tip" type="sphere" pos="{FOREARM_LENGTH} 0 0" size="{TIP_RADIUS}" mass="0.03"
              contype="1" conaffinity="1" solref="0.004 1" rgba="0.95 0.95 0.95 1"/>
        <site name="tip" pos="{FOREARM_LENGTH} 0 0" size="0.002"/>
      </body>
    </body>
    <body name="button" pos="0.30 0 0">
      <geom name="housing" type="box" pos="0 0 {BUTTON_HOUSING_HEIGHT / 2}"
            size="0.04 0.04 {BUTTON_HOUSING_HEIGHT / 2}" rgba="0.25 0.25 0.25 1"/>
      <body name="cap" pos="0 0 {BUTTON_HOUSING_HEIGHT + CAP_HALF_HEIGHT}" gravcomp="1">
        <joint name="plunger" type="slide" axis="0 0 1" range="{-button_travel} 0.002" stiffness="500"
               springref="0" damping="0.5" frictionloss="0" armature="0"/>
        <geom name="cap" type="cylinder" size="{CAP_RADIUS} {CAP_HALF_HEIGHT}" mass="0.01"
              contype="1" conaffinity="1" solref="0.004 1" rgba="0.9 0.75 0.1 1"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="{PRESS_JOINTS[0]}" joint="{PRESS_JOINTS[0]}" gear="1"/>
    <motor name="{PRESS_JOINTS[1]}" joint="{PRESS_JOINTS[1]}" gear="1"/>
  </actuator>
</mujoco>
"""
