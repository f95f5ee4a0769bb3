"""`pi0_torque`: LeRobot's π0 with effort tokens and a joint action-effort flow (paper §4-5).

Token layout (prefix | suffix), with the attention blocks of π0 (`make_att_2d_masks`):
- `encoder`:      [images, language, effort×K] | [state, actions]        (effort in the prefix block)
- `decoder_post`: [images, language] | [effort×K, state, actions]        (each effort token opens a
  block, so the prefix never sees it and state and actions do; TA-VLA `models/pi0.py`)
- `decoder_pre`:  [images, language] | [state (with τ_t in its padded dims), actions]

Flow vector z = [actions (padded to max_action_dim) ; future effort] for `widen`, or the actions with
future effort in the padded dims for `padding`. x_t = t·ε + (1−t)·z and the target ε − z are π0's
(same noise, same time for both parts); loss = MSE_actions + β·MSE_effort over frames inside the
episode (paper §5; frames past the end count as zero, `zero_padded_mean`).

The effort tokens, the flow and the loading are shared with the other VLAs
(`lerobot_torque/policies/torque/vla.py`), so π0's own `forward`, `sample_actions` (KV cache, RTC)
and gradient checkpointing run unchanged, on the network for the call (`with_effort(batch)`). The
policy and its network are built by LeRobot's own `PI0Policy.__init__` and `PI0Pytorch.__init__`,
with our network and sized stacks in place of LeRobot's (`lerobot_init`). The model reads the state
and effort the policy split from the batch (`OBS_STATE_WITHOUT_EFFORT`, `OBS_EFFORT_HISTORY`, see
`lerobot_torque/constants.py`).
"""

import torch
from torch import Tensor, nn

from lerobot.policies.pi0.modeling_pi0 import PI0Policy, PI0Pytorch
from lerobot.policies.rtc.modeling_rtc import RTCProcessor
from lerobot.utils.constants import OBS_LANGUAGE_ATTENTION_MASK, OBS_LANGUAGE_TOKENS, OBS_STATE

from lerobot_torque.constants import OBS_STATE_WITHOUT_EFFORT
from lerobot_torque.policies.pi0_torque.configuration_pi0_torque import PI0TorqueConfig
from lerobot_torque.policies.pi0_torque.model_size import SizedPaliGemmaWithExpert, sized_stacks
from lerobot_torque.policies.torque.effort_inputs import EffortInputs
from lerobot_torque.policies.torque.lerobot_init import lerobot_init
from lerobot_torque.policies.torque.vla import (
    EffortTokensMixin,
    VLATorquePolicyMixin,
    action_dim,
    add_future_effort_loss,
    flow_shape,
    flow_target,
    split_flow,
    write_effort_into_padded_state,
)


class PI0TorquePytorch(EffortTokensMixin, PI0Pytorch):
    """π0's network, sized by `config.model_size`, with the effort adapter and a wider flow.

    Built by LeRobot's own `PI0Pytorch.__init__` with the stacks at `config.model_size`; the action
    projections are then widened to the flow vector.
    """

    def __init__(self, config: PI0TorqueConfig, rtc_processor: RTCProcessor | None = None):
        init = lerobot_init(PI0Pytorch.__init__, **sized_stacks(config))
        init(self, config, rtc_processor=rtc_processor)
        vlm, expert = config.model_size.gemma_configs(config.paligemma_variant, config.action_expert_variant)
        self.widen_action_projections(expert.width)
        for module in modules_the_loss_never_reaches(self.paligemma_with_expert):
            module.requires_grad_(False)
        self.build_effort_encoder(prefix_width=vlm.width, suffix_width=expert.width)

    def embed_prefix(self, images, img_masks, lang_tokens, lang_masks) -> tuple[Tensor, Tensor, Tensor]:
        return self.add_prefix_effort(*super().embed_prefix(images, img_masks, lang_tokens, lang_masks))

    def embed_suffix(self, state, noisy_actions, timestep):
        embs, pad_masks, att_masks, adarms_cond = super().embed_suffix(state, noisy_actions, timestep)
        return (*self.add_suffix_effort(embs, pad_masks, att_masks), adarms_cond)


