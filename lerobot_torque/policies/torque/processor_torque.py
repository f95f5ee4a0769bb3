"""Checks on the processors a torque policy is built with."""

from lerobot.configs import NormalizationMode, PreTrainedConfig


def check_effort_stats(config: PreTrainedConfig, dataset_stats: dict | None) -> None:
    """Raise if effort would reach the policy unnormalised.

    LeRobot's normaliser silently passes through keys it has no statistics for.
    """
    layout = config.torque.layout
    if dataset_stats is None or layout is None:
        return
    mode = config.normalization_mapping.get("STATE", NormalizationMode.IDENTITY)
    if mode is not NormalizationMode.IDENTITY and layout.key not in dataset_stats:
        raise ValueError(
            f"The dataset has no statistics for '{layout.key}', so effort would not be normalised. "
            f"Recompute them (LeRobotDataset.meta.stats, `lerobot-edit-dataset`) before training."
        )
