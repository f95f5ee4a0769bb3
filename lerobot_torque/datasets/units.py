"""Effort units: raw registers or motor current → N·m per joint (`lerobot-torque-dataset units`).

A joint's factor (N·m per recorded unit) comes from a named motor model, whose numbers are the
datasheet conversions in lerobot_torque/robots/effort/{feetech_units,dynamixel_units}.py, or from an
explicit table. Source units (`--from`):
- `load`: Feetech `Present_Load`, 0.1 % of the servo's maximum output (what `so10x_follower_torque`
  records with `effort_unit=raw`, the default);
- `current`: the decoded `Present_Current` register (Feetech 6.5 mA, Dynamixel 2.69 mA per unit);
- `mA`: milliamperes (the `lerobot/aloha_*` Hub datasets, `aloha_torque` with `effort_unit=ma`).
Per motor: τ = k_t·i (paper appendix A.2.5) with k_t = stall torque / stall current; these are scales
from datasheets, not calibrations (feetech_units.py says why for the load register).

ALOHA's shoulder and elbow have a second ("shadow") motor; the Hub datasets record the primary motor's
current only (robots/interbotix.py), so the converted value is the primary motor's torque, about half
the joint's.

The unit and the conversion are recorded per entry in `meta/info.json` (effort_meta.py), so a
conversion can be undone exactly (`--invert`) and is refused when the recorded unit differs.
"""

import re
from dataclasses import dataclass

import numpy as np

from lerobot_torque.datasets.effort_meta import NEWTON_METERS, EffortChannel, joint_of
from lerobot_torque.robots.effort import dynamixel_units, feetech_units
from lerobot_torque.robots.interbotix import VIPERX_MOTORS

SOURCE_UNITS = ("load", "current", "mA")


@dataclass(frozen=True)
class MotorModel:
    """N·m per source unit of one servo model, and where the numbers come from."""

    name: str
    source: str
    newton_meters_per: dict[str, float]


def _sts3215_12v() -> MotorModel:
    stall = feetech_units.STS3215_12V_STALL_TORQUE_NM
    k_t = feetech_units.torque_constant_nm_per_ampere(stall, feetech_units.STS3215_12V_STALL_CURRENT_A)
    return MotorModel(
        "sts3215_12v",
        "Feetech STS3215 12 V datasheet: 30 kgf·cm stall torque, 2.7 A stall current",
        {
            "load": feetech_units.load_permille_to_newton_meters(1, stall),
            "current": feetech_units.amperes_to_newton_meters(feetech_units.current_units_to_amperes(1), k_t),
            "mA": feetech_units.amperes_to_newton_meters(1e-3, k_t),
        },
    )


def _dynamixel(model: str) -> MotorModel:
    k_t = dynamixel_units.TORQUE_CONSTANT_NM_PER_A[model]
    return MotorModel(
        model.replace("-", "_"),
        f"ROBOTIS e-Manual {model.upper()} at 12 V: k_t = {k_t:.3f} N·m/A; 2.69 mA per current unit",
        {
            "current": dynamixel_units.milliamperes_to_newton_meters(
                dynamixel_units.current_units_to_milliamperes(1), k_t
            ),
            "mA": dynamixel_units.milliamperes_to_newton_meters(1, k_t),
        },
    )


MOTOR_MODELS = {m.name: m for m in (_sts3215_12v(), _dynamixel("xm540-w270"), _dynamixel("xm430-w350"))}
# Robots whose joints use different motors: joint (without `left_`/`right_`) → motor model.
ROBOT_MOTORS = {
    "aloha": {joint: spec.model.replace("-", "_") for joint, spec in VIPERX_MOTORS.items()},
    "so100": dict.fromkeys(
        ("shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"), "sts3215_12v"
    ),
}
ROBOT_MOTORS["so101"] = ROBOT_MOTORS["so100"]
ARM_PREFIX = re.compile(r"^(left|right)_")


def choices() -> list[str]:
    return sorted(MOTOR_MODELS) + sorted(ROBOT_MOTORS)


def parse_assignments(values: list[str], field: str) -> tuple[str | None, dict[str, str]]:
    """`["xm540_w270", "left_gripper=xm430_w350"]` → (default for all joints, per-joint overrides)."""
    default, per_joint = None, {}
    for value in values:
        if "=" in value:
            joint, _, item = value.partition("=")
            per_joint[joint.strip()] = item.strip()
        elif default is not None:
            raise ValueError(
                f"{field} got two defaults ({default!r}, {value!r}); give one, plus JOINT=VALUE overrides."
            )
        else:
            default = value.strip()
    return default, per_joint


def motor_of(joint: str, default: str | None, per_joint: dict[str, str]) -> str | None:
    """The motor model name of `joint` from the --motor values (a robot name maps per joint)."""
    item = per_joint.get(joint, default)
    if item in ROBOT_MOTORS:
        return ROBOT_MOTORS[item].get(ARM_PREFIX.sub("", joint))
    return item