def modules_the_loss_never_reaches(model: SizedPaliGemmaWithExpert) -> list[nn.Module]:
    """π0's modules that no training loss or action reaches; they are kept frozen, not trained.

    π0 reads only the action expert's output (`modeling_pi0.PI0Pytorch.forward` and
    `sample_actions`); of the VLM's last layer only the keys and values matter, which the action
    tokens attend to. Never reached: both language-model heads (π0 embeds tokens but never decodes
    them), the VLM's final norm, and its last layer's query and output projections, post-attention
    norm and MLP. They stay in the state dict, so `pi0_base` checkpoints load unchanged, but
    without `requires_grad` DDP neither reduces (nor allocates gradient buckets for) them nor needs
    `find_unused_parameters` to skip them (tests/test_pi0_torque.py pins the list).
    """
    vlm = model.paligemma
    last_layer = vlm.model.language_model.layers[-1]
    return [
        vlm.get_output_embeddings(),
        model.gemma_expert.get_output_embeddings(),
        vlm.model.language_model.norm,
        last_layer.self_attn.q_proj,
        last_layer.self_attn.o_proj,
        last_layer.post_attention_layernorm,
        last_layer.mlp,
    ]


class PI0TorquePolicy(VLATorquePolicyMixin, PI0Policy):
    """π0 reading joint effort: its state token from the state without effort, then π0's flow."""

    config_class = PI0TorqueConfig
    name = "pi0_torque"
    base_name = "π0"
    base_policy_class = PI0Policy
    network_replacements = {"PI0Pytorch": PI0TorquePytorch}

    def prepare_state(self, batch: dict) -> Tensor:
        """π0's padded state; with `decoder_pre`, the current effort fills its last dims (TA-VLA)."""
        state = super().prepare_state({OBS_STATE: batch[OBS_STATE_WITHOUT_EFFORT]})
        return write_effort_into_padded_state(state, batch) if self.config.writes_effort_into_state else state

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
            noise = self.model.sample_noise(flow_shape(self.config, state.shape[0]), state.device)
        flow = self.model.with_effort(batch).sample_actions(
            images,
            img_masks,
            batch[OBS_LANGUAGE_TOKENS],
            batch[OBS_LANGUAGE_ATTENTION_MASK],
            state,
            noise=noise,
            **kwargs,
        )
        return split_flow(self.config, flow)

    def forward(self, batch: dict[str, Tensor], reduction: str = "mean") -> tuple[Tensor, dict]:
        """π0's flow-matching loss on actions plus β·MSE on future effort (frames inside the episode)."""
        batch, effort = self.training_inputs(batch)
        images, img_masks = self._preprocess_images(batch)
        state = self.prepare_state(batch)
        target = self.flow_target(self.prepare_action(batch), effort)
        noise = self.model.sample_noise(target.shape, target.device)
        time = self.model.sample_time(target.shape[0], target.device)
        losses = self.model.with_effort(batch).forward(
            images,
            img_masks,
            batch[OBS_LANGUAGE_TOKENS],
            batch[OBS_LANGUAGE_ATTENTION_MASK],
            state,
            target,
            noise,
            time,
        )  # (B, chunk, flow_dim) squared errors

        action_losses = losses[:, :, : action_dim(self.config)]
        per_sample = action_losses.mean(dim=(1, 2))
        loss_dict = {"loss_per_dim": action_losses.mean(dim=[0, 1]).detach().cpu().numpy().tolist()}
        action_loss = per_sample if reduction == "none" else per_sample.mean()
        loss_dict["loss"] = action_loss.mean().item()
        return add_future_effort_loss(self.config, action_loss, loss_dict, losses, effort), loss_dict

    def flow_target(self, actions: Tensor, effort: EffortInputs | None) -> Tensor:
        """z: π0's padded actions (B, chunk, max_action_dim) with the future effort where configured."""
        return flow_target(self.config, actions, effort)
