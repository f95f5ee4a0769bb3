"""The joint reading of an effort follower: one bus transaction, reused by the guard, turned into
the external torque of its arm joints.

Every follower of ours reads positions and effort of all motors in one block read (`read_joints`),
which `read_state()` returns as the observation without cameras (our async robot client calls it at
every control step).
`send_action` runs the effort guard on a reading no older than `GUARD_READING_MAX_AGE_S` rather than
reading the bus again (`recent_reading`), and `<joint>.effort_ext` is measured − model torque of the
arm joints (`external.py`, paper eq. 3), with q̇ and q̈ from successive readings for
`ModelTorque.INVERSE_DYNAMICS`.
"""

import time
from dataclasses import dataclass

import numpy as np

from lerobot.utils.decorators import check_if_not_connected

from lerobot_torque.constants import EFFORT_EXT_SUFFIX, EFFORT_SUFFIX
from lerobot_torque.robots.effort.external import ExternalEffortModel, JointRates
from lerobot_torque.robots.effort.options import ModelTorque

# The guard trusts a reading this recent instead of reading the bus again in send_action: within one
# control step of lerobot-record at 30 fps, get_observation precedes send_action by a few ms (this port).
GUARD_READING_MAX_AGE_S = 0.05


@dataclass
class JointReading:
    """One block read of a follower.

    Args:
        positions: Joint positions in the robot's LeRobot units (SO: degrees or -100…100; ViperX: rad,
            gripper 0…1).
        effort: Reported effort per motor or joint, in the configured unit.
        motor_values: What the effort was computed from, per motor (SO: the decoded effort register;
            ViperX: the motor current in mA), for the joint torque in N·m whatever the reported unit.
        time: `time.perf_counter()` when the read returned.
    """

    positions: dict[str, float]
    effort: dict[str, float]
    motor_values: dict[str, float]
    time: float


class EffortReadings:
    """The reading side shared by our followers (a mixin before the LeRobot robot class).

    A follower sets `external` (an `ExternalEffortModel` or None) and `external_joints` (the arm
    joints, in the model's order), has `config.external_effort_model` (`EffortOptions`), calls
    `reset_readings()` when built and when connected, and implements the three methods that raise.
    """

    last_reading: JointReading | None
    rates: JointRates
    external: ExternalEffortModel | None
    external_joints: list[str]

    def reset_readings(self) -> None:
        """No reading to reuse, and q̇/q̈ start again from the next reading."""
        self.last_reading = None
        self.rates = JointRates()

    def read_joints(self) -> JointReading:
        """Read positions and effort of every motor in one bus transaction; store it in `last_reading`."""
        raise NotImplementedError

    def _joint_angles_rad(self, reading: JointReading) -> np.ndarray:
        """Angles of `external_joints` in rad."""
        raise NotImplementedError

    def _measured_torque_nm(self, reading: JointReading) -> np.ndarray:
        """Measured torque of `external_joints` in N·m."""
        raise NotImplementedError

    @check_if_not_connected
    def read_state(self) -> dict[str, float]:
        """`get_observation()` without the cameras: `.pos`, `.effort` (and `.effort_ext`), one read."""
        reading = self.read_joints()
        state = {f"{name}.pos": value for name, value in reading.positions.items()}
        state |= {f"{name}{EFFORT_SUFFIX}": value for name, value in reading.effort.items()}
        if self.external is not None:
            state |= self._external_effort(reading)
        return state

    def recent_reading(self) -> JointReading:
        """The last reading if younger than GUARD_READING_MAX_AGE_S, else a new one."""
        if (
            self.last_reading is None
            or time.perf_counter() - self.last_reading.time > GUARD_READING_MAX_AGE_S
        ):
            return self.read_joints()
        return self.last_reading

    def _external_effort(self, reading: JointReading) -> dict[str, float]:
        """`<joint>.effort_ext` of the arm joints: measured − model torque (N·m)."""
        q = self._joint_angles_rad(reading)
        measured = self._measured_torque_nm(reading)
        qd = qdd = None
        if self.config.external_effort_model is ModelTorque.INVERSE_DYNAMICS:
            qd, qdd = self.rates.update(q, reading.time)
        external = self.external.external_torque_nm(measured, q, qd, qdd)
        return {
            f"{joint}{EFFORT_EXT_SUFFIX}": float(v)
            for joint, v in zip(self.external_joints, external, strict=True)
        }
