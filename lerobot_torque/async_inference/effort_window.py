"""The effort history window our async robot client sends with each observation.

LeRobot's robot client (lerobot/async_inference/robot_client.py) reads and sends an observation
only when its action queue runs low; a history kept by the policy on the server would therefore
skip the control steps in between. Our client instead feeds one state sample per control step
(at its `--fps`) to `EffortWindowSampler`, which builds the window with the policy's own
`EffortHistory`: the frames at `TorqueConfig.history_offsets()` before the current one, frames
before the episode start repeating the first one and flagged, exactly as LeRobot's dataset returns a
training window. The window travels inside the raw observation under `EFFORT_WINDOW_KEY` (LeRobot's
`raw_observation_to_observation` and its similarity filter ignore keys they do not know); the server
puts it into the batch under the policy's effort key (`EffortWindow.batch`).

Layouts: `values` (H, S) float32, the dataset key's entries in its feature order (for our robots
`observation.state`: every `.pos`, `.effort` and `.effort_ext` entry); `is_pad` (H,) bool.
"""

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from lerobot.async_inference.helpers import RemotePolicyConfig
from lerobot.utils.constants import OBS_STR
from lerobot.utils.feature_utils import build_dataset_frame

from lerobot_torque.constants import IS_PAD_SUFFIX
from lerobot_torque.policies.torque.effort_inputs import EffortHistory

# Entry of the raw observation (a dict of robot keys) that carries the window.
EFFORT_WINDOW_KEY = "lerobot_torque.effort_window"


@dataclass
class EffortWindow:
    """The history window of one dataset key at one control step, in raw (unnormalised) values.

    Args:
        key: The dataset key the window belongs to (`observation.state` for our robots).
        offsets: Frame offsets, oldest first, ending with 0 (`TorqueConfig.history_offsets()`).
        frame_index: The control step the window ends at; 0 is the client's first step.
        values: (H, S) frames at `frame_index + offsets`, clamped to frame 0.
        is_pad: (H,) True where `frame_index + offset < 0`.
    """

    key: str
    offsets: list[int]
    frame_index: int
    values: Tensor
    is_pad: Tensor

    def batch(self) -> dict[str, Tensor]:
        """`{key: (1, H, S), key_is_pad: (1, H)}`: the window as a dataset batch of one carries it."""
        return {self.key: self.values[None], self.key + IS_PAD_SUFFIX: self.is_pad[None]}


@dataclass
class TorqueRemotePolicyConfig(RemotePolicyConfig):
    """LeRobot's `RemotePolicyConfig` (lerobot/async_inference/helpers.py) from our robot client.

    Args:
        effort_window_key: The dataset key the client sends a window of, or None (not a torque policy).
        effort_window_offsets: The window's frame offsets, as the client read them from the policy's
            config; the server checks them against the policy it loads.
    """

    effort_window_key: str | None = None
    effort_window_offsets: list[int] = field(default_factory=list)


class EffortWindowSampler:
    """Client side: one state sample per control step in, the current step's window out.

    Frame 0 is the first sample. Samples are built with LeRobot's `build_dataset_frame`, as
    `lerobot-record` writes a dataset frame and the server builds the observation's state.
    """

    def __init__(self, key: str, feature: dict, offsets: list[int]):
        self.key, self.feature, self.offsets = key, feature, list(offsets)
        self._history = EffortHistory(self.offsets)
        self._last: Tensor | None = None
        self.latest: EffortWindow | None = None

    @property
    def frame_index(self) -> int:
        """The control step of the latest sample (-1 before the first)."""
        return -1 if self.latest is None else self.latest.frame_index

    def add(self, state: dict) -> EffortWindow:
        """Add this control step's sample (robot keys, e.g. `shoulder_pan.effort`); return its window."""
        frame = build_dataset_frame({self.key: self.feature}, state, prefix=OBS_STR)[self.key]  # (S,)
        return self._push(torch.from_numpy(frame)[None])

    def hold(self) -> EffortWindow:
        """Repeat the latest sample for a control step whose robot read failed."""
        if self._last is None:
            raise RuntimeError("No effort sample to hold yet: the first control step has no reading.")
        return self._push(self._last)

    def _push(self, frame: Tensor) -> EffortWindow:
        values, is_pad = self._history.push(frame)  # (1, H, S), (1, H)
        self._last = frame
        self.latest = EffortWindow(self.key, self.offsets, self.frame_index + 1, values[0], is_pad[0])
        return self.latest


def checked_window(observation: dict, key: str, offsets: list[int], current: np.ndarray) -> EffortWindow:
    """The window a raw observation carries, checked against the policy and the observation.

    `current` is the observation's own (S,) frame of `key`; the window must end with it. Raises a
    ValueError naming the mismatch.
    """
    window = observation.get(EFFORT_WINDOW_KEY)
    if not isinstance(window, EffortWindow):
        raise ValueError(
            f"The observation carries no effort window ('{EFFORT_WINDOW_KEY}' is {type(window).__name__}), "
            "but the policy reads an effort history. Send observations with "
            "`python -m lerobot_torque.async_inference.robot_client`."
        )
    if window.key != key or window.offsets != offsets:
        raise ValueError(
            f"The effort window is for '{window.key}' at offsets {window.offsets}, but the policy reads "
            f"'{key}' at offsets {offsets}. Start the client with the same --pretrained_name_or_path."
        )
    shape = (len(offsets), current.shape[0])
    if tuple(window.values.shape) != shape or tuple(window.is_pad.shape) != shape[:1]:
        raise ValueError(
            f"The effort window has shape {tuple(window.values.shape)} (flags {tuple(window.is_pad.shape)}), "
            f"expected {shape} for '{key}' at offsets {offsets}."
        )
    if not torch.equal(window.values[-1], torch.from_numpy(current)):
        raise ValueError(
            f"The effort window of frame {window.frame_index} does not end with the observation's own "
            f"'{key}': the client sampled another control step than the one it sent."
        )
    return window
