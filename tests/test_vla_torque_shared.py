"""What pi0_torque, pi05_torque and smolvla_torque promise alike, one test per behaviour on each type.

Each type wraps a LeRobot VLA (π0, π0.5, SmolVLA) with the same torque machinery
(`lerobot_torque/policies/torque/`); what only one of them does is tested in its own file.
"""

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from huggingface_hub import hf_hub_download
from safetensors.torch import load_file

from lerobot.configs import FeatureType, PolicyFeature
from lerobot.policies.factory import make_pre_post_processors
from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot.processor import PolicyProcessorPipeline
from lerobot.utils.constants import OBS_STATE

from lerobot_torque.constants import OBS_EFFORT_HISTORY, OBS_STATE_WITHOUT_EFFORT
from lerobot_torque.policies.pi0_torque.modeling_pi0_torque import PI0TorquePolicy
from lerobot_torque.policies.pi05_torque.modeling_pi05_torque import PI05TorquePolicy
from lerobot_torque.policies.smolvla_torque.modeling_smolvla_torque import SmolVLATorquePolicy
from lerobot_torque.policies.torque import EffortLayout, HistoryMode
from lerobot_torque.policies.torque.configuration_vla import EffortPlacement, FutureEffortPlacement
from tests.fake_hub import (
    publish_paligemma_tokenizer,
    publish_pi0_base,
    publish_pi05_base,
    publish_smolvla_base,
    publish_smolvlm2,
)
from tests.tiny import (
    BATCH,
    CHUNK,
    STATE_LAYOUT,
    TINY_PI0_SIZE,
    TINY_PI05_SIZE,
    fixed_noise,
    make_pi0_batch,
    make_pi0_config,
    make_pi05_config,
    make_smolvla_config,
    parameters_without_gradient,
    save_tiny_tokenizer,
)

OFF = {"torque_use_effort_input": False, "torque_predict_future_effort": False}
FLOW_WIDTH = 8 + 2  # the tiny max_action_dim, then the predicted future effort of 2 joints
BASE_SEED = 3


def lerobot_pi0(repo_id: str) -> PreTrainedPolicy:
    from lerobot.policies.pi0.modeling_pi0 import PI0Policy

    from lerobot_torque.policies.pi0_torque.model_size import PI0ModelSize, lerobot_pi0_at_size

    with lerobot_pi0_at_size(PI0ModelSize(**TINY_PI0_SIZE)):
        return PI0Policy.from_pretrained(repo_id).eval()


def lerobot_pi05(repo_id: str) -> PreTrainedPolicy:
    from lerobot.policies.pi05 import modeling_pi05

    from lerobot_torque.policies.pi0_torque.model_size import PI0ModelSize, lerobot_pi0_at_size

    with lerobot_pi0_at_size(PI0ModelSize(**TINY_PI05_SIZE), module=modeling_pi05):
        return modeling_pi05.PI05Policy.from_pretrained(repo_id).eval()


def lerobot_smolvla(repo_id: str) -> PreTrainedPolicy:
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

    return SmolVLAPolicy.from_pretrained(repo_id).eval()


@dataclass(frozen=True)
class TorqueVLA:
    """One torque VLA type at the tiny size, the LeRobot policy it wraps and that policy's base checkpoint."""

    name: str
    policy_class: type
    make_config: Callable[..., object]
    publish_base: Callable[[int], str]  # seed -> Hub id of a tiny stand-in base checkpoint
    lerobot_policy: Callable[[str], PreTrainedPolicy]  # Hub id -> LeRobot's own policy, loaded by itself
    saved_size_fields: tuple[str, ...] = ("torque", "model_size")  # what save/load must keep
    lora_trained_base_part: str = "gemma_expert"  # a module of the base policy's own LoRA targets
    lora_frozen_part: str = "vision_tower"  # the vision encoder, frozen under LoRA

    def __str__(self) -> str:
        return self.name

    def policy(self, seed: int = 0, **overrides):
        config = self.make_config(**overrides)
        torch.manual_seed(seed)
        return self.policy_class(config)

    def base(self) -> str:
        """The Hub id of the tiny base checkpoint (published once per session)."""
        return published_base(self)


