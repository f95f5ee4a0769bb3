"""Dynamixel Protocol 2.0 (X series, ALOHA's ViperX and WidowX arms) packets, as the servo sees them.

Layout (ROBOTIS `dynamixel_sdk/protocol2_packet_handler.py`, constants from `robotis_def.py`):
instruction `FF FF FD 00 id len_l len_h inst params… crc_l crc_h`, status
`FF FF FD 00 id len_l len_h 55 error data… crc_l crc_h`; `len` = bytes after the length field
(instruction or 0x55, error, parameters, CRC) after stuffing; CRC-16 (the SDK's `updateCRC`,
polynomial 0x8005) over every byte before it, stuffing included. Addresses and lengths are 2 bytes,
little-endian. Byte stuffing: the sender inserts `FD` after every `FF FF FD` in the instruction and
parameters (so a header never appears inside a packet); the receiver removes it after checking the CRC.

Instructions decoded: PING (status data = Model_Number 2 bytes + Firmware_Version 1 byte, which the
SDK's `ping` and `broadcastPing` read), READ, WRITE, SYNC_READ, SYNC_WRITE. Left out (answered with
no status packet, like a motor that does not know them): REG_WRITE/ACTION, BULK_READ/WRITE, the fast
variants, REBOOT, FACTORY_RESET, CLEAR — none of LeRobot's `DynamixelMotorsBus` calls sends them.
A packet with a wrong CRC is dropped without a reply, so the client times out (as on the Feetech
wire); Protocol 2.0 also defines a CRC error code (`ERRNUM_CRC` in the SDK) that a motor may report
instead, and LeRobot treats either outcome as a failed transaction.
Stuffing is matched on the instruction and parameters only; the SDK also looks back into the length
bytes, which only matters for a packet length of 0xFFFF (longer than its 1 kB buffer).

Found while testing: the Python SDK (dynamixel-sdk 3.8.4) sends instruction packets *unstuffed* —
its `addStuffing` builds the stuffed packet in a new list that `txPacket` discards — with a CRC over
the unstuffed bytes.
Decoding by length and CRC reads those correctly, unless the data itself holds `FF FF FD FD`, which
the receiver must then take for a stuffed `FF FF FD` (the rule of Protocol 2.0).
Status packets, built here, are stuffed; the SDK's `rxPacket` removes the stuffing.
"""

import logging

from dynamixel_sdk import robotis_def as dxl
from dynamixel_sdk.protocol2_packet_handler import (
    PKT_ID,
    PKT_INSTRUCTION,
    PKT_LENGTH_H,
    PKT_LENGTH_L,
    PKT_RESERVED,
    TXPACKET_MAX_LEN,
    Protocol2PacketHandler,
)

from lerobot.motors.dynamixel.tables import X_SERIES_CONTROL_TABLE

from lerobot_torque.virtual_arm.requests import Ping, Read, Request, SyncRead, SyncWrite, Unsupported, Write

logger = logging.getLogger(__name__)

HEADER = bytes([0xFF, 0xFF, 0xFD])
RESERVED = 0x00
STUFFED_HEADER = HEADER + bytes([0xFD])
PREFIX_LENGTH = PKT_LENGTH_H + 1  # header, reserved, id, length = 7 bytes before the length counts
MIN_LENGTH = 3  # instruction + CRC
CRC_SIZE = 2

_CRC_HANDLER = Protocol2PacketHandler()


def crc16(data: bytes) -> int:
    """Protocol 2.0 CRC-16 of `data`, computed by the SDK itself (`updateCRC`, initial value 0)."""
    return _CRC_HANDLER.updateCRC(0, data, len(data))


def add_stuffing(payload: bytes) -> bytes:
    """`FF FF FD` → `FF FF FD FD` (occurrences of `FF FF FD` never overlap, so `replace` is exact)."""
    return payload.replace(HEADER, STUFFED_HEADER)


def remove_stuffing(payload: bytes) -> bytes:
    """The inverse of `add_stuffing`."""
    return payload.replace(STUFFED_HEADER, HEADER)


def _word(data: bytes, offset: int) -> int:
    return dxl.DXL_MAKEWORD(data[offset], data[offset + 1])


def _le16(value: int) -> bytes:
    return bytes([dxl.DXL_LOBYTE(value), dxl.DXL_HIBYTE(value)])


