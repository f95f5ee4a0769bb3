"""The register memory of every motor on one virtual bus, and the answers to bus requests.

Protocol-neutral: a wire codec (`feetech_wire.FeetechWire`, `dynamixel_wire.DynamixelWire`)
decodes packets into `requests` and encodes the status packets. Writes go to memory and are
reported to `on_write` (the simulation reads goals and torque switches from there); reads are
answered from memory, which the simulation refreshes (`write_register`). Broadcast writes and
SYNC_WRITE get no status packet, as on the real bus.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from lerobot_torque.virtual_arm.requests import Ping, Read, Request, SyncRead, SyncWrite, Unsupported, Write


@dataclass(frozen=True)
class Register:
    address: int
    size: int


class ServoBus:
    """Motors' memories behind one wire protocol.

    Args:
        wire: The protocol codec.
        memories: Motor id → register memory (bytearray, little-endian values).
        control_table: Register name → (address, size), e.g. LeRobot's model control table.
        on_write: Called with (motor id, address, data) after every write, under the bus lock.
    """

    def __init__(
        self,
        wire,
        memories: dict[int, bytearray],
        control_table: dict[str, tuple[int, int]],
        on_write: Callable[[int, int, bytes], None] | None = None,
    ):
        self.wire = wire
        self.memories = memories
        self.table = {name: Register(*spec) for name, spec in control_table.items()}
        self.on_write = on_write
        self.lock = threading.RLock()
        self.silent = False  # a powered-off bus: nothing answers

    def register(self, name: str) -> Register:
        return self.table[name]

    def read_register(self, motor_id: int, name: str) -> int:
        reg = self.table[name]
        return int.from_bytes(self.memories[motor_id][reg.address : reg.address + reg.size], "little")

    def write_register(self, motor_id: int, name: str, raw: int) -> None:
        """Store an unsigned raw value (the caller applies the register's sign encoding)."""
        reg = self.table[name]
        self.memories[motor_id][reg.address : reg.address + reg.size] = (raw % (1 << 8 * reg.size)).to_bytes(
            reg.size, "little"
        )

    def answer(self, request: Request) -> bytes:
        """The bytes the motors put on the wire in reply to `request`."""
        if self.silent or isinstance(request, Unsupported):
            return b""
        with self.lock:
            if isinstance(request, Ping):
                ids = self._addressed(request.motor_id)
                return b"".join(self.wire.ping_status(i, self.memories[i]) for i in ids)
            if isinstance(request, Read):
                memory = self.memories.get(request.motor_id)
                if memory is None:
                    return b""
                data = memory[request.address : request.address + request.length]
                return self.wire.status(request.motor_id, bytes(data))
            if isinstance(request, Write):
                for motor_id in self._addressed(request.motor_id):
                    self._store(motor_id, request.address, request.data)
                if request.motor_id == self.wire.broadcast_id or request.motor_id not in self.memories:
                    return b""
                return self.wire.status(request.motor_id)
            if isinstance(request, SyncWrite):
                for motor_id, data in request.data.items():
                    if motor_id in self.memories:
                        self._store(motor_id, request.address, data)
                return b""
            if isinstance(request, SyncRead):
                return b"".join(
                    self.wire.status(
                        i, bytes(self.memories[i][request.address : request.address + request.length])
                    )
                    for i in request.motor_ids
                    if i in self.memories
                )
        return b""

    def _addressed(self, motor_id: int) -> list[int]:
        if motor_id == self.wire.broadcast_id:
            return sorted(self.memories)
        return [motor_id] if motor_id in self.memories else []

    def _store(self, motor_id: int, address: int, data: bytes) -> None:
        self.memories[motor_id][address : address + len(data)] = data
        if self.on_write is not None:
            self.on_write(motor_id, address, data)
