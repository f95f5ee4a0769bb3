"""Test-wide settings: no network, no Hub, headless MuJoCo, LeRobot's cache in a temporary home.

Set before anything imports LeRobot, which reads HF_LEROBOT_HOME at import time.
"""

import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("WANDB_MODE", "disabled")
# Tiny models run faster on one thread, and two OpenMP threads spin badly on a busy 2-core machine.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["HF_LEROBOT_HOME"] = tempfile.mkdtemp(prefix="lerobot_torque_tests_home_")
# A private Hub cache that tests fill with locally made stand-ins (tests/fake_hub.py).
os.environ["HF_HUB_CACHE"] = tempfile.mkdtemp(prefix="lerobot_torque_tests_hub_")


import pytest  # noqa: E402

from tests.synthetic import write_synthetic_dataset  # noqa: E402


@pytest.fixture(scope="session")
def synthetic_datasets(tmp_path_factory) -> dict:
    """The synthetic video dataset in both effort layouts: {"feature": root, "state": root}."""
    base = tmp_path_factory.mktemp("datasets")
    return {
        layout: write_synthetic_dataset(base / f"synthetic_{layout}", layout=layout).root
        for layout in ("feature", "state")
    }
