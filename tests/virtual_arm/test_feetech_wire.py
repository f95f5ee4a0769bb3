"""Feetech protocol 0 virtual motors behind a real pseudo-terminal, driven by LeRobot's own bus.

Six STS3215 (an SO-101 arm, ids 1…6) answer `FeetechEffortBus` (LeRobot's `FeetechMotorsBus` + block
reads) through the unchanged Feetech SDK and pyserial.
"""

import pytest
import scservo_sdk as scs

from lerobot.motors import Motor, MotorNormMode
from lerobot.motors.feetech.tables import MODEL_CONTROL_TABLE, MODEL_NUMBER_TABLE

from lerobot_torque.robots.effort.buses import FeetechEffortBus
from lerobot_torque.virtual_arm.feetech_wire import FeetechWire
from lerobot_torque.virtual_arm.motor_memory import encode_feetech_register, feetech_memory
from lerobot_torque.virtual_arm.pty_port import PtyPort
from lerobot_torque.virtual_arm.servo_bus import ServoBus
from tests.virtual_arm.sdk_timeouts import add_timeout_margin

IDS = {"shoulder_pan": 1, "shoulder_lift": 2, "elbow_flex": 3, "wrist_flex": 4, "wrist_roll": 5, "gripper": 6}
STS3215 = MODEL_NUMBER_TABLE["sts3215"]
TABLE = MODEL_CONTROL_TABLE["sts3215"]


@pytest.fixture
def arm():
    """(LeRobot bus, virtual bus), connected with the handshake (ping, model and firmware checks)."""
    memories = {motor_id: feetech_memory("sts3215", motor_id=motor_id) for motor_id in IDS.values()}
    servo_bus = ServoBus(FeetechWire(), memories, TABLE)
    with PtyPort(servo_bus) as port:
        motors = {
            name: Motor(motor_id, "sts3215", MotorNormMode.RANGE_M100_100) for name, motor_id in IDS.items()
        }
        bus = FeetechEffortBus(port.path, motors)
        add_timeout_margin(bus.port_handler)
        bus.connect()
        yield bus, servo_bus
        bus.disconnect(disable_torque=False)


def set_signed(servo_bus: ServoBus, name: str, register: str, value: int) -> None:
    servo_bus.write_register(IDS[name], register, encode_feetech_register(register, value))


def test_handshake_pings_every_motor_and_reads_its_model_number(arm):
    bus, _ = arm
    assert bus.is_connected
    assert {name: bus.ping(name) for name in IDS} == dict.fromkeys(IDS, STS3215)


def test_broadcast_ping_finds_all_six_motors(arm):
    bus, _ = arm
    assert bus.broadcast_ping() == dict.fromkeys(IDS.values(), STS3215)


def test_sync_read_present_position_returns_what_the_memory_holds(arm):
    bus, servo_bus = arm
    expected = {name: 500 * motor_id for name, motor_id in IDS.items()}
    for name, position in expected.items():
        set_signed(servo_bus, name, "Present_Position", position)
    assert bus.sync_read("Present_Position", normalize=False) == expected


def test_sync_write_goal_position_lands_in_every_motors_memory(arm):
    bus, servo_bus = arm
    goals = {name: 1000 + motor_id for name, motor_id in IDS.items()}
    bus.sync_write("Goal_Position", goals, normalize=False)  # no status packet: read back to sync
    assert bus.sync_read("Goal_Position", normalize=False) == goals
    assert {
        name: servo_bus.read_register(motor_id, "Goal_Position") for name, motor_id in IDS.items()
    } == goals


def test_block_read_of_position_and_load_decodes_a_negative_load(arm):
    bus, servo_bus = arm
    load = {name: (-1) ** motor_id * 100 * motor_id for name, motor_id in IDS.items()}
    position = {name: 2048 + motor_id for name, motor_id in IDS.items()}
    for name in IDS:
        set_signed(servo_bus, name, "Present_Load", load[name])
        set_signed(servo_bus, name, "Present_Position", position[name])
    values = bus.sync_read_block(["Present_Position", "Present_Load"], normalize=False)
    assert values == {"Present_Position": position, "Present_Load": load}
    assert values["Present_Load"]["shoulder_pan"] == -100


def test_an_instruction_with_a_bad_checksum_gets_no_reply_and_the_sdk_times_out(arm, monkeypatch):
    bus, _ = arm
    send = bus.port_handler.writePort

    def corrupt_checksum(packet):
        return send([*packet[:-1], packet[-1] ^ 0xFF])

    monkeypatch.setattr(bus.port_handler, "writePort", corrupt_checksum)
    _, result, _ = bus.packet_handler.ping(bus.port_handler, IDS["gripper"])
    assert result == scs.COMM_RX_TIMEOUT
    monkeypatch.setattr(bus.port_handler, "writePort", send)
    assert bus.ping("gripper") == STS3215  # the virtual bus is back in sync
