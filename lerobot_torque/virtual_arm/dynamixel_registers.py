"""Dynamixel X-series registers of a simulated arm (protocol 2.0): goals in, positions and current out.

Register semantics (ROBOTIS e-Manual, X-series control table, as in lerobot/motors/dynamixel/tables.py):
- `Present_Position` (132, 4 bytes, two's complement) = the encoder, mirrored when `Drive_Mode`
  (10) bit 0 selects reverse mode, plus `Homing_Offset` (20, 4 bytes); `Goal_Position` (116) in
  the same frame. The encoder reads 2048 at the Interbotix joint zero (dynamixel_units.py), the
  mounting of each motor (`ServoSpec.direction`) is such that the factory drive mode of the
  Interbotix tables reports the joint angle in the arm's own convention.
- `Present_Current` (126, 2 bytes) 2.69 mA per unit through τ = k_t·i, `Present_Velocity` (128,
  4 bytes) 0.229 rpm per unit, both in the reported (drive-mode) direction;
- `Torque_Enable` (64) switches the servo; `Moving` (122) is 1 while the shaft turns.
A shadow motor (`Secondary_ID`) follows its primary's goal in the firmware; here both drive the same
simulated joint and share its torque, and goals written to a shadow are ignored as the firmware does.
"""

import math

from lerobot.motors.encoding_utils import decode_twos_complement, encode_twos_complement

from lerobot_torque.robots.effort.dynamixel_units import (
    MILLIAMPERES_PER_CURRENT_UNIT,
    POSITION_UNITS_PER_TURN,
    TORQUE_CONSTANT_NM_PER_A,
)
from lerobot_torque.virtual_arm.arm_sim import ArmSimulation, ServoReading, ServoSpec
from lerobot_torque.virtual_arm.servo_bus import ServoBus

RPM_PER_VELOCITY_UNIT = 0.229  # ROBOTIS e-Manual, Present Velocity(128)
MOVING_THRESHOLD_UNITS = 1  # ROBOTIS e-Manual, Moving Threshold(24) default 10 × 0.229 rpm ≈ this
REVERSE_MODE_BIT = 0x01
# Models without a k_t in dynamixel_units.py (the leader's XL430/XC430) report current with the
# XM430-W350's: they run with torque off in a leader arm, where the current is zero anyway.
FALLBACK_TORQUE_CONSTANT = TORQUE_CONSTANT_NM_PER_A["xm430-w350"]
NOMINAL_VOLTAGE_DV = 120
NOMINAL_TEMPERATURE_C = 30


class DynamixelRegisters:
    """Connects an `ArmSimulation` to a Dynamixel `ServoBus` (same interface as `FeetechRegisters`)."""

    def __init__(self, sim: ArmSimulation, servos: list[ServoSpec]):
        self.sim = sim
        self.by_id = {servo.motor_id: servo for servo in servos}
        self.bus: ServoBus | None = None

    def attach(self, bus: ServoBus) -> None:
        self.bus = bus
        bus.on_write = self.on_write

    def _signed(self, motor_id: int, name: str) -> int:
        size = self.bus.register(name).size
        return decode_twos_complement(self.bus.read_register(motor_id, name), size)

    def _reported_sign(self, motor_id: int) -> int:
        return -1 if self.bus.read_register(motor_id, "Drive_Mode") & REVERSE_MODE_BIT else 1

    def _is_shadow(self, motor_id: int) -> bool:
        secondary = self.bus.read_register(motor_id, "Secondary_ID")
        return secondary in self.by_id and secondary != motor_id

    def on_write(self, motor_id: int, address: int, data: bytes) -> None:
        """Apply a write to the simulation (called by the bus with its lock held)."""
        servo = self.by_id.get(motor_id)
        if servo is None:
            return
        written = range(address, address + len(data))
        if self.bus.register("Torque_Enable").address in written:
            self.sim.set_torque(servo.joint, bool(self.bus.read_register(motor_id, "Torque_Enable")))
        if self.bus.register("Goal_Position").address in written and not self._is_shadow(motor_id):
            goal = self._signed(motor_id, "Goal_Position") - self._signed(motor_id, "Homing_Offset")
            encoder = self._mirror(motor_id, goal)
            self.sim.set_goal(servo.joint, servo.angle(encoder))

    def _mirror(self, motor_id: int, position: float) -> float:
        """Reported ↔ encoder frame (reverse mode mirrors about half a turn; its own inverse)."""
        if self._reported_sign(motor_id) < 0:
            return POSITION_UNITS_PER_TURN - position
        return position

    def write_calibration(self, motor_id: int, calibration: dict) -> None:
        """Store a LeRobot `MotorCalibration` (as a dict) in the motor's EEPROM registers."""
        with self.bus.lock:
            write = self.bus.write_register
            write(motor_id, "Drive_Mode", calibration["drive_mode"])
            write(motor_id, "Homing_Offset", encode_twos_complement(calibration["homing_offset"], 4))
            write(motor_id, "Min_Position_Limit", calibration["range_min"])
            write(motor_id, "Max_Position_Limit", calibration["range_max"])

    def refresh(self, readings: dict[str, ServoReading]) -> None:
        """Write every motor's present values (under the bus lock)."""
        with self.bus.lock:
            for motor_id, servo in self.by_id.items():
                reading = readings[servo.motor]
                sign = self._reported_sign(motor_id) * servo.direction
                position = round(self._mirror(motor_id, servo.ticks(reading.angle))) + self._signed(
                    motor_id, "Homing_Offset"
                )
                velocity = round(sign * reading.velocity * 60 / (2 * math.pi) / RPM_PER_VELOCITY_UNIT)
                k_t = TORQUE_CONSTANT_NM_PER_A.get(servo.model, FALLBACK_TORQUE_CONSTANT)
                current = round(sign * reading.torque / k_t * 1000 / MILLIAMPERES_PER_CURRENT_UNIT)
                write = self.bus.write_register
                write(motor_id, "Present_Position", encode_twos_complement(position, 4))
                write(motor_id, "Present_Velocity", encode_twos_complement(velocity, 4))
                write(motor_id, "Present_Current", encode_twos_complement(current, 2))
                write(motor_id, "Moving", int(abs(velocity) > MOVING_THRESHOLD_UNITS))
                write(motor_id, "Present_Input_Voltage", NOMINAL_VOLTAGE_DV)
                write(motor_id, "Present_Temperature", NOMINAL_TEMPERATURE_C)
