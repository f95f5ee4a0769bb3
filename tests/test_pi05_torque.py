"""pi05_torque: the paper's design space on LeRobot's π0.5 and its prompt.

What it shares with pi0_torque and smolvla_torque is tested once for all: tests/test_vla_torque_shared.py.
"""

import pytest
import torch

from lerobot.configs import FeatureType, PolicyFeature
from lerobot.lerobot_types import TransitionKey
from lerobot.policies.common.vla_utils import make_att_2d_masks
from lerobot.policies.factory import make_pre_post_processors
from lerobot.policies.pi05 import modeling_pi05
from lerobot.policies.pi05.configuration_pi05 import PI05Config
from lerobot.policies.pi05.processor_pi05 import (
    Pi05PrepareStateTokenizerProcessorStep,
    make_pi05_pre_post_processors,
)
from lerobot.processor import PolicyProcessorPipeline

from lerobot_torque.policies.pi05_torque import PI05TorqueConfig
from lerobot_torque.policies.pi05_torque.configuration_pi05_torque import PI05EffortPlacement
from lerobot_torque.policies.pi05_torque.modeling_pi05_torque import PI05TorquePolicy, PI05TorquePytorch
from lerobot_torque.policies.torque import HistoryMode
from lerobot_torque.policies.torque.configuration_vla import FutureEffortPlacement
from lerobot_torque.policies.torque.vla import flow_shape
from tests.fake_hub import publish_paligemma_tokenizer
from tests.tiny import (
    BATCH,
    CHUNK,
    IMAGE,
    STATE_LAYOUT,
    TINY_PI05,
    base_features,
    make_batch,
    make_pi0_batch,
    make_pi05_config,
    train_a_step_then_act,
)

OFF = {"torque_use_effort_input": False, "torque_predict_future_effort": False}
PALIGEMMA = "google/paligemma-3b-pt-224"


@pytest.fixture(autouse=True, scope="module")
def paligemma_tokenizer() -> str:
    """π0.5's tokenizer id (hard-coded in LeRobot's processor_pi05.py): a tiny local stand-in."""
    return publish_paligemma_tokenizer()


def make_policy(seed: int = 0, **overrides) -> PI05TorquePolicy:
    torch.manual_seed(seed)
    return PI05TorquePolicy(make_pi05_config(**overrides))


def test_default_sizes_are_exactly_pi05_base():
    torque = make_pi05_config(**OFF).torque
    with torch.device("meta"):
        ours = PI05TorquePytorch(PI05TorqueConfig(device="cpu", torque=torque))
        lerobot = modeling_pi05.PI05Pytorch(PI05Config(device="cpu"))
    for part in ("paligemma", "gemma_expert"):
        theirs = getattr(lerobot.paligemma_with_expert, part).config.to_dict()
        assert getattr(ours.paligemma_with_expert, part).config.to_dict() == theirs
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in lerobot.state_dict().items()
    }


DESIGNS = [
    (PI05EffortPlacement.DECODER_POST, HistoryMode.CURRENT, FutureEffortPlacement.WIDEN),
    (PI05EffortPlacement.DECODER_POST, HistoryMode.ONE_TOKEN, FutureEffortPlacement.WIDEN),
    (PI05EffortPlacement.DECODER_POST, HistoryMode.PER_FRAME, FutureEffortPlacement.WIDEN),
    (PI05EffortPlacement.ENCODER, HistoryMode.ONE_TOKEN, FutureEffortPlacement.WIDEN),
    (PI05EffortPlacement.PROMPT, HistoryMode.CURRENT, FutureEffortPlacement.WIDEN),
    (PI05EffortPlacement.DECODER_POST, HistoryMode.ONE_TOKEN, FutureEffortPlacement.PADDING),
    (PI05EffortPlacement.DECODER_POST, HistoryMode.ONE_TOKEN, None),
]


