"""Dynamixel X-series registers in physical units (the servos of ALOHA's ViperX and WidowX arms).

Registers (ROBOTIS e-manual, X-series control table, as copied in lerobot/motors/dynamixel/tables.py):
- `Present_Current`, address 126: signed 16-bit (LeRobot decodes it), 2.69 mA per unit.
- `Present_Position`, address 132: 4096 units per turn, 2048 = the joint zero of Interbotix arms
  (DynamixelWorkbench `convertValue2Radian`, used by the Interbotix driver that recorded ALOHA data).
The firmware applies `Drive_Mode` (direction) and `Homing_Offset` before reporting both registers.
"""

import math

# ROBOTIS e-manual (X-series, "Current-Based Torque Control (4096 steps, 2.69 mA/step)").
MILLIAMPERES_PER_CURRENT_UNIT = 2.69
POSITION_UNITS_PER_TURN = 4096
POSITION_ZERO = 2048
# k_t = stall torque / stall current at 12 V, ROBOTIS e-manual spec tables:
# XM540-W270: 10.6 N·m at 4.4 A ("2.409 Nm/A"); XM430-W350: 4.1 N·m at 2.3 A.
TORQUE_CONSTANT_NM_PER_A = {
    "xm540-w270": 2.409,
    "xm430-w350": 4.1 / 2.3,
}
# Stall current at 12 V (same tables), the full scale of the default effort limits.
STALL_CURRENT_A = {"xm540-w270": 4.4, "xm430-w350": 2.3}


def current_units_to_milliamperes(current: float) -> float:
    """Decoded `Present_Current` (2.69 mA per unit, ROBOTIS e-manual) → mA, the unit of ALOHA datasets."""
    return current * MILLIAMPERES_PER_CURRENT_UNIT


def milliamperes_to_newton_meters(current_ma: float, torque_constant: float) -> float:
    """Motor current (mA) → output torque (N·m) with τ = k_t·i (paper appendix A.2.5)."""
    return current_ma / 1000.0 * torque_constant


def position_units_to_radians(position: float) -> float:
    """`Present_Position` → joint angle in rad, zero at 2048 (Interbotix convention of the ALOHA datasets)."""
    return (position - POSITION_ZERO) * 2 * math.pi / POSITION_UNITS_PER_TURN


def radians_to_position_units(angle_rad: float) -> int:
    """Joint angle in rad → `Goal_Position` units, the inverse of `position_units_to_radians`."""
    return round(angle_rad * POSITION_UNITS_PER_TURN / (2 * math.pi) + POSITION_ZERO)
