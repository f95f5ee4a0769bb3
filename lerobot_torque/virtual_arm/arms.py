"""The arms `lerobot-torque-virtual-arm` can start, by name.

Each entry builds `ArmParts`: the simulated arm, its motors as LeRobot names them, the bus protocol
and factory register memory, and the calibration a careful operator would record (what LeRobot's
`calibrate()` finds when the arm is put in the middle of its range and swept through it).
"""

from collections.abc import Callable

from lerobot_torque.virtual_arm.virtual_arm import ArmParts

HALF_TURN_TICKS = 2047  # LeRobot's half-turn homing target (feetech.py: _get_half_turn_homings)
SO_FULL_TURN_MOTOR = "wrist_roll"  # LeRobot's SO calibration records 0…4095 for it (so_follower.py)


def so_arm(name: str) -> ArmParts:
    """SO-100/SO-101 (follower or leader: the same six STS3215 on protocol 0)."""
    from lerobot.motors.feetech.tables import MODEL_CONTROL_TABLE

    from lerobot_torque.virtual_arm import so101_arm
    from lerobot_torque.virtual_arm.feetech_registers import FeetechRegisters
    from lerobot_torque.virtual_arm.feetech_wire import FeetechWire
    from lerobot_torque.virtual_arm.motor_memory import feetech_memory

    model = so101_arm.build_model()
    servos = so101_arm.servos()
    ranges = so101_arm.joint_ranges(model)
    calibration = {}
    for servo in servos:
        joint_range = ranges[servo.joint]
        homing = round(servo.ticks(joint_range.middle)) - HALF_TURN_TICKS
        low, high = sorted(round(servo.ticks(a)) - homing for a in (joint_range.low, joint_range.high))
        if servo.motor == SO_FULL_TURN_MOTOR:
            low, high = 0, 4095
        calibration[servo.motor] = {
            "id": servo.motor_id,
            "drive_mode": 0,
            "homing_offset": homing,
            "range_min": low,
            "range_max": high,
        }
    return ArmParts(
        name=name,
        model=model,
        build_model=so101_arm.build_model,
        servos=servos,
        ranges=ranges,
        home=so101_arm.HOME,
        wave_amplitude=so101_arm.WAVE_AMPLITUDE,
        wire=FeetechWire(),
        control_table=MODEL_CONTROL_TABLE["sts3215"],
        memories={servo.motor_id: feetech_memory("sts3215", motor_id=servo.motor_id) for servo in servos},
        registers=FeetechRegisters,
        calibration=calibration,
        camera_view=so101_arm.CAMERA_VIEW,
    )


def interbotix_arm(name: str) -> ArmParts:
    """ALOHA's ViperX 300 S follower (9 motors with the shadows) or WidowX 250 S leader (7 motors).

    Their calibration is the Interbotix factory setup (no manual procedure, see
    `ViperXFollowerTorque.calibrate`): 2048 at each joint zero, yaml drive modes and limits.
    """
    from dataclasses import asdict

    from lerobot.motors.dynamixel.tables import X_SERIES_CONTROL_TABLE

    from lerobot_torque.robots.interbotix import factory_calibration
    from lerobot_torque.virtual_arm import viperx_arm
    from lerobot_torque.virtual_arm.dynamixel_registers import DynamixelRegisters
    from lerobot_torque.virtual_arm.dynamixel_wire import DynamixelWire
    from lerobot_torque.virtual_arm.motor_memory import dynamixel_memory

    motors = viperx_arm.LEADER_MOTORS if name.endswith("leader") else viperx_arm.FOLLOWER_MOTORS
    model = viperx_arm.build_model()
    servos = viperx_arm.servos(motors)
    names = viperx_arm.joint_name
    return ArmParts(
        name=name,
        model=model,
        build_model=viperx_arm.build_model,
        servos=servos,
        ranges={names(j): r for j, r in viperx_arm.joint_ranges(model).items()},
        home={names(j): a for j, a in viperx_arm.HOME.items()},
        wave_amplitude={names(j): a for j, a in viperx_arm.WAVE_AMPLITUDE.items()},
        wire=DynamixelWire(),
        control_table=X_SERIES_CONTROL_TABLE,
        memories={spec.id: dynamixel_memory(spec.model, motor_id=spec.id) for spec in motors.values()},
        registers=DynamixelRegisters,
        calibration={name: asdict(c) for name, c in factory_calibration(motors).items()},
        camera_view=viperx_arm.CAMERA_VIEW,
    )


ARMS: dict[str, Callable[[str], ArmParts]] = {
    "so100_follower": so_arm,
    "so100_leader": so_arm,
    "so101_follower": so_arm,
    "so101_leader": so_arm,
    "viperx_follower": interbotix_arm,
    "widowx_leader": interbotix_arm,
}


def make_arm_parts(name: str) -> ArmParts:
    if name not in ARMS:
        raise ValueError(f"Unknown virtual arm '{name}'. Choose one of {sorted(ARMS)}.")
    return ARMS[name](name)