@pytest.mark.parametrize("where, when, objective", DESIGNS, ids=lambda v: getattr(v, "value", str(v)))
def test_every_design_builds_trains_a_step_and_samples_actions(where, when, objective):
    policy = make_policy(
        effort_placement=where,
        torque_history_mode=when,
        torque_predict_future_effort=objective is not None,
        future_effort_placement=objective or FutureEffortPlacement.WIDEN,
    )
    terms, _ = train_a_step_then_act(policy)
    assert any("effort_encoder" in n for n, _ in policy.named_parameters()) is (
        where is not PI05EffortPlacement.PROMPT
    )
    assert ("effort_mse" in terms) is (objective is not None)


def test_prompt_placement_reads_the_current_frame_only():
    with pytest.raises(NotImplementedError, match="history_mode=current"):
        make_pi05_config(effort_placement=PI05EffortPlacement.PROMPT)


def attention(policy: PI05TorquePolicy, batch: dict) -> tuple[torch.Tensor, int]:
    """π0.5's full 2-D attention mask for `batch`, and the prefix length."""
    batch = policy.training_inputs(batch)[0]
    model = policy.model.with_effort(batch)
    images, img_masks = policy._preprocess_images(batch)
    _, prefix_pad, prefix_att = model.embed_prefix(
        images,
        img_masks,
        batch["observation.language.tokens"],
        batch["observation.language.attention_mask"],
    )
    flow = torch.zeros(flow_shape(policy.config, BATCH))  # values do not change the mask
    _, suffix_pad, suffix_att, _ = model.embed_suffix(flow, torch.ones(BATCH))
    pad = torch.cat([prefix_pad, suffix_pad], dim=1)
    att = torch.cat([prefix_att, suffix_att.to(prefix_att.dtype)], dim=1)
    return make_att_2d_masks(pad, att), prefix_pad.shape[1]


def test_decoder_post_token_is_hidden_from_the_prefix_and_seen_by_every_action():
    policy = make_policy()
    mask, prefix = attention(policy, make_pi0_batch(policy.config))
    effort, actions = prefix, slice(prefix + 1, prefix + 1 + CHUNK)
    assert not mask[:, :prefix, effort].any()
    assert mask[:, actions, effort].all() and mask[:, effort, 0].all()
    assert not mask[:, effort, actions].any()


def test_encoder_token_joins_the_prefix_block_of_images_and_prompt():
    policy = make_policy(effort_placement=PI05EffortPlacement.ENCODER)
    mask, prefix = attention(policy, make_pi0_batch(policy.config))
    effort = prefix - 1
    assert mask[:, 0, effort].all() and mask[:, effort, 0].all()
    assert mask[:, prefix:, effort].all()


# --- the prompt ------------------------------------------------------------------------------------


def quantile_stats(dims: dict[str, int]) -> dict:
    """π0.5 normalises state, effort and actions with q01/q99 (QUANTILES): here ±2."""
    return {
        key: {
            "q01": -2 * torch.ones(n),
            "q99": 2 * torch.ones(n),
            "mean": torch.zeros(n),
            "std": torch.ones(n),
        }
        for key, n in dims.items()
    }


def raw_frame(config, training: bool) -> dict:
    """A dataset sample or live frame before the preprocessor, with its task."""
    batch = make_batch(config, training=training)
    batch = {k: v for k, v in batch.items() if k not in ("action", "action_is_pad")}
    return {**batch, "task": ["press the button"] * BATCH}


def lerobot_prompts(state: torch.Tensor) -> list[str]:
    """LeRobot's π0.5 prompt step on a (B, S) state already normalised to [-1, 1]."""
    step = Pi05PrepareStateTokenizerProcessorStep()
    transition = {
        TransitionKey.OBSERVATION: {"observation.state": state},
        TransitionKey.COMPLEMENTARY_DATA: {"task": ["press the button"] * BATCH},
    }
    return step(transition)[TransitionKey.COMPLEMENTARY_DATA]["task"]


