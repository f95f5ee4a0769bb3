"""Processors of `pi05_torque`: π0.5's steps in π0.5's order, with the policy's state in the prompt.

LeRobot's `make_pi05_pre_post_processors` (lerobot/policies/pi05/processor_pi05.py) hard-codes the
PaliGemma tokenizer and discretises the whole recorded `observation.state` into the prompt. Here the
same public LeRobot steps run with `config.tokenizer_name` (`pi_pipelines`, which says why they are
rebuilt rather than adapted), and `Pi05TorquePromptStep` (LeRobot's prompt step, subclassed) is
handed the state the policy reads: the current frame of a training window, without effort entries,
plus the current effort frame for `effort_placement=prompt`. Effort itself is normalised by the ordinary
normaliser with the dataset's stats (π0.5's `STATE` mode, QUANTILES) and split inside the policy.

A plain π0.5 checkpoint's processors (`lerobot/pi05_base`'s, which `lerobot-train
--policy.pretrained_path` loads) discretise the recorded state as it is: right when effort is its
own `observation.effort` feature and effort tokens are used; otherwise the policy refuses the batch
with the fix (`PI05TorquePolicy.check_prompt_state`).
"""

from dataclasses import dataclass
from typing import Any

import torch

from lerobot.lerobot_types import EnvTransition, TransitionKey
from lerobot.policies.pi05.processor_pi05 import Pi05PrepareStateTokenizerProcessorStep
from lerobot.processor import ProcessorStep, ProcessorStepRegistry
from lerobot.utils.constants import OBS_STATE

from lerobot_torque.policies.pi05_torque.configuration_pi05_torque import PI05TorqueConfig
from lerobot_torque.policies.torque.processor_torque import (
    DatasetStats,
    Processors,
    pi_pipelines,
    torque_processors,
)


@ProcessorStepRegistry.register(name="pi05_torque_prompt_processor_step")
@dataclass
class Pi05TorquePromptStep(Pi05PrepareStateTokenizerProcessorStep):
    """LeRobot's π0.5 prompt step, given the policy's state (and current effort) to discretise.

    Args:
        kept_state_indices: Entries of `observation.state` the policy reads (None: all).
        effort_key: Where the prompt's effort is read (`observation.effort` or `observation.state`);
            None puts no effort into the prompt.
        effort_indices: The effort entries of `effort_key`'s vector (the `state` layout), or None (all).
        current_frame: Index of the current frame in a window (the last history frame).
    """

    kept_state_indices: list[int] | None = None
    effort_key: str | None = None
    effort_indices: list[int] | None = None
    current_frame: int = 0

    @classmethod
    def for_config(cls, config: PI05TorqueConfig) -> "Pi05TorquePromptStep":
        layout = config.torque.layout
        if layout is None:
            return cls(max_state_dim=config.max_state_dim)
        return cls(
            max_state_dim=config.max_state_dim,
            kept_state_indices=layout.kept_state_indices,
            effort_key=layout.key if config.effort_in_prompt else None,
            effort_indices=layout.effort_indices,
            current_frame=config.torque.history_window_length - 1,
        )

    def current(self, values: torch.Tensor, indices: list[int] | None) -> torch.Tensor:
        """The current frame (B, N) of one frame (N,) / (B, N) or a window (B, T, N), entries `indices`."""
        values = values[None] if values.ndim == 1 else values
        values = values[:, self.current_frame] if values.ndim == 3 else values
        return values if indices is None else values[..., indices]

    def __call__(self, transition: EnvTransition) -> EnvTransition:
        observation = transition.get(TransitionKey.OBSERVATION) or {}
        if observation.get(OBS_STATE) is None:
            return super().__call__(transition)  # LeRobot's "State is required for PI05"
        prompt_state = self.current(observation[OBS_STATE], self.kept_state_indices)  # (B, S)
        if self.effort_key is not None:
            effort = self.current(observation[self.effort_key], self.effort_indices)  # (B, D)
            prompt_state = torch.cat([prompt_state, effort.to(prompt_state.dtype)], dim=-1)
        result = super().__call__(
            {**transition, TransitionKey.OBSERVATION: {**observation, OBS_STATE: prompt_state}}
        )
        result[TransitionKey.OBSERVATION] = observation  # the policy reads the whole window
        return result

    def get_config(self) -> dict[str, Any]:
        return {
            "max_state_dim": self.max_state_dim,
            "task_key": self.task_key,
            "kept_state_indices": self.kept_state_indices,
            "effort_key": self.effort_key,
            "effort_indices": self.effort_indices,
            "current_frame": self.current_frame,
        }


def pi05_input_steps(config: PI05TorqueConfig, steps, relative_step, tokenizer_step) -> list[ProcessorStep]:
    """π0.5's order (processor_pi05.py): normalise before discretising the state into the prompt."""
    return [
        steps.rename_observations,
        steps.add_batch_dim,
        relative_step,
        steps.normalize,
        Pi05TorquePromptStep.for_config(config),
        tokenizer_step,
        steps.to_device,
    ]


def make_pi05_torque_pre_post_processors(
    config: PI05TorqueConfig, dataset_stats: DatasetStats | None = None
) -> Processors:
    return torque_processors(pi_pipelines, config, dataset_stats, input_steps=pi05_input_steps)
