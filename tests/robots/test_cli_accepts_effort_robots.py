"""LeRobot's unchanged CLIs accept our robot and teleoperator types and stop at the serial port.

Each test runs a `lerobot-*` command in a subprocess (≈20 s: the CLI imports torch). The ports do not
exist, so the command must get through config parsing and plugin discovery and fail at connect time
with LeRobot's "Could not connect on port" error.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
MISSING = "/dev/lerobot_torque_missing"


def run_cli(command: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    executable = shutil.which(command, path=str(BIN))
    assert executable, f"{command} is not installed next to {sys.executable}"
    return subprocess.run(
        [executable, *args], capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False
    )


def record_args(tmp_path: Path) -> list[str]:
    return [
        "--dataset.repo_id=local/cli_check",
        "--dataset.single_task=press the button",
        f"--dataset.root={tmp_path / 'dataset'}",
        "--dataset.push_to_hub=false",
        "--play_sounds=false",
    ]


def assert_stopped_at_port(result: subprocess.CompletedProcess, port: str) -> None:
    assert result.returncode != 0
    assert f"Could not connect on port '{port}'" in result.stderr, result.stderr[-3000:]
    assert "Error creating robot" not in result.stderr
    assert "error: argument" not in result.stderr  # no draccus parsing error


def test_lerobot_record_accepts_so100_follower_torque(tmp_path):
    result = run_cli(
        "lerobot-record",
        "--robot.type=so100_follower_torque",
        f"--robot.port={MISSING}_follower",
        "--robot.effort_register=current",
        "--robot.effort_unit=nm",
        "--robot.effort_limits={elbow_flex: 1.5}",
        "--teleop.type=so100_leader",
        f"--teleop.port={MISSING}_leader",
        *record_args(tmp_path),
        tmp_path=tmp_path,
    )
    assert_stopped_at_port(result, f"{MISSING}_leader")  # lerobot-record connects the teleop first


def test_lerobot_record_accepts_aloha_torque_with_aloha_leader(tmp_path):
    result = run_cli(
        "lerobot-record",
        "--robot.type=aloha_torque",
        f"--robot.left_arm_config.port={MISSING}_follower_left",
        f"--robot.right_arm_config.port={MISSING}_follower_right",
        "--robot.left_arm_config.shadow_effort=sum",
        "--teleop.type=aloha_leader",
        f"--teleop.left_arm_config.port={MISSING}_leader_left",
        f"--teleop.right_arm_config.port={MISSING}_leader_right",
        *record_args(tmp_path),
        tmp_path=tmp_path,
    )
    assert_stopped_at_port(result, f"{MISSING}_leader_left")


def test_lerobot_calibrate_reaches_the_so100_follower_torque_port(tmp_path):
    result = run_cli(
        "lerobot-calibrate", "--robot.type=so100_follower_torque", f"--robot.port={MISSING}_follower",
        tmp_path=tmp_path,
    )  # fmt: skip
    assert_stopped_at_port(result, f"{MISSING}_follower")
