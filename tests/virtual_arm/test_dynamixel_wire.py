"""Dynamixel Protocol 2.0 virtual motors behind a real pseudo-terminal, driven by LeRobot's own bus.

The ViperX follower's nine motors (xm540-w270 and xm430-w350, ids 1…9) answer `DynamixelEffortBus`
(LeRobot's `DynamixelMotorsBus` + block reads) through the unchanged ROBOTIS SDK and pyserial.
"""

import dynamixel_sdk as dxl
import pytest

from lerobot.motors import MotorCalibration
from lerobot.motors.dynamixel.tables import MODEL_NUMBER_TABLE, X_SERIES_CONTROL_TABLE

from lerobot_torque.robots.effort.buses import DynamixelEffortBus
from lerobot_torque.robots.interbotix import VIPERX_MOTORS, bus_motors, factory_calibration
from lerobot_torque.virtual_arm.dynamixel_wire import (
    DynamixelWire,
    add_stuffing,
    crc16,
    encode_packet,
    remove_stuffing,
)
from lerobot_torque.virtual_arm.motor_memory import dynamixel_memory, encode_dynamixel_register
from lerobot_torque.virtual_arm.pty_port import PtyPort
from lerobot_torque.virtual_arm.requests import Ping, Read, SyncRead, SyncWrite, Write
from lerobot_torque.virtual_arm.servo_bus import ServoBus
from tests.virtual_arm.sdk_timeouts import add_timeout_margin

NAMES = list(VIPERX_MOTORS)
IDS = {name: spec.id for name, spec in VIPERX_MOTORS.items()}
MODELS = {name: spec.model for name, spec in VIPERX_MOTORS.items()}
FF_FF_FD = 0x00FDFFFF  # little-endian bytes FF FF FD 00: a header inside the data


@pytest.fixture
def arm():
    """(LeRobot bus, virtual bus, writes seen by the simulation hook), connected with the handshake."""
    memories = {spec.id: dynamixel_memory(spec.model, motor_id=spec.id) for spec in VIPERX_MOTORS.values()}
    writes = []
    servo_bus = ServoBus(
        DynamixelWire(), memories, X_SERIES_CONTROL_TABLE, on_write=lambda *w: writes.append(w)
    )
    with PtyPort(servo_bus) as port:
        bus = DynamixelEffortBus(port.path, bus_motors(VIPERX_MOTORS))
        add_timeout_margin(bus.port_handler)
        bus.connect()
        yield bus, servo_bus, writes
        bus.disconnect(disable_torque=False)


def set_signed(servo_bus: ServoBus, name: str, register: str, value: int) -> None:
    servo_bus.write_register(IDS[name], register, encode_dynamixel_register(register, value, MODELS[name]))


def test_handshake_pings_every_motor_and_reads_its_model_number(arm):
    bus, _, _ = arm
    assert bus.is_connected
    assert {name: bus.ping(name) for name in NAMES} == {
        name: MODEL_NUMBER_TABLE[MODELS[name]] for name in NAMES
    }
    assert bus.read("Model_Number", "gripper", normalize=False) == MODEL_NUMBER_TABLE["xm430-w350"]


def test_broadcast_ping_parses_the_statuses_of_all_nine_motors(arm):
    bus, _, _ = arm
    assert bus.broadcast_ping() == {IDS[name]: MODEL_NUMBER_TABLE[MODELS[name]] for name in NAMES}


def test_sync_read_present_position_returns_what_the_memory_holds(arm):
    bus, servo_bus, _ = arm
    expected = {name: 1000 + 100 * i for i, name in enumerate(NAMES)}
    for name, position in expected.items():
        set_signed(servo_bus, name, "Present_Position", position)
    assert bus.sync_read("Present_Position", normalize=False) == expected


