"""Longer SDK status timeouts for tests that run a virtual bus in the test process.

Timing is not under test. The virtual bus answers from a thread of the test process, and on a loaded
machine (other test processes, the SDK spinning on the port) an answer sometimes took longer than the
SDKs' status timeouts (Dynamixel ~34 ms, Feetech ~50 ms), which failed about one run in ten.
"""

STATUS_TIMEOUT_MARGIN_MS = 250


def add_timeout_margin(port_handler) -> None:
    """Lengthen every status timeout the SDK sets on `port_handler` by `STATUS_TIMEOUT_MARGIN_MS`."""
    set_timeout = port_handler.setPacketTimeout

    def with_margin(packet_length):
        set_timeout(packet_length)
        port_handler.packet_timeout += STATUS_TIMEOUT_MARGIN_MS

    port_handler.setPacketTimeout = with_margin
