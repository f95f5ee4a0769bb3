"""LeRobot's unchanged commands discover our types, installed editable or from a wheel."""

import importlib.metadata
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
DISCOVER = (
    "from lerobot.configs import PreTrainedConfig\n"
    "from lerobot.utils.import_utils import register_third_party_plugins\n"
    "assert 'act_torque' not in PreTrainedConfig.get_known_choices()\n"
    "register_third_party_plugins()\n"
    "import lerobot_torque\n"
    "print(lerobot_torque.__file__)\n"
    "print(sorted(PreTrainedConfig.get_known_choices()))\n"
)


def test_installed_distribution_name_keeps_the_prefix_lerobot_discovers():
    assert (
        importlib.metadata.distribution("lerobot_policy_torque").metadata["Name"] == "lerobot_policy_torque"
    )


def test_lerobots_plugin_registry_imports_our_policies():
    out = subprocess.run([sys.executable, "-c", DISCOVER], capture_output=True, text=True, check=True).stdout
    assert "'act_torque'" in out


def test_plugin_discovery_installs_the_dataset_windows():
    script = (
        "from lerobot.datasets import factory\n"
        "from lerobot.utils.import_utils import register_third_party_plugins\n"
        "print(hasattr(factory.resolve_delta_timestamps, '__wrapped__'))\n"
        "register_third_party_plugins()\n"
        "print(hasattr(factory.resolve_delta_timestamps, '__wrapped__'))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


@pytest.mark.slow
@pytest.mark.parametrize("command", ["lerobot-train", "lerobot-eval", "lerobot-rollout"])
def test_unchanged_commands_offer_our_policy_types(command):
    out = subprocess.run([str(BIN / command), "--help"], capture_output=True, text=True).stdout
    assert all(name in out for name in ("act_torque", "pi0_torque", "pi05_torque", "smolvla_torque"))


@pytest.mark.slow
def test_a_plain_wheel_install_is_discovered(tmp_path):
    root = Path(__file__).resolve().parents[1]
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", str(root), "--no-deps", "-w", str(tmp_path / "dist")], check=True)
    (wheel,) = (tmp_path / "dist").glob("lerobot_policy_torque-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        assert "Name: lerobot_policy_torque\n" in archive.read(metadata).decode()
    assert "lerobot_policy_torque.py" in names and "lerobot_torque/__init__.py" in names
    assert not any(name.startswith("tests/") for name in names)

    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run(
        [sys.executable, "-c", DISCOVER], capture_output=True, text=True, check=True, env=env, cwd=tmp_path
    ).stdout
    assert out.splitlines()[0].startswith(str(site)) and "'act_torque'" in out
