"""smolvla_torque: the paper's design space on LeRobot's SmolVLA.

What it shares with pi0_torque and pi05_torque is tested once for all: tests/test_vla_torque_shared.py.
"""

import pytest
import torch

from lerobot.policies.common.vla_utils import make_att_2d_masks
from lerobot.policies.factory import make_pre_post_processors

from lerobot_torque.policies.smolvla_torque.modeling_smolvla_torque import SmolVLATorquePolicy
from lerobot_torque.policies.torque import HistoryMode
from lerobot_torque.policies.torque.configuration_vla import EffortPlacement, FutureEffortPlacement
from lerobot_torque.policies.torque.vla import flow_shape
from tests.fake_hub import publish_smolvlm2
from tests.tiny import (
    BATCH,
    CHUNK,
    fixed_noise,
    make_pi0_batch,
    make_smolvla_config,
    train_a_step_then_act,
)


@pytest.fixture(autouse=True, scope="module")
def smolvlm2():
    """SmolVLA builds its VLM from `HuggingFaceTB/SmolVLM2-500M-Video-Instruct`: a tiny local stand-in."""
    return publish_smolvlm2()


def make_policy(seed: int = 0, **overrides) -> SmolVLATorquePolicy:
    torch.manual_seed(seed)
    return SmolVLATorquePolicy(make_smolvla_config(**overrides))


DESIGNS = [
    *((where, when, FutureEffortPlacement.WIDEN) for where in EffortPlacement for when in HistoryMode),
    (EffortPlacement.DECODER_POST, HistoryMode.ONE_TOKEN, FutureEffortPlacement.PADDING),
    (EffortPlacement.DECODER_POST, HistoryMode.ONE_TOKEN, None),
]
DESIGNS = [d for d in DESIGNS if d[0] is not EffortPlacement.DECODER_PRE or d[1] is HistoryMode.CURRENT]


@pytest.mark.parametrize("where, when, objective", DESIGNS, ids=lambda v: getattr(v, "value", str(v)))
def test_every_design_builds_trains_a_step_and_samples_actions(where, when, objective):
    policy = make_policy(
        effort_placement=where,
        torque_history_mode=when,
        torque_predict_future_effort=objective is not None,
        future_effort_placement=objective or FutureEffortPlacement.WIDEN,
    )
    terms, _ = train_a_step_then_act(policy)
    assert ("effort_mse" in terms) is (objective is not None)


def attention(policy: SmolVLATorquePolicy, batch: dict) -> tuple[torch.Tensor, int]:
    """SmolVLA's full 2-D attention mask for `batch`, and the prefix length."""
    batch = policy.training_inputs(batch)[0]
    model = policy.model.with_effort(batch)
    images, img_masks = policy.prepare_images(batch)
    _, prefix_pad, prefix_att = model.embed_prefix(
        images,
        img_masks,
        batch["observation.language.tokens"],
        batch["observation.language.attention_mask"],
        state=policy.prepare_state(batch),
    )
    flow = torch.zeros(flow_shape(policy.config, BATCH))  # values do not change the mask
    _, suffix_pad, suffix_att = model.embed_suffix(flow, torch.ones(BATCH))
    pad = torch.cat([prefix_pad, suffix_pad], dim=1)
    att = torch.cat([prefix_att, suffix_att.to(prefix_att.dtype)], dim=1)
    return make_att_2d_masks(pad, att), prefix_pad.shape[1]


def test_decoder_post_token_is_hidden_from_the_vlm_and_seen_by_every_action():
    policy = make_policy(effort_placement=EffortPlacement.DECODER_POST)
    mask, prefix = attention(policy, make_pi0_batch(policy.config))
    effort, actions, state = prefix, slice(prefix + 1, prefix + 1 + CHUNK), prefix - 1
    assert not mask[:, :prefix, effort].any()  # no VLM token attends to it
    assert mask[:, actions, effort].all()
    assert mask[:, effort, 0].all() and mask[:, effort, state].all()  # it sees images and the state ...
    assert not mask[:, effort, actions].any()  # ... but no action


def test_encoder_tokens_join_the_state_block_at_the_end_of_the_prefix():
    policy = make_policy(effort_placement=EffortPlacement.ENCODER, torque_history_mode=HistoryMode.PER_FRAME)
    mask, prefix = attention(policy, make_pi0_batch(policy.config))
    state = prefix - 1 - policy.config.torque.history_length  # [images, language, state, effort×4]
    effort = slice(state + 1, prefix)
    assert not mask[:, :state, effort].any()  # images and language see neither effort nor the state
    assert mask[1, state, state:prefix].all() and mask[1, effort, state].all()  # one block
    assert not mask[0, state, state + 1 : state + 4].any() and mask[0, state, state + 4]  # episode start
    assert mask[1, prefix:, effort].all()  # every action token reads it


def test_future_effort_in_padding_that_does_not_fit_is_refused_with_the_alternative():
    config = make_smolvla_config(future_effort_placement=FutureEffortPlacement.PADDING, max_action_dim=3)
    with pytest.raises(
        ValueError, match="action dim 2 \\+ effort dim 2 <= max_action_dim 3. Use future_effort"
    ):
        SmolVLATorquePolicy(config)


def test_weights_of_another_model_are_refused_naming_the_tensors(tmp_path):
    make_policy(seed=1, num_vlm_layers=1).save_pretrained(tmp_path)  # one VLM layer fewer
    with pytest.raises(ValueError, match="Not a SmolVLA checkpoint for this model: missing"):
        SmolVLATorquePolicy.from_pretrained(tmp_path, config=make_smolvla_config())


def test_a_dataset_without_effort_statistics_is_refused():
    stats = {k: {"mean": torch.zeros(2), "std": torch.ones(2)} for k in ("observation.state", "action")}
    with pytest.raises(ValueError, match="no statistics for 'observation.effort'"):
        make_pre_post_processors(make_smolvla_config(), dataset_stats=stats)


def test_the_action_term_of_the_loss_is_smolvlas_own_action_loss():
    policy = make_policy(torque_future_loss_weight=0.5)
    fixed = {"noise": fixed_noise(10), "time": torch.full((BATCH,), 0.4)}
    _, terms = policy.forward(make_pi0_batch(policy.config), **fixed)
    assert terms["action_mse"] == terms["losses_after_rm_padding"]
