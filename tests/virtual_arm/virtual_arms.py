"""Virtual arms and LeRobot's console scripts as subprocesses, for the end-to-end tests."""

import contextlib
import sys
from pathlib import Path

from lerobot_torque.virtual_arm.process import run_lerobot, running_virtual_arm

BIN = Path(sys.executable).parent
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1", "MUJOCO_GL": "egl"}


@contextlib.contextmanager
def virtual_arm(arm: str, link: Path, *args: str, trace: Path | None = None, camera: bool = True):
    """A virtual arm subprocess (offline environment), optionally tracing its bus to `trace`."""
    if trace is not None:
        args = (*args, "--trace", str(trace))
    with running_virtual_arm(arm, link, *args, camera=camera, env=OFFLINE) as running:
        yield running


def lerobot(command: str, *args: str) -> str:
    """Run one of LeRobot's console scripts (`lerobot-record`, …) unchanged, offline."""
    return run_lerobot(command, *args, env=OFFLINE)
