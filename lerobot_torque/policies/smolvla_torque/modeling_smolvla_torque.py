"""`smolvla_torque`: LeRobot's SmolVLA with effort tokens and a joint action-effort flow (paper §4-5).

Token layout (prefix for the VLM | suffix for the action expert), with SmolVLA's attention blocks
(`make_att_2d_masks`; every action token opens a block, so actions attend causally):
- `decoder_post`: [images, language, state] | [effort×K, actions]  (each effort token opens a block:
  the prefix never sees it; the actions do in the expert's self-attention layers, while its
  cross-attention layers read only the VLM's keys and values)
- `encoder`:      [images, language, state, effort×K] | [actions]  (in the state's block)
- `decoder_pre`:  [images, language, state (τ_t in its padded dims)] | [actions]

Flow vector and loss as for π0 (`lerobot_torque/policies/torque/vla.py`): z = [padded actions ;
future effort] (`widen`) or future effort in the padded action dims (`padding`); SmolVLA's own
`forward` computes the squared errors of the whole flow and its own action loss (masked by
`action_is_pad`), to which β·MSE_effort over the frames inside the episode is added.

SmolVLA's `forward`, `sample_actions` (KV cache, RTC), `prepare_images` and its ALOHA adaptation run
unchanged; its size is the VLM's (`vlm_model_name`, see `small_vlm.py` for a CPU size). They run on
a copy of the policy for the call (`for_call`) whose network adds the batch's effort tokens
(`with_effort`) and keeps what it computed; the policy and its network are built by LeRobot's own
`SmolVLAPolicy.__init__` with our network in place of LeRobot's (`lerobot_init`).

LeRobot's SmolVLA reads its state under `observation.state` (and decodes it there for ALOHA), so
the batches this policy hands it carry there the state without effort entries
(`OBS_STATE_WITHOUT_EFFORT`).
"""

import copy

import torch
from torch import Tensor

from lerobot.policies.rtc.modeling_rtc import RTCProcessor
from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy, VLAFlowMatching
from lerobot.policies.utils import populate_queues
from lerobot.utils.constants import ACTION, OBS_STATE

from lerobot_torque.constants import OBS_STATE_WITHOUT_EFFORT
from lerobot_torque.policies.smolvla_torque.configuration_smolvla_torque import SmolVLATorqueConfig
from lerobot_torque.policies.torque.effort_inputs import EffortInputs
from lerobot_torque.policies.torque.vla import (
    EffortTokensMixin,
    VLATorquePolicyMixin,
    add_future_effort_loss,
    flow_shape,
    flow_target,
    split_flow,
    write_effort_into_padded_state,
)


class SmolVLATorqueFlowMatching(EffortTokensMixin, VLAFlowMatching):
    """SmolVLA's network with the effort adapter and, when widened, wider action projections.

    On the per-call copy of `SmolVLATorquePolicy.for_call`, `forward` and `sample_actions` also keep
    their result (`flow_errors`, `sampled_flow`), which SmolVLA's policy code reduces to the actions.
    """

    flow_errors: Tensor | None = None  # (B, chunk, flow_dim) squared errors of this call's `forward`
    sampled_flow: Tensor | None = None  # (B, chunk, flow_dim) flow of this call's `sample_actions`

    def __init__(self, config: SmolVLATorqueConfig, rtc_processor: RTCProcessor | None = None):
        super().__init__(config, rtc_processor=rtc_processor)
        expert_width = self.vlm_with_expert.expert_hidden_size
        self.widen_action_projections(expert_width)
        self.build_effort_encoder(
            prefix_width=self.vlm_with_expert.config.text_config.hidden_size, suffix_width=expert_width
        )

    def embed_prefix(self, images, img_masks, lang_tokens, lang_masks, state: Tensor = None):
        embs = super().embed_prefix(images, img_masks, lang_tokens, lang_masks, state=state)
        return self.add_prefix_effort(*embs)

    def embed_suffix(self, noisy_actions, timestep):
        return self.add_suffix_effort(*super().embed_suffix(noisy_actions, timestep))

    def forward(self, *args, **kwargs) -> Tensor:
        self.flow_errors = super().forward(*args, **kwargs)
        return self.flow_errors

    def sample_actions(self, *args, **kwargs) -> Tensor:
        self.sampled_flow = super().sample_actions(*args, **kwargs)
        return self.sampled_flow


def with_smolvla_state(model_batch: dict) -> dict:
    """A model batch as LeRobot's SmolVLA code reads it: the state without effort under its key."""
    if OBS_STATE_WITHOUT_EFFORT not in model_batch:
        return model_batch
    return {**model_batch, OBS_STATE: model_batch[OBS_STATE_WITHOUT_EFFORT]}


