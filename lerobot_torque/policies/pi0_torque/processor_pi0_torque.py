"""Processors of `pi0_torque`: π0's steps in π0's order, with the tokenizer from the config.

LeRobot's `make_pi0_pre_post_processors` (lerobot/policies/pi0/processor_pi0.py) hard-codes the
PaliGemma tokenizer; `pi_pipelines` builds the same public LeRobot steps with `config.tokenizer_name`
(why they are rebuilt rather than adapted: its docstring). Effort is normalised by the ordinary
normaliser with the dataset's own stats and split from the state inside the policy, so a checkpoint
of plain π0 (whose saved processors lack any torque step) fine-tunes into pi0_torque unchanged.
New pipelines check the observation's entries before all else (`EffortObservationCheckStep`).
"""

from lerobot.policies.pi0.processor_pi0 import Pi0NewLineProcessor
from lerobot.processor import ProcessorStep

from lerobot_torque.policies.pi0_torque.configuration_pi0_torque import PI0TorqueConfig
from lerobot_torque.policies.torque.processor_torque import (
    DatasetStats,
    Processors,
    pi_pipelines,
    torque_processors,
)


def pi0_input_steps(config: PI0TorqueConfig, steps, relative_step, tokenizer_step) -> list[ProcessorStep]:
    """π0's order (processor_pi0.py): tokenise, move to the device, then relative actions and normalise."""
    return [
        steps.rename_observations,
        steps.add_batch_dim,
        Pi0NewLineProcessor(),
        tokenizer_step,
        steps.to_device,
        relative_step,
        steps.normalize,
    ]


def make_pi0_torque_pre_post_processors(
    config: PI0TorqueConfig, dataset_stats: DatasetStats | None = None
) -> Processors:
    return torque_processors(pi_pipelines, config, dataset_stats, input_steps=pi0_input_steps)
