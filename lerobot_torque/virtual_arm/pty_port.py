"""A pseudo-terminal whose far end is a virtual motor bus.

`PtyPort.path` (`/dev/pts/N`) is a real serial device: pyserial, and through it the Feetech and
Dynamixel SDKs, open it like `/dev/ttyACM0` (pyserial puts it in raw mode, so every byte value
passes unchanged; baud rate settings are accepted and ignored). The port keeps its own handle on
the device open so that clients can connect, disconnect and reconnect while it runs.
"""

import contextlib
import logging
import os
import select
import threading
import tty
from pathlib import Path

from lerobot_torque.virtual_arm.servo_bus import ServoBus

logger = logging.getLogger(__name__)

READ_CHUNK = 4096
POLL_S = 0.05
# LeRobot's buses give up on a reply after 34 ms (Dynamixel SDK) or 50 ms (Feetech, LeRobot's patch):
# on a loaded machine the thread that answers asks the kernel to run it first, where it may.
BUS_THREAD_NICENESS = -10


def raise_priority_if_permitted() -> None:
    """Lower this thread's niceness (Linux: per thread) when allowed (root or CAP_SYS_NICE)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BUS_THREAD_NICENESS)
    except (AttributeError, OSError):
        logger.debug("Running the virtual bus at normal priority (no permission to raise it).")


class PtyPort:
    """Serves `bus` on a new pseudo-terminal from a background thread until `close()`.

    Args:
        bus: The virtual bus that answers the requests.
        link: Optional path of a symlink to the device (e.g. `/tmp/so101_follower`), made
            atomically and removed on close.
        trace: Optional `trace.BusTrace` recording each request.
    """

    def __init__(self, bus: ServoBus, link: str | Path | None = None, trace=None):
        self.bus = bus
        self.trace = trace
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.device = os.ttyname(self._slave)
        self.link = Path(link) if link else None
        if self.link is not None:
            tmp = self.link.with_name(f".{self.link.name}.{os.getpid()}")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self.device)
            os.replace(tmp, self.link)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"virtual-bus {self.device}", daemon=True)
        self.requests_served = 0

    @property
    def path(self) -> str:
        """The path clients pass as `--robot.port` (the symlink if one was asked for)."""
        return str(self.link) if self.link is not None else self.device

    def start(self) -> "PtyPort":
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=1)
        if self.link is not None and self.link.is_symlink():
            self.link.unlink()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> "PtyPort":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _serve(self) -> None:
        raise_priority_if_permitted()
        buffer = bytearray()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], POLL_S)
            if not ready:
                continue
            try:
                buffer += os.read(self._master, READ_CHUNK)
            except OSError:  # the device is gone (closed)
                return
            for request in self.bus.wire.take_requests(buffer):
                with self.bus.lock:  # the trace sees the memory the reply was built from
                    reply = self.bus.answer(request)
                    line = self.trace.capture(request) if self.trace is not None else None
                if reply:
                    os.write(self._master, reply)  # before any file I/O: the SDK waits 34–50 ms at most
                if line is not None:
                    self.trace.write(line)
                self.requests_served += 1
