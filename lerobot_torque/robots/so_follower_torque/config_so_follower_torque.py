"""Config of the SO-100/SO-101 follower with effort (`--robot.type=so100_follower_torque` / `so101_…`)."""

from dataclasses import dataclass
from enum import StrEnum

from lerobot.robots.config import RobotConfig
from lerobot.robots.so_follower.config_so_follower import SOFollowerConfig
from lerobot.utils.constants import HF_LEROBOT_CALIBRATION, ROBOTS

from lerobot_torque.config_checks import check_numbers, parse_choice
from lerobot_torque.robots.effort.feetech_units import (
    STS3215_12V_STALL_CURRENT_A,
    STS3215_12V_STALL_TORQUE_NM,
)
from lerobot_torque.robots.effort.options import EffortOptions

# LeRobot's SOFollower.name: we read and write the calibration files LeRobot's so100/so101 use.
SO_FOLLOWER_CALIBRATION_NAME = "so_follower"


class EffortRegister(StrEnum):
    """Feetech register read as effort (lerobot_torque/robots/effort/feetech_units.py)."""

    LOAD = "load"  # Present_Load, addr 60: ±1000 = ±100 % of max output; read with positions in 6 bytes
    CURRENT = "current"  # Present_Current, addr 69: 6.5 mA/unit; read with positions in 15 bytes


class EffortUnit(StrEnum):
    """Unit of `<motor>.effort`."""

    RAW = "raw"  # the decoded register value (load: 0.1 %, current: 6.5 mA)
    NEWTON_METERS = "nm"  # N·m through stall_torque_nm (load) or stall_torque_nm / stall_current_a (current)


@dataclass
class SOFollowerTorqueArmConfig(SOFollowerConfig, EffortOptions):
    """LeRobot's SO follower options + effort options (EffortOptions) + the fields below.

    Args:
        effort_register: `load` (default: what most SO users log, one 6-byte block read) or `current`.
        effort_unit: `raw` register units (default; the policy normalises with dataset stats) or `nm`.
        stall_torque_nm: Stall torque per motor (one number for all, or a dict by motor name).
            Default: 12 V STS3215, 30 kgf·cm = 2.94 N·m (Feetech datasheet). 7.4 V STS3215 (standard
            SO-101 kit): 19.5 kgf·cm = 1.91 N·m.
        stall_current_a: Stall current per motor, for current → N·m (k_t = stall torque / stall
            current). Default: 12 V STS3215, 2.7 A.
    """

    effort_register: EffortRegister = EffortRegister.LOAD
    effort_unit: EffortUnit = EffortUnit.RAW
    stall_torque_nm: float | dict[str, float] = STS3215_12V_STALL_TORQUE_NM
    stall_current_a: float | dict[str, float] = STS3215_12V_STALL_CURRENT_A

    def __post_init__(self):
        EffortOptions.__post_init__(self)
        self.effort_register = parse_choice(EffortRegister, self.effort_register, "effort_register")
        self.effort_unit = parse_choice(EffortUnit, self.effort_unit, "effort_unit")
        if self.max_relative_target is not None:  # LeRobot's field; a NaN would reach the motor goals
            check_numbers("max_relative_target", self.max_relative_target, gt=0)
        check_numbers("stall_torque_nm", self.stall_torque_nm, gt=0)
        check_numbers("stall_current_a", self.stall_current_a, gt=0)
        if self.external_effort and not self.use_degrees:
            raise ValueError(
                "external_effort=true needs joint angles: set use_degrees=true (the default), or "
                "external_effort=false."
            )


@RobotConfig.register_subclass("so101_follower_torque")
@RobotConfig.register_subclass("so100_follower_torque")
@dataclass
class SOFollowerTorqueConfig(RobotConfig, SOFollowerTorqueArmConfig):
    """SO-100/SO-101 follower that reports `<motor>.pos`, `<motor>.effort` (and `.effort_ext`).

    Calibration files are shared with LeRobot's `so100_follower`/`so101_follower` (same directory).
    """

    def __post_init__(self):
        RobotConfig.__post_init__(self)  # checks camera configs; does not chain to the arm config
        SOFollowerTorqueArmConfig.__post_init__(self)
        if self.calibration_dir is None:
            self.calibration_dir = HF_LEROBOT_CALIBRATION / ROBOTS / SO_FOLLOWER_CALIBRATION_NAME
