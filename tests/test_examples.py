"""The scripts in examples/ run as a user would run them."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[1] / "examples"
pytestmark = pytest.mark.slow


def test_python_api_example_trains_saves_and_runs_the_control_loop(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "act_torque_python_api.py"),
            "--steps=20",
            f"--output-dir={tmp_path}",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "effort read from observation.state: ['joint0.effort', 'joint1.effort']" in result.stdout
    assert re.search(r"step 20: l1_loss [\d.]+, kld_loss [\d.]+, effort_l1_loss [\d.]+", result.stdout)
    assert re.search(r"episode 0: 60 steps, mean \|action − recorded\| [\d.]+", result.stdout)
    saved = {path.name for path in (tmp_path / "policy").iterdir()}
    assert {"config.json", "model.safetensors"} <= saved
    assert any(name.startswith("policy_preprocessor") for name in saved)
