"""Test-wide settings: no network, no Hub, headless MuJoCo, datasets under a temporary home."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("WANDB_MODE", "disabled")

import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _lerobot_home(tmp_path_factory):
    """Keep LeRobot's dataset cache inside the test session's temporary directory."""
    home = tmp_path_factory.mktemp("hf_lerobot_home")
    previous = os.environ.get("HF_LEROBOT_HOME")
    os.environ["HF_LEROBOT_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("HF_LEROBOT_HOME", None)
    else:
        os.environ["HF_LEROBOT_HOME"] = previous
