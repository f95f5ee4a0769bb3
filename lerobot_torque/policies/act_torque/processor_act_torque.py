"""Processors of `act_torque`: ACT's (effort is normalised with the dataset's own stats) and a check.

The normaliser sees the dataset's keys: `observation.effort`, or `observation.state` with its effort
entries; `ACTTorquePolicy` splits effort from the normalised state itself. This keeps checkpoints
loadable by LeRobot's processor overrides (`lerobot-train --policy.path=...`, resume, eval). Before
the normaliser, `EffortObservationCheckStep` names the entries a live observation lacks.
"""

from lerobot.policies.act.processor_act import make_act_pre_post_processors

from lerobot_torque.policies.act_torque.configuration_act_torque import ACTTorqueConfig
from lerobot_torque.policies.torque.processor_torque import DatasetStats, Processors, torque_processors


def make_act_torque_pre_post_processors(
    config: ACTTorqueConfig, dataset_stats: DatasetStats | None = None
) -> Processors:
    return torque_processors(make_act_pre_post_processors, config, dataset_stats)
