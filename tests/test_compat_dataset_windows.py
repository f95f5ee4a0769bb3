"""The LeRobot 0.6.1 backport of per-key windows: fails loudly if LeRobot's internals change."""

import inspect
import logging
import pickle
import subprocess
import sys

import pytest
import torch

from lerobot.datasets import LeRobotDataset, factory
from lerobot.datasets.dataset_reader import DatasetReader
from lerobot.policies.act.configuration_act import ACTConfig

from lerobot_torque.compat import dataset_windows, install_dataset_windows
from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.policies.pi0_torque import PI0TorqueConfig
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
    torque_config()
    dataset_windows._check_signatures()  # installed by plugin discovery (importing lerobot_torque)
    assert hasattr(factory.resolve_delta_timestamps, "__wrapped__")
    assert hasattr(DatasetReader._query_hf_dataset, "__wrapped__")


def test_creating_torque_configs_patches_nothing(monkeypatch):
    """Plugin discovery installs the patch; a config made in a notebook leaves LeRobot as it is."""
    monkeypatch.setattr(factory, "resolve_delta_timestamps", factory.resolve_delta_timestamps.__wrapped__)
    monkeypatch.setattr(DatasetReader, "_query_hf_dataset", DatasetReader._query_hf_dataset.__wrapped__)
    torque_config()
    PI0TorqueConfig(device="cpu")
    assert not hasattr(factory.resolve_delta_timestamps, "__wrapped__")
    assert not hasattr(DatasetReader._query_hf_dataset, "__wrapped__")


def test_a_lerobot_the_patch_does_not_know_is_logged_at_discovery(monkeypatch, caplog):
    def resolve_of_a_later_lerobot(cfg, ds_meta, rename_map=None, episodes=None):
        return None

    monkeypatch.setattr(factory, "resolve_delta_timestamps", resolve_of_a_later_lerobot)
    with caplog.at_level(logging.WARNING):
        install_dataset_windows()  # as `lerobot_torque/__init__.py` does; our configs still register
    assert "compat/dataset_windows.py" in caplog.text
    assert factory.resolve_delta_timestamps is resolve_of_a_later_lerobot


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
        resolve_on_main, frozenset(), object(), object(), rename_map={"a": "b"}
    )
    assert seen["rename_map"] == {"a": "b"} and timestamps == {"observation.state": [0.0]}


def test_lerobot_windows_the_effort_inside_the_state_itself_where_it_has_per_modality_windows(
    synthetic_datasets,
):
    """LeRobot main reads `state_observation_delta_indices`; 0.6.1 has no such window."""
    config = torque_config()
    meta = LeRobotDataset("local/x", root=synthetic_datasets["state"]).meta
    config.bind(meta)  # as the patch does first
    key, offsets = config.effort_window()
    stock = factory.resolve_delta_timestamps.__wrapped__(config, meta) or {}
    lerobot_main = "rename_map" in inspect.signature(factory.resolve_delta_timestamps).parameters
    assert dataset_windows._check_signatures() == (frozenset({key}) if lerobot_main else frozenset())
    assert stock.get(key) == ([offset / meta.fps for offset in offsets] if lerobot_main else None)
    assert CAMERA not in stock


def test_an_unknown_lerobot_signature_fails_loudly_naming_the_file_to_update(monkeypatch):
    def resolve_of_a_later_lerobot(cfg, ds_meta, rename_map=None, episodes=None):
        return None

    monkeypatch.setattr(factory, "resolve_delta_timestamps", resolve_of_a_later_lerobot)
    with pytest.raises(RuntimeError, match="resolve_delta_timestamps.*compat/dataset_windows.py") as error:
        dataset_windows._check_signatures()
    assert "('cfg', 'ds_meta', 'rename_map', 'episodes')" in str(error.value)  # what was found


def test_a_lerobot_that_stops_reading_the_state_window_fails_loudly(synthetic_datasets):
    """A LeRobot with main's signature that no longer applies `state_observation_delta_indices`."""
    config = torque_config()
    meta = LeRobotDataset("local/x", root=synthetic_datasets["state"]).meta

    def resolve_ignoring_state_windows(cfg, ds_meta, rename_map=None):
        return {"action": [0.0]}

    with pytest.raises(RuntimeError, match="state_observation_delta_indices.*compat/dataset_windows.py"):
        dataset_windows._resolve_with_effort_window(
            resolve_ignoring_state_windows, frozenset({"observation.state"}), config, meta
        )


def test_a_renamed_state_key_is_windowed_here_not_reported_as_a_lerobot_change(synthetic_datasets):
    """With `--rename_map` moving `observation.state`, LeRobot main's state window is not ours to check."""
    config = torque_config()
    meta = LeRobotDataset("local/x", root=synthetic_datasets["state"]).meta

    def resolve_on_main(cfg, ds_meta, rename_map=None):
        return {"action": [0.0]}

    timestamps = dataset_windows._resolve_with_effort_window(
        resolve_on_main, frozenset({"observation.state"}), config, meta, {"observation.state": "joints"}
    )
    offsets = config.torque.window_offsets(config.chunk_size)
    assert timestamps["observation.state"] == [offset / meta.fps for offset in offsets]
