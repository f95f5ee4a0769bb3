"""What every torque policy does around its base policy: read effort for training, keep it live.

Mixed into `ACTTorquePolicy` and `PI0TorquePolicy` before the LeRobot base class.
"""

from torch import Tensor

from lerobot_torque.policies.torque.effort_inputs import EffortHistory, EffortInputs, read_effort_inputs
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
        """Add this control step's effort frame to the history; return the batch the model reads."""
        if isinstance(batch, LiveEffortBatch):
            return batch
        if self._effort_history is None:
            return LiveEffortBatch(batch)
        effort = read_effort_inputs(batch, self.config.torque)
        effort.history, effort.history_is_pad = self._effort_history.push(effort.history[:, -1])
        return LiveEffortBatch(effort.model_batch(batch))

    def future_effort_loss(self, errors: Tensor, effort: EffortInputs) -> Tensor:
        """Mean of per-element errors (B, F, D) over future frames inside the episode."""
        return masked_mean(errors, effort.future_is_pad)
