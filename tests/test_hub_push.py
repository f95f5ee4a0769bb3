"""The Hub path for real: the real `huggingface_hub` client against a local stand-in of the Hub's API.

A dataset pushed with `lerobot-torque-dataset push` and an act_torque pushed by LeRobot's unchanged
`lerobot-train --policy.push_to_hub=true` go to the stand-in (tests/local_hub.py) over HTTP, and are
pulled back by id in a fresh process (an empty Hub cache) with LeRobot's own loaders, then compared
with the originals. Nothing in the client is patched; the processes only get environment variables.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from lerobot.datasets import LeRobotDataset

from lerobot_torque.datasets.operations import declare_units
from tests.local_hub import LocalHub
from tests.tiny import lerobot_train_args

pytestmark = pytest.mark.slow
DATASET_ID = "alice/synthetic_effort"
POLICY_ID = "alice/act_torque_tiny"
PULL = """
import json, sys
import numpy as np, torch
from safetensors.torch import save_file
from lerobot.datasets import LeRobotDataset
from lerobot.policies.factory import make_pre_post_processors
from lerobot_torque.policies.act_torque.modeling_act_torque import ACTTorquePolicy

out = sys.argv[1]
dataset = LeRobotDataset("{dataset}")
np.savez(out + "/dataset.npz", **{{key: np.stack(dataset.hf_dataset.with_format("numpy")[key])
                                  for key in ("observation.state", "action", "timestamp")}})
frame = dataset[7]["observation.images.top"]
policy = ACTTorquePolicy.from_pretrained("{policy}")
preprocessor, _ = make_pre_post_processors(policy.config, pretrained_path="{policy}")
save_file({{k: v.contiguous() for k, v in policy.state_dict().items()}}, out + "/policy.safetensors")
steps = [type(step).__name__ for step in preprocessor.steps]
json.dump({{"root": str(dataset.root), "features": dataset.meta.features, "image_mean": float(frame.mean()),
           "layout": policy.config.torque.layout.names, "steps": steps}}, open(out + "/pulled.json", "w"))
