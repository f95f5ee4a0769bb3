"""`AlohaInsertionTorqueEnv`: gym-aloha's bimanual insertion with joint effort, behind
`--env.type=aloha_insertion_torque`.

Built from gym-aloha's own pieces (`gym_aloha.tasks.sim.InsertionTask`, its MJCF and its object
sampling ranges) on dm_control, like `gym_aloha.env.AlohaEnv`, with these differences:
- the observation adds `effort` (14,): the MuJoCo actuator force of each arm joint's position servo
  (N·m) and of each gripper's first finger (N), in gym-aloha's joint order, as the ALOHA datasets on
  the Hub store `observation.effort` (theirs in mA);
- arm friction is lowered and damping added (`AlohaInsertionTorqueEnvConfig`), so effort carries
  gravity and contact rather than 30-60 N·m of Coulomb friction;
- only the `top` camera is rendered, at low resolution, without shadows or multisampling;
- objects are placed from the env's own seeded generator (gym-aloha reseeds a global state).

Action (14,): 6 joint targets (rad) + a gripper opening in [0, 1] per arm, left arm first, as
gym-aloha. Success (`info["is_success"]`, episode terminated): the peg touches the socket's pin.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from lerobot_torque.envs.aloha_insertion.model import (
    ALOHA_CAMERA,
    ALOHA_JOINTS,
    EFFORT_ACTUATORS,
    FINGERS,
    ROBOT_DOFS,
    WRISTS,
)
from lerobot_torque.envs.rendering import CameraRenderer

if TYPE_CHECKING:
    from lerobot_torque.envs.configs import AlohaInsertionTorqueEnvConfig

TASK_DESCRIPTION = "Insert the peg into the socket."
# gym_aloha/utils.py: sample_insertion_pose (peg on the right half, socket on the left half).
PEG_RANGE = np.array([[0.1, 0.2], [0.4, 0.6], [0.05, 0.05]])
SOCKET_RANGE = np.array([[-0.2, -0.1], [0.4, 0.6], [0.05, 0.05]])


def _insertion_task_class():
    from gym_aloha.tasks.sim import InsertionTask

    class InsertionTaskWithoutCameras(InsertionTask):
        """gym-aloha's task without its three 480×640 renders per step; we render one camera."""

        def get_observation(self, physics):
            observation = collections.OrderedDict()
            observation["qpos"] = self.get_qpos(physics)
            observation["env_state"] = self.get_env_state(physics)
            return observation

    return InsertionTaskWithoutCameras


def prepare_model(physics, config: AlohaInsertionTorqueEnvConfig) -> None:
    """Replace gym-aloha's joint friction by the config's, add damping; no shadows, no multisampling
    (with Mesa's software EGL they take a 96×128 frame from 9 to 26 ms)."""
    model = physics.model
    for actuator in WRISTS:
        model.actuator_gainprm[actuator, 0] = config.wrist_kp
        model.actuator_biasprm[actuator, 1] = -config.wrist_kp
    for actuator in FINGERS:  # one position actuator per finger slide, in the same order as the dofs
        model.actuator_gainprm[actuator, 0] = config.gripper_kp
        model.actuator_biasprm[actuator, 1] = -config.gripper_kp
    for dof in range(ROBOT_DOFS):
        finger = dof in FINGERS
        model.dof_frictionloss[dof] = config.gripper_joint_friction if finger else config.arm_joint_friction
        model.dof_damping[dof] = config.gripper_joint_damping if finger else config.arm_joint_damping
    model.light_castshadow[:] = 0
    model.vis.quality.shadowsize = 0
    model.vis.quality.offsamples = 0


