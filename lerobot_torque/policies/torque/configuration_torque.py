"""`TorqueConfig`: the torque design space of the paper, nested in every torque policy config.

Every choice the paper ablates is one field here (CLI: `--policy.torque.<field>`), so its tables
can be re-run with flags alone:

| paper                              | field                                   |
|------------------------------------|-----------------------------------------|
| §4 "+obs" (torque as observation)  | `use_effort_input`                      |
| §4.1 current frame (Tables 1, 2)   | `history_mode=current`                  |
| §4.2 1 token vs H tokens (Table 3) | `history_mode=one_token` / `per_frame`  |
| A.10 MLP / RNN / attention         | `aggregator=mlp` / `gru` / `attention`  |
| §5 "+obj" (future torque)          | `predict_future_effort`                 |
| A.9 loss weight β                  | `future_loss_weight`                    |

Where the effort token goes differs per backbone, so that switch lives in each policy's own
config (`PI0TorqueConfig.effort_placement`, `ACTTorqueConfig.effort_in_vae_encoder`).
"""

import logging
from dataclasses import dataclass
from enum import StrEnum

from lerobot.configs import FeatureType, PolicyFeature
from lerobot.utils.constants import OBS_STATE

from lerobot_torque.constants import EFFORT_SUFFIX, OBS_EFFORT
from lerobot_torque.policies.torque.effort_layout import EffortLayout, EffortSource, resolve_effort_layout

logger = logging.getLogger(__name__)


class HistoryMode(StrEnum):
    """Which effort frames the policy sees, and as how many tokens (paper §4.1-4.2)."""

    CURRENT = "current"  # τ_t only (paper §4.1, Table 1)
    ONE_TOKEN = "one_token"  # the H frames flattened into one token (paper §4.2 "Dec-1", the final model)
    PER_FRAME = "per_frame"  # one token per frame (paper §4.2 "Dec-H", Table 3)


class Aggregator(StrEnum):
    """How the effort history is summarised into one token (paper appendix A.10, Table 10)."""

    MLP = "mlp"  # Linear(H·D → 2w) → SiLU → Linear(2w → w), paper A.3/A.4
    GRU = "gru"  # "RNN" of Table 10: a GRU over the frames, last state → Linear(w → w)
    ATTENTION = "attention"  # a learned query attending over per-frame embeddings


class EffortAblation(StrEnum):
    """Eval-time test of whether a trained policy uses effort (modality neglect check)."""

    NONE = "none"
    ZERO = "zero"  # normalised effort set to 0, i.e. the dataset mean
    SHUFFLE = "shuffle"  # each history frame replaced by a random earlier frame of the same episode


