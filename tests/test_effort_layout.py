"""Finding effort in dataset features and splitting it from the state."""

import pytest

from lerobot_torque.policies.torque import EffortLayout, EffortSource
from lerobot_torque.policies.torque.effort_layout import resolve_effort_layout

STATE = {"dtype": "float32", "shape": (4,), "names": ["a.pos", "b.pos", "a.effort", "b.effort"]}
EFFORT = {"dtype": "float32", "shape": (2,), "names": {"motors": ["left_waist", "left_gripper"]}}
IMAGE = {"dtype": "video", "shape": (8, 8, 3), "names": ["height", "width", "channels"]}


def test_state_layout_reads_effort_names_and_keeps_the_other_state_entries():
    layout = resolve_effort_layout({"observation.state": STATE}, EffortSource.AUTO, ".effort")
    assert layout.key == "observation.state"
    assert layout.names == ["a.effort", "b.effort"]
    assert layout.effort_indices == [2, 3]
    assert layout.kept_state_indices == [0, 1]


def test_feature_layout_is_preferred_and_reads_names_stored_as_a_dict():
    state = {"dtype": "float32", "shape": (2,), "names": ["a.pos", "b.pos"]}
    features = {"observation.state": state, "observation.effort": EFFORT}
    layout = resolve_effort_layout(features, EffortSource.AUTO, ".effort")
    assert (layout.key, layout.names) == ("observation.effort", ["left_waist", "left_gripper"])
    assert layout.effort_indices is None and layout.kept_state_indices == [0, 1]


def test_external_effort_entries_are_removed_from_the_state_even_when_not_read():
    state = {"dtype": "float32", "shape": (3,), "names": ["a.pos", "a.effort", "a.effort_ext"]}
    layout = resolve_effort_layout({"observation.state": state}, EffortSource.STATE, ".effort")
    assert layout.names == ["a.effort"] and layout.kept_state_indices == [0]


def test_effort_ext_suffix_selects_external_effort():
    state = {"dtype": "float32", "shape": (3,), "names": ["a.pos", "a.effort", "a.effort_ext"]}
    layout = resolve_effort_layout({"observation.state": state}, EffortSource.STATE, ".effort_ext")
    assert layout.names == ["a.effort_ext"] and layout.effort_indices == [2]


def test_missing_effort_error_names_the_features_and_the_fix():
    features = {"observation.state": {"dtype": "float32", "shape": (2,), "names": ["a.pos", "b.pos"]}}
    features["observation.images.top"] = IMAGE
    with pytest.raises(
        ValueError, match="no 'observation.effort' feature and no '\\*.effort' names"
    ) as error:
        resolve_effort_layout(features, EffortSource.AUTO, ".effort")
    assert "observation.images.top" in str(error.value) and "so100_follower_torque" in str(error.value)


def test_forcing_the_feature_layout_on_state_effort_data_fails():
    with pytest.raises(ValueError, match="effort_source=feature"):
        resolve_effort_layout({"observation.state": STATE}, EffortSource.FEATURE, ".effort")


def test_missing_effort_is_allowed_when_not_required():
    features = {"observation.state": {"dtype": "float32", "shape": (1,), "names": ["a.pos"]}}
    assert resolve_effort_layout(features, EffortSource.AUTO, ".effort", required=False) is None


def test_layouts_with_different_effort_dims_are_incompatible():
    trained = EffortLayout(key="observation.effort", names=[f"j{i}" for i in range(14)])
    data = EffortLayout(key="observation.state", names=["a.effort", "b.effort"], state_names=STATE["names"])
    with pytest.raises(ValueError, match="trained on 14 effort dims"):
        trained.check_compatible(data)


def test_layouts_with_different_state_dims_are_incompatible():
    trained = EffortLayout(
        key="observation.state", names=["a.effort", "b.effort"], state_names=STATE["names"]
    )
    data = EffortLayout(
        key="observation.state", names=["a.effort", "b.effort"], state_names=["x.pos", *STATE["names"]]
    )
    with pytest.raises(ValueError, match="2-dim state"):
        trained.check_compatible(data)
