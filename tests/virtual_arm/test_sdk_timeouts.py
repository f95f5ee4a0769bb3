"""The tests' longer SDK status timeouts reach the port handlers LeRobot's buses build."""

from lerobot.motors import Motor, MotorNormMode
from lerobot.motors.dynamixel import DynamixelMotorsBus
from lerobot.motors.feetech import FeetechMotorsBus

from tests.virtual_arm.sdk_timeouts import STATUS_TIMEOUT_MARGIN_MS, longer_status_timeouts

PACKET_LENGTH = 6  # a ping's status packet


def status_timeouts_ms(bus_class, model: str) -> float:
    bus = bus_class(port="/dev/null", motors={"joint": Motor(1, model, MotorNormMode.RANGE_M100_100)})
    bus.port_handler.setPacketTimeout(PACKET_LENGTH)
    return bus.port_handler.packet_timeout


def test_both_buses_wait_longer_inside_the_block_and_as_before_after_it():
    for bus_class, model in ((FeetechMotorsBus, "sts3215"), (DynamixelMotorsBus, "xl430-w250")):
        before = status_timeouts_ms(bus_class, model)
        with longer_status_timeouts():
            inside = status_timeouts_ms(bus_class, model)
        assert inside == before + STATUS_TIMEOUT_MARGIN_MS, bus_class.__name__
        assert status_timeouts_ms(bus_class, model) == before, bus_class.__name__