"""


@pytest.fixture(scope="module")
def hub():
    server = LocalHub().serve()
    yield server
    server.close()


def client_env(hub: LocalHub, home: Path) -> dict:
    """A fresh LeRobot home and Hub cache, the stand-in as endpoint."""
    return {
        **os.environ,
        **hub.client_env(),
        "HF_LEROBOT_HOME": str(home / "lerobot"),
        "HF_HUB_CACHE": str(home / "hub"),
        "HF_DATASETS_OFFLINE": "0",
    }


def check(result: subprocess.CompletedProcess, what: str) -> subprocess.CompletedProcess:
    if result.returncode != 0:
        raise AssertionError(f"{what} failed:\n{result.stderr[-4000:]}")
    return result


@pytest.fixture(scope="module")
def pushed(hub, synthetic_datasets, tmp_path_factory) -> dict:
    """Push a dataset (our command) and a policy (lerobot-train), then pull both back by id."""
    base = tmp_path_factory.mktemp("hub")
    source = LeRobotDataset("local/synthetic_state", root=synthetic_datasets["state"])
    dataset = declare_units(
        source, ["load"], base / "dataset", DATASET_ID, "lerobot-torque-dataset units --declare=load"
    )
    push = [
        sys.executable,
        "-m",
        "lerobot_torque.datasets.cli",
        "push",
        f"--repo-id={DATASET_ID}",
        f"--root={dataset.root}",
    ]
    train = [
        str(Path(sys.executable).parent / "lerobot-train"),
        *[
            a
            for a in lerobot_train_args(dataset.root, base / "train", steps=2)
            if not a.startswith("--policy.push_to_hub")
        ],
        "--policy.push_to_hub=true",
        f"--policy.repo_id={POLICY_ID}",
    ]
    # Both clients at once (independent repos), as two users would; halves the wall time on 2 cores.
    processes = {
        "push": subprocess.Popen(
            push, env=client_env(hub, base / "pusher"), stderr=subprocess.PIPE, text=True
        ),
        "lerobot-train": subprocess.Popen(
            train,
            env=client_env(hub, base / "trainer"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ),
    }
    for what, process in processes.items():
        _, stderr = process.communicate()
        check(subprocess.CompletedProcess(process.args, process.returncode, "", stderr), what)

    pulled = base / "pulled"
    pulled.mkdir()
    code = PULL.format(dataset=DATASET_ID, policy=POLICY_ID)
    check(
        subprocess.run(
            [sys.executable, "-c", code, str(pulled)],
            env=client_env(hub, base / "puller"),
            capture_output=True,
            text=True,
        ),
        "pull",
    )
    return {
        "dataset": dataset,
        "checkpoint": base / "train" / "checkpoints" / "last" / "pretrained_model",
        "pulled": pulled,
        "meta": json.loads((pulled / "pulled.json").read_text()),
    }


def test_pushed_dataset_comes_back_by_id_with_identical_values_and_metadata(pushed):
    dataset, meta = pushed["dataset"], pushed["meta"]
    assert (
        "/hub/datasets--alice--synthetic_effort/snapshots/" in meta["root"]
    )  # downloaded, not the local copy
    values = np.load(pushed["pulled"] / "dataset.npz")
    for key in values.files:
        np.testing.assert_array_equal(values[key], np.stack(dataset.hf_dataset.with_format("numpy")[key]))
    assert meta["features"]["observation.state"]["info"] == json.loads(
        json.dumps(dataset.meta.features["observation.state"]["info"])
    )
    assert meta["image_mean"] == pytest.approx(
        float(dataset[7]["observation.images.top"].mean())
    )  # video decodes


def test_dataset_card_states_effort_source_units_joints_fps_version_and_commands(hub, pushed):
    card = hub.file("dataset", DATASET_ID, "README.md").decode()
    assert "| `joint0.effort` | joint0 | `observation.state`[2] | load |" in card
    assert "**30 fps**" in card and "lerobot-torque 0.1.0" in card
    assert "lerobot-torque-dataset units --declare=load" in card
    assert f"lerobot-torque-dataset push --repo-id={DATASET_ID}" in card
    assert "license: apache-2.0" in card and "- lerobot-torque" in card


def test_uploads_use_the_lfs_protocol_and_the_version_tag(hub, pushed):
    paths = {path for _, path in hub.requests}
    assert "/datasets/alice/synthetic_effort.git/info/lfs/objects/batch" in paths
    assert "/alice/act_torque_tiny.git/info/lfs/objects/batch" in paths
    assert any(path.startswith("/lfs-objects/") for path in paths)
    assert hub.repos[("dataset", DATASET_ID)].tags.keys() == {"v3.0"}


def test_policy_pushed_by_lerobot_train_loads_back_with_identical_weights(pushed):
    local = load_file(pushed["checkpoint"] / "model.safetensors")
    pulled = load_file(pushed["pulled"] / "policy.safetensors")
    assert local.keys() <= pulled.keys()
    assert all(torch.equal(local[key], pulled[key]) for key in local)
    assert pushed["meta"]["layout"] == ["joint0.effort", "joint1.effort"]
    assert "NormalizerProcessorStep" in pushed["meta"]["steps"]


def test_policy_card_names_the_plugin_the_effort_it_expects_and_the_training_command(hub, pushed):
    card = hub.file("model", POLICY_ID, "README.md").decode()
    assert 'pip install "lerobot_policy_torque==0.1.0"' in card
    assert "- **Layout:** `<joint>.effort` entries inside `observation.state`" in card
    assert "- **Entries, in order:** `joint0.effort`, `joint1.effort`." in card
    assert "- **Units:** load." in card  # as recorded in the training dataset's meta/info.json
    assert "- **History:** 4 frames at offsets [-6, -4, -2, 0] at 30 fps" in card
    assert "lerobot-train --policy.type=act_torque" in card and f"--policy.repo_id={POLICY_ID}" in card
    assert card.index("## Torque-aware policy") < card.index("## How to Get Started")
    assert "- lerobot-torque" in card  # a tag of the card's metadata
