"""pi0_torque: the paper's design space on LeRobot's π0, loading plain π0 weights."""

import pytest
import torch

from lerobot.policies.common.vla_utils import make_att_2d_masks
from lerobot.policies.factory import make_pre_post_processors
from lerobot.policies.pi0.configuration_pi0 import PI0Config
from lerobot.policies.pi0.modeling_pi0 import (
    PaliGemmaWithExpertModel,
    PI0Policy,
    PI0Pytorch,
    get_gemma_config,
)
from lerobot.processor import PolicyProcessorPipeline

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
from lerobot_torque.policies.torque import HistoryMode
from tests.tiny import (
    BATCH,
    CHUNK,
    FEATURE_LAYOUT,
    STATE_LAYOUT,
    TINY_PI0,
    TINY_PI0_SIZE,
    make_pi0_batch,
    make_pi0_config,
    policy_features,
    save_tiny_tokenizer,
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


def fixed_noise(config, seed: int = 7, width: int | None = None) -> torch.Tensor:
    width = width or config.max_action_dim
    return torch.randn(BATCH, CHUNK, width, generator=torch.Generator().manual_seed(seed))


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


def test_state_dict_keeps_every_pi0_weight():
    pi0_keys = set(tiny_lerobot_pi0().state_dict())
    assert pi0_keys <= set(make_policy().state_dict())


COMBINATIONS = [
    (where, when, objective)
    for where in EffortPlacement
    for when in HistoryMode
    for objective in (None, *FutureEffortPlacement)
    if where is not EffortPlacement.DECODER_PRE or when is HistoryMode.CURRENT
]


@pytest.mark.parametrize("where, when, objective", COMBINATIONS, ids=lambda v: getattr(v, "value", str(v)))
def test_every_design_builds_trains_a_step_and_samples_actions(where, when, objective):
    policy = make_policy(
        effort_placement=where,
        torque_history_mode=when,
        torque_predict_future_effort=objective is not None,
        future_effort_placement=objective or FutureEffortPlacement.WIDEN,
    )
    loss, terms = policy.forward(make_pi0_batch(policy.config))
    loss.backward()
    trainable = [p for n, p in policy.named_parameters() if "effort_encoder" in n or "action_in_proj" in n]
    assert trainable and all(p.grad is not None and torch.isfinite(p.grad).all() for p in trainable)
    assert ("effort_mse" in terms) is (objective is not None)
    policy.reset()
    actions = policy.select_action(make_pi0_batch(policy.config, training=False))
    assert actions.shape == (BATCH, 2) and torch.isfinite(actions).all()


def attention(policy: PI0TorquePolicy, batch: dict) -> tuple[torch.Tensor, int]:
    """π0's full 2-D attention mask for `batch`, and the prefix length."""
    model, (batch, effort) = policy.model, policy.training_inputs(batch)
    images, img_masks = policy._preprocess_images(batch)
    state, actions = policy.prepare_state(batch), policy.flow_target(policy.prepare_action(batch), effort)
    with model.effort_context(batch):
        _, prefix_pad, prefix_att = model.embed_prefix(
            images,
            img_masks,
            batch["observation.language.tokens"],
            batch["observation.language.attention_mask"],
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


def test_decoder_pre_writes_the_current_effort_into_the_padded_state():
    policy = make_policy(
        effort_placement=EffortPlacement.DECODER_PRE, torque_history_mode=HistoryMode.CURRENT
    )
    batch = policy.training_inputs(make_pi0_batch(policy.config))[0]
    state = policy.prepare_state(batch)
    assert torch.equal(state[:, :2], batch["observation.state"])
    assert torch.equal(state[:, -2:], batch["observation.effort"][:, -1])
    assert not state[:, 2:-2].any()


def test_joint_flow_uses_one_noise_and_time_and_masks_padded_future_frames():
    policy = make_policy(torque_future_loss_weight=0.5)
    batch = make_pi0_batch(policy.config)
    changed = {**batch, "observation.effort": batch["observation.effort"].clone()}
    changed["observation.effort"][1, -2:] += 50.0  # flagged as past the episode end

    def loss_terms(b):
        torch.manual_seed(11)
        return policy.forward(b)

    (loss, terms), (_, changed_terms) = loss_terms(batch), loss_terms(changed)
    assert loss.item() == pytest.approx(terms["action_mse"] + 0.5 * terms["effort_mse"], rel=1e-5)
    assert changed_terms["loss"] == terms["loss"]  # padded frames are inert in the input and the loss

    # Reference: π0's own flow-matching forward on z = [actions ; future effort] (paper §5).
    model_batch, effort = policy.training_inputs(batch)
    target = policy.flow_target(policy.prepare_action(model_batch), effort)
    future = effort.future.masked_fill(effort.future_is_pad.unsqueeze(-1), 0.0)
    assert torch.equal(target[..., policy.config.max_action_dim :], future)
    torch.manual_seed(11)
    noise, time = policy.model.sample_noise(target.shape, "cpu"), policy.model.sample_time(BATCH, "cpu")
    images, img_masks = policy._preprocess_images(model_batch)
    with policy.model.effort_context(model_batch):
        errors = PI0Pytorch.forward(
            policy.model,
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
    noise = fixed_noise(policy.config, width=policy.config.max_action_dim + 2)
    actions, effort = policy.predict_action_and_effort_chunk(dict(batch), noise=noise)
    policy.reset()
    assert actions.shape == (BATCH, CHUNK, 2) and effort.shape == (BATCH, CHUNK, 2)
    assert torch.equal(policy.predict_action_chunk(dict(batch), noise=noise), actions)


@pytest.fixture(scope="module")
def pi0_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("pi0")
    tiny_lerobot_pi0(seed=3).save_pretrained(path)
    return path


def test_plain_pi0_weights_load_and_widened_rows_are_copied(pi0_checkpoint, caplog):
    pi0 = tiny_lerobot_pi0(seed=3)
    with caplog.at_level("INFO"):
        policy = PI0TorquePolicy.from_pretrained(pi0_checkpoint, config=make_pi0_config())
    ours = policy.state_dict()
    for key, value in pi0.state_dict().items():
        if key.startswith(("model.action_in_proj", "model.action_out_proj")):
            continue
        assert torch.equal(ours[key], value), key
    in_proj, out_proj = ours["model.action_in_proj.weight"], ours["model.action_out_proj.weight"]
    assert torch.equal(in_proj[:, :8], pi0.model.action_in_proj.weight)
    assert torch.equal(out_proj[:8], pi0.model.action_out_proj.weight)
    assert out_proj[8:].abs().max() < 0.05 and in_proj[:, 8:].abs().max() < 0.05  # new rows start small
    report = next(r.getMessage() for r in caplog.records if "pi0_torque from" in r.getMessage())
    assert "added ['effort_encoder']" in report and "widened ['action_in_proj', 'action_out_proj']" in report


@pytest.mark.parametrize(
    "overrides",
    [OFF, {"torque_use_effort_input": False, "future_effort_placement": FutureEffortPlacement.PADDING}],
    ids=["torque-off", "future-in-padding-without-token"],
)
def test_without_the_effort_token_pi0_weights_give_pi0s_actions(pi0_checkpoint, overrides):
    """Function preservation: same weights and same noise give π0's exact actions."""
    pi0 = tiny_lerobot_pi0(seed=3).eval()
    policy = PI0TorquePolicy.from_pretrained(pi0_checkpoint, config=make_pi0_config(**overrides))
    batch = make_pi0_batch(policy.config, training=False)
    noise = fixed_noise(policy.config)
    pi0_batch = {**batch, "observation.state": batch["observation.state"]}
    assert torch.equal(
        policy.predict_action_chunk(dict(batch), noise=noise),
        pi0.model.sample_actions(
            *pi0._preprocess_images(pi0_batch),
            batch["observation.language.tokens"],
            batch["observation.language.attention_mask"],
            pi0.prepare_state(pi0_batch),
            noise=noise,
        )[:, :, :2],
    )


def test_loading_a_pi0_torque_checkpoint_onto_other_effort_dims_is_an_error(tmp_path):
    make_policy().save_pretrained(tmp_path)
    three = make_pi0_config(layout=FEATURE_LAYOUT.__class__(key="observation.effort", names=["a", "b", "c"]))
    three.input_features["observation.effort"] = three.input_features["observation.effort"].__class__(
        type=three.input_features["observation.effort"].type, shape=(3,)
    )
    with pytest.raises(ValueError, match="do not fit this pi0_torque"):
        PI0TorquePolicy.from_pretrained(tmp_path, config=three)


def test_a_plain_pi0_checkpoint_needs_the_pi0_torque_type(pi0_checkpoint):
    with pytest.raises(ValueError, match="--policy.type=pi0_torque --policy.pretrained_path="):
        PI0TorquePolicy.from_pretrained(pi0_checkpoint)


def test_save_and_load_give_identical_actions(tmp_path):
    policy = make_policy(layout=STATE_LAYOUT).eval()
    policy.save_pretrained(tmp_path)
    loaded = PI0TorquePolicy.from_pretrained(tmp_path)
    assert (
        loaded.config.torque == policy.config.torque and loaded.config.model_size == policy.config.model_size
    )
    batch = make_pi0_batch(policy.config, training=False)
    noise = fixed_noise(policy.config, width=10)
    assert torch.equal(
        loaded.predict_action_chunk(dict(batch), noise=noise),
        policy.predict_action_chunk(dict(batch), noise=noise),
    )


def test_processors_use_the_configured_tokenizer_and_round_trip(tmp_path):
    tokenizer = save_tiny_tokenizer(tmp_path / "tokenizer")
    config = make_pi0_config(tokenizer=str(tokenizer))
    stats = {
        k: {"mean": torch.zeros(2), "std": torch.ones(2) * 2}
        for k in ("observation.state", "observation.effort", "action")
    }
    pre, _ = make_pre_post_processors(config, dataset_stats=stats)
    pre.save_pretrained(tmp_path / "processors")
    loaded = PolicyProcessorPipeline.from_pretrained(tmp_path / "processors", "policy_preprocessor.json")
    frame = {
        k: v
        for k, v in make_pi0_batch(config, training=False).items()
        if not k.startswith("observation.language")
    }
    frame["task"] = ["press the button"] * BATCH
    out, loaded_out = pre(dict(frame)), loaded(dict(frame))
    assert out["observation.language.tokens"][0, :3].tolist() == [4, 9, 10]  # press, the, button
    for key in ("observation.language.tokens", "observation.effort", "observation.state"):
        assert torch.equal(out[key], loaded_out[key])
    assert torch.equal(out["observation.effort"], frame["observation.effort"] / 2)


def test_lora_trains_the_effort_adapter_and_widened_projections(pi0_checkpoint, tmp_path):
    pytest.importorskip("peft")
    from peft import PeftModel

    config = make_pi0_config()
    config.pretrained_path = str(pi0_checkpoint)
    peft_policy = PI0TorquePolicy.from_pretrained(pi0_checkpoint, config=config).wrap_with_peft(
        peft_cli_overrides={"r": 2}
    )
    trainable = {n for n, p in peft_policy.named_parameters() if p.requires_grad}
    assert any("effort_encoder" in n for n in trainable)
    assert any("action_in_proj" in n and "lora" not in n for n in trainable)
    assert not any("vision_tower" in n for n in trainable)
    loss, _ = peft_policy(make_pi0_batch(config))
    loss.backward()
    peft_policy.save_pretrained(tmp_path / "adapter")

    base = PI0TorquePolicy.from_pretrained(pi0_checkpoint, config=make_pi0_config())  # other random new rows
    reloaded = PeftModel.from_pretrained(base, tmp_path / "adapter").eval()
    peft_policy.eval()
    batch, noise = make_pi0_batch(config, training=False), fixed_noise(config, width=10)
    assert torch.equal(
        reloaded.base_model.model.predict_action_chunk(dict(batch), noise=noise),
        peft_policy.base_model.model.predict_action_chunk(dict(batch), noise=noise),
    )


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


def test_rtc_is_offered_only_without_a_per_step_history():
    assert not make_policy().supports_rtc()
    assert make_policy(torque_history_mode=HistoryMode.CURRENT).supports_rtc()
