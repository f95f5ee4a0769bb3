"""The effort a policy reads: the same history at training time (dataset windows) and inference time.

Training batches carry one effort window per sample, asked from the dataset by
`lerobot_torque.compat.dataset_windows`: history offsets (oldest first, ending at 0) followed by the
future offsets 1…chunk. LeRobot clamps offsets past an episode edge to the edge frame and flags
them in `<key>_is_pad`; history frames before the start therefore repeat the first frame.

At inference the policy receives one frame per control step. `EffortHistory` keeps the episode's
frames and builds the same window, with the same clamping and flags, until `reset()`. A caller that
keeps the history itself (our async robot client, lerobot_torque/async_inference) passes the whole
window instead, with the dataset's layout (`has_history_window`).

The model reads what is split out under keys of its own (`lerobot_torque.constants`): the state
without its effort entries, the effort history and its padding flags; the future frames, a training
target, stay in `EffortInputs`. The dataset's and robot's keys (`observation.state`,
`observation.effort`) are passed on unchanged.

Tensor layouts: state (B, S); effort window (B, T, D); padding flags (B, T).
"""

from collections import deque
from dataclasses import dataclass

import torch
from torch import Tensor

from lerobot.utils.constants import OBS_STATE

from lerobot_torque.constants import (
    IS_PAD_SUFFIX,
    OBS_EFFORT_HISTORY,
    OBS_EFFORT_HISTORY_IS_PAD,
    OBS_STATE_WITHOUT_EFFORT,
)
from lerobot_torque.policies.torque.configuration_torque import EffortAblation, TorqueConfig


@dataclass
class EffortInputs:
    """A batch split into the policy's state and its effort window (all normalised)."""

    state_without_effort: Tensor | None  # (B, S) the current state without its effort entries
    history: Tensor  # (B, H, D) oldest first, last = current frame
    history_is_pad: Tensor  # (B, H)
    future: Tensor | None = None  # (B, F, D) targets t+1…t+F
    future_is_pad: Tensor | None = None  # (B, F)

    def model_batch(self, batch: dict) -> dict:
        """`batch` plus the state and the effort history the model reads, under their own keys."""
        out = {**batch, OBS_EFFORT_HISTORY: self.history, OBS_EFFORT_HISTORY_IS_PAD: self.history_is_pad}
        if self.state_without_effort is not None:
            out[OBS_STATE_WITHOUT_EFFORT] = self.state_without_effort
        return out


def batch_without_effort(batch: dict) -> dict:
    """The model batch of a policy bound to data without effort: its state is the whole state."""
    return {**batch, OBS_STATE_WITHOUT_EFFORT: batch[OBS_STATE]} if OBS_STATE in batch else dict(batch)


def read_effort_inputs(batch: dict, torque: TorqueConfig) -> EffortInputs:
    """Split a normalised batch (dataset window or one live frame) into state and effort window.

    Raises a ValueError for a missing effort key, a wrong effort dimension or NaN/inf effort.
    """
    layout = torque.layout
    if layout is None:
        raise ValueError("The torque config has no effort layout: the policy was never bound to data.")
    if layout.key not in batch:
        raise ValueError(
            f"This policy reads effort from '{layout.key}' (as in its training data) but the observation "
            f"has only {sorted(k for k in batch if isinstance(k, str) and k.startswith('observation'))}. "
            "Use a robot or environment that reports the same effort (e.g. an '*_torque' robot type)."
        )
    values = batch[layout.key]
    is_pad = batch.get(layout.key + IS_PAD_SUFFIX)
    if values.ndim == 1:  # LeRobot's AddBatchDimension step batches only observation.state and images
        values = values[None]
    if values.ndim == 2:  # one live frame
        values, is_pad = values[:, None], None
    if is_pad is None:
        is_pad = torch.zeros(values.shape[:2], dtype=torch.bool, device=values.device)

    history_length = torque.history_window_length if values.shape[1] > 1 else 1
    current = history_length - 1
    if layout.key == OBS_STATE:
        full_state = values[:, current]
        effort = values[..., layout.effort_indices]
    else:
        full_state = batch.get(OBS_STATE)
        if full_state is not None and full_state.ndim == 3:
            full_state = full_state[:, -1]
        effort = values
    kept = layout.kept_state_indices
    state = full_state if full_state is None or kept is None else full_state[:, kept]

    check_effort(effort, layout.names)
    inputs = EffortInputs(state, effort[:, :history_length], is_pad[:, :history_length])
    if values.shape[1] > history_length:
        inputs.future, inputs.future_is_pad = effort[:, history_length:], is_pad[:, history_length:]
    return inputs


