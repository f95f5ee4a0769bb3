"""Feetech STS3215 effort registers in physical units (the servo of SO-100 and SO-101 arms).

Registers (Feetech STS/SMS memory table, as copied in lerobot/motors/feetech/tables.py):
- `Present_Load`, address 60: signed by a direction bit (bit 10), magnitude 0…1000 in 0.1 % of the
  servo's maximum output (the drive duty cycle). LeRobot decodes its sign.
- `Present_Current`, address 69: signed by a direction bit (bit 15), 6.5 mA per unit. LeRobot 0.6.1
  does not decode its sign; `FeetechEffortBus` does.
Both sign conventions are those of Feetech's own SDK (`SMS_STS::ReadLoad`, `SMS_STS::ReadCurrent`).

The N·m conversions are scales, not calibrations: the load register is a duty cycle, which matches
torque only at low speed (no back-EMF), and the torque constant is stall torque / stall current.
"""

# Sign bit of Present_Current (Feetech SCServo SDK, SMS_STS::ReadCurrent: `Current & (1<<15)`).
PRESENT_CURRENT_SIGN_BIT = 15
# Present_Load full scale: 1000 units = 100 % (Feetech STS memory table, "0.1 %").
LOAD_FULL_SCALE = 1000
# Present_Current resolution (Feetech STS memory table; Feetech SDK ports use `currentUnit = 6.5`).
MILLIAMPERES_PER_CURRENT_UNIT = 6.5
# Standard gravity, the kgf definition (CGPM 1901).
NEWTON_METERS_PER_KGF_CM = 0.0980665
# 12 V STS3215 (C018/C047): 30 kg·cm stall torque (Feetech datasheet; robonine.com measured ~35 kg·cm).
STS3215_12V_STALL_TORQUE_KGF_CM = 30.0
# 12 V STS3215 stall current, 2.7 A (Feetech datasheet).
STS3215_12V_STALL_CURRENT_A = 2.7


def kgf_cm_to_newton_meters(torque_kgf_cm: float) -> float:
    """Servo datasheet torque (kgf·cm) → N·m; 1 kgf·cm = 0.0980665 N·m (standard gravity)."""
    return torque_kgf_cm * NEWTON_METERS_PER_KGF_CM


STS3215_12V_STALL_TORQUE_NM = kgf_cm_to_newton_meters(STS3215_12V_STALL_TORQUE_KGF_CM)


def load_permille_to_newton_meters(load: float, stall_torque_nm: float) -> float:
    """Decoded `Present_Load` (±1000 = ±100 % of max output, Feetech memory table) → N·m at the horn."""
    return load / LOAD_FULL_SCALE * stall_torque_nm


def current_units_to_amperes(current: float) -> float:
    """Decoded `Present_Current` (6.5 mA per unit, Feetech STS memory table) → A."""
    return current * MILLIAMPERES_PER_CURRENT_UNIT / 1000.0


def torque_constant_nm_per_ampere(stall_torque_nm: float, stall_current_a: float) -> float:
    """k_t from the datasheet stall point (τ = k_t·i, paper §3); for the 12 V STS3215 ≈ 1.09 N·m/A."""
    return stall_torque_nm / stall_current_a


def amperes_to_newton_meters(current_a: float, torque_constant: float) -> float:
    """Motor current (A) → output torque (N·m) with τ = k_t·i (paper appendix A.2.5)."""
    return current_a * torque_constant
