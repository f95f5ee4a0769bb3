"""What every torque policy does around its base policy: read effort for training, keep it live.

Mixed into `ACTTorquePolicy` and `PI0TorquePolicy` before the LeRobot base class.
"""

import torch
from torch import Tensor

from lerobot_torque.policies.torque.configuration_torque import EffortAblation
from lerobot_torque.policies.torque.effort_inputs import (
    EffortHistory,
    EffortInputs,
    has_history_window,
    read_effort_inputs,
)
from lerobot_torque.policies.torque.modeling_torque import masked_mean


class LiveEffortBatch(dict):
    """An inference batch whose effort is already this step's history window."""


class TorquePolicyMixin:
    """Effort handling shared by the torque policies (the config has a `torque: TorqueConfig`)."""

    def reset_effort_history(self) -> None:
        torque = self.config.torque
        self._effort_history = (
            EffortHistory(torque.history_offsets(), torque.effort_ablation) if torque.layout else None
        )

    def training_inputs(self, batch: dict) -> tuple[dict, EffortInputs | None]:
        """The batch the base policy sees (state without effort, effort history) and the effort split."""
        if self.config.torque.layout is None:
            return batch, None
        effort = read_effort_inputs(batch, self.config.torque)
        if self.config.torque.predict_future_effort and effort.future is None:
            raise ValueError(
                "predict_future_effort is on but the batch has no future effort frames. Train with "
                "`lerobot-train` (lerobot_torque adds the effort window to the dataset) or build the "
                "dataset with the delta_timestamps of `config.effort_dataset_window(dataset.meta)`."
            )
        return effort.model_batch(batch), effort

    def live_batch(self, batch: dict) -> LiveEffortBatch:
        """The batch the model reads at inference.

        One live frame is added to the policy's own history (one call per control step). A batch
        that already carries the whole history window (`has_history_window`; our async robot
        client sends it) is used as is and leaves the policy's history untouched.
        """
        if isinstance(batch, LiveEffortBatch):
            return batch
        if self._effort_history is None:
            return LiveEffortBatch(batch)
        torque = self.config.torque
        supplied = has_history_window(batch, torque)
        effort = read_effort_inputs(batch, torque)
        if not supplied:
            effort.history, effort.history_is_pad = self._effort_history.push(effort.history[:, -1])
        elif torque.effort_ablation is EffortAblation.ZERO:
            effort.history = torch.zeros_like(effort.history)
        elif torque.effort_ablation is EffortAblation.SHUFFLE:
            raise NotImplementedError(
                "torque.effort_ablation=shuffle draws from the whole episode, which a supplied history "
                "window does not carry. Run the ablation where the policy keeps its own history "
                "(lerobot-eval, lerobot-rollout), or use effort_ablation=zero."
            )
        return LiveEffortBatch(effort.model_batch(batch))

    def future_effort_loss(self, errors: Tensor, effort: EffortInputs) -> Tensor:
        """Mean of per-element errors (B, F, D) over future frames inside the episode."""
        return masked_mean(errors, effort.future_is_pad)