@dataclass
class TorqueConfig:
    """Torque signal, windows, adapter and auxiliary objective shared by every torque policy.

    Args:
        use_effort_input: Feed the effort history to the policy ("+obs", paper §4). Default on: the
            paper's final model is "+obs+obj" (paper §6.2, Table 5).
        history_mode: `current` (τ_t only), `one_token` (H frames → one token, the paper's final model,
            §4.2) or `per_frame` (one token per frame). Default `one_token` (paper §4.2, Table 3).
        history_length: H, frames in the history including the current one. Default 10 (paper A.4).
        history_span_s: Seconds the history spans when `history_stride` is not set: stride =
            round(span·fps/H) frames. Default 2.0 s (paper A.4: "10 frames from the past 2 seconds,
            including the current frame"); at 20 fps this gives the official code's offsets -36…0
            (TA-VLA `training/config.py`), at 50 fps offsets -90…0.
        history_stride: Frames between history samples. None derives it from `history_span_s` and the
            dataset fps; the resolved value is written back and saved with the policy (this port).
        aggregator: `mlp` (paper A.3), `gru` or `attention` (paper A.10); only `mlp` exists for
            `per_frame`, which applies the MLP to each frame (paper A.4). Default `mlp` (Table 10).
        predict_future_effort: Predict the effort of the action chunk's frames as an auxiliary output
            ("+obj", paper §5). The targets are the frames t+1…t+chunk (TA-VLA
            `training/data_loader.py`); frames past the episode end are masked out of the loss.
        future_loss_weight: β in L = L_action + β·L_effort. None resolves to 0.1 with effort input
            and 1.0 without (paper A.6.2 and A.9, Table 9).
        effort_source: `auto`, `feature` (`observation.effort`) or `state` (`*.effort` names inside
            `observation.state`). The resolved layout is recorded in `layout` (this port).
        state_effort_suffix: Suffix of the state names read as effort in the `state` layout. Default
            `.effort`; `.effort_ext` selects the external effort of our robots (paper A.2).
        effort_ablation: Eval-time switch `none` / `zero` / `shuffle` (this port; guards against the
            modality neglect reported for force-aware policies).
        layout: Where effort was found in the training data: key, names and the recorded state names.
            Filled in from the dataset and saved with the policy; do not set by hand.
    """

    use_effort_input: bool = True
    history_mode: HistoryMode = HistoryMode.ONE_TOKEN
    history_length: int = 10
    history_span_s: float = 2.0
    history_stride: int | None = None
    aggregator: Aggregator = Aggregator.MLP
    predict_future_effort: bool = True
    future_loss_weight: float | None = None
    effort_source: EffortSource = EffortSource.AUTO
    state_effort_suffix: str = EFFORT_SUFFIX
    effort_ablation: EffortAblation = EffortAblation.NONE
    layout: EffortLayout | None = None

    def __post_init__(self) -> None:
        self.history_mode = HistoryMode(self.history_mode)
        self.aggregator = Aggregator(self.aggregator)
        self.effort_source = EffortSource(self.effort_source)
        self.effort_ablation = EffortAblation(self.effort_ablation)
        if self.history_length < 1:
            raise ValueError(f"torque.history_length must be >= 1, got {self.history_length}.")
        if self.history_span_s <= 0:
            raise ValueError(f"torque.history_span_s must be > 0 seconds, got {self.history_span_s}.")
        if self.history_stride is not None and self.history_stride < 1:
            raise ValueError(f"torque.history_stride must be >= 1 frame, got {self.history_stride}.")
        if self.history_mode is HistoryMode.PER_FRAME and self.aggregator is not Aggregator.MLP:
            raise ValueError(
                f"torque.aggregator={self.aggregator.value} summarises the history into one token, but "
                "torque.history_mode=per_frame gives one token per frame (paper A.4 uses the MLP on each "
                "frame). Use --policy.torque.history_mode=one_token or --policy.torque.aggregator=mlp."
            )
        if self.future_loss_weight is None:
            self.future_loss_weight = 0.1 if self.use_effort_input else 1.0
        if self.future_loss_weight < 0:
            raise ValueError(f"torque.future_loss_weight (β) must be >= 0, got {self.future_loss_weight}.")

    @property
    def enabled(self) -> bool:
        """Whether effort reaches the policy at all (as input or as an auxiliary target)."""
        return self.use_effort_input or self.predict_future_effort

    @property
    def history_window_length(self) -> int:
        """Frames of effort history the policy reads (1 when it sees only the current frame)."""
        if not self.use_effort_input or self.history_mode is HistoryMode.CURRENT:
            return 1
        return self.history_length

    @property
    def num_effort_tokens(self) -> int:
        return self.history_window_length if self.history_mode is HistoryMode.PER_FRAME else 1

    @property
    def effort_dim(self) -> int:
        if self.layout is None:
            raise ValueError(
                "The torque config is not bound to a dataset yet, so the effort dimension is unknown. "
                "Train with `lerobot-train` on a dataset with effort, or load a trained checkpoint."
            )
        return len(self.layout.names)

    def history_offsets(self) -> list[int]:
        """Frame offsets of the history window, oldest first, ending with the current frame (0)."""
        length = self.history_window_length
        if length == 1:
            return [0]
        if self.history_stride is None:
            raise ValueError(
                "torque.history_stride is unresolved: it is derived from history_span_s and the dataset "
                "fps when the policy is bound to a dataset. Set --policy.torque.history_stride=<frames>."
            )
        return [-(length - 1 - i) * self.history_stride for i in range(length)]

    def future_offsets(self, chunk_size: int) -> list[int]:
        """Frame offsets of the future-effort targets: the frames after each action of the chunk."""
        return list(range(1, chunk_size + 1)) if self.predict_future_effort else []

    def window_offsets(self, chunk_size: int) -> list[int]:
        """Offsets of the one effort window the dataset returns: history (ends at 0) then future."""
        return self.history_offsets() + self.future_offsets(chunk_size)

    def bind_dataset(self, features: dict[str, dict], fps: int | None = None) -> EffortLayout | None:
        """Resolve (or, for a trained policy, check) where effort lives and the history stride.

        Idempotent; raises a ValueError naming the problem when the data has no effort or an effort
        dimension different from the one this policy was trained with.
        """
        found = resolve_effort_layout(
            features, self.effort_source, self.state_effort_suffix, required=self.enabled
        )
        if self.layout is not None and found is not None:
            self.layout.check_compatible(found)
        if found is not None:
            self.layout = found
        if fps is not None and self.history_stride is None:
            self.history_stride = max(1, round(self.history_span_s * fps / self.history_length))
        return self.layout


