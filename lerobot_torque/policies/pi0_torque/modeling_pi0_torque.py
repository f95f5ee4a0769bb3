"""`pi0_torque`: LeRobot's π0 with effort tokens and a joint action-effort flow (paper §4-5).

Token layout (prefix | suffix), with the attention blocks of π0 (`make_att_2d_masks`):
- `encoder`:      [images, language, effort×K] | [state, actions]        (effort in the prefix block)
- `decoder_post`: [images, language] | [effort×K, state, actions]        (each effort token opens a
  block, so the prefix never sees it and state and actions do; TA-VLA `models/pi0.py`)
- `decoder_pre`:  [images, language] | [state (with τ_t in its padded dims), actions]

Flow vector z = [actions (padded to max_action_dim) ; future effort] for `widen`, or the actions with
future effort in the padded dims for `padding`. x_t = t·ε + (1−t)·z and the target ε − z are π0's
(same noise, same time for both parts); loss = MSE_actions + β·MSE_effort over frames inside the
episode (paper §5).

The effort tokens are computed once per call and handed to `embed_prefix`/`embed_suffix` through
`effort_context`, so π0's own `forward`, `sample_actions` (KV cache, RTC) and gradient
checkpointing run unchanged.
"""

import builtins
import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from huggingface_hub import hf_hub_download
from safetensors.torch import load_file
from torch import Tensor, nn

from lerobot.configs import PreTrainedConfig
from lerobot.policies.pi0.modeling_pi0 import PI0Policy, PI0Pytorch
from lerobot.policies.pretrained import PreTrainedPolicy, T
from lerobot.policies.rtc.modeling_rtc import RTCProcessor
from lerobot.utils.constants import ACTION, OBS_LANGUAGE_ATTENTION_MASK, OBS_LANGUAGE_TOKENS, OBS_STATE
from lerobot.utils.import_utils import require_package

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.policies.pi0_torque.configuration_pi0_torque import (
    EffortPlacement,
    FutureEffortPlacement,
    PI0TorqueConfig,
)
from lerobot_torque.policies.pi0_torque.model_size import SizedPaliGemmaWithExpert
from lerobot_torque.policies.torque.effort_inputs import OBS_EFFORT_IS_PAD, EffortInputs
from lerobot_torque.policies.torque.modeling_torque import make_effort_encoder, masked_mean
from lerobot_torque.policies.torque.policy_mixin import TorquePolicyMixin

logger = logging.getLogger(__name__)
WIDENED = ("model.action_in_proj", "model.action_out_proj")


