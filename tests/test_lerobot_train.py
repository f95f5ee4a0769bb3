"""The unchanged `lerobot-train` trains act_torque on local video datasets in both effort layouts."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lerobot.datasets import LeRobotDataset, factory
from lerobot.policies.factory import make_pre_post_processors

from lerobot_torque.policies.act_torque.modeling_act_torque import ACTTorquePolicy
from tests.synthetic import write_synthetic_dataset
from tests.tiny import lerobot_train_args

pytestmark = pytest.mark.slow
LEROBOT_TRAIN = str(Path(sys.executable).parent / "lerobot-train")


def lerobot_train(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [LEROBOT_TRAIN, *args], capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )
    if check and result.returncode != 0:
        raise AssertionError(f"lerobot-train failed:\n{result.stderr[-4000:]}")
    return result


@pytest.fixture(scope="module")
def trained(synthetic_datasets, tmp_path_factory) -> Path:
    """act_torque trained 3 steps on the state-layout dataset; returns the output directory."""
    output = tmp_path_factory.mktemp("train") / "state"
    lerobot_train(*lerobot_train_args(synthetic_datasets["state"], output))
    return output


def checkpoint(output: Path, step: str = "last") -> Path:
    return output / "checkpoints" / step / "pretrained_model"


def test_training_writes_a_checkpoint_that_records_the_effort_layout(trained):
    config = json.loads((checkpoint(trained) / "config.json").read_text())
    assert config["type"] == "act_torque"
    assert config["torque"]["layout"]["key"] == "observation.state"
    assert config["torque"]["layout"]["names"] == ["joint0.effort", "joint1.effort"]
    assert config["input_features"]["observation.state"]["shape"] == [2]
    assert (checkpoint(trained) / "model.safetensors").exists()


def test_checkpoint_round_trip_gives_identical_actions(trained, synthetic_datasets):
    path = checkpoint(trained)
    policies = [ACTTorquePolicy.from_pretrained(path) for _ in range(2)]
    preprocessor, _ = make_pre_post_processors(policies[0].config, pretrained_path=str(path))
    dataset = LeRobotDataset("local/x", root=synthetic_datasets["state"])
    for index in range(3):
        frame = preprocessor({k: v for k, v in dataset[index].items() if k.startswith("observation.")})
        assert torch.equal(policies[0].select_action(dict(frame)), policies[1].select_action(dict(frame)))


def test_live_history_reproduces_the_training_window_through_the_trained_policy(trained, synthetic_datasets):
    """select_action, fed one frame per step, acts as the model does on the dataset's windows."""
    path = checkpoint(trained)
    live, reference = ACTTorquePolicy.from_pretrained(path), ACTTorquePolicy.from_pretrained(path)
    live.config.n_action_steps = 1
    live.reset()
    preprocessor, _ = make_pre_post_processors(live.config, pretrained_path=str(path))
    root = synthetic_datasets["state"]
    plain = LeRobotDataset("local/x", root=root)
    windows = LeRobotDataset(
        "local/x", root=root, delta_timestamps=factory.resolve_delta_timestamps(reference.config, plain.meta)
    )
    for index in range(25):  # past the history span (6 frames × stride) into the episode
        frame = preprocessor({k: v for k, v in plain[index].items() if k.startswith("observation.")})
        window = preprocessor({k: v[None] if torch.is_tensor(v) else v for k, v in windows[index].items()})
        model_batch = reference.training_inputs(window)[0]
        expected = reference.model({**model_batch, "observation.images": [window["observation.images.top"]]})[
            0
        ]
        assert torch.equal(live.select_action(frame), expected[:, 0]), f"frame {index}"


def test_training_resumes_from_the_checkpoint(trained):
    config_path = checkpoint(trained) / "train_config.json"
    lerobot_train(f"--config_path={config_path}", "--resume=true", "--steps=5", "--save_freq=5")
    state = json.loads(
        (trained / "checkpoints" / "last" / "training_state" / "training_step.json").read_text()
    )
    assert state["step"] == 5


def test_feature_layout_trains_and_a_long_history_warns_once(synthetic_datasets, tmp_path):
    args = lerobot_train_args(synthetic_datasets["feature"], tmp_path / "out", steps=2)
    result = lerobot_train(*args, "--policy.torque.history_length=30", "--policy.torque.history_stride=5")
    assert result.stderr.count("the median episode has 60 frames") == 1
    config = json.loads((checkpoint(tmp_path / "out") / "config.json").read_text())
    assert config["torque"]["layout"]["key"] == "observation.effort"


def test_a_dataset_without_effort_is_refused_with_the_fix(tmp_path):
    root = write_synthetic_dataset(tmp_path / "no_effort", layout="none", num_episodes=1).root
    result = lerobot_train(*lerobot_train_args(root, tmp_path / "out"), check=False)
    assert result.returncode != 0
    assert "Torque policies need joint effort" in result.stderr
    assert "so100_follower_torque" in result.stderr


def test_fine_tuning_on_data_with_other_effort_dims_is_refused(trained, tmp_path):
    root = write_synthetic_dataset(tmp_path / "three_joints", num_joints=3, num_episodes=1).root
    args = [a for a in lerobot_train_args(root, tmp_path / "out") if not a.startswith("--policy.")]
    result = lerobot_train(*args, f"--policy.path={checkpoint(trained)}", check=False)
    assert result.returncode != 0
    assert "trained on 2 effort dims" in result.stderr