def policy_input_features(
    input_features: dict[str, PolicyFeature], layout: EffortLayout | None
) -> dict[str, PolicyFeature]:
    """The policy's view of its inputs: the state without effort entries, effort as its own feature.

    The dataset keeps its own keys and statistics; the policy splits the normalised state itself
    (see `effort_inputs.read_effort_inputs`), so LeRobot's processors stay those of the base policy.
    """
    if layout is None:
        return input_features
    features = dict(input_features)
    kept = layout.kept_state_indices
    if OBS_STATE in features and kept is not None:
        features[OBS_STATE] = PolicyFeature(type=FeatureType.STATE, shape=(len(kept),))
    features[OBS_EFFORT] = PolicyFeature(type=FeatureType.STATE, shape=(len(layout.names),))
    return features


class TorquePolicyConfigMixin:
    """Wires a `torque: TorqueConfig` field into a LeRobot policy config (list it before the base).

    LeRobot calls `set_dataset_feature_metadata` from `make_policy`; our dataset-window backport
    (`lerobot_torque.compat.dataset_windows`) calls `effort_dataset_window` from
    `resolve_delta_timestamps`. Both bind the config to the dataset's effort layout.
    """

    torque: TorqueConfig
    chunk_size: int
    input_features: dict[str, PolicyFeature]

    def install_dataset_windows(self) -> None:
        """Enable per-key effort windows in LeRobot's datasets (call from `__post_init__`)."""
        from lerobot_torque.compat import dataset_windows

        dataset_windows.install()

    def set_dataset_feature_metadata(self, features: dict[str, dict]) -> None:
        layout = self.torque.bind_dataset(features)
        self.input_features = policy_input_features(self.input_features, layout)

    def effort_dataset_window(self, ds_meta) -> tuple[str, list[int]] | None:
        """The dataset key to window and its frame offsets (history, then future), or None."""
        layout = self.torque.bind_dataset(ds_meta.features, ds_meta.fps)
        if layout is None or not self.torque.enabled:
            return None
        offsets = self.torque.window_offsets(self.chunk_size)
        lengths = list(ds_meta.episodes["length"]) if ds_meta.episodes is not None else []
        warn_if_history_exceeds_episodes(-offsets[0], lengths, ds_meta.fps)
        return layout.key, offsets


_warned_spans: set[tuple[int, int]] = set()


def warn_if_history_exceeds_episodes(window_span: int, episode_lengths: list[int], fps: int) -> bool:
    """Warn once per process and window when the history spans more frames than most episodes.

    Such windows still work: frames before the episode start repeat the first frame and are
    flagged as padding. Returns whether it warned.
    """
    if not episode_lengths:
        return False
    median = sorted(episode_lengths)[len(episode_lengths) // 2]
    if window_span < median or (window_span, median) in _warned_spans:
        return False
    _warned_spans.add((window_span, median))
    logger.warning(
        "The effort history spans %d frames (%.2f s) but the median episode has %d frames: most "
        "samples will be padded (frames before an episode start repeat its first frame and are "
        "flagged in `*_is_pad`). Shorten it with --policy.torque.history_span_s or history_stride.",
        window_span,
        window_span / fps,
        median,
    )
    return True
