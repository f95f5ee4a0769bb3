"""The LeRobot 0.6.1 backport of per-key windows: fails loudly if LeRobot's internals change."""

import inspect
import pickle
import subprocess
import sys

import pytest
import torch

from lerobot.datasets import LeRobotDataset, factory
from lerobot.datasets.dataset_reader import DatasetReader
from lerobot.policies.act.configuration_act import ACTConfig

from lerobot_torque.compat import dataset_windows
from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.policies.torque import TorqueConfig
from tests.tiny import TINY_ACT

CAMERA = "observation.images.top"


class ACTWithObservationHistory(ACTConfig):
    @property
    def observation_delta_indices(self) -> list[int]:
        return [-2, 0]


def torque_config() -> ACTTorqueConfig:
    return ACTTorqueConfig(**TINY_ACT, torque=TorqueConfig(history_length=3, history_stride=2))


def test_lerobot_internals_have_the_signatures_the_backport_wraps():
    torque_config()  # installs
    dataset_windows._check_signatures()
    assert hasattr(factory.resolve_delta_timestamps, "__wrapped__")
    assert hasattr(DatasetReader._query_hf_dataset, "__wrapped__")


def test_stock_lerobot_still_windows_every_observation_key_including_cameras(synthetic_datasets):
    """The 0.6.1 behaviour this module works around; when LeRobot fixes it, revisit the backport."""
    torque_config()
    meta = LeRobotDataset("local/x", root=synthetic_datasets["feature"]).meta
    stock = factory.resolve_delta_timestamps.__wrapped__(ACTWithObservationHistory(**TINY_ACT), meta)
    assert CAMERA in stock and "observation.effort" in stock


def test_configs_without_an_effort_window_resolve_as_before(synthetic_datasets):
    torque_config()
    meta = LeRobotDataset("local/x", root=synthetic_datasets["feature"]).meta
    config = ACTConfig(**TINY_ACT)
    assert factory.resolve_delta_timestamps(config, meta) == factory.resolve_delta_timestamps.__wrapped__(
        config, meta
    )


@pytest.mark.parametrize("layout, key", [("feature", "observation.effort"), ("state", "observation.state")])
def test_torque_configs_window_only_the_effort_key(synthetic_datasets, layout, key):
    config = torque_config()
    meta = LeRobotDataset("local/x", root=synthetic_datasets[layout]).meta
    timestamps = factory.resolve_delta_timestamps(config, meta)
    offsets = config.torque.window_offsets(config.chunk_size)
    assert set(timestamps) == {"action", key}
    assert timestamps[key] == pytest.approx([offset / meta.fps for offset in offsets])
    item = LeRobotDataset("local/x", root=synthetic_datasets[layout], delta_timestamps=timestamps)[10]
    assert item[CAMERA].shape == (3, 32, 32)  # one frame per camera, as for plain ACT
    assert item[key].shape[0] == len(offsets)


@pytest.mark.parametrize("episodes", [None, [1, 3]])
def test_in_memory_windows_equal_lerobots_own_lookup(synthetic_datasets, episodes):
    config = torque_config()
    root = synthetic_datasets["state"]
    timestamps = factory.resolve_delta_timestamps(config, LeRobotDataset("local/x", root=root).meta)
    dataset = LeRobotDataset("local/x", root=root, episodes=episodes, delta_timestamps=timestamps)
    reader = dataset.reader
    for index in (0, 7, len(dataset) - 1):
        item = dataset[index]
        query, _ = reader._get_query_indices(int(item["index"]), int(item["episode_index"]))
        stock = DatasetReader._query_hf_dataset.__wrapped__(reader, query)
        assert torch.equal(item["observation.state"], stock["observation.state"])
        assert item["observation.state"].dtype == stock["observation.state"].dtype


def test_window_marker_survives_pickling_for_dataloader_workers(synthetic_datasets):
    config = torque_config()
    root = synthetic_datasets["feature"]
    timestamps = factory.resolve_delta_timestamps(config, LeRobotDataset("local/x", root=root).meta)
    dataset = pickle.loads(pickle.dumps(LeRobotDataset("local/x", root=root, delta_timestamps=timestamps)))
    assert dataset.reader._torque_in_memory_keys == frozenset({"observation.effort"})
    assert dataset[3]["observation.effort"].shape == (3 + config.chunk_size, 2)


def test_a_spawned_dataloader_worker_gets_the_backport_when_it_receives_the_dataset(synthetic_datasets):
    """A `spawn` worker is a fresh interpreter: unpickling the dataset must install the patches."""
    config = torque_config()
    root = synthetic_datasets["feature"]
    timestamps = factory.resolve_delta_timestamps(config, LeRobotDataset("local/x", root=root).meta)
    payload = pickle.dumps(LeRobotDataset("local/x", root=root, delta_timestamps=timestamps))
    worker = (
        "import pickle, sys\n"
        "from lerobot.datasets.dataset_reader import DatasetReader\n"
        "dataset = pickle.loads(sys.stdin.buffer.read())\n"
        "print(hasattr(DatasetReader._query_hf_dataset, '__wrapped__'))\n"
        "print(*dataset[3]['observation.effort'].shape)\n"
    )
    run = subprocess.run([sys.executable, "-c", worker], input=payload, capture_output=True, check=True)
    assert run.stdout.decode().split() == ["True", str(3 + config.chunk_size), "2"]


def test_lerobot_mains_rename_map_argument_is_accepted_and_passed_through():
    """LeRobot main's `resolve_delta_timestamps(cfg, ds_meta, rename_map=None)` (the next release)."""
    seen = {}

    def resolve_on_main(cfg, ds_meta, rename_map=None):
        seen["rename_map"] = rename_map
        return {"observation.state": [0.0]}

    assert tuple(inspect.signature(resolve_on_main).parameters) in dataset_windows.RESOLVE_SIGNATURES
    timestamps = dataset_windows._resolve_with_effort_window(
        resolve_on_main, object(), object(), rename_map={"a": "b"}
    )
    assert seen["rename_map"] == {"a": "b"} and timestamps == {"observation.state": [0.0]}
