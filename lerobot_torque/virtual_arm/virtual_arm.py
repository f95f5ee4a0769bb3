"""One virtual arm: simulation, register memory, protocol and pseudo-terminal, started and stopped as one."""

import gc
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lerobot_torque.virtual_arm.arm_sim import ArmSimulation, ServoSpec
from lerobot_torque.virtual_arm.camera import CameraPublisher, CameraSettings, CameraView
from lerobot_torque.virtual_arm.hand import Hand, HandMotion, JointRange
from lerobot_torque.virtual_arm.pty_port import PtyPort
from lerobot_torque.virtual_arm.servo_bus import ServoBus
from lerobot_torque.virtual_arm.trace import BusTrace

logger = logging.getLogger(__name__)

REGISTER_REFRESH_S = 0.002  # present values are rewritten every physics step (2 ms)


@dataclass
class ArmParts:
    """What an arm kind provides (see `arms.py`)."""

    name: str  # the arm's name in `arms.ARMS`
    model: object  # compiled MuJoCo model
    build_model: Callable[[], object]  # a module-level function compiling `model` (the camera's
    # render process builds its own, and a spawned process receives functions by name)
    servos: list[ServoSpec]
    ranges: dict[str, JointRange]  # joint → range (rad)
    home: dict[str, float]
    wave_amplitude: dict[str, float]
    wire: object  # FeetechWire | DynamixelWire
    control_table: dict[str, tuple[int, int]]
    memories: dict[int, bytearray]  # factory register memory of each motor id
    registers: type  # FeetechRegisters | DynamixelRegisters
    calibration: dict[str, dict]  # what LeRobot's calibration would find, per motor name
    camera_view: "CameraView"  # where the rendered camera looks from


class VirtualArm:
    """Runs `parts` in real time behind a pseudo-terminal.

    Args:
        parts: The arm.
        hand: What moves the joints whose torque is off.
        link: Optional symlink to the device path (e.g. `/tmp/virtual_follower`).
        zero_effort: Report zero effort (physics unchanged), to check that a policy uses effort.
        trace_path: Append a JSON-lines record of reads and writes here (`trace.py`).
        camera_port: Publish a rendered view on this localhost port for LeRobot's `zmq` camera.
    """

    def __init__(
        self,
        parts: ArmParts,
        hand: HandMotion,
        link: str | None = None,
        zero_effort: bool = False,
        trace_path: Path | None = None,
        camera_port: int | None = None,
    ):
        self.parts = parts
        self.sim = ArmSimulation(
            parts.model,
            parts.servos,
            Hand(hand, parts.ranges, parts.home, parts.wave_amplitude),
            parts.home,
            zero_effort=zero_effort,
        )
        self.bus = ServoBus(parts.wire, parts.memories, parts.control_table)
        self.registers = parts.registers(self.sim, parts.servos)
        self.registers.attach(self.bus)
        self.registers.refresh(self.sim.readings())
        self.trace = BusTrace(trace_path, parts.memories) if trace_path is not None else None
        self.port = PtyPort(self.bus, link, trace=self.trace)
        self.camera = None
        if camera_port is not None:
            settings = CameraSettings(port=camera_port, view=parts.camera_view)
            self.camera = CameraPublisher(parts.build_model, parts.model.nq, settings)
            self.camera.update(self.sim.data.qpos)
        self._stop = threading.Event()
        self._physics = threading.Thread(target=self._run_physics, name="virtual-arm physics", daemon=True)

    @property
    def path(self) -> str:
        return self.port.path

    def _on_tick(self, readings) -> None:
        self.registers.refresh(readings)
        if self.camera is not None:
            with self.sim.lock:
                self.camera.update(self.sim.data.qpos)

    def _run_physics(self) -> None:
        try:
            self.sim.run(self._stop, self._on_tick, REGISTER_REFRESH_S)
        except Exception:  # a dead simulation must not leave a bus that answers stale values
            logger.exception("The virtual arm's simulation stopped")
            self.bus.silent = True

    def start(self) -> "VirtualArm":
        # A full garbage collection of this process (LeRobot brings torch: ~500k objects) stops every
        # thread for ~250 ms, far past the 34–50 ms a motor SDK waits for a reply. Objects that exist
        # now are moved out of the collector's reach; collections then scan only what came after.
        gc.freeze()
        if self.camera is not None:
            self.camera.start()  # before the bus answers: the first frame sets up OpenGL (slow)
        self.port.start()
        self._physics.start()
        return self

    def stop(self) -> None:
        if self.camera is not None:
            self.camera.stop()
        self._stop.set()
        self._physics.join(timeout=2)
        self.port.close()
        if self.trace is not None:
            self.trace.close()

    def __enter__(self) -> "VirtualArm":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def calibrate(self, calibration_dir: Path, arm_id: str) -> Path:
        """Write the calibration a careful operator would record, to the motors and to
        `<calibration_dir>/<arm_id>.json` (LeRobot's `MotorCalibration` format), atomically."""
        for values in self.parts.calibration.values():
            self.registers.write_calibration(values["id"], values)
        calibration_dir.mkdir(parents=True, exist_ok=True)
        path = calibration_dir / f"{arm_id}.json"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.parts.calibration, indent=4))
        os.replace(tmp, path)
        return path