@pytest.fixture(autouse=True, scope="module")
def hub_inputs():
    """What the configs and processors read from the Hub: π0.5's PaliGemma tokenizer, SmolVLA's SmolVLM2."""
    publish_paligemma_tokenizer()
    publish_smolvlm2()


@functools.cache
def published_base(vla: TorqueVLA) -> str:
    return vla.publish_base(seed=BASE_SEED)


PI0 = TorqueVLA("pi0_torque", PI0TorquePolicy, make_pi0_config, publish_pi0_base, lerobot_pi0)
PI05 = TorqueVLA("pi05_torque", PI05TorquePolicy, make_pi05_config, publish_pi05_base, lerobot_pi05)
SMOLVLA = TorqueVLA(
    "smolvla_torque",
    SmolVLATorquePolicy,
    make_smolvla_config,
    publish_smolvla_base,
    lerobot_smolvla,
    saved_size_fields=("torque",),  # SmolVLA's size is its VLM's config
    lora_trained_base_part="lm_expert",
    lora_frozen_part="vlm_with_expert.vlm.",
)
ALL = pytest.mark.parametrize("vla", [PI0, PI05, SMOLVLA], ids=str)
WITH_DECODER_PRE = pytest.mark.parametrize("vla", [PI0, SMOLVLA], ids=str)  # π0.5 has no state token


@ALL
def test_state_dict_keeps_every_weight_of_the_lerobot_base_policy(vla):
    assert set(vla.lerobot_policy(vla.base()).state_dict()) <= set(vla.policy().state_dict())


@ALL
def test_the_joint_loss_is_the_action_mse_plus_beta_times_the_effort_mse_of_frames_inside_the_episode(vla):
    policy = vla.policy(torque_future_loss_weight=0.5)
    batch = make_pi0_batch(policy.config)
    changed = {**batch, "observation.effort": batch["observation.effort"].clone()}
    changed["observation.effort"][1, -2:] += 50.0  # flagged as past the episode end

    def loss_terms(b):
        torch.manual_seed(11)
        return policy.forward(b)

    (loss, terms), (_, changed_terms) = loss_terms(batch), loss_terms(changed)
    assert loss.item() == pytest.approx(terms["action_mse"] + 0.5 * terms["effort_mse"], rel=1e-5)
    assert changed_terms["loss"] == terms["loss"]  # padded frames are inert in the input and the loss
    per_sample, _ = policy.forward(batch, reduction="none")
    assert per_sample.shape == (BATCH,)


@ALL
@pytest.mark.parametrize(
    "overrides",
    [OFF, {"torque_use_effort_input": False, "future_effort_placement": FutureEffortPlacement.PADDING}],
    ids=["torque-off", "future-in-padding-without-token"],
)
def test_without_the_effort_token_the_base_weights_give_the_base_policys_actions(vla, overrides):
    """Function preservation: the same weights and the same noise give LeRobot's exact actions."""
    lerobot = vla.lerobot_policy(vla.base())
    policy = vla.policy_class.from_pretrained(vla.base(), config=vla.make_config(**overrides))
    live = make_pi0_batch(policy.config, training=False)
    assert torch.equal(
        policy.predict_action_chunk(dict(live), noise=fixed_noise(8)),
        lerobot.predict_action_chunk(dict(live), noise=fixed_noise(8)),
    )


@ALL
def test_with_effort_off_the_base_weights_give_the_base_policys_training_loss(vla):
    lerobot = vla.lerobot_policy(vla.base())
    policy = vla.policy_class.from_pretrained(vla.base(), config=vla.make_config(**OFF))
    batch = make_pi0_batch(policy.config)
    torch.manual_seed(5)
    ours, our_terms = policy.forward(dict(batch))
    torch.manual_seed(5)
    theirs, their_terms = lerobot.forward(dict(batch))
    assert torch.equal(ours, theirs) and our_terms == their_terms


