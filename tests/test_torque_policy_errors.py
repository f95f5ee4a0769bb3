"""Plausible mistakes around a trained torque policy get a message naming the feature or file and the fix."""

import pytest
import torch

from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.act.modeling_act import ACTPolicy
from lerobot.policies.factory import make_pre_post_processors
from lerobot.processor import PolicyProcessorPipeline

from lerobot_torque.policies.act_torque.modeling_act_torque import ACTTorquePolicy
from tests.tiny import (
    FEATURE_LAYOUT,
    IMAGE,
    NUM_JOINTS,
    STATE_LAYOUT,
    STATE_NAMES,
    TINY_ACT,
    make_act_config,
    policy_features,
)

CAMERA = "observation.images.top"
EFFORT_NAMES = STATE_NAMES[NUM_JOINTS:]


def state_layout_stats() -> dict:
    """Dataset statistics of the state layout: `observation.state` holds positions and effort."""
    sizes = {"observation.state": len(STATE_NAMES), "action": NUM_JOINTS}
    stats = {key: {"mean": torch.zeros(n), "std": torch.ones(n)} for key, n in sizes.items()}
    stats[CAMERA] = {"mean": torch.zeros(3, 1, 1), "std": torch.ones(3, 1, 1)}
    return stats


def live_frame(state_values: int) -> dict:
    return {"observation.state": torch.zeros(state_values), CAMERA: torch.rand(3, IMAGE, IMAGE)}


@pytest.fixture
def saved_preprocessor(tmp_path) -> PolicyProcessorPipeline:
    """The preprocessor of an act_torque trained on the state layout, saved and loaded as eval does."""
    preprocessor, _ = make_pre_post_processors(
        make_act_config(STATE_LAYOUT), dataset_stats=state_layout_stats()
    )
    preprocessor.save_pretrained(tmp_path)
    return PolicyProcessorPipeline.from_pretrained(tmp_path, "policy_preprocessor.json")


def test_live_state_without_its_effort_entries_names_them_and_the_fix(saved_preprocessor):
    with pytest.raises(ValueError) as error:  # before: a tensor size mismatch in LeRobot's normaliser
        saved_preprocessor(live_frame(NUM_JOINTS))
    message = str(error.value)
    assert f"effort entries {EFFORT_NAMES} are missing" in message
    assert "so101_follower_torque" in message
    assert f"append the values of {EFFORT_NAMES}" in message


def test_live_state_with_its_effort_entries_passes_the_check(saved_preprocessor):
    out = saved_preprocessor(live_frame(len(STATE_NAMES)))
    assert out["observation.state"].shape == (1, len(STATE_NAMES))


def test_live_effort_of_another_size_names_the_trained_joints():
    preprocessor, _ = make_pre_post_processors(make_act_config(FEATURE_LAYOUT), dataset_stats=None)
    frame = {"observation.state": torch.zeros(NUM_JOINTS), "observation.effort": torch.zeros(NUM_JOINTS + 1)}
    with pytest.raises(ValueError, match=rf"'observation.effort' has 3 values.*{FEATURE_LAYOUT.names[0]}"):
        preprocessor(frame)


def test_a_plain_act_checkpoint_says_how_to_start_act_torque_from_it(tmp_path):
    inputs, outputs = policy_features()
    inputs.pop("observation.effort")
    ACTPolicy(ACTConfig(**TINY_ACT, input_features=inputs, output_features=outputs)).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match=f"holds a 'act' policy.*--policy.pretrained_path={tmp_path}"):
        ACTTorquePolicy.from_pretrained(tmp_path)  # before: AttributeError: ... no attribute 'torque'
    # what the message recommends loads ACT's weights (the new torque modules start untrained)
    loaded = ACTTorquePolicy.from_pretrained(tmp_path, config=make_act_config())
    plain = ACTPolicy.from_pretrained(tmp_path)
    assert torch.equal(loaded.model.action_head.weight, plain.model.action_head.weight)


def test_a_truncated_config_json_is_named_with_its_path(tmp_path):
    make_act_config().save_pretrained(tmp_path)
    config_file = tmp_path / "config.json"
    text = config_file.read_text()
    config_file.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match=f"{config_file} is not valid JSON.*truncated"):
        ACTTorquePolicy.from_pretrained(tmp_path)  # before: a JSONDecodeError without the file
