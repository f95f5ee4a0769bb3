"""Config fields shared by every effort-reporting robot (CLI: `--robot.<field>`, per arm for bimanual)."""

from dataclasses import dataclass
from enum import StrEnum

from lerobot_torque.config_checks import check_numbers, parse_choice

# Default guard limit as a fraction of what the effort reading shows at motor stall (this port).
# Chosen to fire only near stall, where position-controlled servos otherwise push until their own
# overload protection cuts torque (the arm then drops); the arm's own weight stays well below it
# (SO-101 shoulder_lift ≤ 0.86 N·m over its range in our model: 29 % of a 12 V STS3215 stall, 45 % of
# a 7.4 V one; tests/robots/test_external_effort.py).
DEFAULT_LIMIT_FRACTION_OF_STALL = 0.8


class ModelTorque(StrEnum):
    """Which model torque `*.effort_ext` subtracts from the measured torque."""

    GRAVITY = "gravity"  # G(q): quasi-static, paper appendix A.2.4
    INVERSE_DYNAMICS = "inverse_dynamics"  # M(q)q̈ + C(q,q̇)q̇ + G(q), paper eq. (1)


@dataclass(kw_only=True)
class EffortOptions:
    """Safety guard and external-torque options.

    Args:
        effort_guard: Hold a joint at its present position while its |effort| exceeds its limit
            (lerobot_torque/robots/effort/guard.py). Default on, see docs/robots.md
            ("Effort safety guard").
        effort_limits: |effort| limits in the unit the robot reports effort in. None: 80 % of each
            arm joint's stall reading (`DEFAULT_LIMIT_FRACTION_OF_STALL`), gripper unguarded; a number:
            that limit for every arm joint; a dict: exactly the joints it names.
        external_effort: Also report `<joint>.effort_ext` = measured − model torque in N·m for the arm
            joints (paper §3, appendix A.2), computed with MuJoCo. The gripper has none (A.2 eq. 8-9).
        external_effort_model: `gravity` (quasi-static, A.2.4) or `inverse_dynamics` (adds inertia and
            Coriolis terms from finite-difference velocities).
        external_effort_mjcf: MJCF file of one arm to use instead of the robot's default model; its
            joint names must be the robot's joint names.
    """

    effort_guard: bool = True
    effort_limits: float | dict[str, float] | None = None
    external_effort: bool = False
    external_effort_model: ModelTorque = ModelTorque.GRAVITY
    external_effort_mjcf: str | None = None

    def __post_init__(self):
        self.external_effort_model = parse_choice(
            ModelTorque, self.external_effort_model, "external_effort_model"
        )
        if self.effort_limits is not None:
            check_numbers("effort_limits", self.effort_limits, gt=0)