class PI0TorquePytorch(PI0Pytorch):
    """π0's network, sized by `config.model_size`, with the effort adapter and a wider flow."""

    def __init__(self, config: PI0TorqueConfig, rtc_processor: RTCProcessor | None = None):
        nn.Module.__init__(self)
        self.config = config
        self.rtc_processor = rtc_processor
        if config.image_resolution[0] != config.image_resolution[1]:
            raise ValueError(
                f"PaliGemma expects square images, got image_resolution={config.image_resolution}."
            )
        vlm, expert = config.model_size.gemma_configs(config.paligemma_variant, config.action_expert_variant)
        self.paligemma_with_expert = SizedPaliGemmaWithExpert(
            vlm,
            expert,
            use_adarms=[False, False],
            precision=config.dtype,
            image_size=config.image_resolution[0],
            freeze_vision_encoder=config.freeze_vision_encoder,
            train_expert_only=config.train_expert_only,
            size=config.model_size,
        )
        # π0's projections (modeling_pi0.PI0Pytorch.__init__), the action ones over the flow vector.
        flow_dim = flow_dimension(config)
        self.action_in_proj = nn.Linear(flow_dim, expert.width)
        self.action_out_proj = nn.Linear(expert.width, flow_dim)
        self.state_proj = nn.Linear(config.max_state_dim, expert.width)
        self.action_time_mlp_in = nn.Linear(2 * expert.width, expert.width)
        self.action_time_mlp_out = nn.Linear(expert.width, expert.width)
        self.gradient_checkpointing_enabled = False

        if config.uses_effort_tokens:
            width = vlm.width if config.effort_placement is EffortPlacement.ENCODER else expert.width
            self.effort_encoder = make_effort_encoder(config.torque, config.torque.effort_dim, width)
        self._effort_tokens: tuple[Tensor, Tensor] | None = None

        if config.compile_model:
            torch.set_float32_matmul_precision("high")
            self.sample_actions = torch.compile(self.sample_actions, mode=config.compile_mode)
            self.forward = torch.compile(self.forward, mode=config.compile_mode)

    @contextmanager
    def effort_context(self, batch: dict) -> Iterator[None]:
        """Encode the batch's effort history once; `embed_prefix`/`embed_suffix` add the tokens."""
        if self.config.uses_effort_tokens:
            tokens, is_pad = self.effort_encoder(batch[OBS_EFFORT], batch[OBS_EFFORT_IS_PAD])
            self._effort_tokens = (tokens, ~is_pad)  # (B, K, w), (B, K) True where valid
        try:
            yield
        finally:
            self._effort_tokens = None

    def embed_prefix(self, images, img_masks, lang_tokens, lang_masks) -> tuple[Tensor, Tensor, Tensor]:
        embs, pad_masks, att_masks = super().embed_prefix(images, img_masks, lang_tokens, lang_masks)
        if self._effort_tokens is None or self.config.effort_placement is not EffortPlacement.ENCODER:
            return embs, pad_masks, att_masks
        tokens, valid = self._effort_tokens
        same_block = torch.zeros_like(valid)  # part of the prefix block, as images and language
        return (
            torch.cat([embs, tokens.to(embs.dtype)], dim=1),
            torch.cat([pad_masks, valid], dim=1),
            torch.cat([att_masks, same_block], dim=1),
        )

    def embed_suffix(self, state, noisy_actions, timestep):
        embs, pad_masks, att_masks, adarms_cond = super().embed_suffix(state, noisy_actions, timestep)
        if self._effort_tokens is None or self.config.effort_placement is not EffortPlacement.DECODER_POST:
            return embs, pad_masks, att_masks, adarms_cond
        tokens, valid = self._effort_tokens
        new_blocks = torch.ones(valid.shape, dtype=att_masks.dtype, device=att_masks.device)
        return (
            torch.cat([tokens.to(embs.dtype), embs], dim=1),
            torch.cat([valid, pad_masks], dim=1),
            torch.cat([new_blocks, att_masks], dim=1),
            adarms_cond,
        )


def flow_dimension(config: PI0TorqueConfig) -> int:
    """Width of the flow vector: π0's padded actions, plus the effort dims when widened."""
    widen = (
        config.torque.predict_future_effort and config.future_effort_placement is FutureEffortPlacement.WIDEN
    )
    return config.max_action_dim + (config.torque.effort_dim if widen else 0)


def future_effort_slice(config: PI0TorqueConfig) -> slice:
    """Where future effort sits in the flow vector."""
    start = (
        config.max_action_dim
        if config.future_effort_placement is FutureEffortPlacement.WIDEN
        else config.output_features[ACTION].shape[0]
    )
    return slice(start, start + config.torque.effort_dim)