@ALL
def test_the_base_checkpoint_loads_by_its_id_and_the_widened_rows_are_copied(vla, caplog):
    base = load_file(hf_hub_download(vla.base(), "model.safetensors"))
    with caplog.at_level(logging.INFO):
        policy = vla.policy_class.from_pretrained(vla.base(), config=vla.make_config())
    ours = policy.state_dict()
    for key, value in base.items():
        if not key.startswith(("model.action_in_proj", "model.action_out_proj")):
            assert torch.equal(ours[key], value), key
    in_proj, out_proj = ours["model.action_in_proj.weight"], ours["model.action_out_proj.weight"]
    assert torch.equal(in_proj[:, :8], base["model.action_in_proj.weight"])
    assert torch.equal(out_proj[:8], base["model.action_out_proj.weight"])
    assert out_proj[8:].abs().max() < 0.05 and in_proj[:, 8:].abs().max() < 0.05  # new rows start small
    report = next(r.getMessage() for r in caplog.records if f"{vla.name} from" in r.getMessage())
    assert "added ['effort_encoder']; widened ['action_in_proj', 'action_out_proj']" in report


@ALL
def test_a_plain_base_checkpoint_needs_the_torque_type_flag(vla):
    with pytest.raises(ValueError, match=f"--policy.type={vla.name} --policy.pretrained_path="):
        vla.policy_class.from_pretrained(vla.base())


@ALL
def test_a_checkpoint_of_other_effort_dims_is_refused(vla, tmp_path):
    vla.policy().save_pretrained(tmp_path)
    three = vla.make_config(layout=EffortLayout(key="observation.effort", names=["a", "b", "c"]))
    three.input_features["observation.effort"] = PolicyFeature(type=FeatureType.STATE, shape=(3,))
    with pytest.raises(ValueError, match=f"do not fit this {vla.name}"):
        vla.policy_class.from_pretrained(tmp_path, config=three)


@ALL
def test_save_and_load_give_identical_actions(vla, tmp_path):
    policy = vla.policy(layout=STATE_LAYOUT).eval()
    policy.save_pretrained(tmp_path)
    loaded = vla.policy_class.from_pretrained(tmp_path)
    for field in vla.saved_size_fields:
        assert getattr(loaded.config, field) == getattr(policy.config, field), field
    live = make_pi0_batch(policy.config, training=False)
    assert torch.equal(
        loaded.predict_action_chunk(dict(live), noise=fixed_noise(FLOW_WIDTH)),
        policy.predict_action_chunk(dict(live), noise=fixed_noise(FLOW_WIDTH)),
    )


@ALL
def test_lora_trains_the_effort_adapter_and_the_widened_projections_and_its_adapter_reloads(vla, tmp_path):
    pytest.importorskip("peft")
    from peft import PeftModel

    config = vla.make_config()
    config.pretrained_path = vla.base()
    peft_policy = vla.policy_class.from_pretrained(vla.base(), config=config).wrap_with_peft(
        peft_cli_overrides={"r": 2}
    )
    trainable = {n for n, p in peft_policy.named_parameters() if p.requires_grad}
    assert any("effort_encoder" in n for n in trainable)
    assert any("action_in_proj" in n and "lora" not in n for n in trainable)
    assert any(vla.lora_trained_base_part in n and "lora" in n for n in trainable)  # the base's own targets
    assert not any(vla.lora_frozen_part in n for n in trainable)
    loss, _ = peft_policy(make_pi0_batch(config))
    loss.backward()
    assert parameters_without_gradient(peft_policy) == []  # LoRA under DDP needs no find_unused_parameters
    peft_policy.save_pretrained(tmp_path / "adapter")

    base = vla.policy_class.from_pretrained(vla.base(), config=vla.make_config())  # other random new rows
    reloaded = PeftModel.from_pretrained(base, tmp_path / "adapter").eval()
    peft_policy.eval()
    live = make_pi0_batch(config, training=False)
    assert torch.equal(
        reloaded.base_model.model.predict_action_chunk(dict(live), noise=fixed_noise(FLOW_WIDTH)),
        peft_policy.base_model.model.predict_action_chunk(dict(live), noise=fixed_noise(FLOW_WIDTH)),
    )


