"""`lerobot-torque-effort-layout` converts datasets between the two effort layouts."""

import numpy as np
import pytest
import torch

from lerobot.datasets import LeRobotDataset

from lerobot_torque.datasets.convert_effort_layout import convert_effort_layout, main


@pytest.fixture(scope="module")
def converted(synthetic_datasets, tmp_path_factory):
    out = tmp_path_factory.mktemp("converted")
    feature = LeRobotDataset("local/x", root=synthetic_datasets["feature"])
    to_state = convert_effort_layout(feature, "state", out / "to_state", "local/to_state")
    back = convert_effort_layout(to_state, "feature", out / "back", "local/back")
    return feature, to_state, back


def test_feature_to_state_gives_robot_style_names_and_the_same_values(converted):
    feature, to_state, _ = converted
    names = to_state.meta.features["observation.state"]["names"]
    assert names == ["joint0.pos", "joint1.pos", "joint0.effort", "joint1.effort"]
    assert "observation.effort" not in to_state.meta.features
    for index in (0, 50, len(feature) - 1):
        expected = torch.cat([feature[index]["observation.state"], feature[index]["observation.effort"]])
        assert torch.equal(to_state[index]["observation.state"], expected)
        assert torch.equal(
            to_state[index]["observation.images.top"], feature[index]["observation.images.top"]
        )


def test_statistics_of_the_new_state_are_recomputed(converted):
    feature, to_state, _ = converted
    stats = to_state.meta.stats["observation.state"]
    expected = np.concatenate(
        [feature.meta.stats["observation.state"]["mean"], feature.meta.stats["observation.effort"]["mean"]]
    )
    np.testing.assert_allclose(stats["mean"], expected, rtol=1e-5, atol=1e-6)


def test_state_to_feature_round_trips(converted):
    feature, _, back = converted
    assert back.meta.features["observation.effort"]["names"] == ["joint0.effort", "joint1.effort"]
    for index in (3, 77):
        assert torch.equal(back[index]["observation.effort"], feature[index]["observation.effort"])
        assert torch.equal(back[index]["observation.state"], feature[index]["observation.state"])


def test_a_dataset_without_effort_is_refused(synthetic_datasets, tmp_path):
    from tests.synthetic import write_synthetic_dataset

    root = write_synthetic_dataset(tmp_path / "none", layout="none", num_episodes=1).root
    with pytest.raises(ValueError, match="need joint effort"):
        main(
            [
                "--repo-id=local/none",
                f"--root={root}",
                "--to=state",
                "--output-repo-id=x/y",
                f"--output-root={tmp_path / 'o'}",
            ]
        )
