"""ALOHA's bimanual leader: two `WidowXLeader` arms, actions prefixed `left_`/`right_` (LeRobot's
`bi_so_leader` routing; lifecycle from LeRobot's `BimanualMixin`)."""

from dataclasses import fields
from functools import cached_property

from lerobot.lerobot_types import RobotAction
from lerobot.teleoperators.teleoperator import Teleoperator
from lerobot.utils.bimanual import BimanualMixin
from lerobot.utils.decorators import check_if_not_connected

from lerobot_torque.teleoperators.aloha_leader.config_aloha_leader import AlohaLeaderConfig
from lerobot_torque.teleoperators.widowx_leader.config_widowx_leader import (
    WidowXArmConfig,
    WidowXLeaderConfig,
)
from lerobot_torque.teleoperators.widowx_leader.widowx_leader import WidowXLeader


def leader_arm(config: AlohaLeaderConfig, side: str) -> WidowXLeader:
    """The `side` leader with id `<id>_<side>` and the teleoperator's calibration directory."""
    options = getattr(config, f"{side}_arm_config")
    values = {f.name: getattr(options, f.name) for f in fields(WidowXArmConfig)}
    arm_id = f"{config.id}_{side}" if config.id else None
    return WidowXLeader(WidowXLeaderConfig(**values, id=arm_id, calibration_dir=config.calibration_dir))


class AlohaLeader(BimanualMixin, Teleoperator):
    """[ALOHA](https://tonyzhaozh.github.io/aloha/) leader arms."""

    config_class = AlohaLeaderConfig
    name = "aloha_leader"

    def __init__(self, config: AlohaLeaderConfig):
        super().__init__(config)
        self.config = config
        self.left_arm = leader_arm(config, "left")
        self.right_arm = leader_arm(config, "right")

    @cached_property
    def action_features(self) -> dict[str, type]:
        return {
            **{f"left_{key}": kind for key, kind in self.left_arm.action_features.items()},
            **{f"right_{key}": kind for key, kind in self.right_arm.action_features.items()},
        }

    @cached_property
    def feedback_features(self) -> dict[str, type]:
        return {}

    @check_if_not_connected
    def get_action(self) -> RobotAction:
        return {
            **{f"left_{key}": value for key, value in self.left_arm.get_action().items()},
            **{f"right_{key}": value for key, value in self.right_arm.get_action().items()},
        }

    def send_feedback(self, feedback: dict[str, float]) -> None:
        raise NotImplementedError("The ALOHA leaders have no force feedback (torque stays off).")