def test_with_effort_in_its_own_feature_the_prompt_and_tokens_are_pi05s():
    config = make_pi05_config(tokenizer=PALIGEMMA)
    stats = quantile_stats({"observation.state": 2, "observation.effort": 2, "action": 2})
    ours = make_pre_post_processors(config, dataset_stats=stats)[0]
    inputs, outputs = base_features()
    lerobot = make_pi05_pre_post_processors(
        PI05Config(**TINY_PI05, input_features=inputs, output_features=outputs), dataset_stats=stats
    )[0]
    frame = raw_frame(config, training=False)
    out, reference = ours(dict(frame)), lerobot(dict(frame))
    assert out["task"] == reference["task"] and out["task"][0].startswith("Task: press the button, State: ")
    assert torch.equal(out["observation.language.tokens"], reference["observation.language.tokens"])
    assert not (out["observation.language.tokens"] == 3).any()  # every word is known: no <unk> (id 3)


@pytest.mark.parametrize("placement", [PI05EffortPlacement.DECODER_POST, PI05EffortPlacement.PROMPT])
def test_the_prompt_has_the_current_state_without_effort_and_the_effort_only_with_prompt(placement, tmp_path):
    """Effort recorded inside the state, a training window: only its current frame reaches the prompt."""
    history = {"torque_history_mode": HistoryMode.CURRENT} if placement is PI05EffortPlacement.PROMPT else {}
    config = make_pi05_config(layout=STATE_LAYOUT, tokenizer=PALIGEMMA, effort_placement=placement, **history)
    stats = quantile_stats({"observation.state": 4, "action": 2})
    pre = make_pre_post_processors(config, dataset_stats=stats)[0]
    frame = raw_frame(config, training=True)  # observation.state: (B, T, 4) = positions, then effort
    current = frame["observation.state"][:, config.torque.history_window_length - 1] / 2  # normalised
    expected = current if placement is PI05EffortPlacement.PROMPT else current[:, :2]
    out = pre(dict(frame))
    assert out["task"] == lerobot_prompts(expected)
    assert out["observation.state"].shape == frame["observation.state"].shape  # the window stays
    pre.save_pretrained(tmp_path)
    loaded = PolicyProcessorPipeline.from_pretrained(tmp_path, "policy_preprocessor.json")
    assert loaded(dict(frame))["task"] == out["task"]


def test_relative_actions_with_effort_inside_the_state_are_refused_with_the_fix():
    config = make_pi05_config(layout=STATE_LAYOUT, use_relative_actions=True)
    with pytest.raises(NotImplementedError, match="lerobot-torque-effort-layout --to feature"):
        make_pre_post_processors(config, dataset_stats=quantile_stats({"observation.state": 4, "action": 2}))


@pytest.mark.parametrize("training", [True, False], ids=["training-window", "live-frame"])
def test_a_plain_pi05_preprocessor_on_effort_inside_the_state_is_refused_with_the_fix(training):
    config = make_pi05_config(layout=STATE_LAYOUT)
    inputs, outputs = base_features()
    inputs["observation.state"] = PolicyFeature(type=FeatureType.STATE, shape=(4,))  # as recorded
    lerobot = make_pi05_pre_post_processors(
        PI05Config(**TINY_PI05, input_features=inputs, output_features=outputs),
        dataset_stats=quantile_stats({"observation.state": 4, "action": 2}),
    )[0]
    batch = lerobot(dict(raw_frame(config, training=training)))
    policy = PI05TorquePolicy(config)
    with pytest.raises(ValueError, match=r"lerobot-torque-effort-layout --to=feature") as refused:
        policy.forward(batch) if training else policy.select_action(batch)
    assert "reads 2 numbers after 'State:'" in str(refused.value)


def test_images_are_square_as_paligemma_needs():
    with pytest.raises(ValueError, match="square images"):
        make_policy(image_resolution=(IMAGE, IMAGE // 2))
