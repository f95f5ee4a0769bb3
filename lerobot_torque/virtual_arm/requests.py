"""Protocol-neutral bus requests: what a wire codec decodes from an instruction packet.

Each motor protocol (`feetech_wire.py`, `dynamixel_wire.py`) turns instruction packets into these
requests and builds status packets from the register bytes that `servo_bus.ServoBus` returns, so
the register logic is written once.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Ping:
    motor_id: int  # the protocol's broadcast id asks every motor


@dataclass(frozen=True)
class Read:
    motor_id: int
    address: int
    length: int


@dataclass(frozen=True)
class Write:
    motor_id: int
    address: int
    data: bytes


@dataclass(frozen=True)
class SyncRead:
    address: int
    length: int
    motor_ids: tuple[int, ...]


@dataclass(frozen=True)
class SyncWrite:
    address: int
    length: int
    data: dict[int, bytes]  # motor id → `length` bytes


@dataclass(frozen=True)
class Unsupported:
    """An instruction the virtual bus does not implement (answered with no status packet)."""

    motor_id: int
    instruction: int


Request = Ping | Read | Write | SyncRead | SyncWrite | Unsupported
