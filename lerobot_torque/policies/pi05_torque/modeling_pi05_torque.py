"""`pi05_torque`: LeRobot's π0.5 with effort tokens and a joint action-effort flow (paper §4-5).

Token layout (prefix | suffix), with π0.5's attention blocks (`make_att_2d_masks`):
- `decoder_post`: [images, prompt] | [effort×K, actions]   (each effort token opens a block: the
  prefix never sees it, the actions do; the expert's adaRMS time conditioning applies to it as to
  every suffix token)
- `encoder`:      [images, prompt, effort×K] | [actions]   (effort in the prefix block)
- `prompt`:       [images, prompt with "State: <state> <τ_t>"] | [actions]   (the processor's work,
  `processor_pi05_torque.py`)
The prompt always carries the state the policy reads (without effort entries); a batch whose prompt
does not (a plain π0.5 processor on effort inside the state) is refused (`check_prompt_state`).

Flow vector and loss as for π0 (`lerobot_torque/policies/torque/vla.py`): z = [padded actions ;
future effort] (`widen`) or future effort in the padded action dims (`padding`); loss = π0.5's mean
action MSE + β·MSE_effort over the frames inside the episode. Sizes come from `model_size` (π0's
knobs, `pi0_torque/model_size.py`). π0.5's `forward`, `sample_actions` (KV cache, RTC) and gradient
checkpointing run unchanged, on the network for the call (`with_effort(batch)`); the policy and its
network are built by LeRobot's own `PI05Policy.__init__` and `PI05Pytorch.__init__`, with our network
and sized stacks in place of LeRobot's (`lerobot_init`).
"""

import re

import torch
from torch import Tensor

from lerobot.policies.pi05.modeling_pi05 import PI05Policy, PI05Pytorch
from lerobot.policies.rtc.modeling_rtc import RTCProcessor
from lerobot.utils.constants import OBS_LANGUAGE_ATTENTION_MASK, OBS_LANGUAGE_TOKENS, OBS_STATE

from lerobot_torque.policies.pi0_torque.model_size import sized_stacks
from lerobot_torque.policies.pi05_torque.configuration_pi05_torque import PI05TorqueConfig
from lerobot_torque.policies.torque.lerobot_init import lerobot_init
from lerobot_torque.policies.torque.vla import (
    EffortTokensMixin,
    VLATorquePolicyMixin,
    action_dim,
    add_future_effort_loss,
    flow_shape,
    flow_target,
    split_flow,
)

# The end of π0.5's prompt, "Task: <task>, State: <numbers>;\nAction: " (processor_pi05.py).
PROMPT_STATE = re.compile(r", State: ([^;]*);\nAction: $")


class PI05TorquePytorch(EffortTokensMixin, PI05Pytorch):
    """π0.5's network, sized by `config.model_size`, with the effort adapter and a wider flow.

    Built by LeRobot's own `PI05Pytorch.__init__` with the stacks at `config.model_size` (π0's sized
    `PaliGemmaWithExpertModel`: lerobot/policies/pi05/modeling_pi05.py's is a copy of π0's, same layers
    and forward); the action projections are then widened to the flow vector.
    """

    def __init__(self, config: PI05TorqueConfig, rtc_processor: RTCProcessor | None = None):
        init = lerobot_init(PI05Pytorch.__init__, **sized_stacks(config))
        init(self, config, rtc_processor=rtc_processor)
        vlm, expert = config.model_size.gemma_configs(config.paligemma_variant, config.action_expert_variant)
        self.widen_action_projections(expert.width)
        self.build_effort_encoder(prefix_width=vlm.width, suffix_width=expert.width)

    def embed_prefix(
        self, images, img_masks, tokens, masks, **state_history
    ) -> tuple[Tensor, Tensor, Tensor]:
        """π0.5's prefix plus the effort token; LeRobot main adds `states`/`state_masks` (passed on)."""
        return self.add_prefix_effort(
            *super().embed_prefix(images, img_masks, tokens, masks, **state_history)
        )

    def embed_suffix(self, noisy_actions, timestep):
        embs, pad_masks, att_masks, adarms_cond = super().embed_suffix(noisy_actions, timestep)
        return (*self.add_suffix_effort(embs, pad_masks, att_masks), adarms_cond)


