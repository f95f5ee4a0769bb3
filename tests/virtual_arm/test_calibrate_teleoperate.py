"""LeRobot's `lerobot-calibrate` and `lerobot-teleoperate`, unchanged, on virtual SO-101 arms.

`lerobot-calibrate` asks the operator to put the arm in the middle of its range, then to sweep
every joint and press ENTER; the virtual arm's `sweep` hand does both (middle for 3 s, then the
range) while the test answers the two prompts on stdin when they appear.
"""

import json
import os
import subprocess
import threading
import time
import warnings

import pytest

from lerobot_torque.virtual_arm.arms import make_arm_parts
from lerobot_torque.virtual_arm.hand import SWEEP_HOLD_S, SWEEP_MOVE_S, SWEEP_PERIOD_S
from lerobot_torque.virtual_arm.trace import read_trace
from tests.virtual_arm.virtual_arms import ATTEMPTS, BIN, OFFLINE, lerobot, missed_bus_timeout, virtual_arm

pytestmark = pytest.mark.slow
GOAL_POSITION = 42
FULL_TURN_MOTOR = "wrist_roll"
PROMPT_TIMEOUT_S = 120


class CommandExitedError(AssertionError):
    """The command ended before printing a prompt (its stderr says why)."""


class Prompts:
    """Reads a process's stdout in a thread, so the test can wait for a prompt without a newline.

    Keeps only the recent output: `lerobot-calibrate` prints its live table 50 times a second.
    """

    def __init__(self, process: subprocess.Popen, keep: int = 4096):
        self.process, self.keep = process, keep
        self.tail = ""
        self.seen: set[str] = set()
        self.expected: list[str] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        fd = self.process.stdout.fileno()
        while chunk := os.read(fd, 65536):
            self.tail = (self.tail + chunk.decode(errors="replace"))[-self.keep :]
            self.seen.update(prompt for prompt in self.expected if prompt in self.tail)

    def wait_for(self, prompt: str, timeout_s: float = PROMPT_TIMEOUT_S) -> None:
        self.expected.append(prompt)
        deadline = time.monotonic() + timeout_s
        while prompt not in self.seen and prompt not in self.tail:
            if self.process.poll() is not None:
                raise CommandExitedError(f"the command exited before {prompt!r}")
            assert time.monotonic() < deadline, f"no prompt {prompt!r}; the command printed:\n{self.tail}"
            time.sleep(0.05)


def calibrate_virtual_arm(tmp_path) -> subprocess.Popen:
    """`lerobot-calibrate` on a factory-fresh virtual follower, the prompts answered as they come."""
    with virtual_arm("so101_follower", tmp_path / "follower", "--hand", "sweep", camera=False) as arm:
        process = subprocess.Popen(
            [
                str(BIN / "lerobot-calibrate"),
                "--robot.type=so101_follower_torque",
                f"--robot.port={arm.port}",
                "--robot.id=fresh",
                f"--robot.calibration_dir={tmp_path / 'calibration'}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **OFFLINE},
        )
        prompts = Prompts(process)
        try:
            prompts.wait_for("middle of its range of motion and press ENTER")
            time.sleep(SWEEP_MOVE_S + 0.3 * SWEEP_HOLD_S)  # the hand brings every joint to its middle
            process.stdin.write("\n")
            process.stdin.flush()
            prompts.wait_for("Press ENTER to stop")
            time.sleep(0.7 * SWEEP_HOLD_S + 1.5 * SWEEP_PERIOD_S)  # the hand sweeps every joint
            process.stdin.write("\n")
            process.stdin.flush()
        except (CommandExitedError, BrokenPipeError):
            pass  # the caller reads its stderr
        process.wait(timeout=60)
    return process


def test_lerobot_calibrate_finds_the_virtual_arm_calibration(tmp_path):
    ideal = make_arm_parts("so101_follower").calibration
    for attempt in range(1, ATTEMPTS + 1):  # see tests/virtual_arm/virtual_arms.py
        workdir = tmp_path / f"attempt{attempt}"
        workdir.mkdir()
        process = calibrate_virtual_arm(workdir)
        stderr = process.stderr.read()
        if process.returncode == 0 or not missed_bus_timeout(stderr):
            break
        warnings.warn("lerobot-calibrate: a virtual-bus reply missed the SDK timeout; again", stacklevel=1)
    tmp_path = workdir
    assert process.returncode == 0, stderr[-3000:]
    found = json.loads((tmp_path / "calibration" / "fresh.json").read_text())
    for motor, expected in ideal.items():
        assert abs(found[motor]["homing_offset"] - expected["homing_offset"]) <= 3, motor
        if motor == FULL_TURN_MOTOR:
            continue
        span = expected["range_max"] - expected["range_min"]
        assert expected["range_min"] - 3 <= found[motor]["range_min"] < expected["range_min"] + 0.1 * span, (
            motor
        )
        assert expected["range_max"] - 0.1 * span < found[motor]["range_max"] <= expected["range_max"] + 3, (
            motor
        )


def test_lerobot_teleoperate_moves_the_follower_with_the_leader(tmp_path):
    calibration = tmp_path / "calibration"
    trace = tmp_path / "follower.jsonl"
    with (
        virtual_arm(
            "so101_follower",
            tmp_path / "follower",
            "--calibration_dir",
            str(calibration / "follower"),
            "--id",
            "follower",
            trace=trace,
            camera=False,
        ) as follower,
        virtual_arm(
            "so101_leader",
            tmp_path / "leader",
            "--calibration_dir",
            str(calibration / "leader"),
            "--id",
            "leader",
            camera=False,
        ) as leader,
    ):
        lerobot(
            "lerobot-teleoperate",
            "--robot.type=so101_follower_torque",
            f"--robot.port={follower.port}",
            "--robot.id=follower",
            f"--robot.calibration_dir={calibration / 'follower'}",
            "--teleop.type=so101_leader",
            f"--teleop.port={leader.port}",
            "--teleop.id=leader",
            f"--teleop.calibration_dir={calibration / 'leader'}",
            "--fps=30",
            "--teleop_time_s=3",
        )
    goals = [
        line for line in read_trace(trace) if line["op"] == "sync_write" and line["address"] == GOAL_POSITION
    ]
    shoulder_lift = [int.from_bytes(bytes.fromhex(g["data"]["2"]), "little") for g in goals]
    assert len(goals) >= 30
    assert max(shoulder_lift) - min(shoulder_lift) > 100  # the leader's press went through (ticks)
