"""A JSON-lines record of what the virtual bus was told and what it answered (`--trace`).

One line per SYNC_READ (the register bytes each motor returned) and per WRITE/SYNC_WRITE (the bytes
written), with the monotonic time; enough to check, after a run, what a robot read and commanded:

    {"t": 12.5, "op": "sync_read", "address": 56, "length": 6, "data": {"1": "d0070000a401", ...}}
"""

import json
import threading
import time
from pathlib import Path

from lerobot_torque.virtual_arm.requests import SyncRead, SyncWrite, Write


class BusTrace:
    """Appends trace lines to `path` (line-buffered, so a killed arm leaves complete lines)."""

    def __init__(self, path: Path, memories: dict[int, bytearray]):
        self._file = open(path, "a", buffering=1)  # noqa: SIM115 - closed by close()
        self._memories = memories
        self._lock = threading.Lock()

    def capture(self, request) -> dict | None:
        """The trace line of `request` (called under the bus lock, so it sees the replied memory)."""
        t = time.monotonic()
        if isinstance(request, SyncRead):
            data = {
                str(i): self._memories[i][request.address : request.address + request.length].hex()
                for i in request.motor_ids
                if i in self._memories
            }
            line = {
                "t": t,
                "op": "sync_read",
                "address": request.address,
                "length": request.length,
                "data": data,
            }
        elif isinstance(request, SyncWrite):
            line = {
                "t": t,
                "op": "sync_write",
                "address": request.address,
                "length": request.length,
                "data": {str(i): d.hex() for i, d in request.data.items()},
            }
        elif isinstance(request, Write):
            line = {
                "t": t,
                "op": "write",
                "address": request.address,
                "data": {str(request.motor_id): request.data.hex()},
            }
        else:
            return None
        return line

    def write(self, line: dict) -> None:
        with self._lock:
            self._file.write(json.dumps(line) + "\n")

    def close(self) -> None:
        self._file.close()


def read_trace(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