class PI0TorquePolicy(TorquePolicyMixin, PI0Policy):
    """π0 reading joint effort; `select_action` keeps the effort history between calls."""

    config_class = PI0TorqueConfig
    name = "pi0_torque"

    def __init__(self, config: PI0TorqueConfig, dataset_meta=None, **kwargs):
        require_package("transformers", extra="pi")
        if dataset_meta is not None:
            config.torque.bind_dataset(dataset_meta.features, dataset_meta.fps)
        PreTrainedPolicy.__init__(self, config)
        config.validate_features()
        check_effort_fits(config)
        self.init_rtc_processor()
        self.model = PI0TorquePytorch(config, rtc_processor=self.rtc_processor)
        if config.gradient_checkpointing:
            self.model.gradient_checkpointing_enable()
        self.model.to(config.device)
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.reset_effort_history()

    def supports_rtc(self) -> bool:
        """RTC calls `predict_action_chunk` once per chunk, which cannot keep a per-step history."""
        return super().supports_rtc() and self.config.torque.history_window_length == 1

    def prepare_state(self, batch: dict) -> Tensor:
        """π0's padded state; with `decoder_pre`, the current effort fills its last dims (TA-VLA)."""
        state = super().prepare_state(batch)
        if (
            self.config.effort_placement is EffortPlacement.DECODER_PRE
            and self.config.torque.use_effort_input
        ):
            effort = batch[OBS_EFFORT][:, -1]
            state = torch.cat([state[:, : -effort.shape[-1]], effort.to(state.dtype)], dim=-1)
        return state

    @torch.no_grad()
    def select_action(self, batch: dict[str, Tensor]) -> Tensor:
        return super().select_action(self.live_batch(batch))

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict[str, Tensor], **kwargs) -> Tensor:
        return self.predict_action_and_effort_chunk(batch, **kwargs)[0]

    @torch.no_grad()
    def predict_action_and_effort_chunk(
        self, batch: dict[str, Tensor], noise: Tensor | None = None, **kwargs
    ) -> tuple[Tensor, Tensor | None]:
        """Actions (B, chunk, A) and, when trained to predict it, normalised future effort (B, chunk, D)."""
        self.eval()
        batch = self.live_batch(batch)
        images, img_masks = self._preprocess_images(batch)
        state = self.prepare_state(batch)
        if noise is None:
            shape = (state.shape[0], self.config.chunk_size, flow_dimension(self.config))
            noise = self.model.sample_noise(shape, state.device)
        with self.model.effort_context(batch):
            flow = self.model.sample_actions(
                images,
                img_masks,
                batch[OBS_LANGUAGE_TOKENS],
                batch[OBS_LANGUAGE_ATTENTION_MASK],
                state,
                noise=noise,
                **kwargs,
            )
        actions = flow[:, :, : self.config.output_features[ACTION].shape[0]]
        effort = (
            flow[:, :, future_effort_slice(self.config)] if self.config.torque.predict_future_effort else None
        )
        return actions, effort

    def forward(self, batch: dict[str, Tensor], reduction: str = "mean") -> tuple[Tensor, dict]:
        """π0's flow-matching loss on actions plus β·MSE on future effort (frames inside the episode)."""
        batch, effort = self.training_inputs(batch)
        images, img_masks = self._preprocess_images(batch)
        state = self.prepare_state(batch)
        target = self.flow_target(self.prepare_action(batch), effort)
        noise = self.model.sample_noise(target.shape, target.device)
        time = self.model.sample_time(target.shape[0], target.device)
        with self.model.effort_context(batch):
            losses = self.model.forward(
                images,
                img_masks,
                batch[OBS_LANGUAGE_TOKENS],
                batch[OBS_LANGUAGE_ATTENTION_MASK],
                state,
                target,
                noise,
                time,
            )  # (B, chunk, flow_dim) squared errors

        action_losses = losses[:, :, : self.config.output_features[ACTION].shape[0]]
        per_sample = action_losses.mean(dim=(1, 2))
        loss_dict = {"loss_per_dim": action_losses.mean(dim=[0, 1]).detach().cpu().numpy().tolist()}
        loss = per_sample.mean()
        if effort is not None and self.config.torque.predict_future_effort:
            beta = self.config.torque.future_loss_weight
            effort_losses = losses[:, :, future_effort_slice(self.config)]
            effort_loss = self.future_effort_loss(effort_losses, effort)
            loss_dict["action_mse"], loss_dict["effort_mse"] = loss.item(), effort_loss.item()
            loss = loss + beta * effort_loss
            per_sample = per_sample + beta * masked_mean(effort_losses, effort.future_is_pad, per_sample=True)
        if reduction == "none":
            loss_dict["loss"] = per_sample.mean().item()
            return per_sample, loss_dict
        loss_dict["loss"] = loss.item()
        return loss, loss_dict

    def flow_target(self, actions: Tensor, effort: EffortInputs | None) -> Tensor:
        """z: π0's padded actions (B, chunk, max_action_dim) with the future effort where configured.

        Future frames past the episode end are set to 0 (the normalised mean): they enter the noisy
        input x_t like any frame but carry no data, and their error is masked out of the loss.
        """
        if effort is None or not self.config.torque.predict_future_effort:
            return actions
        future = effort.future.masked_fill(effort.future_is_pad.unsqueeze(-1), 0.0).to(actions.dtype)
        if self.config.future_effort_placement is FutureEffortPlacement.WIDEN:
            return torch.cat([actions, future], dim=-1)
        target = actions.clone()
        target[:, :, future_effort_slice(self.config)] = future
        return target

    def _get_default_peft_targets(self) -> dict:
        """π0's LoRA targets; the effort adapter and widened projections are trained in full.

        Widened projections hold freshly initialised rows that a LoRA adapter would not save.
        """
        targets = super()._get_default_peft_targets()
        modules_to_save = list(targets.get("modules_to_save") or [])
        if self.config.uses_effort_tokens:
            modules_to_save.append("effort_encoder")
        if flow_dimension(self.config) != self.config.max_action_dim:
            lora_projections = "|action_in_proj|action_out_proj"
            if lora_projections not in targets["target_modules"]:
                raise RuntimeError(f"LeRobot's π0 LoRA targets changed: {targets['target_modules']}")
            targets["target_modules"] = targets["target_modules"].replace(lora_projections, "")
            modules_to_save += ["action_in_proj", "action_out_proj"]
        return {**targets, "modules_to_save": modules_to_save}

    @classmethod
    def from_pretrained(
        cls: builtins.type[T],
        pretrained_name_or_path: str | Path,
        *,
        config: PreTrainedConfig | None = None,
        force_download: bool = False,
        resume_download: bool | None = None,
        proxies: dict | None = None,
        token: str | bool | None = None,
        cache_dir: str | Path | None = None,
        local_files_only: bool = False,
        revision: str | None = None,
        strict: bool = True,
        **kwargs,
    ) -> T:
        """Load a `pi0_torque` checkpoint, or start from a plain π0 one (e.g. `lerobot/pi0_base`).

        Every matching weight loads; new torque modules keep their initialisation and widened
        projections copy the pretrained rows (see `load_pi0_weights`). Unlike LeRobot's π0, a
        failure raises instead of returning a randomly initialised model.
        """
        if config is None:
            config = PreTrainedConfig.from_pretrained(
                pretrained_name_or_path,
                force_download=force_download,
                resume_download=resume_download,
                proxies=proxies,
                token=token,
                cache_dir=cache_dir,
                local_files_only=local_files_only,
                revision=revision,
                **kwargs,
            )
        if not isinstance(config, PI0TorqueConfig):
            raise ValueError(
                f"{pretrained_name_or_path} holds a '{config.type}' policy. To start pi0_torque from its "
                f"weights use --policy.type=pi0_torque --policy.pretrained_path={pretrained_name_or_path}."
            )
        policy = cls(config, **kwargs)
        if os.path.isdir(pretrained_name_or_path):
            weights = Path(pretrained_name_or_path) / "model.safetensors"
        else:
            weights = hf_hub_download(
                str(pretrained_name_or_path),
                "model.safetensors",
                revision=revision,
                cache_dir=cache_dir,
                force_download=force_download,
                proxies=proxies,
                token=token,
                local_files_only=local_files_only,
            )
        logger.info(
            "pi0_torque from %s: %s", pretrained_name_or_path, policy.load_pi0_weights(load_file(weights))
        )
        policy.to(config.device)
        policy.eval()
        return policy

    def load_pi0_weights(self, state_dict: dict[str, Tensor]) -> str:
        """Load π0 or pi0_torque weights; return a one-line report of what was added or widened.

        Raises a ValueError naming the tensors when anything but the new torque modules is missing
        or does not fit (e.g. a checkpoint trained on another effort dimension).
        """
        fixed = self._fix_pytorch_state_dict_keys(state_dict, self.config)
        fixed = {key if key.startswith("model.") else f"model.{key}": value for key, value in fixed.items()}
        own = self.state_dict()
        widened = [key for key in WIDENED if widen_into(own, fixed, key)]
        mismatched = [k for k, v in fixed.items() if k in own and own[k].shape != v.shape]
        if mismatched:
            shapes = [(k, tuple(fixed[k].shape), tuple(own[k].shape)) for k in mismatched]
            raise ValueError(
                f"These checkpoint tensors do not fit this pi0_torque: {shapes}. The checkpoint was "
                "trained with other effort/state/action dims or model sizes; use data from the same robot "
                "and the checkpoint's --policy.model_size.*, or train from a plain π0 checkpoint."
            )
        missing, unexpected = self.load_state_dict(fixed, strict=False)
        torque_modules = ("model.effort_encoder.",)
        unexplained = [key for key in missing if not key.startswith(torque_modules)]
        if unexplained or unexpected:
            raise ValueError(
                f"Not a π0 checkpoint for this model: missing {unexplained[:8]}, unexpected {unexpected[:8]} "
                f"({len(unexplained)} and {len(unexpected)} in all)."
            )
        added = sorted({key.split(".")[1] for key in missing})
        grown = [k.split(".")[1] for k in widened] or "nothing"
        return (
            f"loaded {len(fixed)} tensors; added {added or 'nothing'}; "
            f"widened {grown} to the {flow_dimension(self.config)}-dim flow"
            " (pretrained rows copied, new rows N(0, 0.01·sqrt(2/fan_in)), new biases N(0, 1e-3))"
        )