class AlohaInsertionTorqueEnv(gym.Env):
    """gym-aloha insertion with `effort` in the observation (see the module docstring)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(self, config: AlohaInsertionTorqueEnvConfig):
        from dm_control import mujoco
        from dm_control.rl import control
        from gym_aloha.constants import ASSETS_DIR, DT

        super().__init__()
        self.config = cfg = config
        self.render_mode = cfg.render_mode
        self.task = cfg.task
        self.task_description = TASK_DESCRIPTION
        self._max_episode_steps = cfg.episode_length
        self.metadata = {**self.metadata, "render_fps": cfg.fps}
        physics = mujoco.Physics.from_xml_path(str(ASSETS_DIR / "bimanual_viperx_insertion.xml"))
        prepare_model(physics, cfg)
        self._env = control.Environment(
            physics,
            _insertion_task_class()(),
            float("inf"),
            control_timestep=DT,
            n_sub_steps=None,
            flat_observation=False,
        )
        self.physics = physics
        self.uses_pixels = cfg.obs_type == "pixels_agent_pos"
        joints = len(ALOHA_JOINTS)
        obs = {
            "agent_pos": spaces.Box(-1000.0, 1000.0, (joints,), dtype=np.float64),
            "effort": spaces.Box(-1000.0, 1000.0, (joints,), dtype=np.float64),
        }
        if self.uses_pixels:
            image = spaces.Box(0, 255, (cfg.observation_height, cfg.observation_width, 3), dtype=np.uint8)
            obs["pixels"] = spaces.Dict({ALOHA_CAMERA: image})
        self.observation_space = spaces.Dict(obs)
        self.action_space = spaces.Box(-1.0, 1.0, (joints,), dtype=np.float32)  # as gym-aloha declares it
        self._steps = 0
        self._raw = None
        self._camera = CameraRenderer(ALOHA_CAMERA, "aloha top", cfg.obs_type)
        self.object_poses: np.ndarray | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        from gym_aloha.tasks import sim

        super().reset(seed=seed)
        peg = self.np_random.uniform(PEG_RANGE[:, 0], PEG_RANGE[:, 1])
        socket = self.np_random.uniform(SOCKET_RANGE[:, 0], SOCKET_RANGE[:, 1])
        quat = np.array([1.0, 0.0, 0.0, 0.0])
        self.object_poses = np.concatenate([peg, quat, socket, quat])
        sim.BOX_POSE[0] = self.object_poses  # gym-aloha's reset reads this module global
        self._raw = self._env.reset().observation
        self._steps = 0
        return self._observation(), {"is_success": False}

    def step(self, action: np.ndarray):
        action = np.asarray(action, dtype=np.float64).reshape(-1)
        if action.shape != (len(ALOHA_JOINTS),) or not np.all(np.isfinite(action)):
            raise ValueError(
                f"aloha_insertion_torque expects a finite action of shape ({len(ALOHA_JOINTS)},): 6 joint "
                f"targets (rad) and a gripper opening in [0, 1] per arm, left first; got {action!r}."
            )
        timestep = self._env.step(action)
        self._raw = timestep.observation
        self._steps += 1
        success = timestep.reward == self._env.task.max_reward
        truncated = not success and self._steps >= self.config.episode_length
        info = {"is_success": bool(success), "reward_stage": float(timestep.reward)}
        return self._observation(), float(timestep.reward), bool(success), truncated, info

    def render(self) -> np.ndarray:
        return self._camera_image(
            self.config.visualization_height, self.config.visualization_width, for_video=True
        )

    def close(self) -> None:
        self._camera.close()

    def effort(self) -> np.ndarray:
        """The 14 actuator forces MuJoCo applies (N·m for joints, N for the fingers), plus noise."""
        force = self.physics.data.actuator_force[list(EFFORT_ACTUATORS)].copy()
        if self.config.effort_noise_std > 0:
            force += self.np_random.normal(0.0, self.config.effort_noise_std, force.shape)
        return force

    def _observation(self) -> dict:
        obs = {"agent_pos": np.asarray(self._raw["qpos"], dtype=np.float64).copy(), "effort": self.effort()}
        if self.uses_pixels:
            obs["pixels"] = {
                ALOHA_CAMERA: self._camera_image(
                    self.config.observation_height, self.config.observation_width
                )
            }
        return obs

    def _camera_image(self, height: int, width: int, for_video: bool = False) -> np.ndarray:
        """MuJoCo's `Renderer` on dm_control's model and data (dm_control's own `render` rebuilds its
        scene on every call, ≈ 40 ms for a 96×128 frame)."""
        return self._camera.image(self.physics.model.ptr, self.physics.data.ptr, height, width, for_video)
