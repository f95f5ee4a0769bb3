"""One ALOHA leader arm (Interbotix WidowX 250 S): joint positions as actions for a ViperX follower.

As ALOHA's `setup_leader_bot` (aloha/robot_utils.py) the arm is moved by hand with torque off. Only
the primary motors are on the bus (the shadows of shoulder and elbow add nothing to a passive arm).
Actions use the follower's units: arm joints in rad (zero at position 2048, the Interbotix
convention), gripper 0 (closed) … 1 (open). Calibration is stored like LeRobot's teleoperators;
`calibrate()` writes the Interbotix factory values (wx250s.yaml), there is no manual procedure.
"""

import logging
from functools import cached_property

from lerobot.lerobot_types import RobotAction
from lerobot.motors.dynamixel import DynamixelMotorsBus
from lerobot.teleoperators.teleoperator import Teleoperator
from lerobot.utils.decorators import check_if_already_connected, check_if_not_connected

from lerobot_torque.robots.effort.dynamixel_units import position_units_to_radians
from lerobot_torque.robots.interbotix import (
    GRIPPER,
    JOINTS,
    WIDOWX_MOTORS,
    bus_motors,
    factory_calibration,
    gripper_radians_to_normalized,
)
from lerobot_torque.teleoperators.widowx_leader.config_widowx_leader import WidowXLeaderConfig

logger = logging.getLogger(__name__)


class WidowXLeader(Teleoperator):
    """[WidowX 250 S](https://www.trossenrobotics.com/widowx-250) leader arm of ALOHA."""

    config_class = WidowXLeaderConfig
    name = "widowx_leader"

    def __init__(self, config: WidowXLeaderConfig):
        super().__init__(config)
        self.config = config
        self.bus = DynamixelMotorsBus(
            port=config.port,
            motors=bus_motors(WIDOWX_MOTORS),
            calibration=self.calibration,
        )

    @cached_property
    def action_features(self) -> dict[str, type]:
        return {f"{joint}.pos": float for joint in JOINTS}

    @cached_property
    def feedback_features(self) -> dict[str, type]:
        return {}

    @property
    def is_connected(self) -> bool:
        return self.bus.is_connected

    @check_if_already_connected
    def connect(self, calibrate: bool = True) -> None:
        self.bus.connect()
        if not self.is_calibrated and calibrate:
            logger.info("%s: motors differ from the calibration file (or there is none); calibrating.", self)
            self.calibrate()
        self.configure()
        logger.info("%s connected.", self)

    @property
    def is_calibrated(self) -> bool:
        return self.bus.is_calibrated

    def calibrate(self) -> None:
        """Write the calibration file's values, or the Interbotix factory values, then save them."""
        self.bus.disable_torque()
        if not self.calibration:
            self.calibration = factory_calibration(WIDOWX_MOTORS)
        for motor, calibration in self.calibration.items():
            self.bus.write("Drive_Mode", motor, calibration.drive_mode)
        self.bus.write_calibration(self.calibration)
        self._save_calibration()
        logger.info("%s: calibration saved to %s", self, self.calibration_fpath)

    def configure(self) -> None:
        """Torque off: the operator moves the arm (ALOHA `setup_leader_bot`)."""
        self.bus.disable_torque()
        self.bus.configure_motors()

    @check_if_not_connected
    def get_action(self) -> RobotAction:
        raw = self.bus.sync_read("Present_Position", normalize=False, num_retry=self.config.num_read_retries)
        action = {f"{joint}.pos": position_units_to_radians(raw[joint]) for joint in JOINTS}
        action[f"{GRIPPER}.pos"] = gripper_radians_to_normalized(
            action[f"{GRIPPER}.pos"], self.config.gripper_closed_rad, self.config.gripper_open_rad
        )
        return action

    def send_feedback(self, feedback: dict[str, float]) -> None:
        raise NotImplementedError("The WidowX leader has no force feedback (torque stays off).")

    @check_if_not_connected
    def disconnect(self) -> None:
        self.bus.disconnect(disable_torque=False)
        logger.info("%s disconnected.", self)
