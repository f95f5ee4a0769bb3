"""What the torque policies on LeRobot's flow-matching VLAs share: π0, π0.5 and SmolVLA.

The three VLAs embed a prefix for the VLM (images, language; SmolVLA also its state token) and a
suffix for the action expert (noisy actions; π0 also its state token) in `embed_prefix` /
`embed_suffix`, build the attention blocks with `make_att_2d_masks`
(lerobot/policies/common/vla_utils.py) and sample with the Euler loop of
lerobot/policies/common/flow_matching.py. A torque policy on any of them:

- adds the effort adapter's tokens (`EffortTokensMixin`): appended to the prefix inside the block of
  its last token, or put first in the suffix with each token opening its own attention block (no
  prefix token sees them; every later suffix token does; TA-VLA `models/pi0.py`). They are encoded
  once per call into the network for that call (`with_effort(batch)`), so the base model's
  `forward`, `sample_actions` (KV cache, RTC) and gradient checkpointing run unchanged on it;
- predicts future effort in the same flow as the actions (paper §5): the flow vector is
  z = [actions padded to `max_action_dim` ; future effort] (`widen`, paper A.5) or the actions with
  future effort in their padded dims (`padding`, this port), with the base's noise, time and target;
  loss = action loss + β·masked effort MSE;
- starts from a plain base checkpoint (`VLATorquePolicyMixin.load_checkpoint`): every matching weight
  loads, widened projections copy their pretrained rows, the new torque modules keep their
  initialisation, and anything else raises (LeRobot's π0/π0.5 loaders return a random model).

Tensor layouts: tokens (B, K, w) and their validity (B, K); flow (B, chunk, flow_dim).
"""

import copy
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import torch
from huggingface_hub import hf_hub_download
from safetensors.torch import load_file
from torch import Tensor, nn

from lerobot_torque.constants import OBS_EFFORT_HISTORY, OBS_EFFORT_HISTORY_IS_PAD
from lerobot_torque.policies.torque.configuration_vla import (
    EffortTokenSlot,
    FutureEffortPlacement,
    action_dim,
)
from lerobot_torque.policies.torque.effort_inputs import EffortInputs
from lerobot_torque.policies.torque.modeling_torque import make_effort_encoder, zero_padded_mean
from lerobot_torque.policies.torque.policy_mixin import TorquePolicyMixin

logger = logging.getLogger(__name__)
WIDENED = ("model.action_in_proj", "model.action_out_proj")
TORQUE_MODULES = ("model.effort_encoder.",)


@dataclass(frozen=True)
class EffortTokens:
    """The adapter's output for one batch: the effort tokens and which of them hold data."""

    tokens: Tensor  # (B, K, w), w the width of the embedding they join
    valid: Tensor  # (B, K) False for per-frame tokens of frames before the episode start


class EffortTokensMixin:
    """Effort tokens for a VLA's flow-matching model; list it before LeRobot's model class.

    The config names the slot (`effort_token_slot`, None without tokens); the model calls
    `build_effort_encoder` in `__init__` and passes its embeddings through `add_prefix_effort` /
    `add_suffix_effort` in `embed_prefix` / `embed_suffix`. Policies call the network for one batch
    as `model.with_effort(batch)`: the network itself keeps no per-call state.
    """

    effort_tokens: EffortTokens | None = None  # only on the per-call networks of `with_effort`

    def build_effort_encoder(self, prefix_width: int, suffix_width: int) -> None:
        slot = self.config.effort_token_slot
        if slot is not None:
            width = prefix_width if slot is EffortTokenSlot.PREFIX else suffix_width
            self.effort_encoder = make_effort_encoder(
                self.config.torque, self.config.torque.effort_dim, width
            )

    def widen_action_projections(self, expert_width: int) -> None:
        """The base's action in/out projections over the flow vector, when future effort widens it."""
        flow_dim = flow_dimension(self.config)
        if flow_dim != self.config.max_action_dim:
            self.action_in_proj = nn.Linear(flow_dim, expert_width)
            self.action_out_proj = nn.Linear(expert_width, flow_dim)

    def with_effort(self, batch: dict) -> Self:
        """This network for one call on a model batch: it adds the batch's effort tokens.

        A shallow copy (the same submodules, weights and buffers, so gradients reach them) holding the
        tokens, encoded once; the base's own `forward` and `sample_actions` run on it unchanged.
        Without effort tokens, the network itself.
        """
        if self.config.effort_token_slot is None:
            return self
        if getattr(self.config, "compile_model", False):
            raise NotImplementedError(
                "compile_model=true compiles the network's own forward/sample_actions, which would not "
                "see the effort tokens of the call. Train and run torque policies with effort tokens "
                "with --policy.compile_model=false."
            )
        tokens, is_pad = self.effort_encoder(batch[OBS_EFFORT_HISTORY], batch[OBS_EFFORT_HISTORY_IS_PAD])
        network = copy.copy(self)
        network.__dict__["effort_tokens"] = EffortTokens(tokens, ~is_pad)
        return network

    def _tokens_for(self, slot: EffortTokenSlot) -> EffortTokens | None:
        if self.config.effort_token_slot is not slot:
            return None
        if self.effort_tokens is None:
            raise RuntimeError(
                f"The {type(self).__name__} was called without the batch's effort tokens: call it as "
                "model.with_effort(model_batch).forward(...) / .sample_actions(...)."
            )
        return self.effort_tokens

    def add_prefix_effort(self, embs: Tensor, pad_masks: Tensor, att_masks: Tensor):
        """The prefix with the effort tokens appended, in the block of its last token."""
        found = self._tokens_for(EffortTokenSlot.PREFIX)
        if found is None:
            return embs, pad_masks, att_masks
        tokens, valid = found.tokens, found.valid
        same_block = torch.zeros(valid.shape, dtype=att_masks.dtype, device=att_masks.device)
        return (
            torch.cat([embs, tokens.to(embs.dtype)], dim=1),
            torch.cat([pad_masks, valid], dim=1),
            torch.cat([att_masks, same_block], dim=1),
        )

    def add_suffix_effort(self, embs: Tensor, pad_masks: Tensor, att_masks: Tensor):
        """The suffix with the effort tokens first, each opening its own attention block."""
        found = self._tokens_for(EffortTokenSlot.SUFFIX)
        if found is None:
            return embs, pad_masks, att_masks
        tokens, valid = found.tokens, found.valid
        new_blocks = torch.ones(valid.shape, dtype=att_masks.dtype, device=att_masks.device)
        return (
            torch.cat([tokens.to(embs.dtype), embs], dim=1),
            torch.cat([valid, pad_masks], dim=1),
            torch.cat([new_blocks, att_masks], dim=1),
        )


