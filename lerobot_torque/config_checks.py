"""Checks every config of this package runs in `__post_init__`: choices, and finite numbers in range.

Each raises a ValueError that names the setting as the user wrote it (`--env.fps`, `effort_unit`), the
value, and what is allowed. A NaN passes every comparison check (`nan < 0` is False), so each float
is checked finite here first; an infinity is rejected too (no setting of ours means "unbounded").
Through `lerobot_torque/compat/config_errors.py` the message reaches LeRobot's CLIs.
"""

import math
from collections.abc import Mapping
from enum import Enum
from numbers import Real


def parse_choice[E: Enum](choices: type[E], value: E | str, setting: str) -> E:
    """`value` as a member of `choices`, or a ValueError listing the valid values."""
    try:
        return choices(value)
    except ValueError:
        valid = [choice.value for choice in choices]
        raise ValueError(f"{setting}={value!r} is not supported; choose one of {valid}.") from None


def check_choice(setting: str, value: str, valid: tuple[str, ...]) -> None:
    """Raise a ValueError naming the setting, the value and the valid values."""
    if value not in valid:
        raise ValueError(f"{setting}={value!r} is not supported; choose one of {list(valid)}.")


def _bounds(gt: float | None, ge: float | None) -> str:
    return " and ".join(f"{op} {bound:g}" for op, bound in ((">", gt), (">=", ge)) if bound is not None)


def _in_bounds(value: float, gt: float | None, ge: float | None) -> bool:
    return (gt is None or value > gt) and (ge is None or value >= ge)


def is_finite_number(value) -> bool:
    """A real number (bools excluded) that is neither NaN nor infinite."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def check_number(
    setting: str,
    value: float,
    *,
    gt: float | None = None,
    ge: float | None = None,
    fix: str = "",
) -> None:
    """Raise a ValueError unless `value` is a finite number within the given bounds."""
    if is_finite_number(value) and _in_bounds(value, gt, ge):
        return
    bounds = _bounds(gt, ge)
    allowed = f"a finite number {bounds}" if bounds else "a finite number"
    raise ValueError(f"{setting}={value!r} must be {allowed}.{' ' + fix if fix else ''}")


def check_numbers(setting: str, value: float | Mapping[str, float], **bounds) -> None:
    """`check_number` for a setting given as one number or as a number per joint/motor."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            check_number(f"{setting}[{key!r}]", item, **bounds)
    else:
        check_number(setting, value, **bounds)


def check_interval(
    setting: str, value: tuple[float, float], *, gt: float | None = None, ge: float | None = None
):
    """Raise a ValueError unless `value` is [min, max] of finite numbers, min <= max, min within bounds."""
    ok = (
        len(value) == 2
        and all(is_finite_number(item) for item in value)
        and _in_bounds(value[0], gt, ge)
        and value[0] <= value[1]
    )
    if ok:
        return
    example = max(gt if gt is not None else ge if ge is not None else 0.0, 1.0)
    bounds = _bounds(gt, ge)
    conditions = f"min {bounds} and min <= max" if bounds else "min <= max"
    raise ValueError(
        f"{setting}={list(value)} must be [min, max] of finite numbers with {conditions}, "
        f"e.g. {setting}='[{example:g}, {example * 2:g}]'."
    )


def check_gripper_range(closed_rad: float, open_rad: float) -> None:
    """Raise a ValueError unless the gripper angles read as 0 (closed) and 1 (open) are finite and differ."""
    check_number("gripper_closed_rad", closed_rad)
    check_number("gripper_open_rad", open_rad)
    if closed_rad == open_rad:
        raise ValueError(
            f"gripper_closed_rad and gripper_open_rad are both {closed_rad}: the gripper reading is scaled "
            "between them, so they must differ."
        )