def widen_into(own: dict[str, Tensor], checkpoint: dict[str, Tensor], module: str) -> bool:
    """Grow `module`'s checkpoint weight/bias to this model's flow width, in place in `checkpoint`.

    Pretrained rows/columns are copied; new ones are drawn small, as the paper's appendix A.5 and the
    TA-VLA code (N(0, 0.01·sqrt(2/fan_in)) weights, N(0, 1e-3) biases).
    """
    weight_key, bias_key = f"{module}.weight", f"{module}.bias"
    old, new = checkpoint.get(weight_key), own[weight_key]
    if old is None or old.shape == new.shape or old.dim() != 2:
        return False
    grown = torch.randn(new.shape, dtype=old.dtype) * 0.01 * math.sqrt(2.0 / new.shape[1])
    grown[: old.shape[0], : old.shape[1]] = old
    checkpoint[weight_key] = grown
    old_bias, new_bias = checkpoint.get(bias_key), own[bias_key]
    if old_bias is not None and old_bias.shape != new_bias.shape:
        bias = torch.randn(new_bias.shape, dtype=old_bias.dtype) * 1e-3
        bias[: old_bias.shape[0]] = old_bias
        checkpoint[bias_key] = bias
    return True


def check_effort_fits(config: PI0TorqueConfig) -> None:
    """Raise if `decoder_pre` or `padding` would overwrite real state or action dims."""
    torque, effort_dim = config.torque, config.torque.effort_dim if config.torque.layout else 0
    state_dim = config.input_features[OBS_STATE].shape[0] if OBS_STATE in config.input_features else 0
    action_dim = config.output_features[ACTION].shape[0]
    decoder_pre = config.effort_placement is EffortPlacement.DECODER_PRE and torque.use_effort_input
    if decoder_pre and state_dim + effort_dim > config.max_state_dim:
        raise ValueError(
            f"effort_placement=decoder_pre needs state dim {state_dim} + effort dim {effort_dim} <= "
            f"max_state_dim {config.max_state_dim}. Use effort_placement=decoder_post."
        )
    padding = config.future_effort_placement is FutureEffortPlacement.PADDING and torque.predict_future_effort
    if padding and action_dim + effort_dim > config.max_action_dim:
        raise ValueError(
            f"future_effort_placement=padding needs action dim {action_dim} + effort dim {effort_dim} <= "
            f"max_action_dim {config.max_action_dim}. Use future_effort_placement=widen."
        )