def flow_dimension(config) -> int:
    """Width of the flow vector: the padded actions, plus the effort dims when widened."""
    widen = (
        config.torque.predict_future_effort and config.future_effort_placement is FutureEffortPlacement.WIDEN
    )
    return config.max_action_dim + (config.torque.effort_dim if widen else 0)


def future_effort_slice(config) -> slice:
    """Where future effort sits in the flow vector."""
    widen = config.future_effort_placement is FutureEffortPlacement.WIDEN
    start = config.max_action_dim if widen else action_dim(config)
    return slice(start, start + config.torque.effort_dim)


def flow_target(config, actions: Tensor, effort: EffortInputs | None) -> Tensor:
    """z: the padded actions (B, chunk, max_action_dim) with the future effort where configured.

    Future frames past the episode end are set to 0 (the normalised mean): they enter the noisy
    input x_t like any frame but carry no data, and their error is masked out of the loss.
    """
    if effort is None or not config.torque.predict_future_effort:
        return actions
    future = effort.future.masked_fill(effort.future_is_pad.unsqueeze(-1), 0.0).to(actions.dtype)
    if config.future_effort_placement is FutureEffortPlacement.WIDEN:
        return torch.cat([actions, future], dim=-1)
    target = actions.clone()
    target[:, :, future_effort_slice(config)] = future
    return target


def split_flow(config, flow: Tensor) -> tuple[Tensor, Tensor | None]:
    """Actions (B, chunk, A) and, when predicted, normalised future effort (B, chunk, D) of a flow."""
    effort = flow[:, :, future_effort_slice(config)] if config.torque.predict_future_effort else None
    return flow[:, :, : action_dim(config)], effort


def flow_shape(config, batch_size: int) -> tuple[int, int, int]:
    """Shape of the flow's noise; the bases draw `max_action_dim`-wide noise when given none."""
    return batch_size, config.chunk_size, flow_dimension(config)


def add_future_effort_loss(
    config, action_loss: Tensor, loss_dict: dict, flow_errors: Tensor, effort: EffortInputs | None
) -> Tensor:
    """L = L_action + β·L_effort (paper §5), for a scalar or a per-sample (B,) action loss.

    `flow_errors` are the base's squared errors over the whole flow (B, chunk, flow_dim); future
    frames flagged past the episode end count as zero (`zero_padded_mean`). Logs `action_mse`,
    `effort_mse` and `loss`.
    """
    if effort is None or not config.torque.predict_future_effort:
        return action_loss
    beta = config.torque.future_loss_weight
    errors = flow_errors[:, :, future_effort_slice(config)]
    effort_loss = zero_padded_mean(errors, effort.future_is_pad)
    loss_dict["action_mse"], loss_dict["effort_mse"] = action_loss.mean().item(), effort_loss.item()
    if action_loss.ndim == 1:  # reduction="none"
        effort_loss = zero_padded_mean(errors, effort.future_is_pad, per_sample=True)
    total = action_loss + beta * effort_loss
    loss_dict["loss"] = total.mean().item()
    return total


