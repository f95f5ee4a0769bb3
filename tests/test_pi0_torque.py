"""pi0_torque: the paper's design space on LeRobot's π0, loading plain π0 weights.

What it shares with pi05_torque and smolvla_torque is tested once for all: tests/test_vla_torque_shared.py.
"""

import logging

import pytest
import torch
from safetensors.torch import load_file, save_file

from lerobot.policies.common.vla_utils import make_att_2d_masks
from lerobot.policies.pi0.configuration_pi0 import PI0Config
from lerobot.policies.pi0.modeling_pi0 import (
    PaliGemmaWithExpertModel,
    PI0Policy,
    PI0Pytorch,
    get_gemma_config,
)

from lerobot_torque.policies.pi0_torque.configuration_pi0_torque import (
    EffortPlacement,
    FutureEffortPlacement,
    PI0TorqueConfig,
)
from lerobot_torque.policies.pi0_torque.model_size import (
    PI0ModelSize,
    SizedPaliGemmaWithExpert,
    lerobot_pi0_at_size,
)
from lerobot_torque.policies.pi0_torque.modeling_pi0_torque import PI0TorquePolicy, PI0TorquePytorch
from lerobot_torque.policies.torque import Aggregator, HistoryMode
from tests.tiny import (
    BATCH,
    CHUNK,
    TINY_PI0,
    TINY_PI0_SIZE,
    design_id,
    fixed_noise,
    make_pi0_batch,
    make_pi0_config,
    parameters_without_gradient,
    policy_features,
)

OFF = {"torque_use_effort_input": False, "torque_predict_future_effort": False}


def make_policy(seed: int = 0, **overrides) -> PI0TorquePolicy:
    torch.manual_seed(seed)
    return PI0TorquePolicy(make_pi0_config(**overrides))


def tiny_lerobot_pi0(seed: int = 0) -> PI0Policy:
    """A plain π0 built by LeRobot's own PI0Policy at the tiny size."""
    torch.manual_seed(seed)
    inputs, outputs = policy_features()
    inputs.pop("observation.effort")
    with lerobot_pi0_at_size(PI0ModelSize(**TINY_PI0_SIZE)):
        return PI0Policy(PI0Config(**TINY_PI0, input_features=inputs, output_features=outputs))


def test_default_sizes_are_exactly_pi0_base():
    with torch.device("meta"):
        ours = SizedPaliGemmaWithExpert(
            get_gemma_config("gemma_2b"), get_gemma_config("gemma_300m"), precision="float32"
        )
        lerobot = PaliGemmaWithExpertModel(
            get_gemma_config("gemma_2b"), get_gemma_config("gemma_300m"), precision="float32"
        )
        ours_model = PI0TorquePytorch(PI0TorqueConfig(device="cpu", torque=make_pi0_config(**OFF).torque))
        lerobot_model = PI0Pytorch(PI0Config(device="cpu"))
    assert ours.paligemma.config.to_dict() == lerobot.paligemma.config.to_dict()
    assert ours.gemma_expert.config.to_dict() == lerobot.gemma_expert.config.to_dict()
    lerobot_shapes = {k: v.shape for k, v in lerobot_model.state_dict().items()}
    assert {k: v.shape for k, v in ours_model.state_dict().items()} == lerobot_shapes


COMBINATIONS = [
    (where, when, objective)
    for where in EffortPlacement
    for when in HistoryMode
    for objective in (None, *FutureEffortPlacement)
    if where is not EffortPlacement.DECODER_PRE or when is HistoryMode.CURRENT
]
DESIGNS = [
    *[
        {
            "effort_placement": where,
            "torque_history_mode": when,
            "torque_predict_future_effort": objective is not None,
            "future_effort_placement": objective or FutureEffortPlacement.WIDEN,
        }
        for where, when, objective in COMBINATIONS
    ],
    *[
        {"effort_placement": where, "torque_aggregator": aggregator}
        for where in (EffortPlacement.ENCODER, EffortPlacement.DECODER_POST)
        for aggregator in (Aggregator.GRU, Aggregator.ATTENTION)
    ],
    {"torque_use_effort_input": False},
    {"torque_use_effort_input": False, "future_effort_placement": FutureEffortPlacement.PADDING},
    OFF,
]


@pytest.mark.parametrize("design", DESIGNS, ids=design_id)
def test_every_design_trains_every_parameter_and_samples_actions(design):
    """Each mode builds only what it uses: a switched-off branch would stop DDP (tests/tiny.py)."""
    policy = make_policy(**design)
    loss, terms = policy.forward(make_pi0_batch(policy.config))
    loss.backward()
    assert parameters_without_gradient(policy) == []
    assert ("effort_mse" in terms) is policy.config.torque.predict_future_effort
    policy.reset()
    actions = policy.select_action(make_pi0_batch(policy.config, training=False))
    assert actions.shape == (BATCH, 2) and torch.isfinite(actions).all()


