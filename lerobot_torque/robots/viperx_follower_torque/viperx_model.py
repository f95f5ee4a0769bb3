"""MuJoCo model of one ViperX 300 S arm for the external torque, loaded from the installed gym-aloha.

gym-aloha (Apache-2.0, installed with `lerobot[aloha]`) ships the ALOHA simulation's ViperX MJCF
(`gym_aloha/assets/vx300s_left.xml` with `vx300s_dependencies.xml` and STL meshes), derived from the
Interbotix model with the same joint zeros and axes as the real arm: the simulated and the real ALOHA
datasets share START_ARM_POSE. We load those files where pip installed them and ship none of them.
The right arm has the same kinematics and mass properties, so one model serves both arms.
"""

from pathlib import Path

from lerobot_torque.robots.effort.external import ExternalEffortModel, import_mujoco
from lerobot_torque.robots.interbotix import ARM_JOINTS

GYM_ALOHA_ARM_PREFIX = "vx300s_left/"


def gym_aloha_assets() -> Path:
    """Directory of gym-aloha's MJCF assets, or an ImportError naming our extra."""
    try:
        import gym_aloha
    except ImportError as e:
        raise ImportError(
            "aloha_torque's external effort uses the ViperX model of gym-aloha, which is not installed. "
            "Install it with `pip install 'lerobot_policy_torque[sim]'`, pass your own model with "
            "--robot.external_effort_mjcf, or set external_effort=false."
        ) from e
    return Path(gym_aloha.__file__).parent / "assets"


def viperx_mjcf_xml(assets: Path) -> str:
    """An MJCF document with gym-aloha's left ViperX as the only body tree."""
    return f"""<mujoco model="vx300s_single_arm">
  <compiler angle="radian" meshdir="{assets}"/>
  <include file="{assets / "vx300s_dependencies.xml"}"/>
  <worldbody><include file="{assets / "vx300s_left.xml"}"/></worldbody>
</mujoco>"""


def load_viperx_model(mjcf_path: str | None) -> ExternalEffortModel:
    """External-torque model from `mjcf_path` (joints named like ours) or from gym-aloha's ViperX."""
    if mjcf_path is not None:
        model = import_mujoco().MjModel.from_xml_path(mjcf_path)
        return ExternalEffortModel(model, {joint: joint for joint in ARM_JOINTS})
    joints = {joint: GYM_ALOHA_ARM_PREFIX + joint for joint in ARM_JOINTS}
    return ExternalEffortModel.from_xml(viperx_mjcf_xml(gym_aloha_assets()), joints)