def has_history_window(batch: dict, torque: TorqueConfig) -> bool:
    """Whether an inference batch already carries the whole effort history window.

    That is (B, H, D) under `observation.effort`, or (B, H, S) state frames under `observation.state`
    in the state layout, oldest first and ending at the current frame, with `<key>_is_pad` (B, H) —
    a dataset window without its future frames. One live frame is (B, D) / (B, S) (or 1-D).
    Raises a ValueError for a window of another length than the policy's history or without flags.
    """
    key = torque.layout.key
    values = batch.get(key)
    if values is None or values.ndim < 3:
        return False
    length = torque.history_window_length
    if values.shape[1] != length:
        raise ValueError(
            f"'{key}' carries a window of {values.shape[1]} frames, but this policy reads {length} "
            f"(offsets {torque.history_offsets()}). Pass one live frame (B, D) per control step, or the "
            f"whole (B, {length}, D) history at these offsets."
        )
    if key + IS_PAD_SUFFIX not in batch:
        raise ValueError(
            f"'{key}' carries a history window but no '{key}{IS_PAD_SUFFIX}' (B, {length}) flags: frames "
            "before the episode start must be flagged as in the dataset."
        )
    return True


def check_effort(effort: Tensor, names: list[str]) -> None:
    """Raise a ValueError naming the joints when effort has the wrong size or is not finite."""
    if effort.shape[-1] != len(names):
        raise ValueError(
            f"Effort has {effort.shape[-1]} values per frame but this policy was trained on {len(names)} "
            f"({names}). Use the robot or dataset the policy was trained with."
        )
    finite = torch.isfinite(effort)
    if not bool(finite.all()):
        bad = [name for name, ok in zip(names, finite.flatten(0, -2).all(0).tolist(), strict=True) if not ok]
        raise ValueError(
            f"Effort is NaN or infinite for joints {bad}. Check the robot's effort reading (cables, motor "
            "errors) or the dataset episode; a dataset whose stats have std 0 for a joint also produces "
            "this after normalisation."
        )


class EffortHistory:
    """Inference-time effort history, padded at episode start exactly like LeRobot's dataset.

    `push` is called once per control step (from `select_action`); `reset` starts a new episode.
    """

    def __init__(self, offsets: list[int], ablation: EffortAblation = EffortAblation.NONE):
        self.offsets = offsets
        self.ablation = ablation
        keep_all = ablation is EffortAblation.SHUFFLE  # shuffling draws from the whole episode
        self._frames: deque[Tensor] = deque(maxlen=None if keep_all else 1 - min(offsets))
        self._step = -1

    def reset(self) -> None:
        self._frames.clear()
        self._step = -1

    def push(self, frame: Tensor) -> tuple[Tensor, Tensor]:
        """Add the current (B, D) frame; return the (B, H, D) window and its (B, H) padding flags."""
        self._frames.append(frame)
        self._step += 1
        first_kept = self._step - len(self._frames) + 1
        steps = [max(0, self._step + offset) for offset in self.offsets]
        is_pad = torch.tensor([self._step + offset < 0 for offset in self.offsets], device=frame.device)
        if self.ablation is EffortAblation.SHUFFLE:
            steps = torch.randint(0, self._step + 1, (len(self.offsets),)).tolist()
        window = torch.stack([self._frames[step - first_kept] for step in steps], dim=1)
        if self.ablation is EffortAblation.ZERO:
            window = torch.zeros_like(window)
        return window, is_pad.expand(frame.shape[0], -1)