def test_only_the_modules_no_loss_reaches_are_frozen():
    """π0's dead weights (both LM heads, the VLM's last-layer tail) are kept but not trained."""
    policy = make_policy()
    frozen = {name for name, param in policy.named_parameters() if not param.requires_grad}
    policy.requires_grad_(True)
    loss, _ = policy.forward(make_pi0_batch(policy.config))
    loss.backward()
    unreached = {n for n, p in policy.named_parameters() if p.grad is None or not p.grad.any()}
    assert frozen == unreached and any("lm_head" in name for name in frozen)
    assert frozen <= set(tiny_lerobot_pi0().state_dict())  # still in the checkpoint


def attention(policy: PI0TorquePolicy, batch: dict) -> tuple[torch.Tensor, int]:
    """π0's full 2-D attention mask for `batch`, and the prefix length."""
    batch, effort = policy.training_inputs(batch)
    model = policy.model.with_effort(batch)
    images, img_masks = policy._preprocess_images(batch)
    state, actions = policy.prepare_state(batch), policy.flow_target(policy.prepare_action(batch), effort)
    _, prefix_pad, prefix_att = model.embed_prefix(
        images, img_masks, batch["observation.language.tokens"], batch["observation.language.attention_mask"]
    )
    _, suffix_pad, suffix_att, _ = model.embed_suffix(state, actions, torch.ones(BATCH))
    pad = torch.cat([prefix_pad, suffix_pad], dim=1)
    return make_att_2d_masks(
        pad, torch.cat([prefix_att, suffix_att.to(prefix_att.dtype)], dim=1)
    ), prefix_pad.shape[1]


def test_decoder_post_token_is_hidden_from_the_prefix_and_seen_by_state_and_actions():
    policy = make_policy(effort_placement=EffortPlacement.DECODER_POST)
    mask, prefix = attention(policy, make_pi0_batch(policy.config))
    effort, state, actions = prefix, prefix + 1, slice(prefix + 2, prefix + 2 + CHUNK)
    assert not mask[:, :prefix, effort].any()  # no prefix token attends to the effort token
    assert mask[:, state, effort].all() and mask[:, actions, effort].all()
    assert mask[:, effort, :prefix][:, :16].all()  # the effort token sees the images
    assert not mask[:, effort, state].any()  # ... but not the state after it


def test_per_frame_tokens_before_the_episode_start_are_masked_out():
    policy = make_policy(
        effort_placement=EffortPlacement.DECODER_POST, torque_history_mode=HistoryMode.PER_FRAME
    )
    batch = make_pi0_batch(policy.config)  # sample 0 starts the episode: 3 padded history frames
    mask, prefix = attention(policy, batch)
    state = prefix + policy.config.torque.history_length
    assert not mask[0, state, prefix : prefix + 3].any() and mask[0, state, prefix + 3]
    assert mask[1, state, prefix : prefix + 4].all()


def test_encoder_token_joins_the_prefix_block():
    policy = make_policy(effort_placement=EffortPlacement.ENCODER)
    mask, prefix = attention(policy, make_pi0_batch(policy.config))
    effort = prefix - 1
    assert mask[:, 0, effort].all() and mask[:, effort, 0].all()  # full attention with the images
    assert mask[:, prefix:, effort].all()  # state and actions see it


def test_the_joint_flow_is_pi0s_flow_matching_on_actions_and_the_masked_future_effort():
    """Reference: π0's own flow-matching forward on z = [actions ; future effort] (paper §5)."""
    policy = make_policy(torque_future_loss_weight=0.5)
    batch = make_pi0_batch(policy.config)
    torch.manual_seed(11)
    _, terms = policy.forward(batch)
    model_batch, effort = policy.training_inputs(batch)
    target = policy.flow_target(policy.prepare_action(model_batch), effort)
    future = effort.future.masked_fill(effort.future_is_pad.unsqueeze(-1), 0.0)
    assert torch.equal(target[..., policy.config.max_action_dim :], future)
    torch.manual_seed(11)
    noise, time = policy.model.sample_noise(target.shape, "cpu"), policy.model.sample_time(BATCH, "cpu")
    images, img_masks = policy._preprocess_images(model_batch)
    errors = PI0Pytorch.forward(
        policy.model.with_effort(model_batch),
        images,
        img_masks,
        model_batch["observation.language.tokens"],
        model_batch["observation.language.attention_mask"],
        policy.prepare_state(model_batch),
        target,
        noise,
        time,
    )
    assert terms["action_mse"] == pytest.approx(errors[..., :2].mean().item(), rel=1e-5)