def factors_from_motors(
    channels: list[EffortChannel], motors: list[str], source_unit: str
) -> tuple[dict[str, float], dict[str, dict]]:
    """Per channel: N·m per `source_unit`, and the conversion record, from `--motor` values."""
    if source_unit not in SOURCE_UNITS:
        raise ValueError(f"--from={source_unit!r} is not supported; choose one of {list(SOURCE_UNITS)}.")
    default, per_joint = parse_assignments(motors, "--motor")
    unknown_joints = sorted(set(per_joint) - {ch.joint for ch in channels})
    if unknown_joints:
        raise ValueError(
            f"--motor names joints {unknown_joints} the dataset does not have; its effort joints are "
            f"{[ch.joint for ch in channels]}."
        )
    factors, records, missing = {}, {}, []
    for ch in channels:
        name = motor_of(ch.joint, default, per_joint)
        if name is None:
            missing.append(ch.joint)
            continue
        if name not in MOTOR_MODELS:
            raise ValueError(f"--motor {name!r} (joint '{ch.joint}') is unknown; choose one of {choices()}.")
        model = MOTOR_MODELS[name]
        if source_unit not in model.newton_meters_per:
            raise ValueError(
                f"Motor model {name} has no '{source_unit}' reading (joint '{ch.joint}'); it converts "
                f"{sorted(model.newton_meters_per)}. Check --from, or give --table JOINT=FACTOR."
            )
        factors[ch.name] = model.newton_meters_per[source_unit]
        records[ch.name] = {
            "from": source_unit,
            "factor": factors[ch.name],
            "motor": name,
            "source": model.source,
        }
    if missing:
        raise ValueError(
            f"No motor model for joints {missing}: give --motor MODEL for all joints, --motor JOINT=MODEL "
            f"for each, or a robot name ({sorted(ROBOT_MOTORS)}). Models: {sorted(MOTOR_MODELS)}."
        )
    return factors, records


def factors_from_table(
    channels: list[EffortChannel], table: list[str], source_unit: str
) -> tuple[dict[str, float], dict[str, dict]]:
    """Per channel: N·m per `source_unit` from `--table JOINT=FACTOR` (every effort joint needed)."""
    _, entries = parse_assignments(table, "--table")
    by_joint = {ch.joint: ch for ch in channels}
    unknown = sorted(set(entries) - set(by_joint))
    missing = sorted(set(by_joint) - set(entries))
    if unknown or missing:
        raise ValueError(
            f"--table must give one factor (N·m per {source_unit}) for each effort joint {list(by_joint)}; "
            f"unknown: {unknown}, missing: {missing}."
        )
    factors, records = {}, {}
    for joint, text in entries.items():
        try:
            factor = float(text)
        except ValueError as e:
            raise ValueError(f"--table {joint}={text!r}: the factor must be a number (N·m per unit).") from e
        if not np.isfinite(factor) or factor == 0:
            raise ValueError(f"--table {joint}={text}: the factor must be finite and non-zero.")
        name = by_joint[joint].name
        factors[name] = factor
        records[name] = {"from": source_unit, "factor": factor, "motor": None, "source": "explicit table"}
    return factors, records


def check_source_units(channels: list[EffortChannel], recorded: dict[str, str | None], source_unit: str):
    """Refuse to convert entries whose recorded unit is not the claimed source unit."""
    wrong = {ch.name: recorded[ch.name] for ch in channels if recorded[ch.name] not in (None, source_unit)}
    if wrong:
        raise ValueError(
            f"--from={source_unit} but meta/info.json records {wrong}. Converting twice would scale the "
            "values again: use --invert to undo a recorded conversion, or fix --from."
        )


def inverse_factors(
    channels: list[EffortChannel], recorded: dict[str, str | None], conversions: dict[str, dict]
) -> tuple[dict[str, float], dict[str, str]]:
    """Factors undoing the recorded conversion of each channel, and the units they restore."""
    missing = [ch.name for ch in channels if recorded[ch.name] != NEWTON_METERS or ch.name not in conversions]
    if missing:
        raise ValueError(
            f"--invert undoes a recorded conversion to N·m, but {missing} have none in meta/info.json "
            "(effort_conversions). Nothing to undo for them."
        )
    factors = {ch.name: 1.0 / conversions[ch.name]["factor"] for ch in channels}
    units = {ch.name: conversions[ch.name]["from"] for ch in channels}
    return factors, units


def scaled(values: np.ndarray, channels: list[EffortChannel], factors: dict[str, float]) -> np.ndarray:
    """`values` (frames, dims) with each channel's column multiplied by its factor (float64, then float32)."""
    out = values.astype(np.float64)
    for ch in channels:
        out[:, ch.index] *= factors[ch.name]
    return out.astype(np.float32)


def joint_names(channels: list[EffortChannel]) -> list[str]:
    return [joint_of(ch.name) for ch in channels]
