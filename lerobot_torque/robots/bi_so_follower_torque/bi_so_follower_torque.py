"""Bimanual SO follower with effort: LeRobot's `BiSOFollower` with two `SOFollowerTorque` arms.

`BiSOFollower.__init__` builds two plain `SOFollower` arms (ids `<id>_left`/`<id>_right`, top-level
cameras opened by the left arm); we replace each by an `SOFollowerTorque` with the same id,
calibration directory and cameras plus the arm's effort options. Observation and action routing
(`left_`/`right_` prefixes) stay LeRobot's; the observation features gain the effort entries, and
`read_state` reads both arms without the cameras.
"""

from dataclasses import fields
from functools import cached_property

from lerobot.robots.bi_so_follower import BiSOFollower
from lerobot.robots.so_follower import SOFollower
from lerobot.utils.decorators import check_if_not_connected

from lerobot_torque.robots.bi_so_follower_torque.config_bi_so_follower_torque import BiSOFollowerTorqueConfig
from lerobot_torque.robots.so_follower_torque.config_so_follower_torque import (
    SOFollowerTorqueArmConfig,
    SOFollowerTorqueConfig,
)
from lerobot_torque.robots.so_follower_torque.so_follower_torque import SOFollowerTorque


def with_effort(arm: SOFollower, options: SOFollowerTorqueArmConfig) -> SOFollowerTorque:
    """An SOFollowerTorque with `arm`'s id, calibration directory and cameras and the given options."""
    values = {f.name: getattr(options, f.name) for f in fields(SOFollowerTorqueArmConfig)}
    values["cameras"] = arm.config.cameras
    config = SOFollowerTorqueConfig(**values, id=arm.config.id, calibration_dir=arm.config.calibration_dir)
    return SOFollowerTorque(config)


class BiSOFollowerTorque(BiSOFollower):
    """Two [SO followers](https://github.com/TheRobotStudio/SO-ARM100) that report joint effort."""

    config_class = BiSOFollowerTorqueConfig
    name = "bi_so_follower_torque"

    def __init__(self, config: BiSOFollowerTorqueConfig):
        super().__init__(config)
        self.left_arm = with_effort(self.left_arm, config.left_arm_config)
        self.right_arm = with_effort(self.right_arm, config.right_arm_config)
        self.cameras = {**self.left_arm.cameras, **self.right_arm.cameras}

    @property
    def _effort_ft(self) -> dict[str, type]:
        return {
            **{f"left_{key}": kind for key, kind in self.left_arm._effort_ft.items()},
            **{f"right_{key}": kind for key, kind in self.right_arm._effort_ft.items()},
        }

    @cached_property
    def observation_features(self) -> dict[str, type | tuple]:
        return {**self._motors_ft, **self._effort_ft, **self._cameras_ft}

    @check_if_not_connected
    def read_state(self) -> dict[str, float]:
        """`get_observation()` without the cameras: both arms' `.pos`, `.effort` (and `.effort_ext`)."""
        return {
            **{f"left_{key}": value for key, value in self.left_arm.read_state().items()},
            **{f"right_{key}": value for key, value in self.right_arm.read_state().items()},
        }
