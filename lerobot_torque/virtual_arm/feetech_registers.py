"""STS3215 registers of a simulated arm: goals and torque switches in, positions and effort out.

Register semantics (Feetech STS memory table, as in lerobot/motors/feetech/tables.py):
- `Present_Position` (56) = encoder ticks − `Homing_Offset` (31, sign bit 11), modulo 4096
  (LeRobot's `FeetechMotorsBus._get_half_turn_homings` states the same relation);
- `Goal_Position` (42) in the same frame, clamped to `Min/Max_Position_Limit` (9, 11);
- `Present_Velocity` (58) ticks/s, sign bit 15; `Present_Load` (60) ±1000 = ±100 % of the stall
  torque, sign bit 10; `Present_Current` (69) 6.5 mA per unit, sign bit 15 (Feetech SDK
  `SMS_STS::ReadCurrent`), through τ = k_t·i with k_t = stall torque / stall current;
- `Torque_Enable` (40) switches the servo; `Moving` (66) is 1 while the shaft turns.
"""

import math

from lerobot.motors.encoding_utils import decode_sign_magnitude, encode_sign_magnitude

from lerobot_torque.robots.effort.feetech_units import (
    LOAD_FULL_SCALE,
    MILLIAMPERES_PER_CURRENT_UNIT,
    PRESENT_CURRENT_SIGN_BIT,
    STS3215_12V_STALL_CURRENT_A,
)
from lerobot_torque.virtual_arm.arm_sim import ArmSimulation, ServoReading, ServoSpec
from lerobot_torque.virtual_arm.servo_bus import ServoBus

HOMING_OFFSET_SIGN_BIT = 11
LOAD_SIGN_BIT = 10
VELOCITY_SIGN_BIT = 15
MOVING_THRESHOLD_TICKS_PER_S = 10
ENCODER_TICKS = 4096
NOMINAL_VOLTAGE_DV = 120  # 12.0 V, in 0.1 V
NOMINAL_TEMPERATURE_C = 30


class FeetechRegisters:
    """Connects an `ArmSimulation` to a Feetech `ServoBus` (call `on_write` and `refresh`)."""

    def __init__(
        self,
        sim: ArmSimulation,
        servos: list[ServoSpec],
        stall_current_a: float = STS3215_12V_STALL_CURRENT_A,
    ):
        self.sim = sim
        self.by_id = {servo.motor_id: servo for servo in servos}
        self.stall_current_a = stall_current_a
        self.bus: ServoBus | None = None

    def attach(self, bus: ServoBus) -> None:
        self.bus = bus
        bus.on_write = self.on_write

    def _homing(self, motor_id: int) -> int:
        return decode_sign_magnitude(
            self.bus.read_register(motor_id, "Homing_Offset"), HOMING_OFFSET_SIGN_BIT
        )

    def on_write(self, motor_id: int, address: int, data: bytes) -> None:
        """Apply a write to the simulation (called by the bus with its lock held)."""
        servo = self.by_id.get(motor_id)
        if servo is None:
            return
        written = range(address, address + len(data))
        torque = self.bus.register("Torque_Enable")
        if torque.address in written:
            self.sim.set_torque(servo.joint, bool(self.bus.read_register(motor_id, "Torque_Enable")))
        goal = self.bus.register("Goal_Position")
        if goal.address in written:
            raw = decode_sign_magnitude(self.bus.read_register(motor_id, "Goal_Position"), 15)
            low = self.bus.read_register(motor_id, "Min_Position_Limit")
            high = self.bus.read_register(motor_id, "Max_Position_Limit")
            if high > low:
                raw = min(max(raw, low), high)
            self.sim.set_goal(servo.joint, servo.angle(raw + self._homing(motor_id)))

    def write_calibration(self, motor_id: int, calibration: dict) -> None:
        """Store a LeRobot `MotorCalibration` (as a dict) in the motor's EEPROM registers."""
        with self.bus.lock:
            homing = encode_sign_magnitude(calibration["homing_offset"], HOMING_OFFSET_SIGN_BIT)
            self.bus.write_register(motor_id, "Homing_Offset", homing)
            self.bus.write_register(motor_id, "Min_Position_Limit", calibration["range_min"])
            self.bus.write_register(motor_id, "Max_Position_Limit", calibration["range_max"])

    def refresh(self, readings: dict[str, ServoReading]) -> None:
        """Write every motor's present values (under the bus lock, so a reply is never half-updated)."""
        with self.bus.lock:
            for motor_id, servo in self.by_id.items():
                reading = readings[servo.motor]
                ticks = round(servo.ticks(reading.angle)) - self._homing(motor_id)
                velocity = round(servo.direction * reading.velocity * ENCODER_TICKS / (2 * math.pi))
                load = round(servo.direction * reading.torque / servo.stall_torque_nm * LOAD_FULL_SCALE)
                load = max(-LOAD_FULL_SCALE, min(LOAD_FULL_SCALE, load))
                k_t = servo.stall_torque_nm / self.stall_current_a
                current = round(servo.direction * reading.torque / k_t * 1000 / MILLIAMPERES_PER_CURRENT_UNIT)
                write = self.bus.write_register
                write(motor_id, "Present_Position", ticks % ENCODER_TICKS)
                write(motor_id, "Present_Velocity", encode_sign_magnitude(velocity, VELOCITY_SIGN_BIT))
                write(motor_id, "Present_Load", encode_sign_magnitude(load, LOAD_SIGN_BIT))
                write(motor_id, "Present_Current", encode_sign_magnitude(current, PRESENT_CURRENT_SIGN_BIT))
                write(motor_id, "Moving", int(abs(velocity) > MOVING_THRESHOLD_TICKS_PER_S))
                write(motor_id, "Present_Voltage", NOMINAL_VOLTAGE_DV)
                write(motor_id, "Present_Temperature", NOMINAL_TEMPERATURE_C)
