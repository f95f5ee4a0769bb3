"""Longer SDK status timeouts for tests whose virtual bus answers on a loaded machine.

Timing is not under test. On a loaded machine (other test processes, the SDK spinning on the port,
a policy server in the same process) an answer of the virtual bus sometimes took longer than the
SDKs' status timeouts (Dynamixel ~34 ms, Feetech ~50 ms), which failed about one run in ten. The
margin applies to the buses built in this process; the arm may run in this process or its own.
"""

import contextlib
import types
from collections.abc import Iterator

import dynamixel_sdk
import pytest

from lerobot.motors.feetech import feetech

STATUS_TIMEOUT_MARGIN_MS = 250


def with_margin(set_timeout):
    """`set_timeout(handler, packet_length)`, then `STATUS_TIMEOUT_MARGIN_MS` more on the handler."""

    def lengthened(port_handler, packet_length):
        set_timeout(port_handler, packet_length)
        port_handler.packet_timeout += STATUS_TIMEOUT_MARGIN_MS

    return lengthened


def add_timeout_margin(port_handler) -> None:
    """Lengthen every status timeout the SDK sets on `port_handler` by `STATUS_TIMEOUT_MARGIN_MS`."""
    function = port_handler.setPacketTimeout.__func__  # the SDK's method or LeRobot's bound patch
    port_handler.setPacketTimeout = types.MethodType(with_margin(function), port_handler)


@contextlib.contextmanager
def longer_status_timeouts() -> Iterator[None]:
    """Inside the block, every port handler either SDK opens gets the margin (robots built by CLIs).

    LeRobot's Feetech bus replaces its port handler's `setPacketTimeout` by the module's
    `patch_setPacketTimeout` (lerobot/motors/feetech/feetech.py), so that function gets the margin;
    the Dynamixel bus uses the SDK's `PortHandler.setPacketTimeout`.
    """
    with pytest.MonkeyPatch.context() as patch:
        for owner, name in (
            (feetech, "patch_setPacketTimeout"),
            (dynamixel_sdk.PortHandler, "setPacketTimeout"),
        ):
            patch.setattr(owner, name, with_margin(getattr(owner, name)))
        yield
