"""LeRobot `EnvConfig`s of our simulated tasks (`--env.type=torque_press`, `aloha_insertion_torque`).

Following LeRobot's own env configs (`lerobot/envs/configs.py`, `RoboTwinEnvConfig`): registered with
`@EnvConfig.register_subclass`, heavy imports (MuJoCo, dm_control) only inside `create_envs`, unknown
option values rejected with the list of valid ones. Importing this module is cheap.

Observations reach the policy as LeRobot's `preprocess_observation` maps them: `agent_pos` →
`observation.state` (joint positions), `pixels/<cam>` → `observation.images.<cam>`, and our extra
`effort` array → `observation.effort` (its pass-through of extra keys), the key of the ALOHA
datasets on the Hub and of `lerobot_torque.constants.OBS_EFFORT`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from lerobot.configs import FeatureType, PolicyFeature
from lerobot.envs.configs import EnvConfig, _make_vec_env_cls
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_IMAGES, OBS_STATE

from lerobot_torque.config_checks import check_choice, check_interval, check_number
from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.envs.aloha_insertion.model import ALOHA_CAMERA, ALOHA_FPS, ALOHA_JOINTS
from lerobot_torque.envs.torque_press.scene import PHYSICS_TIMESTEP_S, PRESS_CAMERA, PRESS_JOINTS
from lerobot_torque.envs.torque_press.servo import ServoModel

OBS_TYPES = ("pixels_agent_pos", "agent_pos")
PRESS_ACTION_MODES = ("delta", "absolute")
PRESS_TASKS = ("press_to_band",)
ALOHA_TASKS = ("insertion",)


def make_vector_env(env_fn, n_envs: int, use_async_envs: bool):
    """A gymnasium vector env of `n_envs` copies, reset in the same step, as LeRobot's default
    `EnvConfig.create_envs` builds them (lerobot/envs/configs.py)."""
    import gymnasium as gym

    if n_envs < 1:
        raise ValueError(f"n_envs must be >= 1, got {n_envs}.")
    env_cls = _make_vec_env_cls(use_async_envs, n_envs)
    kwargs = {"context": "forkserver"} if env_cls is gym.vector.AsyncVectorEnv else {}
    return env_cls(
        [env_fn for _ in range(n_envs)], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP, **kwargs
    )


def env_flag(field_name: str) -> str:
    """How users set an env config field on LeRobot's command lines."""
    return f"--env.{field_name}"


def effort_env_features(
    joints: int, obs_type: str, camera: str, height: int, width: int
) -> tuple[dict[str, PolicyFeature], dict[str, str]]:
    """The env features (and their LeRobot keys) of a joint-space task with effort and one camera."""
    features = {
        ACTION: PolicyFeature(type=FeatureType.ACTION, shape=(joints,)),
        "agent_pos": PolicyFeature(type=FeatureType.STATE, shape=(joints,)),
        "effort": PolicyFeature(type=FeatureType.STATE, shape=(joints,)),
    }
    features_map = {ACTION: ACTION, "agent_pos": OBS_STATE, "effort": OBS_EFFORT}
    if obs_type == "pixels_agent_pos":
        features[f"pixels/{camera}"] = PolicyFeature(type=FeatureType.VISUAL, shape=(height, width, 3))
        features_map[f"pixels/{camera}"] = f"{OBS_IMAGES}.{camera}"
    return features, features_map