class PI05TorquePolicy(VLATorquePolicyMixin, PI05Policy):
    """π0.5 reading joint effort, refusing prompts that do not carry the state it reads."""

    config_class = PI05TorqueConfig
    name = "pi05_torque"
    base_name = "π0.5"
    base_policy_class = PI05Policy
    network_replacements = {"PI05Pytorch": PI05TorquePytorch}

    def check_prompt_state(self, batch: dict) -> None:
        """Raise unless every prompt carries the state this policy reads (and its effort, `prompt`).

        LeRobot's π0.5 prompt step writes the whole recorded state: with effort recorded inside
        `observation.state` that adds the effort entries (at training, a window of states).
        """
        prompts = batch.get("task")
        if not isinstance(prompts, list):
            return
        config = self.config
        state_dim, effort_dim = config.input_features[OBS_STATE].shape[0], config.torque.effort_dim
        expected = state_dim + (effort_dim if config.effort_in_prompt else 0)
        for prompt in prompts:
            found = PROMPT_STATE.search(prompt)
            if found is None:
                continue  # not a π0.5 prompt: the tokens were made another way (e.g. given directly)
            numbers = found.group(1).split()
            if len(numbers) == expected and all(n.lstrip("-").isdigit() for n in numbers):
                continue
            what = f"{state_dim} state entries without effort" + (
                f", then {effort_dim} current effort entries" if config.effort_in_prompt else ""
            )
            raise ValueError(
                f"pi05_torque reads {expected} numbers after 'State:' in π0.5's prompt ({what}), but the "
                f"preprocessor wrote {prompt!r}. That is a plain π0.5 preprocessor (e.g. "
                "lerobot/pi05_base's, which `lerobot-train --policy.pretrained_path` loads) on a dataset "
                "with effort inside observation.state, or with effort_placement=prompt. Starting from a "
                "plain π0.5 checkpoint works with effort in its own feature (convert the dataset with "
                "`lerobot-torque-effort-layout --to=feature ...`) and effort_placement=decoder_post or "
                "encoder; pi05_torque's own processors (training from scratch or from a pi05_torque "
                "checkpoint) support every layout and placement."
            )

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict[str, Tensor], **kwargs) -> Tensor:
        return self.predict_action_and_effort_chunk(batch, **kwargs)[0]

    @torch.no_grad()
    def predict_action_and_effort_chunk(
        self, batch: dict[str, Tensor], noise: Tensor | None = None, **kwargs
    ) -> tuple[Tensor, Tensor | None]:
        """Actions (B, chunk, A) and, when trained to predict it, normalised future effort (B, chunk, D)."""
        self.eval()
        self.check_prompt_state(batch)
        batch = self.live_batch(batch)
        images, img_masks = self._preprocess_images(batch)
        tokens, masks = batch[OBS_LANGUAGE_TOKENS], batch[OBS_LANGUAGE_ATTENTION_MASK]
        if noise is None:
            noise = self.model.sample_noise(flow_shape(self.config, tokens.shape[0]), tokens.device)
        network = self.model.with_effort(batch)
        flow = network.sample_actions(images, img_masks, tokens, masks, noise=noise, **kwargs)
        return split_flow(self.config, flow)

    def forward(self, batch: dict[str, Tensor], reduction: str = "mean") -> tuple[Tensor, dict]:
        """π0.5's flow-matching loss on actions plus β·MSE on future effort (frames inside the episode)."""
        self.check_prompt_state(batch)
        batch, effort = self.training_inputs(batch)
        images, img_masks = self._preprocess_images(batch)
        target = flow_target(self.config, self.prepare_action(batch), effort)
        noise = self.model.sample_noise(target.shape, target.device)
        time = self.model.sample_time(target.shape[0], target.device)
        losses = self.model.with_effort(batch).forward(
            images,
            img_masks,
            batch[OBS_LANGUAGE_TOKENS],
            batch[OBS_LANGUAGE_ATTENTION_MASK],
            target,
            noise,
            time,
        )  # (B, chunk, flow_dim) squared errors
        action_losses = losses[:, :, : action_dim(self.config)]
        loss_dict = {"loss_per_dim": action_losses.mean(dim=[0, 1]).detach().cpu().numpy().tolist()}
        action_loss = action_losses.mean(dim=(1, 2)) if reduction == "none" else action_losses.mean()
        loss_dict["loss"] = action_loss.mean().item()
        return add_future_effort_loss(self.config, action_loss, loss_dict, losses, effort), loss_dict
