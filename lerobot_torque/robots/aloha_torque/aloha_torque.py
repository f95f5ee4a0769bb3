"""ALOHA's bimanual follower: two `ViperXFollowerTorque` arms (left, right) and the shared cameras.

Names follow the `lerobot/aloha_static_*` datasets with LeRobot's `.pos`/`.effort` suffixes:
`left_waist.pos`, …, `right_gripper.pos`, then `left_waist.effort`, …; arms routed by the `left_`/
`right_` prefix as LeRobot's `bi_so_follower`. Arm lifecycle (connect, calibrate, disconnect) is
LeRobot's `BimanualMixin`; the top-level cameras are opened here.
"""

from dataclasses import fields
from functools import cached_property

from lerobot.cameras import make_cameras_from_configs
from lerobot.lerobot_types import RobotAction, RobotObservation
from lerobot.robots.robot import Robot
from lerobot.utils.bimanual import BimanualMixin
from lerobot.utils.decorators import check_if_already_connected, check_if_not_connected

from lerobot_torque.robots.aloha_torque.config_aloha_torque import AlohaTorqueConfig
from lerobot_torque.robots.camera_frames import camera_features, read_camera_frames
from lerobot_torque.robots.viperx_follower_torque.config_viperx_follower_torque import (
    ViperXArmConfig,
    ViperXFollowerTorqueConfig,
)
from lerobot_torque.robots.viperx_follower_torque.viperx_follower_torque import ViperXFollowerTorque

SIDES = ("left", "right")


def arm_robot(config: AlohaTorqueConfig, side: str) -> ViperXFollowerTorque:
    """The `side` arm with id `<id>_<side>` and the robot's calibration directory."""
    options = getattr(config, f"{side}_arm_config")
    values = {f.name: getattr(options, f.name) for f in fields(ViperXArmConfig)}
    arm_id = f"{config.id}_{side}" if config.id else None
    return ViperXFollowerTorque(
        ViperXFollowerTorqueConfig(**values, id=arm_id, calibration_dir=config.calibration_dir)
    )


def prefixed(side: str, values: dict) -> dict:
    return {f"{side}_{key}": value for key, value in values.items()}


class AlohaTorque(BimanualMixin, Robot):
    """[ALOHA](https://tonyzhaozh.github.io/aloha/) follower arms with joint effort."""

    config_class = AlohaTorqueConfig
    name = "aloha_torque"

    def __init__(self, config: AlohaTorqueConfig):
        super().__init__(config)
        self.config = config
        self.left_arm = arm_robot(config, "left")
        self.right_arm = arm_robot(config, "right")
        self.cameras = make_cameras_from_configs(config.cameras)

    def _arm_features(self, kind: str) -> dict[str, type]:
        return {
            **prefixed("left", getattr(self.left_arm, kind)),
            **prefixed("right", getattr(self.right_arm, kind)),
        }

    @property
    def _cameras_ft(self) -> dict[str, tuple]:
        return camera_features(self.config.cameras)

    @cached_property
    def observation_features(self) -> dict[str, type | tuple]:
        return {**self._arm_features("_motors_ft"), **self._arm_features("_effort_ft"), **self._cameras_ft}

    @cached_property
    def action_features(self) -> dict[str, type]:
        return self._arm_features("_motors_ft")

    @property
    def is_connected(self) -> bool:
        return super().is_connected and all(camera.is_connected for camera in self.cameras.values())

    @check_if_already_connected
    def connect(self, calibrate: bool = True) -> None:
        super().connect(calibrate)
        for camera in self.cameras.values():
            camera.connect()

    @check_if_not_connected
    def read_state(self) -> dict[str, float]:
        """`get_observation()` without the cameras: both arms' `.pos`, `.effort` (and `.effort_ext`)."""
        return {
            **prefixed("left", self.left_arm.read_state()),
            **prefixed("right", self.right_arm.read_state()),
        }

    @check_if_not_connected
    def get_observation(self) -> RobotObservation:
        obs = {
            **prefixed("left", self.left_arm.get_observation()),
            **prefixed("right", self.right_arm.get_observation()),
        }
        return obs | read_camera_frames(str(self), self.cameras)

    @check_if_not_connected
    def send_action(self, action: RobotAction) -> RobotAction:
        sent = {}
        for side, arm in zip(SIDES, (self.left_arm, self.right_arm), strict=True):
            arm_action = {
                key.removeprefix(f"{side}_"): v for key, v in action.items() if key.startswith(f"{side}_")
            }
            sent |= prefixed(side, arm.send_action(arm_action))
        return sent

    @check_if_not_connected
    def disconnect(self) -> None:
        super().disconnect()
        for camera in self.cameras.values():
            camera.disconnect()