@EnvConfig.register_subclass("torque_press")
@dataclass
class TorquePressEnvConfig(EnvConfig):
    """Press a spring-loaded button of hidden stiffness until its force is in a band, and hold it.

    A 2-joint arm (shoulder, elbow) in the vertical plane, driven by position servos with integral
    action on 4096-tick encoders, presses a button whose spring stiffness is drawn per episode over a
    wide range. Success: the button force stays inside `force_band` for `hold_time_s` without ever
    exceeding `break_force`. Depth tells the force only with the stiffness, which nothing but the joint
    effort reveals: see `docs/torque_press.md` for the design and the leak check.

    Args:
        task: Task name; only `press_to_band`.
        fps: Control rate in Hz; the dataset's fps must be the same. Default 25 (ours: the force loop
            is quasi-static, 25 Hz keeps demos and evaluation fast on CPU); must divide 500 (2 ms physics).
        episode_length: Control steps of an episode (success is judged at its end). Default 200 (8 s:
            the expert settles in the band within ≈ 6 s on the softest button).
        obs_type: `pixels_agent_pos` (camera + joint positions + effort) or `agent_pos` (no camera,
            for state-only policies and the leak check: the button's position (x, cap height at rest),
            which the camera would show, comes as `observation.environment_state`, so ACT can train
            without a ResNet on a CPU; two values because LeRobot stores 1-value features as scalars).
        action_mode: `delta` (default): the action is the change of the joint targets since the last
            step, the "increments on the previous command" that made effort-aware behaviour cloning
            work in the first prototype of this task; `absolute`: joint targets in rad (ACT's usual output).
        max_delta_rad: Largest |action| per step in `delta` mode. Default 0.05 rad (ours: ≈ 10 mm of
            tip motion per step, 4× the expert's fastest).
        observation_height, observation_width: Camera image size. Default 96×96 (ours: ACT's ResNet-18
            then gives 3×3 feature tokens; small for CPU training).
        visualization_height, visualization_width: Size of `render()` frames (eval videos). Default 240×320.
        stiffness_range: Button spring stiffness (N/m), drawn log-uniform per episode and hidden.
            Default [200, 1600] (ours: 8×, from a soft rubber key to a stiff plunger; the stiffest still
            leaves the band ≥ 1.2 mm deep, ≥ 3 encoder ticks of tip motion).
        force_band: Success band of the button force (N). Default [4, 6] (ours).
        break_force: The button breaks (episode fails) above this force (N). Default 8 (ours).
        hold_time_s: Seconds the force must have stayed in the band when the episode ends. Default 1.0 (ours).
        button_x_range: Button position along the table (m), visible in the image. Default [0.29, 0.31].
        servo_model: `pid` (integral action, default: as Dynamixel X-series "PID control", ROBOTIS
            e-Manual) or `pd` (no integral action: its steady error reveals the force, kept to show the leak).
        servo_kp_range: Proportional gain (N·m/rad) per joint, log-uniform per episode, hidden.
            Default [100, 250] (ours: a stiff loop, ≈ 0.15-0.4 N·m per encoder tick).
        servo_integral_rate_range: Ki / Kp (1/s) per joint, log-uniform per episode, hidden, so Ki spans
            1500-15000 N·m/(rad·s) by default [15, 60] (ours). The transient lag of a PI loop under a
            changing load is ≈ τ̇/Ki: a 10× spread of Ki makes it useless as a force gauge, and keeping
            Ki/Kp ≤ (b + Kd)/J keeps every draw stable (docs/torque_press.md).
        servo_kd_range: Derivative gain (N·m·s/rad) per joint, uniform per episode. Default [1.2, 2.0] (ours).
        torque_limit: Servo stall torque (N·m). Default 4 (ours; a small servo for a < 0.5 kg arm).
        no_load_speed: Servo speed at full voltage and no load (rad/s); with the stall torque it sets
            the back-EMF damping. Default 5.5 (XM540-W150: 53 rev/min at 12 V, ROBOTIS e-Manual).
        encoder_ticks_per_rev: Encoder resolution. Default 4096 (Dynamixel X-series and Feetech
            STS3215, ROBOTIS e-Manual); 0 disables quantisation.
        joint_friction_range: Coulomb friction per joint (N·m), drawn per episode. Default [0.01, 0.03].
        effort_noise_std: Gaussian noise of the effort reading (N·m). Default 0.01 (ours, ≈ 1.5 current
            LSB of the next field).
        effort_filter_time_s: Time constant of the effort low-pass filter (s). Default 0.02 (ours).
        effort_lsb: Effort quantisation (N·m). Default 0.0065: 2.69 mA/LSB (Dynamixel X
            `Present_Current`, ROBOTIS e-Manual X-series control table) × 2.41 N·m/A (XM540-W270
            at 12 V, ROBOTIS e-Manual).
    """

    task: str = "press_to_band"
    fps: int = 25
    episode_length: int = 200
    obs_type: str = "pixels_agent_pos"
    render_mode: str = "rgb_array"
    action_mode: str = "delta"
    max_delta_rad: float = 0.05
    observation_height: int = 96
    observation_width: int = 96
    visualization_height: int = 240
    visualization_width: int = 320
    stiffness_range: tuple[float, float] = (200.0, 1600.0)
    force_band: tuple[float, float] = (4.0, 6.0)
    break_force: float = 8.0
    hold_time_s: float = 1.0
    button_x_range: tuple[float, float] = (0.29, 0.31)
    servo_model: str = "pid"
    servo_kp_range: tuple[float, float] = (100.0, 250.0)
    servo_integral_rate_range: tuple[float, float] = (15.0, 60.0)
    servo_kd_range: tuple[float, float] = (1.2, 2.0)
    torque_limit: float = 4.0
    no_load_speed: float = 5.5
    encoder_ticks_per_rev: int = 4096
    joint_friction_range: tuple[float, float] = (0.01, 0.03)
    effort_noise_std: float = 0.01
    effort_filter_time_s: float = 0.02
    effort_lsb: float = 0.0065
    features: dict[str, PolicyFeature] = field(default_factory=dict)
    features_map: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_choice(env_flag("task"), self.task, PRESS_TASKS)
        check_choice(env_flag("obs_type"), self.obs_type, OBS_TYPES)
        check_choice(env_flag("action_mode"), self.action_mode, PRESS_ACTION_MODES)
        check_choice(env_flag("servo_model"), self.servo_model, tuple(model.value for model in ServoModel))
        check_choice(env_flag("render_mode"), self.render_mode, ("rgb_array",))
        if self.fps <= 0 or round(1.0 / PHYSICS_TIMESTEP_S) % self.fps:
            raise ValueError(
                f"--env.fps={self.fps} must divide the {round(1.0 / PHYSICS_TIMESTEP_S)} Hz physics rate "
                "(e.g. 25, 50, 100)."
            )
        for name in ("stiffness_range", "servo_kp_range", "servo_integral_rate_range", "button_x_range"):
            check_interval(env_flag(name), getattr(self, name), gt=0)
        for name in ("servo_kd_range", "joint_friction_range"):
            check_interval(env_flag(name), getattr(self, name), ge=0)
        check_interval(env_flag("force_band"), self.force_band, gt=0)
        check_number(
            env_flag("break_force"),
            self.break_force,
            gt=self.force_band[1],
            fix=f"It must exceed the band's top (--env.force_band={list(self.force_band)}).",
        )
        for name in ("episode_length", "observation_height", "observation_width"):
            if getattr(self, name) <= 0:
                raise ValueError(f"--env.{name} must be positive, got {getattr(self, name)}.")
        for name in ("hold_time_s", "max_delta_rad", "torque_limit", "no_load_speed"):
            check_number(env_flag(name), getattr(self, name), gt=0)
        for name in ("effort_noise_std", "effort_filter_time_s", "effort_lsb"):
            check_number(env_flag(name), getattr(self, name), ge=0)
        if self.encoder_ticks_per_rev < 0:
            raise ValueError(f"--env.encoder_ticks_per_rev must be >= 0, got {self.encoder_ticks_per_rev}.")

        self.features, self.features_map = effort_env_features(
            len(PRESS_JOINTS), self.obs_type, PRESS_CAMERA, self.observation_height, self.observation_width
        )
        if self.obs_type == "agent_pos":  # what the camera shows of the scene, the button's position
            self.features["environment_state"] = PolicyFeature(type=FeatureType.ENV, shape=(2,))
            self.features_map["environment_state"] = OBS_ENV_STATE

    @property
    def hold_steps(self) -> int:
        """Control steps the force must stay in the band."""
        return max(1, round(self.hold_time_s * self.fps))

    @property
    def gym_kwargs(self) -> dict:
        return {"config": self}

    def create_envs(self, n_envs: int, use_async_envs: bool = False):
        from lerobot_torque.envs.torque_press.env import TorquePressEnv

        return {self.type: {0: make_vector_env(partial(TorquePressEnv, config=self), n_envs, use_async_envs)}}


