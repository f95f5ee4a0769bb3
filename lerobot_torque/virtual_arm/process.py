"""Run `lerobot-torque-virtual-arm` as a subprocess for as long as a `with` block lasts.

Used by the end-to-end tests and `benchmarks/rollout_loop_rate.py`, which drive LeRobot's own
commands against the arm; a user runs the console command instead.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# The environment of LeRobot's commands run against a virtual arm: no Hub, headless rendering.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1", "MUJOCO_GL": "egl"}
STARTUP_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10
CAMERA_WIDTH, CAMERA_HEIGHT, CAMERA_FPS = 64, 48, 10  # what `--camera_port` publishes (camera.py)


@dataclass
class RunningArm:
    port: str  # the path LeRobot is given (`--robot.port` / `--teleop.port`)
    device: str  # /dev/pts/N
    camera_port: int | None  # localhost port of its rendered view
    process: subprocess.Popen

    def zmq_camera(self, name: str = "front") -> str:
        """`--robot.cameras` value that reads this arm's view with LeRobot's `zmq` camera."""
        return (
            f"{{{name}: {{type: zmq, server_address: 127.0.0.1, port: {self.camera_port}, "
            f"camera_name: {name}, "
            f"width: {CAMERA_WIDTH}, height: {CAMERA_HEIGHT}, fps: {CAMERA_FPS}}}}}"
        )


def run_lerobot(command: str, *args: str, env: dict | None = None, timeout: float = 900) -> str:
    """Run one of LeRobot's console scripts next to this Python (`lerobot-record`, …); its stderr
    is in the error when it fails."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / command), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed ({result.returncode}):\n{result.stderr[-6000:]}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_virtual_arm(arm: str, link: Path, *args: str, camera: bool = True, env: dict | None = None):
    """`lerobot-torque-virtual-arm --arm <arm> --link <link> [--camera_port P] <args>` for the block."""
    camera_port = free_port() if camera else None
    command = [
        sys.executable,
        "-m",
        "lerobot_torque.virtual_arm.cli",
        "--arm",
        arm,
        "--link",
        str(link),
        *args,
    ]
    if camera:
        command += ["--camera_port", str(camera_port)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        line = ""
        while time.monotonic() < deadline and not line.startswith("Virtual"):
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError(f"The virtual arm exited:\n{process.stderr.read()}")
        if not line.startswith("Virtual"):
            raise RuntimeError(f"The virtual arm did not start within {STARTUP_TIMEOUT_S} s: {line!r}")
        device = line.split("(device ")[1].split(")")[0]
        yield RunningArm(str(link), device, camera_port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
