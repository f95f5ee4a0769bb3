"""Block reads of the effort buses, down to the bytes: the real Feetech SDK talks to a fake port."""

from unittest.mock import MagicMock

import pytest

from lerobot.motors import Motor, MotorCalibration, MotorNormMode

from lerobot_torque.robots.effort.buses import DynamixelEffortBus, FeetechEffortBus
from tests.robots.fake_feetech_port import FakeFeetechPort, attach

IDS = {"shoulder_pan": 1, "gripper": 6}
SIGN_BIT_10 = 1 << 10
SIGN_BIT_15 = 1 << 15


@pytest.fixture
def bus_and_port():
    motors = {
        "shoulder_pan": Motor(IDS["shoulder_pan"], "sts3215", MotorNormMode.DEGREES),
        "gripper": Motor(IDS["gripper"], "sts3215", MotorNormMode.RANGE_0_100),
    }
    calibration = {
        name: MotorCalibration(id=m.id, drive_mode=0, homing_offset=0, range_min=0, range_max=4095)
        for name, m in motors.items()
    }
    bus = FeetechEffortBus("/dev/fake", motors, calibration)
    port = attach(bus, FakeFeetechPort(list(IDS.values())))
    port.set_register(1, 56, 2, 3071)  # 90° from the middle of 0…4095
    port.set_register(6, 56, 2, 4095)
    return bus, port


def test_position_and_load_are_one_transaction_of_six_bytes_per_motor(bus_and_port):
    bus, port = bus_and_port
    port.set_register(1, 60, 2, 300)
    values = bus.sync_read_block(["Present_Position", "Present_Load"])
    assert port.transactions == 1
    assert port.bytes_on_wire == (8 + 2) + 2 * (6 + 6)  # sync-read request + one 6-byte reply per motor
    assert values["Present_Position"]["shoulder_pan"] == pytest.approx(90.0, abs=0.05)
    assert values["Present_Position"]["gripper"] == 100.0
    assert values["Present_Load"]["shoulder_pan"] == 300


def test_load_direction_bit_10_gives_negative_effort(bus_and_port):
    bus, port = bus_and_port
    port.set_register(1, 60, 2, SIGN_BIT_10 | 300)
    assert bus.sync_read_block(["Present_Position", "Present_Load"])["Present_Load"]["shoulder_pan"] == -300


def test_current_direction_bit_15_gives_negative_effort(bus_and_port):
    bus, port = bus_and_port
    port.set_register(6, 69, 2, SIGN_BIT_15 | 77)
    port.set_register(1, 69, 2, 77)
    current = bus.sync_read_block(["Present_Position", "Present_Current"])["Present_Current"]
    assert current == {"shoulder_pan": 77, "gripper": -77}
    assert port.transactions == 1


def test_lerobots_own_feetech_bus_is_left_without_current_sign_decoding():
    from lerobot.motors.feetech import FeetechMotorsBus

    assert "Present_Current" not in FeetechMotorsBus.model_encoding_table["sts3215"]
    assert FeetechEffortBus.model_encoding_table["sts3215"]["Present_Current"] == 15


def test_corrupted_packet_is_retried(bus_and_port):
    bus, port = bus_and_port
    port.corrupt_next = 1
    values = bus.sync_read_block(["Present_Position", "Present_Load"], num_retry=1)
    assert port.transactions == 2
    assert values["Present_Position"]["gripper"] == 100.0


def test_corruption_beyond_the_retries_raises_a_clear_error(bus_and_port):
    bus, port = bus_and_port
    port.corrupt_next = 3
    with pytest.raises(ConnectionError, match="after 3 attempts.*Incorrect status packet.*num_read_retries"):
        bus.sync_read_block(["Present_Position", "Present_Load"], num_retry=2)


def test_read_timeout_is_retried_then_raises_naming_the_port(bus_and_port):
    bus, port = bus_and_port
    port.drop_next = 2
    with pytest.raises(ConnectionError, match="'/dev/fake' after 2 attempts.*no status packet"):
        bus.sync_read_block(["Present_Position", "Present_Load"], num_retry=1)
    assert port.transactions == 2


def test_a_motor_that_does_not_answer_is_reported_not_read_as_zero(bus_and_port):
    bus, port = bus_and_port
    port.silent_ids = {6}
    with pytest.raises(ConnectionError, match="no valid reply from ids \\[6\\]"):
        bus.sync_read_block(["Present_Position", "Present_Load"])


def test_goal_positions_still_go_through_lerobots_sync_write(bus_and_port):
    bus, port = bus_and_port
    bus.sync_write("Goal_Position", {"shoulder_pan": 0.0})
    assert port.register(1, 42, 2) == 2047


def test_dynamixel_block_covers_current_velocity_and_position_in_one_read():
    motors = {"waist": Motor(1, "xm540-w270", MotorNormMode.DEGREES)}
    bus = DynamixelEffortBus("/dev/fake", motors)
    bus.port_handler = MagicMock(is_open=True)
    reader = MagicMock()
    reader.txRxPacket.return_value = 0  # COMM_SUCCESS
    reader.isAvailable.return_value = True
    reader.getData.side_effect = lambda _id, addr, size: {126: 0xFF9C, 132: 3000}[addr]  # -100 mA units
    bus.sync_reader = reader
    values = bus.sync_read_block(["Present_Current", "Present_Position"], normalize=False)
    assert values == {"Present_Current": {"waist": -100}, "Present_Position": {"waist": 3000}}
    assert (reader.start_address, reader.data_length) == (126, 10)
    reader.txRxPacket.assert_called_once()


def test_dynamixel_block_read_retries_a_failed_transaction():
    motors = {"waist": Motor(1, "xm540-w270", MotorNormMode.DEGREES)}
    bus = DynamixelEffortBus("/dev/fake", motors)
    bus.port_handler = MagicMock(is_open=True)
    reader = MagicMock()
    reader.txRxPacket.side_effect = [-3001, 0]  # COMM_RX_TIMEOUT, then COMM_SUCCESS (dynamixel_sdk)
    reader.isAvailable.return_value = True
    reader.getData.side_effect = lambda _id, addr, size: {126: 5, 132: 2048}[addr]
    bus.sync_reader = reader
    values = bus.sync_read_block(["Present_Current", "Present_Position"], normalize=False, num_retry=1)
    assert values["Present_Current"] == {"waist": 5}
    assert reader.txRxPacket.call_count == 2