def test_block_read_returns_current_velocity_and_position_with_negative_current(arm):
    bus, servo_bus, _ = arm
    current = {name: -50 * (i + 1) if i % 2 else 30 * i for i, name in enumerate(NAMES)}
    velocity = {name: 3 - i for i, name in enumerate(NAMES)}
    position = {name: 2048 + 10 * i for i, name in enumerate(NAMES)}
    for name in NAMES:
        set_signed(servo_bus, name, "Present_Current", current[name])
        set_signed(servo_bus, name, "Present_Velocity", velocity[name])
        set_signed(servo_bus, name, "Present_Position", position[name])
    values = bus.sync_read_block(["Present_Current", "Present_Velocity", "Present_Position"], normalize=False)
    assert values == {"Present_Current": current, "Present_Velocity": velocity, "Present_Position": position}
    assert min(current.values()) < 0


def test_sync_write_goal_position_lands_in_every_motors_memory(arm):
    bus, servo_bus, writes = arm
    goals = {name: 1500 + i for i, name in enumerate(NAMES)}
    bus.sync_write("Goal_Position", goals, normalize=False)  # no status packet: read back to sync
    assert bus.sync_read("Goal_Position", normalize=False) == goals
    assert {name: servo_bus.read_register(IDS[name], "Goal_Position") for name in NAMES} == goals
    goal_address = X_SERIES_CONTROL_TABLE["Goal_Position"][0]
    assert {w[0] for w in writes if w[1] == goal_address} == set(IDS.values())


def test_write_torque_enable_lands_in_memory_and_is_reported_to_the_simulation(arm):
    bus, servo_bus, writes = arm
    bus.write("Torque_Enable", "elbow", 1)
    assert servo_bus.read_register(IDS["elbow"], "Torque_Enable") == 1
    assert writes[-1] == (IDS["elbow"], X_SERIES_CONTROL_TABLE["Torque_Enable"][0], b"\x01")
    bus.disable_torque()
    assert all(servo_bus.read_register(i, "Torque_Enable") == 0 for i in IDS.values())


def test_write_then_read_calibration_round_trips_a_negative_homing_offset(arm):
    bus, servo_bus, _ = arm
    calibration = factory_calibration(VIPERX_MOTORS)
    calibration["waist"] = MotorCalibration(
        id=1, drive_mode=0, homing_offset=-1234, range_min=100, range_max=4000
    )
    for name, cal in calibration.items():
        bus.write("Drive_Mode", name, cal.drive_mode)  # LeRobot's write_calibration leaves Drive_Mode alone
    bus.write_calibration(calibration)
    assert bus.read_calibration() == calibration
    assert bus.is_calibrated
    assert servo_bus.read_register(1, "Homing_Offset") == encode_dynamixel_register(
        "Homing_Offset", -1234, "xm540-w270"
    )


def test_an_instruction_with_a_wrong_crc_gets_no_reply_and_the_sdk_times_out(arm, monkeypatch):
    bus, _, _ = arm
    send = bus.port_handler.writePort

    def corrupt_crc(packet):
        return send([*packet[:-1], packet[-1] ^ 0xFF])

    monkeypatch.setattr(bus.port_handler, "writePort", corrupt_crc)
    _, result, _ = bus.packet_handler.ping(bus.port_handler, IDS["waist"])
    assert result == dxl.COMM_RX_TIMEOUT
    monkeypatch.setattr(bus.port_handler, "writePort", send)
    assert bus.ping("waist") == MODEL_NUMBER_TABLE["xm540-w270"]  # the virtual bus is back in sync


def test_a_value_containing_a_header_round_trips_both_ways(arm, monkeypatch):
    bus, servo_bus, _ = arm
    sent = []
    send = bus.port_handler.writePort
    monkeypatch.setattr(
        bus.port_handler, "writePort", lambda packet: sent.append(bytes(packet)) or send(packet)
    )
    bus.write("Goal_Position", "wrist_rotate", FF_FF_FD, normalize=False)
    # The Python SDK's addStuffing builds the stuffed packet in a list txPacket discards: it sends unstuffed.
    assert b"\x74\x00\xff\xff\xfd\x00" in sent[-1]
    assert servo_bus.read_register(IDS["wrist_rotate"], "Goal_Position") == FF_FF_FD
    servo_bus.write_register(IDS["wrist_rotate"], "Present_Position", FF_FF_FD)
    assert bus.read("Present_Position", "wrist_rotate", normalize=False) == FF_FF_FD  # stuffed status
    assert bus.sync_read("Present_Position", "wrist_rotate", normalize=False) == {"wrist_rotate": FF_FF_FD}


