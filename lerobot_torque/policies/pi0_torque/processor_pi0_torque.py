"""Processors of `pi0_torque`: π0's steps in π0's order, with the tokenizer from the config.

LeRobot's `make_pi0_pre_post_processors` hard-codes the PaliGemma tokenizer; the steps below are
the same public LeRobot steps with `config.tokenizer_name`. Effort is normalised by the ordinary
normaliser with the dataset's own stats and split from the state inside the policy, so a checkpoint
of plain π0 (whose saved processors lack any torque step) fine-tunes into pi0_torque unchanged.
"""

from typing import Any

import torch

from lerobot.policies.pi0.processor_pi0 import Pi0NewLineProcessor
from lerobot.processor import (
    AbsoluteActionsProcessorStep,
    PolicyAction,
    PolicyProcessorPipeline,
    RelativeActionsProcessorStep,
    TokenizerProcessorStep,
    make_default_policy_processor_steps,
    make_policy_processor_pipelines,
)
from lerobot.utils.constants import OBS_STATE

from lerobot_torque.policies.pi0_torque.configuration_pi0_torque import PI0TorqueConfig
from lerobot_torque.policies.torque.processor_torque import check_effort_stats


def make_pi0_torque_pre_post_processors(
    config: PI0TorqueConfig,
    dataset_stats: dict[str, dict[str, torch.Tensor]] | None = None,
) -> tuple[
    PolicyProcessorPipeline[dict[str, Any], dict[str, Any]],
    PolicyProcessorPipeline[PolicyAction, PolicyAction],
]:
    check_effort_stats(config, dataset_stats)
    layout = config.torque.layout
    if (
        config.use_relative_actions
        and layout is not None
        and layout.key == OBS_STATE
        and config.torque.enabled
    ):
        raise NotImplementedError(
            "Relative actions read the current observation.state, but with effort recorded inside the "
            "state the dataset returns a window of states. Move effort to its own feature with "
            "`lerobot-torque-effort-layout --to feature ...`, or train with "
            "--policy.use_relative_actions=false."
        )
    relative_step = RelativeActionsProcessorStep(
        enabled=config.use_relative_actions,
        exclude_joints=config.relative_exclude_joints,
        action_names=config.action_feature_names,
    )
    steps = make_default_policy_processor_steps(config, dataset_stats)
    input_steps = [
        steps.rename_observations,
        steps.add_batch_dim,
        Pi0NewLineProcessor(),
        TokenizerProcessorStep(
            tokenizer_name=config.tokenizer_name,
            max_length=config.tokenizer_max_length,
            padding_side="right",
            padding="max_length",
        ),
        steps.to_device,
        relative_step,
        steps.normalize,
    ]
    output_steps = [
        steps.unnormalize,
        AbsoluteActionsProcessorStep(enabled=config.use_relative_actions, relative_step=relative_step),
        steps.to_cpu,
    ]
    return make_policy_processor_pipelines(input_steps=input_steps, output_steps=output_steps)
