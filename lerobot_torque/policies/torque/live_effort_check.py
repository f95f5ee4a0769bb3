"""Inference-time check for live effort far outside the training distribution.

The policy reads effort normalised with its training statistics, so with LeRobot's `MEAN_STD`
(the `STATE` mode of ACT and π0) each value is its z-score; with `MIN_MAX` it is in half-ranges.
A frame whose |value| exceeds `ood_effort_z` on any joint for `ood_effort_steps` consecutive
control steps triggers `ood_effort_response` (`TorqueConfig`, this port):

- `warn` (default): one warning per policy; the policy keeps running on what it reads;
- `error`: a ValueError, which stops the rollout;
- `clip`: every frame's effort is clamped to ±`ood_effort_z` (also before the run is long
  enough), with the same one warning.

Why these defaults (`docs/policies.md`): an effort in another unit or register (1000× the training
scale) gives z ≈ 3850 at every step; contact in the simulated demonstrations reaches |z| 1.9
(torque_press) and 7.5 (aloha insertion), beyond 5 for at most 2 consecutive frames. z = 20
for 10 steps (0.2–0.4 s at 50–25 fps) leaves a margin over both.

Tensor layouts: effort window (B, T, D), the current frame last.
"""

import logging
from enum import StrEnum

import torch
from torch import Tensor

logger = logging.getLogger(__name__)


class OODEffortResponse(StrEnum):
    """What the policy does when live effort stays far outside the training distribution."""

    WARN = "warn"
    ERROR = "error"
    CLIP = "clip"


class LiveEffortCheck:
    """Counts, per batch element, the consecutive steps whose current effort frame is beyond ±z."""

    def __init__(self, names: list[str], z_limit: float, steps: int, response: OODEffortResponse):
        self.names = names
        self.z_limit = z_limit
        self.steps = steps
        self.response = OODEffortResponse(response)
        self.warned = False
        self._run: Tensor | None = None  # (B,) consecutive steps beyond the limit

    def reset(self) -> None:
        """A new episode: the run starts again (a warning already given is not repeated)."""
        self._run = None

    def observe(self, window: Tensor) -> Tensor:
        """Check the window's current (last) frame; return the window, clamped in `clip` mode."""
        beyond = window[:, -1].abs() > self.z_limit  # (B, D)
        outside = beyond.any(dim=-1)  # (B,)
        if self._run is None or self._run.shape != outside.shape:
            self._run = torch.zeros_like(outside, dtype=torch.long)
        self._run = (self._run + 1) * outside
        if bool((self._run >= self.steps).any()):
            self._respond(window[:, -1], beyond)
        if self.response is OODEffortResponse.CLIP:
            return window.clamp(-self.z_limit, self.z_limit)
        return window

    def _respond(self, frame: Tensor, beyond: Tensor) -> None:
        joints = [
            f"'{name}' at {value:.4g}"
            for name, value, out in zip(
                self.names, frame.abs().amax(dim=0).tolist(), beyond.any(dim=0).tolist(), strict=True
            )
            if out
        ]
        message = (
            f"Live effort is far outside the training distribution: joint {', joint '.join(joints)} "
            f"(normalised with the training statistics: z-scores under MEAN_STD) for {self.steps} "
            f"consecutive steps, beyond ±{self.z_limit:g}. Thousands usually mean another unit or "
            "register than in training (mA or raw register instead of A or N·m, or effort_ext instead "
            "of effort): check that the robot reports effort as in the training data (its dataset "
            "card and meta/info.json)."
        )
        if self.response is OODEffortResponse.ERROR:
            raise ValueError(
                f"{message} Or let the policy run on it with --policy.torque.ood_effort_response=warn "
                "(or =clip), or raise --policy.torque.ood_effort_z."
            )
        if self.warned:
            return
        self.warned = True
        if self.response is OODEffortResponse.CLIP:
            logger.warning(
                "%s Clipping it to ±%g (--policy.torque.ood_effort_response=clip).", message, self.z_limit
            )
        else:
            logger.warning(
                "%s Warned once; the policy acts on it unchanged. Stop instead with "
                "--policy.torque.ood_effort_response=error, or bound it with =clip.",
                message,
            )
