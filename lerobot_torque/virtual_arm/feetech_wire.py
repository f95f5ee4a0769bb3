"""Feetech SCS protocol 0 (STS3215, SO-100/SO-101) packets, as the servo sees them.

Layout (the Feetech SDK's `scservo_sdk/protocol_packet_handler.py`, constants from
`scservo_sdk/scservo_def.py`): instruction `FF FF id len inst params… checksum`, status
`FF FF id len error data… checksum`; `len` = number of parameters + 2; checksum =
`~(id + len + inst/error + params…) & 0xFF`. Addresses and lengths are one byte.
"""

import logging

from scservo_sdk import scservo_def as scs

from lerobot_torque.virtual_arm.requests import Ping, Read, Request, SyncRead, SyncWrite, Unsupported, Write

logger = logging.getLogger(__name__)

HEADER = bytes([0xFF, 0xFF])
MIN_PACKET = 6  # header, id, len, inst, checksum


def checksum(body: bytes) -> int:
    return ~sum(body) & 0xFF


class FeetechWire:
    """Decodes instruction packets into requests and builds status packets."""

    broadcast_id = scs.BROADCAST_ID
    name = "Feetech protocol 0"

    def take_requests(self, buffer: bytearray) -> list[Request]:
        """Consume every complete packet at the front of `buffer` (a partial one stays)."""
        requests = []
        while True:
            start = buffer.find(HEADER)
            if start < 0:
                del buffer[: max(0, len(buffer) - 1)]  # keep a trailing 0xFF: it may start a header
                return requests
            del buffer[:start]
            if len(buffer) < MIN_PACKET - 2 or len(buffer) < 4 + buffer[3]:
                return requests
            length = buffer[3]
            if length < 2 or buffer[2] == 0xFF:  # not a packet: skip one header byte and resync
                del buffer[:1]
                continue
            packet, buffer[: 4 + length] = bytes(buffer[: 4 + length]), b""
            if checksum(packet[2:-1]) != packet[-1]:
                logger.debug("Dropped a packet with a wrong checksum: %s", packet.hex(" "))
                continue
            requests.append(self.decode(packet[2], packet[4], packet[5:-1]))

    @staticmethod
    def decode(motor_id: int, instruction: int, params: bytes) -> Request:
        if instruction == scs.INST_PING:
            return Ping(motor_id)
        if instruction == scs.INST_READ:
            return Read(motor_id, params[0], params[1])
        if instruction == scs.INST_WRITE:
            return Write(motor_id, params[0], bytes(params[1:]))
        if instruction == scs.INST_SYNC_READ:
            return SyncRead(params[0], params[1], tuple(params[2:]))
        if instruction == scs.INST_SYNC_WRITE:
            address, length, payload = params[0], params[1], params[2:]
            chunks = {
                payload[i]: bytes(payload[i + 1 : i + 1 + length]) for i in range(0, len(payload), length + 1)
            }
            return SyncWrite(address, length, chunks)
        return Unsupported(motor_id, instruction)

    @staticmethod
    def status(motor_id: int, data: bytes = b"", error: int = 0) -> bytes:
        body = bytes([motor_id, len(data) + 2, error, *data])
        return HEADER + body + bytes([checksum(body)])

    def ping_status(self, motor_id: int, memory: bytearray) -> bytes:
        """Protocol 0 answers a ping with an empty status; LeRobot then reads Model_Number."""
        return self.status(motor_id)
