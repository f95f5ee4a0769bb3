"""What a person's hand does to joints whose motor torque is off (joint angles in rad over time).

A follower with torque off is held where it is (`hold`) or swept through its range for
`lerobot-calibrate` (`sweep`); a leader arm is moved by the operator, here a scripted `wave` that
lowers the follower's tool onto the contact block and lifts it again, or `sweep`.
"""

import math
from dataclasses import dataclass
from enum import StrEnum


class HandMotion(StrEnum):
    HOLD = "hold"  # keep each released joint where it was released
    SWEEP = "sweep"  # to the middle of the range, hold 3 s, then a 2 s sine over 90 % of the range
    WAVE = "wave"  # slow teleoperation-like motion around the home pose, pressing on the block


@dataclass(frozen=True)
class JointRange:
    low: float
    high: float

    @property
    def middle(self) -> float:
        return (self.low + self.high) / 2

    @property
    def half_span(self) -> float:
        return (self.high - self.low) / 2


SWEEP_PERIOD_S = 2.0
SWEEP_FRACTION = 0.9
# `sweep` first brings a released joint to the middle of its range (1 s) and holds it there, so the
# operator can answer LeRobot's "move to the middle … press ENTER" before the range sweep begins.
SWEEP_MOVE_S = 1.0
SWEEP_HOLD_S = 3.0
WAVE_PERIOD_S = 4.0


class Hand:
    """Target angle of every released joint at time `t` (s since the simulation started).

    Args:
        motion: The motion.
        ranges: Joint name → range (rad), in the order of the arm's motors.
        home: Joint name → home angle (rad); `wave` moves around it.
        wave_amplitude: Joint name → amplitude (rad) of the `wave` motion.
    """

    def __init__(
        self,
        motion: HandMotion,
        ranges: dict[str, JointRange],
        home: dict[str, float],
        wave_amplitude: dict[str, float],
    ):
        self.motion = HandMotion(motion)
        self.ranges = ranges
        self.home = home
        self.wave_amplitude = wave_amplitude
        self._released_at: dict[str, tuple[float, float]] = {}  # joint → (time, angle) at release

    def release(self, joint: str, t: float, angle: float) -> None:
        self._released_at[joint] = (t, angle)

    def grab(self, joint: str) -> None:
        self._released_at.pop(joint, None)

    def target(self, joint: str, t: float) -> float:
        released_t, released_angle = self._released_at.get(joint, (0.0, self.home[joint]))
        if self.motion is HandMotion.HOLD:
            return released_angle
        if self.motion is HandMotion.SWEEP:
            joint_range, elapsed = self.ranges[joint], t - released_t
            if elapsed < SWEEP_MOVE_S:
                blend = 0.5 * (1 - math.cos(math.pi * elapsed / SWEEP_MOVE_S))
                return released_angle + blend * (joint_range.middle - released_angle)
            phase = 2 * math.pi * max(0.0, elapsed - SWEEP_MOVE_S - SWEEP_HOLD_S) / SWEEP_PERIOD_S
            return joint_range.middle + SWEEP_FRACTION * joint_range.half_span * math.sin(phase)
        # WAVE: all joints on one slow cycle; the lift joints go down on the block and back up.
        phase = 2 * math.pi * t / WAVE_PERIOD_S
        return self.home[joint] + self.wave_amplitude.get(joint, 0.0) * 0.5 * (1 - math.cos(phase))