def encode_packet(motor_id: int, payload: bytes) -> bytes:
    """A complete packet: header, id, length, stuffed `payload` (instruction or 0x55 onwards), CRC."""
    stuffed = add_stuffing(payload)
    body = HEADER + bytes([RESERVED, motor_id]) + _le16(len(stuffed) + CRC_SIZE) + stuffed
    return body + _le16(crc16(body))


class DynamixelWire:
    """Decodes Protocol 2.0 instruction packets into requests and builds status packets.

    Args:
        control_table: Register name → (address, size); only `Model_Number` and `Firmware_Version`
            are used, for the PING status. Defaults to LeRobot's X-series table, shared by every
            Dynamixel model LeRobot 0.6.1 knows.
    """

    broadcast_id = dxl.BROADCAST_ID
    name = "Dynamixel protocol 2.0"

    def __init__(self, control_table: dict[str, tuple[int, int]] = X_SERIES_CONTROL_TABLE):
        self.model_number = control_table["Model_Number"]
        self.firmware_version = control_table["Firmware_Version"]

    def take_requests(self, buffer: bytearray) -> list[Request]:
        """Consume every complete packet at the front of `buffer` (a partial one stays)."""
        requests = []
        while True:
            start = buffer.find(HEADER)
            if start < 0:
                del buffer[: max(0, len(buffer) - 2)]  # keep a trailing FF or FF FF: it may start a header
                return requests
            del buffer[:start]
            if len(buffer) < PREFIX_LENGTH:
                return requests
            length = _word(buffer, PKT_LENGTH_L)
            if buffer[PKT_RESERVED] != RESERVED or not MIN_LENGTH <= length <= TXPACKET_MAX_LEN:
                del buffer[:1]  # not a packet (e.g. a stuffed FF FF FD FD): skip one header byte, resync
                continue
            total = PREFIX_LENGTH + length
            if len(buffer) < total:
                return requests
            packet, buffer[:total] = bytes(buffer[:total]), b""
            if crc16(packet[:-CRC_SIZE]) != _word(packet, total - CRC_SIZE):
                logger.debug("Dropped a packet with a wrong CRC: %s", packet.hex(" "))
                continue
            payload = remove_stuffing(packet[PKT_INSTRUCTION:-CRC_SIZE])
            requests.append(self.decode(packet[PKT_ID], payload[0], payload[1:]))

    @staticmethod
    def decode(motor_id: int, instruction: int, params: bytes) -> Request:
        """One request from an instruction and its (unstuffed) parameters."""
        if instruction == dxl.INST_PING:
            return Ping(motor_id)
        if instruction == dxl.INST_READ and len(params) == 4:
            return Read(motor_id, _word(params, 0), _word(params, 2))
        if instruction == dxl.INST_WRITE and len(params) > 2:
            return Write(motor_id, _word(params, 0), bytes(params[2:]))
        if instruction == dxl.INST_SYNC_READ and len(params) >= 4:
            return SyncRead(_word(params, 0), _word(params, 2), tuple(params[4:]))
        if instruction == dxl.INST_SYNC_WRITE and len(params) >= 4:
            address, length, payload = _word(params, 0), _word(params, 2), params[4:]
            if length > 0 and len(payload) % (length + 1) == 0:
                chunks = {
                    payload[i]: bytes(payload[i + 1 : i + 1 + length])
                    for i in range(0, len(payload), length + 1)
                }
                return SyncWrite(address, length, chunks)
        if instruction in (dxl.INST_READ, dxl.INST_WRITE, dxl.INST_SYNC_READ, dxl.INST_SYNC_WRITE):
            logger.debug("Malformed instruction 0x%02X for id %d: %s", instruction, motor_id, params.hex(" "))
        return Unsupported(motor_id, instruction)

    @staticmethod
    def status(motor_id: int, data: bytes = b"", error: int = 0) -> bytes:
        """A status packet (instruction 0x55) carrying `error` and `data`, stuffed and CRC'd."""
        return encode_packet(motor_id, bytes([dxl.INST_STATUS, error, *data]))

    def ping_status(self, motor_id: int, memory: bytearray) -> bytes:
        """Protocol 2.0 answers a ping with Model_Number (2 bytes LE) and Firmware_Version (1 byte)."""
        model_address, model_size = self.model_number
        firmware_address, firmware_size = self.firmware_version
        data = memory[model_address : model_address + model_size]
        data += memory[firmware_address : firmware_address + firmware_size]
        return self.status(motor_id, bytes(data))
