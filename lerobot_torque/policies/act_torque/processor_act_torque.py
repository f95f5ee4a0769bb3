"""Processors of `act_torque`: exactly ACT's (effort is normalised with the dataset's own stats).

The normaliser sees the dataset's keys: `observation.effort`, or `observation.state` with its effort
entries; `ACTTorquePolicy` splits effort from the normalised state itself. This keeps checkpoints
loadable by LeRobot's processor overrides (`lerobot-train --policy.path=...`, resume, eval).
"""

from typing import Any

import torch

from lerobot.policies.act.processor_act import make_act_pre_post_processors
from lerobot.processor import PolicyAction, PolicyProcessorPipeline

from lerobot_torque.policies.act_torque.configuration_act_torque import ACTTorqueConfig
from lerobot_torque.policies.torque.processor_torque import check_effort_stats


def make_act_torque_pre_post_processors(
    config: ACTTorqueConfig,
    dataset_stats: dict[str, dict[str, torch.Tensor]] | None = None,
) -> tuple[
    PolicyProcessorPipeline[dict[str, Any], dict[str, Any]],
    PolicyProcessorPipeline[PolicyAction, PolicyAction],
]:
    check_effort_stats(config, dataset_stats)
    return make_act_pre_post_processors(config, dataset_stats)