@ALL
def test_rtc_is_offered_only_without_a_per_step_history(vla, caplog):
    with caplog.at_level(logging.WARNING):
        assert not vla.policy().supports_rtc()
    assert "--policy.torque.history_mode=current" in caplog.text
    assert vla.policy(torque_history_mode=HistoryMode.CURRENT).supports_rtc()


@ALL
def test_with_the_current_frame_rtc_guides_a_chunk_towards_the_previous_one(vla):
    from lerobot.policies.rtc.configuration_rtc import RTCConfig

    policy = vla.policy(torque_history_mode=HistoryMode.CURRENT, rtc_config=RTCConfig(execution_horizon=3))
    live = make_pi0_batch(policy.config, training=False)
    previous = policy.predict_action_chunk(dict(live), noise=fixed_noise(FLOW_WIDTH))
    policy.reset()
    guided = policy.predict_action_chunk(
        dict(live), noise=fixed_noise(FLOW_WIDTH, seed=8), inference_delay=2, prev_chunk_left_over=previous
    )
    policy.reset()
    free = policy.predict_action_chunk(dict(live), noise=fixed_noise(FLOW_WIDTH, seed=8))
    assert guided.shape == (BATCH, CHUNK, 2) and torch.isfinite(guided).all()
    assert (guided[:, :2] - previous[:, :2]).abs().mean() < (free[:, :2] - previous[:, :2]).abs().mean()


@WITH_DECODER_PRE
def test_decoder_pre_writes_the_current_effort_into_the_padded_state(vla):
    policy = vla.policy(effort_placement=EffortPlacement.DECODER_PRE, torque_history_mode=HistoryMode.CURRENT)
    batch = policy.training_inputs(make_pi0_batch(policy.config))[0]
    state = policy.prepare_state(batch)
    for key in (OBS_STATE, OBS_STATE_WITHOUT_EFFORT):  # effort has its own feature: the state stays as is
        assert torch.equal(state[:, :2], batch[key]), key
    assert torch.equal(state[:, -2:], batch[OBS_EFFORT_HISTORY][:, -1])
    assert not state[:, 2:-2].any()


@WITH_DECODER_PRE
def test_decoder_pre_reads_the_current_frame_only(vla):
    with pytest.raises(NotImplementedError, match="history_mode=current"):
        vla.make_config(effort_placement=EffortPlacement.DECODER_PRE)


def pi0_tokenizer(tmp_path: Path) -> dict:
    return {"tokenizer": str(save_tiny_tokenizer(tmp_path / "tokenizer"))}


@pytest.mark.parametrize(
    "vla, tokenizer, prompt_tokens",
    [
        (PI0, pi0_tokenizer, [4, 9, 10]),  # press, the, button
        (SMOLVLA, lambda tmp_path: {}, [8, 13, 14]),  # the VLM's own tokenizer: after SmolVLM's 4 tokens
    ],
    ids=["pi0_torque", "smolvla_torque"],  # π0.5's prompt: tests/test_pi05_torque.py
)
def test_processors_tokenize_the_task_normalise_effort_and_round_trip(
    vla, tokenizer, prompt_tokens, tmp_path
):
    config = vla.make_config(**tokenizer(tmp_path))
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
    assert out["observation.language.tokens"][0, :3].tolist() == prompt_tokens
    for key in ("observation.language.tokens", "observation.effort", "observation.state"):
        assert torch.equal(out[key], loaded_out[key])
    assert torch.equal(out["observation.effort"], frame["observation.effort"] / 2)
