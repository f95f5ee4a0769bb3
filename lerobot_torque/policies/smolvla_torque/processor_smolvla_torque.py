"""Processors of `smolvla_torque`: SmolVLA's own, after checking that effort will be normalised.

Effort is normalised by LeRobot's normaliser with the dataset's own stats (SmolVLA's `STATE` mode,
MEAN_STD) and split from the state inside the policy, so a plain `smolvla_base` checkpoint (whose
saved processors lack any torque step) fine-tunes into smolvla_torque unchanged.
"""

from lerobot.policies.smolvla.processor_smolvla import make_smolvla_pre_post_processors

from lerobot_torque.policies.smolvla_torque.configuration_smolvla_torque import SmolVLATorqueConfig
from lerobot_torque.policies.torque.processor_torque import DatasetStats, Processors, torque_processors


def make_smolvla_torque_pre_post_processors(
    config: SmolVLATorqueConfig, dataset_stats: DatasetStats | None = None
) -> Processors:
    return torque_processors(make_smolvla_pre_post_processors, config, dataset_stats)
