"""Effort safety guard: a joint whose |effort| exceeds its limit holds its present position.

Behaviour (documented in docs/robots.md, "Effort safety guard"):
- Per joint: only the joints over their limit are held, the others keep following the action, so
  a policy or teleoperator can still move the arm away from the contact. Holding the present
  position removes the position error that makes a position-controlled servo push, so the held
  joint's effort falls and the joint is released on a later step: effort stays near the limit.
- One warning per event: an event starts when a joint goes over its limit and ends when it is back
  under it.
- Joints without a limit are never held (by default the gripper: squeezing is its job, and its
  effort carries no end-effector contact torque, paper appendix A.2 eq. 8-9).
"""

import logging

from lerobot.lerobot_types import RobotAction

logger = logging.getLogger(__name__)


def resolve_effort_limits(
    limits: float | dict[str, float] | None, default: dict[str, float], joints: list[str]
) -> dict[str, float]:
    """Per-joint limits from a config value: None → `default`; a float → every joint of `default`;
    a dict → exactly its joints. Raises ValueError naming the bad joint or value."""
    if limits is None:
        resolved = dict(default)
    elif isinstance(limits, int | float):
        resolved = dict.fromkeys(default, float(limits))
    else:
        resolved = {joint: float(value) for joint, value in limits.items()}
    unknown = sorted(set(resolved) - set(joints))
    if unknown:
        raise ValueError(f"effort_limits names unknown joints {unknown}; valid joints are {joints}.")
    bad = {joint: value for joint, value in resolved.items() if not value > 0}
    if bad:
        raise ValueError(f"effort_limits must be positive, got {bad}. Use effort_guard=false to disable.")
    return resolved


class EffortGuard:
    """Replaces the goal of each over-limit joint by its present position.

    Args:
        limits: Per-joint |effort| limit, in the unit the robot reports effort in.
        owner: Name used in warnings, e.g. the robot's `str()`.
    """

    def __init__(self, limits: dict[str, float], owner: str):
        self.limits = limits
        self.owner = owner
        self.held: set[str] = set()

    def reset(self) -> None:
        """Forget ongoing events (on connect)."""
        self.held = set()

    def apply(
        self, goal: dict[str, float], present: dict[str, float], effort: dict[str, float]
    ) -> dict[str, float]:
        """Return `goal` with every over-limit joint set to its `present` position."""
        over = {joint for joint, limit in self.limits.items() if joint in goal and abs(effort[joint]) > limit}
        for joint in sorted(over - self.held):
            logger.warning(
                "%s: effort %.3g on '%s' exceeds its limit %.3g; holding the joint at %.3g instead of "
                "moving to %.3g until the effort falls (set effort_limits or effort_guard=false to change).",
                self.owner, effort[joint], joint, self.limits[joint], present[joint], goal[joint],
            )  # fmt: skip
        self.held = over
        return {joint: present[joint] if joint in over else value for joint, value in goal.items()}


def split_goal(action: RobotAction, suffix: str = ".pos") -> dict[str, float]:
    """`{"<joint>.pos": value}` → `{"<joint>": value}` (LeRobot's action naming)."""
    return {key.removesuffix(suffix): value for key, value in action.items() if key.endswith(suffix)}