class SmolVLATorquePolicy(VLATorquePolicyMixin, SmolVLAPolicy):
    """SmolVLA reading joint effort; SmolVLA's own code runs on a copy for each call (`for_call`)."""

    config_class = SmolVLATorqueConfig
    name = "smolvla_torque"
    base_name = "SmolVLA"
    base_policy_class = SmolVLAPolicy
    network_replacements = {"VLAFlowMatching": SmolVLATorqueFlowMatching}
    training_effort: EffortInputs | None = None  # on the per-call copy of `for_call`, for `prepare_action`

    def training_inputs(self, batch: dict) -> tuple[dict, EffortInputs | None]:
        model_batch, effort = super().training_inputs(batch)
        return with_smolvla_state(model_batch), effort

    def live_batch(self, batch: dict) -> dict:
        return with_smolvla_state(super().live_batch(batch))

    def for_call(
        self, model_batch: dict, effort: EffortInputs | None = None
    ) -> tuple["SmolVLATorquePolicy", SmolVLATorqueFlowMatching]:
        """This policy for one call of SmolVLA's own code, and the network that call reaches.

        Shallow copies (the same modules, weights, queues and RTC processor): the network adds the
        batch's effort tokens and keeps its result; the policy reaches it as `self.model`, and gives
        `prepare_action` the training batch's future effort.
        """
        network = copy.copy(self.model.with_effort(model_batch))
        policy = copy.copy(self)
        policy.__dict__["_modules"] = {**self._modules, "model": network}
        policy.__dict__["training_effort"] = effort
        return policy, network

    def prepare_state(self, batch: dict) -> Tensor:
        """SmolVLA's padded state; with `decoder_pre`, the current effort fills its last dims (TA-VLA)."""
        state = super().prepare_state(batch)
        return write_effort_into_padded_state(state, batch) if self.config.writes_effort_into_state else state

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict[str, Tensor], noise: Tensor | None = None, **kwargs) -> Tensor:
        return super().predict_action_chunk(self.live_batch(batch), noise, **kwargs)

    @torch.no_grad()
    def predict_action_and_effort_chunk(
        self, batch: dict[str, Tensor], noise: Tensor | None = None, **kwargs
    ) -> tuple[Tensor, Tensor | None]:
        """Actions (B, chunk, A) and, when trained to predict it, normalised future effort (B, chunk, D).

        `SmolVLAPolicy.predict_action_chunk`'s steps, keeping the sampled flow.
        """
        self.eval()
        batch = self._prepare_batch(self.live_batch(batch))
        self._queues = populate_queues(self._queues, batch, exclude_keys=[ACTION])
        actions, flow = self.action_chunk_and_flow(batch, noise, **kwargs)
        return actions, split_flow(self.config, flow)[1]

    def _get_action_chunk(self, batch: dict[str, Tensor], noise: Tensor | None = None, **kwargs) -> Tensor:
        """SmolVLA's chunk, with the batch's effort tokens and noise of the flow's width."""
        return self.action_chunk_and_flow(batch, noise, **kwargs)[0]

    def action_chunk_and_flow(
        self, batch: dict[str, Tensor], noise: Tensor | None = None, **kwargs
    ) -> tuple[Tensor, Tensor]:
        """SmolVLA's `_get_action_chunk` on this call's network; the actions and the whole sampled flow."""
        if noise is None:
            state = batch[OBS_STATE]
            noise = self.model.sample_noise(flow_shape(self.config, state.shape[0]), state.device)
        policy, network = self.for_call(batch)
        actions = SmolVLAPolicy._get_action_chunk(policy, batch, noise, **kwargs)
        return actions, network.sampled_flow

    def forward(
        self, batch: dict[str, Tensor], noise=None, time=None, reduction: str = "mean"
    ) -> tuple[Tensor, dict]:
        """SmolVLA's loss on the actions plus β·MSE on future effort (frames inside the episode)."""
        batch, effort = self.training_inputs(batch)
        policy, network = self.for_call(batch, effort)
        action_loss, loss_dict = SmolVLAPolicy.forward(policy, batch, noise, time, reduction)
        errors = network.flow_errors
        return add_future_effort_loss(self.config, action_loss, loss_dict, errors, effort), loss_dict

    def prepare_action(self, batch: dict) -> Tensor:
        """z: SmolVLA's padded actions with the training batch's future effort where configured."""
        return flow_target(self.config, super().prepare_action(batch), self.training_effort)
