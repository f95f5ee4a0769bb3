"""The effort a policy reads: dataset windows at training time equal live windows at inference."""

import pytest
import torch

from lerobot.datasets import LeRobotDataset, factory

from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.policies.torque import EffortAblation, TorqueConfig
from lerobot_torque.policies.torque.effort_inputs import EffortHistory, read_effort_inputs
from tests.tiny import FEATURE_LAYOUT, STATE_LAYOUT, TINY_ACT, make_act_config, make_batch


def windowed_dataset(root, **torque) -> tuple[LeRobotDataset, ACTTorqueConfig]:
    config = ACTTorqueConfig(**TINY_ACT, torque=TorqueConfig(**torque))
    meta = LeRobotDataset("local/x", root=root).meta
    return LeRobotDataset(
        "local/x", root=root, delta_timestamps=factory.resolve_delta_timestamps(config, meta)
    ), config


@pytest.mark.parametrize("layout", ["feature", "state"])
def test_live_window_equals_the_dataset_window_at_every_frame(synthetic_datasets, layout):
    dataset, config = windowed_dataset(synthetic_datasets[layout], history_length=4, history_stride=5)
    history = EffortHistory(config.torque.history_offsets())
    plain = LeRobotDataset("local/x", root=synthetic_datasets[layout])
    start, end = (int(dataset.meta.episodes[1][k]) for k in ("dataset_from_index", "dataset_to_index"))
    for index in range(start, end):
        frame = {k: v[None] for k, v in plain[index].items() if k.startswith("observation.")}
        live = read_effort_inputs(frame, config.torque)
        window, is_pad = history.push(live.history[:, -1])

        item = {k: v[None] if torch.is_tensor(v) else v for k, v in dataset[index].items()}
        stored = read_effort_inputs(item, config.torque)
        assert torch.equal(window, stored.history), f"frame {index - start}"
        assert torch.equal(is_pad, stored.history_is_pad), f"frame {index - start}"
        assert torch.equal(live.state_without_effort, stored.state_without_effort)


def test_dataset_window_pads_the_start_and_the_end_of_an_episode(synthetic_datasets):
    dataset, config = windowed_dataset(synthetic_datasets["feature"], history_length=3, history_stride=2)
    first = dataset[0]
    assert first["observation.effort"].shape == (3 + config.chunk_size, 2)
    assert first["observation.effort_is_pad"][:3].tolist() == [True, True, False]
    assert torch.equal(first["observation.effort"][0], first["observation.effort"][2])  # repeats frame 0
    last = dataset[int(dataset.meta.episodes[0]["dataset_to_index"]) - 1]
    assert last["observation.effort_is_pad"][3:].all()


def test_state_layout_splits_effort_from_the_state():
    config = make_act_config(STATE_LAYOUT)
    batch = make_batch(config)
    effort = read_effort_inputs(batch, config.torque)
    current = config.torque.history_window_length - 1
    assert torch.equal(effort.state_without_effort, batch["observation.state"][:, current, :2])
    assert torch.equal(effort.history, batch["observation.state"][:, : current + 1, 2:])
    assert torch.equal(effort.future, batch["observation.state"][:, current + 1 :, 2:])
    assert torch.equal(effort.future_is_pad, batch["observation.state_is_pad"][:, current + 1 :])


def test_feature_layout_reads_observation_effort():
    config = make_act_config(FEATURE_LAYOUT)
    batch = make_batch(config)
    effort = read_effort_inputs(batch, config.torque)
    assert torch.equal(effort.state_without_effort, batch["observation.state"])
    assert effort.history.shape == (3, config.torque.history_length, 2)
    assert effort.future.shape == (3, config.chunk_size, 2)


