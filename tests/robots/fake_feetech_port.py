"""An in-memory serial port that answers like STS3215 servos on a Feetech bus (protocol 0).

It stands in for `serial.Serial` under the real Feetech SDK (`scservo_sdk`), so LeRobot's and our
bus code run unchanged down to the bytes: instruction packets are parsed, status packets are built
with real checksums. Supports SYNC_READ (0x82) and SYNC_WRITE (0x83), which is all a robot uses per
control step. Faults can be injected: a corrupted checksum, or no reply (timeout).

Timing model (used by benchmarks/robot_read_cost.py): each transaction costs `latency_s` (USB
round trip) plus 10 bits per byte on the wire at `baudrate`; with `realtime=True` the port sleeps that
long, so measured wall time includes it.

Packet layout (Feetech SCServo protocol, scservo_sdk/protocol_packet_handler.py):
instruction `FF FF id len inst params… checksum`, status `FF FF id len error data… checksum`,
checksum = ~(id + len + … ) & 0xFF.
"""

import time
from dataclasses import dataclass, field

INST_SYNC_READ = 0x82
INST_SYNC_WRITE = 0x83
BITS_PER_BYTE = 10  # 8N1 UART framing
STS3215_REGISTERS = 128


def checksum(body: list[int]) -> int:
    return ~sum(body) & 0xFF


def status_packet(motor_id: int, data: list[int]) -> list[int]:
    body = [motor_id, len(data) + 2, 0, *data]
    return [0xFF, 0xFF, *body, checksum(body)]


@dataclass
class FakeFeetechPort:
    """Serial-port stand-in holding the register memory of each motor id.

    Args:
        ids: Motor ids on the bus.
        baudrate: For the timing model.
        latency_s: Fixed cost per transaction (USB round trip) for the timing model.
        realtime: Sleep the modelled time on each transaction.
    """

    ids: list[int]
    baudrate: int = 1_000_000
    latency_s: float = 0.001
    realtime: bool = False
    memory: dict[int, bytearray] = field(init=False)
    corrupt_next: int = 0  # the next N sync-reads get a wrong checksum on the first motor's reply
    drop_next: int = 0  # the next N sync-reads get no reply at all (the SDK times out)
    silent_ids: set[int] = field(default_factory=set)  # motors that never reply
    transactions: int = 0
    bytes_on_wire: int = 0
    modelled_time_s: float = 0.0
    is_open: bool = True

    def __post_init__(self):
        self.memory = {motor_id: bytearray(STS3215_REGISTERS) for motor_id in self.ids}
        self._rx = bytearray()

    def set_register(self, motor_id: int, address: int, size: int, raw: int) -> None:
        """Store an unsigned register value, little-endian, as the servo does."""
        self.memory[motor_id][address : address + size] = raw.to_bytes(size, "little")

    def register(self, motor_id: int, address: int, size: int) -> int:
        return int.from_bytes(self.memory[motor_id][address : address + size], "little")

    # --- the part of serial.Serial the SDK uses ---
    def write(self, packet) -> int:
        packet = list(packet)
        instruction, params = packet[4], packet[5:-1]
        reply: list[int] = []
        if instruction == INST_SYNC_READ:
            reply = self._sync_read(params[0], params[1], params[2:])
        elif instruction == INST_SYNC_WRITE:
            self._sync_write(params[0], params[1], params[2:])
        self._account(len(packet) + len(reply))
        self._rx.extend(reply)
        return len(packet)

    def read(self, size: int = 1) -> bytes:
        out, self._rx = bytes(self._rx[:size]), self._rx[size:]
        return out

    @property
    def in_waiting(self) -> int:
        return len(self._rx)

    def flush(self) -> None:
        pass

    def reset_input_buffer(self) -> None:
        self._rx.clear()

    def close(self) -> None:
        self.is_open = False

    # --- behaviour ---
    def _sync_read(self, address: int, size: int, ids: list[int]) -> list[int]:
        if self.drop_next:
            self.drop_next -= 1
            return []
        reply = []
        for motor_id in ids:
            if motor_id not in self.silent_ids:
                reply += status_packet(motor_id, list(self.memory[motor_id][address : address + size]))
        if self.corrupt_next and reply:
            self.corrupt_next -= 1
            reply[5 + size] ^= 0xFF  # checksum byte of the first reply
        return reply

    def _sync_write(self, address: int, size: int, payload: list[int]) -> None:
        for start in range(0, len(payload), size + 1):
            motor_id, data = payload[start], payload[start + 1 : start + 1 + size]
            self.memory[motor_id][address : address + size] = bytes(data)

    def _account(self, n_bytes: int) -> None:
        seconds = self.latency_s + n_bytes * BITS_PER_BYTE / self.baudrate
        self.transactions += 1
        self.bytes_on_wire += n_bytes
        self.modelled_time_s += seconds
        if self.realtime:
            time.sleep(seconds)


def attach(bus, port: FakeFeetechPort) -> FakeFeetechPort:
    """Plug `port` into a LeRobot Feetech bus as if `bus.connect(handshake=False)` had opened it."""
    handler = bus.port_handler
    handler.ser = port
    handler.is_open = True
    handler.baudrate = port.baudrate
    handler.tx_time_per_byte = (1000.0 / port.baudrate) * BITS_PER_BYTE
    return port