@EnvConfig.register_subclass("aloha_insertion_torque")
@dataclass
class AlohaInsertionTorqueEnvConfig(EnvConfig):
    """gym-aloha's bimanual peg insertion with the 14 joint efforts in `observation.effort`.

    The scene, robots, objects, actuators and success test are gym-aloha's (`lerobot[aloha]`,
    `gym_aloha/assets/bimanual_viperx_insertion.xml`, `InsertionTask`): joint-position actions for
    6 joints + a normalised gripper per arm, success when the peg touches the socket's pin. We change
    what the effort needs to mean something: gym-aloha's joints have 30-60 N·m of Coulomb friction
    (more than gravity), which would bury the contact torque, so it is lowered, and joint damping
    replaces what that friction did for stability. Only one low-resolution camera is rendered, with
    shadows off (gym-aloha renders three 480×640 cameras every step).

    Args:
        task: `insertion` (the only scripted task so far).
        fps: Must be 50, gym-aloha's control rate.
        episode_length: Control steps before truncation. Default 400 (LeRobot's `AlohaEnv` default).
        obs_type: `pixels_agent_pos` (camera + joint positions + effort) or `agent_pos`.
        observation_height, observation_width: Size of the `top` camera image. Default 96×128 (ours).
        visualization_height, visualization_width: Size of `render()` frames. Default 240×320.
        arm_joint_friction: Coulomb friction of the 12 arm joints (N·m). Default 0.3 (ours: about 1 %
            of gym-aloha's 30-60 N·m, a few % of an XM540's stall torque).
        gripper_joint_friction: Friction of the finger slides (N). Default 1.0 (ours; gym-aloha: 30).
        arm_joint_damping: Viscous damping of the arm joints (N·m·s/rad). Default 2.0 (ours).
        gripper_joint_damping: Damping of the finger slides (N·s/m). Default 20.0 (ours).
        gripper_kp: Position gain of each finger (N/m). Default 800 (ours; gym-aloha: 200, whose ≈ 3 N
            grip let the peg slip once friction no longer held the fingers).
        wrist_kp: Position gain of the forearm roll and the two wrist joints (N·m/rad). Default 200
            (ours; gym-aloha's 10-50 held only because 30 N·m of friction locked those joints).
        effort_noise_std: Gaussian noise added to the effort (its units). Default 0: the exact MuJoCo
            actuator forces.
    """

    task: str = "insertion"
    fps: int = ALOHA_FPS
    episode_length: int = 400
    obs_type: str = "pixels_agent_pos"
    render_mode: str = "rgb_array"
    observation_height: int = 96
    observation_width: int = 128
    visualization_height: int = 240
    visualization_width: int = 320
    arm_joint_friction: float = 0.3
    gripper_joint_friction: float = 1.0
    arm_joint_damping: float = 2.0
    gripper_joint_damping: float = 20.0
    gripper_kp: float = 800.0
    wrist_kp: float = 200.0
    effort_noise_std: float = 0.0
    features: dict[str, PolicyFeature] = field(default_factory=dict)
    features_map: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_choice(env_flag("task"), self.task, ALOHA_TASKS)
        check_choice(env_flag("obs_type"), self.obs_type, OBS_TYPES)
        check_choice(env_flag("render_mode"), self.render_mode, ("rgb_array",))
        if self.fps != ALOHA_FPS:
            raise ValueError(f"--env.fps={self.fps}: gym-aloha steps at {ALOHA_FPS} Hz; drop --env.fps.")
        for name in ("episode_length", "observation_height", "observation_width"):
            if getattr(self, name) <= 0:
                raise ValueError(f"--env.{name} must be positive, got {getattr(self, name)}.")
        for name in (
            "arm_joint_friction",
            "gripper_joint_friction",
            "arm_joint_damping",
            "gripper_joint_damping",
            "gripper_kp",
            "wrist_kp",
            "effort_noise_std",
        ):
            check_number(env_flag(name), getattr(self, name), ge=0)
        self.features, self.features_map = effort_env_features(
            len(ALOHA_JOINTS), self.obs_type, ALOHA_CAMERA, self.observation_height, self.observation_width
        )

    @property
    def gym_kwargs(self) -> dict:
        return {"config": self}

    def create_envs(self, n_envs: int, use_async_envs: bool = False):
        try:
            from lerobot_torque.envs.aloha_insertion.env import AlohaInsertionTorqueEnv
        except ImportError as e:
            raise ImportError(
                "aloha_insertion_torque needs gym-aloha and dm_control: "
                "pip install 'lerobot_policy_torque[sim]' (or 'lerobot[aloha]')."
            ) from e
        return {
            self.type: {
                0: make_vector_env(partial(AlohaInsertionTorqueEnv, config=self), n_envs, use_async_envs)
            }
        }