def test_a_stuffed_instruction_is_unstuffed_after_its_crc_is_checked():
    params = bytes([116, 0, 0xFF, 0xFF, 0xFD, 0xFD])  # Goal_Position ← FF FF FD FD
    packet = encode_packet(8, bytes([dxl.INST_WRITE]) + params)
    assert packet.count(b"\xff\xff\xfd\xfd") == 1 and b"\xff\xff\xfd\xfd\xfd" in packet
    assert DynamixelWire().take_requests(bytearray(packet)) == [Write(8, 116, b"\xff\xff\xfd\xfd")]


def test_status_packet_is_stuffed_and_its_crc_is_the_sdks():
    status = DynamixelWire.status(7, bytes([0xFF, 0xFF, 0xFD, 0x00]))
    assert status[:8] == bytes([0xFF, 0xFF, 0xFD, 0x00, 7, 9, 0, dxl.INST_STATUS])
    assert status[8:-2] == bytes([0, 0xFF, 0xFF, 0xFD, 0xFD, 0x00])
    sdk_crc = dxl.Protocol2PacketHandler().updateCRC(0, list(status[:-2]), len(status) - 2)
    assert crc16(status[:-2]) == sdk_crc == int.from_bytes(status[-2:], "little")


def test_stuffing_is_removed_exactly_for_repeated_and_adjacent_headers():
    for raw in [b"\xff\xff\xfd\xfd", b"\xff\xff\xfd\xff\xff\xfd", b"\xff\xff\xff\xfd", b"\xfd\xff\xff"]:
        assert remove_stuffing(add_stuffing(raw)) == raw


def sdk_packets(build) -> bytes:
    """The bytes the ROBOTIS SDK puts on the wire for `build(packet_handler, port)`."""

    class Port:
        is_using = False
        sent = b""

        def clearPort(self):  # noqa: N802 (the SDK's PortHandler names)
            pass

        def writePort(self, packet):  # noqa: N802
            self.sent += bytes(packet)
            return len(packet)

        def setPacketTimeout(self, _length):  # noqa: N802
            pass

    port = Port()
    build(dxl.Protocol2PacketHandler(), port)
    return port.sent


def test_requests_decoded_from_the_sdks_own_instruction_packets():
    read = sdk_packets(lambda ph, port: ph.readTx(port, 3, 132, 4))
    write = sdk_packets(lambda ph, port: ph.writeTxOnly(port, 4, 116, 4, [1, 2, 3, 4]))
    sync_read = sdk_packets(lambda ph, port: ph.syncReadTx(port, 126, 10, [1, 2, 9], 3, False))
    sync_write = sdk_packets(lambda ph, port: ph.syncWriteTxOnly(port, 64, 1, [1, 1, 2, 0], 4))
    ping = sdk_packets(
        lambda ph, port: ph.txPacket(port, [0, 0, 0, 0, dxl.BROADCAST_ID, 3, 0, dxl.INST_PING, 0, 0])
    )
    buffer = bytearray(b"\x00\xff" + read + write + sync_read + sync_write + ping)
    assert DynamixelWire().take_requests(buffer) == [
        Read(3, 132, 4),
        Write(4, 116, b"\x01\x02\x03\x04"),
        SyncRead(126, 10, (1, 2, 9)),
        SyncWrite(64, 1, {1: b"\x01", 2: b"\x00"}),
        Ping(dxl.BROADCAST_ID),
    ]
    assert buffer == b""


def test_a_packet_split_across_reads_is_decoded_once_complete():
    packet = sdk_packets(lambda ph, port: ph.readTx(port, 5, 0, 2))
    wire, buffer = DynamixelWire(), bytearray()
    for byte in packet[:-1]:
        buffer.append(byte)
        assert wire.take_requests(buffer) == []
    buffer.append(packet[-1])
    assert wire.take_requests(buffer) == [Read(5, 0, 2)]
