"""`<joint>.effort_ext` for a recorded dataset: measured − model torque (`lerobot-torque-dataset external`).

The same computation our robots do live with `external_effort=true` (lerobot_torque/robots/effort/
external.py, paper §3 and appendix A.2), on the frames of a dataset, with the robots' MuJoCo models:
- `so101`: our simplified SO-101 (robots/assets/so101_simplified.xml), joints named like LeRobot's
  motors; positions in degrees (LeRobot's SO follower with `use_degrees=true`);
- `viperx`: gym-aloha's ViperX 300 S (robots/viperx_follower_torque/viperx_model.py), for `<joint>` or
  `left_<joint>` / `right_<joint>` names (one model serves both arms); positions in rad;
- `torque_press`: the arm of our simulated press (envs/torque_press/scene.py); positions in rad;
- `--mjcf PATH`: your MJCF whose joint names are the dataset's joint names.
Grippers get none (their effort carries no end-effector contact torque, paper A.2 eq. 8-9). The
measured effort must be in N·m (record or convert it first with `lerobot-torque-dataset units`).
With `inverse_dynamics`, q̇ and q̈ are finite differences over the frames' timestamps, restarted at
every episode (`JointRates`).

The new entries are appended to `observation.state` in the robots' order (after every `.effort`),
with their unit (N·m) and source recorded in `meta/info.json`.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lerobot_torque.constants import EFFORT_EXT_SUFFIX
from lerobot_torque.datasets.effort_meta import EffortChannel
from lerobot_torque.robots.effort.external import ExternalEffortModel, JointRates, import_mujoco
from lerobot_torque.robots.effort.options import ModelTorque

ARM_PREFIX = re.compile(r"^(left_|right_)")


@dataclass(frozen=True)
class ArmModel:
    """A MuJoCo arm model: how to build it for some joints, and the unit of its positions."""

    name: str
    description: str
    position_unit: str  # "deg" or "rad"
    build: Callable[[list[str]], ExternalEffortModel]  # dataset joints (without prefix) → model
    strip_arm_prefix: bool = False


def _so101(joints: list[str]) -> ExternalEffortModel:
    from lerobot_torque.robots.so_follower_torque.so_follower_torque import SO101_MJCF

    model = import_mujoco().MjModel.from_xml_path(str(SO101_MJCF))
    return ExternalEffortModel(model, {joint: joint for joint in joints})


def _viperx(joints: list[str]) -> ExternalEffortModel:
    from lerobot_torque.robots.viperx_follower_torque.viperx_model import (
        GYM_ALOHA_ARM_PREFIX,
        gym_aloha_assets,
        viperx_mjcf_xml,
    )

    mapping = {joint: GYM_ALOHA_ARM_PREFIX + joint for joint in joints}
    return ExternalEffortModel.from_xml(viperx_mjcf_xml(gym_aloha_assets()), mapping)


def _torque_press(joints: list[str]) -> ExternalEffortModel:
    from lerobot_torque.envs.configs import PHYSICS_TIMESTEP_S
    from lerobot_torque.envs.torque_press.scene import (
        BUTTON_TRAVEL,
        JOINT_ARMATURE,
        JOINT_DAMPING,
        press_scene_xml,
    )

    xml = press_scene_xml(BUTTON_TRAVEL, JOINT_DAMPING, JOINT_ARMATURE, 0.0, 64, 64, PHYSICS_TIMESTEP_S)
    return ExternalEffortModel.from_xml(xml, {joint: joint for joint in joints})


ARM_MODELS = {
    "so101": ArmModel("so101", "simplified SO-101 MJCF of lerobot-torque", "deg", _so101),
    "viperx": ArmModel("viperx", "gym-aloha's ViperX 300 S MJCF", "rad", _viperx, strip_arm_prefix=True),
    "torque_press": ArmModel("torque_press", "the torque_press arm (lerobot-torque)", "rad", _torque_press),
}


def custom_model(path: str, position_unit: str) -> ArmModel:
    def build(joints: list[str]) -> ExternalEffortModel:
        model = import_mujoco().MjModel.from_xml_path(path)
        return ExternalEffortModel(model, {joint: joint for joint in joints})

    return ArmModel("mjcf", f"MJCF {path}", position_unit, build)


def arm_groups(channels: list[EffortChannel], model: ArmModel) -> dict[str, list[EffortChannel]]:
    """Channels per arm (`left_`, `right_` or '' prefix), grippers left out."""
    groups: dict[str, list[EffortChannel]] = {}
    for ch in channels:
        if "gripper" in ch.joint:
            continue
        prefix = ARM_PREFIX.match(ch.joint)
        arm = prefix.group(1) if (prefix and model.strip_arm_prefix) else ""
        groups.setdefault(arm, []).append(ch)
    return groups


def external_effort(
    measured: np.ndarray,
    positions: np.ndarray,
    timestamps: np.ndarray,
    episode_starts: list[int],
    model: ExternalEffortModel,
    model_torque: ModelTorque,
    progress: Callable | None = None,
) -> np.ndarray:
    """δτ = τ_measured − τ_model for every frame; all arrays (frames, joints) in N·m and rad."""
    rates = JointRates()
    starts = set(episode_starts)
    out = np.empty_like(measured, dtype=np.float64)
    frames = range(len(measured)) if progress is None else progress(range(len(measured)))
    for i in frames:
        if i in starts:
            rates.reset()
        qd = qdd = None
        if model_torque is ModelTorque.INVERSE_DYNAMICS:
            qd, qdd = rates.update(positions[i], float(timestamps[i]))
        out[i] = model.external_torque_nm(measured[i], positions[i], qd, qdd)
    return out


def external_names(channels: list[EffortChannel]) -> list[str]:
    return [f"{ch.joint}{EFFORT_EXT_SUFFIX}" for ch in channels]
