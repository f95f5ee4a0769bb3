"""LeRobot-style motor-bus mocks (LeRobot v0.6.1 tests/robots/test_so100_follower.py).

A MagicMock stands in for the bus class where the robot module imports it; its `sync_read` and our
`sync_read_block` answer per register from a `registers` dict that tests edit between steps.
"""

from contextlib import contextmanager
from unittest.mock import MagicMock


def make_bus_mock(registers: dict[str, dict[str, float]]) -> MagicMock:
    """A connected-on-demand bus whose reads return `registers[name]` (a copy, per motor)."""
    bus = MagicMock(name="BusMock")
    bus.is_connected = False
    bus.is_calibrated = True

    def _connect(*_args, **_kwargs):
        bus.is_connected = True

    def _disconnect(*_args, **_kwargs):
        bus.is_connected = False

    @contextmanager
    def _torque_disabled(*_args, **_kwargs):
        yield

    def _sync_read(name, *_args, **_kwargs):
        return dict(registers[name])

    def _sync_read_block(names, *_args, **_kwargs):
        return {name: dict(registers[name]) for name in names}

    bus.connect.side_effect = _connect
    bus.disconnect.side_effect = _disconnect
    bus.torque_disabled.side_effect = _torque_disabled
    bus.sync_read.side_effect = _sync_read
    bus.sync_read_block.side_effect = _sync_read_block
    return bus


def bus_class_mock(bus: MagicMock) -> MagicMock:
    """A class mock that returns `bus` and gives it the motors the robot asked for."""

    def _build(*_args, **kwargs):
        bus.motors = kwargs["motors"]
        bus.calibration = kwargs.get("calibration")
        return bus

    return MagicMock(side_effect=_build)
