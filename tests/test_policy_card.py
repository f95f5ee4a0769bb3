"""The torque section of a torque policy's Hub model card (the real push: tests/test_hub_push.py)."""

import inspect
from types import SimpleNamespace

from lerobot.policies.pretrained import PreTrainedPolicy

from lerobot_torque.policies.act_torque.modeling_act_torque import ACTTorquePolicy
from lerobot_torque.policies.torque.model_card import TorqueModelCardMixin, torque_section
from tests.tiny import make_act_config


def dataset_meta(units: dict | None, fps: int = 50) -> SimpleNamespace:
    info = {"info": {"effort_units": units}} if units else {}
    return SimpleNamespace(fps=fps, features={"observation.effort": {"dtype": "float32", **info}})


def test_card_gives_the_recorded_unit_names_and_windows_of_the_effort():
    section = torque_section(make_act_config(), dataset_meta=dataset_meta({"joint0": "N·m", "joint1": "N·m"}))
    assert "- **Layout:** its own feature `observation.effort`." in section
    assert "- **Entries, in order:** `joint0`, `joint1`." in section
    assert "- **Units:** N·m." in section
    assert (
        "- **History:** 4 frames at offsets [-6, -4, -2, 0] at 50 fps, `history_mode=one_token`." in section
    )
    assert (
        "- **Future effort:** predicted for the 5 frames of each action chunk, loss weight β = 0.1."
        in section
    )


def test_card_lists_mixed_units_per_entry_and_warns_when_none_were_recorded():
    mixed = torque_section(make_act_config(), dataset_meta=dataset_meta({"joint0": "N·m", "joint1": "N"}))
    assert "- **Units:** `joint0`: N·m, `joint1`: N." in mixed
    unknown = torque_section(make_act_config(), dataset_meta=dataset_meta(None))
    assert "not recorded in the training dataset; feed effort from the same robot" in unknown


def test_pi0_torque_cards_name_the_pi_extra():
    config = SimpleNamespace(type="pi0_torque", torque=make_act_config().torque, chunk_size=5)
    assert 'pip install "lerobot_policy_torque[pi]' in torque_section(config)


def test_lerobot_renders_policy_cards_through_the_method_we_override():
    """LeRobot 0.6.1 pushes the card of `self.generate_model_card(...)`; LeRobot main renders it with a
    free function (lerobot/common/train_utils.py), which this override would miss: fail loudly then."""
    assert ACTTorquePolicy.generate_model_card is TorqueModelCardMixin.generate_model_card
    expected = ["self", "dataset_repo_id", "model_type", "license", "tags", "cfg", "dataset_meta"]
    assert list(inspect.signature(PreTrainedPolicy.generate_model_card).parameters) == expected
    assert "self.generate_model_card(" in inspect.getsource(PreTrainedPolicy.push_model_to_hub)