def write_effort_into_padded_state(state: Tensor, batch: dict) -> Tensor:
    """`decoder_pre`: the current effort frame in the last D dims of the padded state (TA-VLA)."""
    effort = batch[OBS_EFFORT_HISTORY][:, -1]
    return torch.cat([state[:, : -effort.shape[-1]], effort.to(state.dtype)], dim=-1)


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


class VLATorquePolicyMixin(TorquePolicyMixin):
    """Loading, LoRA targets and the joint flow of a torque policy on a LeRobot VLA.

    List it before the LeRobot policy class; the subclass sets `base_name` (for messages) and what
    `TorquePolicyMixin` asks for (`base_policy_class`, `network_replacements`).
    """

    base_name: str

    def _get_default_peft_targets(self) -> dict:
        """The base's LoRA targets; the effort adapter and widened projections are trained in full.

        Widened projections hold freshly initialised rows that a LoRA adapter would not save.
        """
        targets = super()._get_default_peft_targets()
        modules_to_save = list(targets.get("modules_to_save") or [])
        if self.config.effort_token_slot is not None:
            modules_to_save.append("effort_encoder")
        if flow_dimension(self.config) != self.config.max_action_dim:
            lora_projections = "|action_in_proj|action_out_proj"
            if lora_projections not in targets["target_modules"]:
                raise RuntimeError(
                    f"LeRobot's {self.base_name} LoRA targets changed: {targets['target_modules']}"
                )
            targets["target_modules"] = targets["target_modules"].replace(lora_projections, "")
            modules_to_save += ["action_in_proj", "action_out_proj"]
        return {**targets, "modules_to_save": modules_to_save}

    strict_loading = True  # anything missing but the torque modules raises (LeRobot's π0 loads it random)

    @classmethod
    def load_checkpoint(cls, path: str | Path, config, hub: dict, resume_download, strict: bool, **kwargs):
        """Load a checkpoint of this torque type, or start from a plain base one (e.g. `lerobot/pi0_base`).

        Every matching weight loads; new torque modules keep their initialisation and widened
        projections copy the pretrained rows (`load_base_weights`). A failure raises; `strict=False`
        lets other missing or unexpected tensors through with a warning (a tensor of another shape
        always raises).
        """
        policy = cls(config, **kwargs)
        if os.path.isdir(path):
            weights = Path(path) / "model.safetensors"
        else:
            weights = hf_hub_download(str(path), "model.safetensors", **hub)
        report = policy.load_base_weights(load_file(weights), strict=strict)
        logger.info("%s from %s: %s", cls.name, path, report)
        policy.to(config.device)
        policy.eval()
        return policy

    def load_base_weights(self, state_dict: dict[str, Tensor], strict: bool = True) -> str:
        """Load base or torque weights; return a one-line report of what was added or widened.

        Raises a ValueError naming the tensors when any does not fit (e.g. a checkpoint trained on
        another effort dimension) or, with `strict`, when anything but the new torque modules is
        missing or the checkpoint has tensors this model lacks (without `strict`: a warning).
        """
        fix = getattr(self, "_fix_pytorch_state_dict_keys", None)  # π0 and π0.5 (openpi key names)
        fixed = fix(state_dict, self.config) if fix is not None else dict(state_dict)
        fixed = {key if key.startswith("model.") else f"model.{key}": value for key, value in fixed.items()}
        own = self.state_dict()
        widened = [key for key in WIDENED if widen_into(own, fixed, key)]
        mismatched = [k for k, v in fixed.items() if k in own and own[k].shape != v.shape]
        if mismatched:
            shapes = [(k, tuple(fixed[k].shape), tuple(own[k].shape)) for k in mismatched]
            raise ValueError(
                f"These checkpoint tensors do not fit this {self.name}: {shapes}. The checkpoint was "
                "trained with other effort/state/action dims or model sizes; use data from the same robot "
                f"and the checkpoint's sizes, or train from a plain {self.base_name} checkpoint."
            )
        missing, unexpected = self.load_state_dict(fixed, strict=False)
        unexplained = [key for key in missing if not key.startswith(TORQUE_MODULES)]
        if unexplained or unexpected:
            message = (
                f"Not a {self.base_name} checkpoint for this model: missing {unexplained[:8]}, unexpected "
                f"{unexpected[:8]} ({len(unexplained)} and {len(unexpected)} in all)."
            )
            if strict:
                raise ValueError(message + " Load with strict=False to keep what matches.")
            logger.warning("%s Loaded the rest (strict=False).", message)
        added = sorted({key.split(".")[1] for key in missing if key.startswith(TORQUE_MODULES)})
        grown = [k.split(".")[1] for k in widened] or "nothing"
        return (
            f"loaded {len(fixed)} tensors; added {added or 'nothing'}; "
            f"widened {grown} to the {flow_dimension(self.config)}-dim flow"
            " (pretrained rows copied, new rows N(0, 0.01·sqrt(2/fan_in)), new biases N(0, 1e-3))"
        )