def test_training_reduces_action_and_effort_losses():
    policy = make_policy(seed=2, torque_future_loss_weight=1.0)
    optimizer = torch.optim.Adam(policy.parameters(), lr=2e-3)
    batch = make_pi0_batch(policy.config)
    losses = []
    for step in range(60):
        torch.manual_seed(step % 4)  # a few fixed noise draws: the loss can only fall by fitting
        loss, terms = policy.forward(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(terms)
    first, last = losses[:4], losses[-4:]
    for term in ("action_mse", "effort_mse"):
        assert sum(t[term] for t in last) < 0.5 * sum(t[term] for t in first)


def test_inference_returns_actions_and_optionally_the_predicted_effort():
    policy = make_policy().eval()
    batch = make_pi0_batch(policy.config, training=False)
    noise = fixed_noise(policy.config.max_action_dim + 2)
    actions, effort = policy.predict_action_and_effort_chunk(dict(batch), noise=noise)
    policy.reset()
    assert actions.shape == (BATCH, CHUNK, 2) and effort.shape == (BATCH, CHUNK, 2)
    assert torch.equal(policy.predict_action_chunk(dict(batch), noise=noise), actions)


def test_strict_decides_whether_a_checkpoint_with_other_tensors_loads(tmp_path, caplog):
    policy = make_policy().eval()
    policy.save_pretrained(tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    save_file({**weights, "model.some_other_head.weight": torch.zeros(2, 2)}, tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match="unexpected \\['model.some_other_head.weight'\\].*strict=False"):
        PI0TorquePolicy.from_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING):
        loaded = PI0TorquePolicy.from_pretrained(tmp_path, strict=False)
    assert "some_other_head" in caplog.text
    batch, noise = make_pi0_batch(policy.config, training=False), fixed_noise(10)
    assert torch.equal(
        loaded.predict_action_chunk(dict(batch), noise=noise),
        policy.predict_action_chunk(dict(batch), noise=noise),
    )


def test_the_effort_tokens_live_on_the_network_of_one_call_only():
    policy = make_policy()
    batch, effort = policy.training_inputs(make_pi0_batch(policy.config))
    images, img_masks = policy._preprocess_images(batch)
    state, target = policy.prepare_state(batch), policy.flow_target(policy.prepare_action(batch), effort)
    inputs = (
        images,
        img_masks,
        batch["observation.language.tokens"],
        batch["observation.language.attention_mask"],
    )
    noise, time = torch.randn(target.shape), torch.full((BATCH,), 0.5)
    network = policy.model.with_effort(batch)
    errors = network.forward(*inputs, state, target, noise, time)
    assert errors.shape == target.shape and network.effort_encoder is policy.model.effort_encoder
    assert policy.model.effort_tokens is None  # the shared network keeps nothing of the call
    with pytest.raises(RuntimeError, match=r"without the batch's effort tokens.*with_effort\(model_batch\)"):
        policy.model.forward(*inputs, state, target, noise, time)


def test_compiling_a_network_with_effort_tokens_is_refused_with_the_flag():
    precision = torch.get_float32_matmul_precision()  # π0's __init__ sets it for the whole process
    try:
        policy = make_policy(compile_model=True)  # torch.compile wraps lazily: nothing compiles here
        with pytest.raises(NotImplementedError, match="--policy.compile_model=false"):
            policy.forward(make_pi0_batch(policy.config))
    finally:
        torch.set_float32_matmul_precision(precision)


def test_freezing_options_keep_the_effort_adapter_trainable():
    policy = make_policy(freeze_vision_encoder=True, train_expert_only=True)
    trainable = {n for n, p in policy.named_parameters() if p.requires_grad}
    assert not any("paligemma." in n for n in trainable)
    assert any("effort_encoder" in n for n in trainable) and any("gemma_expert" in n for n in trainable)


def test_gradient_checkpointing_gives_the_same_loss():
    batch = make_pi0_batch(make_pi0_config())
    losses = []
    for checkpointing in (False, True):
        policy = make_policy(seed=4, gradient_checkpointing=checkpointing).train()
        torch.manual_seed(0)
        loss, _ = policy.forward(batch)
        loss.backward()
        losses.append(loss)
    torch.testing.assert_close(losses[0], losses[1])


def test_bfloat16_backbone_trains_and_acts():
    policy = make_policy(dtype="bfloat16")
    loss, _ = policy.forward(make_pi0_batch(policy.config))
    loss.backward()
    policy.reset()
    assert torch.isfinite(policy.select_action(make_pi0_batch(policy.config, training=False))).all()