def live_state_split(names: list[str], **torque) -> tuple[torch.Tensor, object]:
    """A (2, S) live state under `names`, and how a config with `torque` bound to them splits it."""
    config = TorqueConfig(history_length=1, predict_future_effort=False, **torque)
    config.bind_dataset({"observation.state": {"shape": (len(names),), "names": names}}, fps=10)
    state = torch.arange(2.0 * len(names)).reshape(2, len(names))
    return state, read_effort_inputs({"observation.state": state}, config)


def test_effort_under_a_custom_suffix_reaches_the_model_once():
    """Found with `state_effort_suffix`, so also left out of the state with it."""
    state, split = live_state_split(
        ["a.pos", "b.pos", "a.current", "b.current"], state_effort_suffix=".current"
    )
    assert torch.equal(split.history[:, -1], state[:, 2:])
    assert torch.equal(split.state_without_effort, state[:, :2])


def test_the_position_history_keeps_the_positions_in_the_state_and_reads_no_effort():
    state, split = live_state_split(["a.pos", "b.pos", "a.effort", "b.effort"], history_signal="position")
    assert torch.equal(split.history[:, -1], state[:, :2])
    assert torch.equal(split.state_without_effort, state[:, :2])


def test_nan_effort_error_names_the_joint():
    config = make_act_config(FEATURE_LAYOUT)
    batch = make_batch(config, training=False)
    batch["observation.effort"][0, 1] = float("nan")
    with pytest.raises(ValueError, match=r"NaN or infinite for joints \['joint1'\]"):
        read_effort_inputs(batch, config.torque)


def test_infinite_effort_is_rejected_too():
    config = make_act_config(STATE_LAYOUT)
    batch = make_batch(config, training=False)
    batch["observation.state"][0, 2] = float("inf")
    with pytest.raises(ValueError, match=r"joints \['joint0.effort'\]"):
        read_effort_inputs(batch, config.torque)


def test_effort_of_another_size_is_rejected():
    config = make_act_config(FEATURE_LAYOUT)
    batch = make_batch(config, training=False)
    batch["observation.effort"] = torch.zeros(3, 5)
    with pytest.raises(ValueError, match="5 values per frame but this policy was trained on 2"):
        read_effort_inputs(batch, config.torque)


def test_missing_effort_key_says_where_the_policy_reads_effort():
    config = make_act_config(FEATURE_LAYOUT)
    batch = make_batch(config, training=False)
    del batch["observation.effort"]
    with pytest.raises(ValueError, match="reads effort from 'observation.effort'"):
        read_effort_inputs(batch, config.torque)


def test_history_reset_starts_a_new_episode():
    history = EffortHistory([-2, -1, 0])
    for value in (1.0, 2.0, 3.0):
        history.push(torch.full((1, 1), value))
    history.reset()
    window, is_pad = history.push(torch.full((1, 1), 7.0))
    assert window.flatten().tolist() == [7.0, 7.0, 7.0] and is_pad.tolist() == [[True, True, False]]


def test_zero_ablation_replaces_effort_by_the_dataset_mean():
    history = EffortHistory([-1, 0], EffortAblation.ZERO)
    window, _ = history.push(torch.ones(2, 3))
    assert torch.equal(window, torch.zeros(2, 2, 3))


def test_shuffle_ablation_draws_frames_of_the_same_episode():
    torch.manual_seed(0)
    history = EffortHistory([-1, 0], EffortAblation.SHUFFLE)
    seen = set()
    for value in range(20):
        window, _ = history.push(torch.full((1, 1), float(value)))
        drawn = window.flatten().tolist()
        assert all(0 <= x <= value for x in drawn)
        seen.update(drawn)
    assert len(seen) > 5  # not just the latest frames


def test_an_unbatched_effort_frame_is_read_as_a_batch_of_one():
    config = make_act_config(FEATURE_LAYOUT)
    batch = make_batch(config, batch_size=1, training=False)
    batch["observation.effort"] = batch["observation.effort"][0]  # LeRobot does not batch this key
    assert read_effort_inputs(batch, config.torque).history.shape == (1, 1, 2)
