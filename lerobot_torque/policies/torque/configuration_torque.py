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

from lerobot_torque.config_checks import check_number, parse_choice
from lerobot_torque.constants import EFFORT_SUFFIX, OBS_EFFORT, POSITION_SUFFIX
from lerobot_torque.policies.torque.effort_layout import (
    EffortLayout,
    EffortSource,
    HistorySignal,
    resolve_effort_layout,
)
from lerobot_torque.policies.torque.live_effort_check import OODEffortResponse

logger = logging.getLogger(__name__)

FLAG = "--policy.torque."  # how users set these fields (lerobot-train, lerobot-eval, lerobot-rollout)


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
            `.effort`; `.effort_ext` selects the external effort of our robots (paper A.2). The entries
            read are left out of the state input, as is every `*.effort` / `*.effort_ext` entry.
        history_signal: `effort` (default), or `position`: the window reads the joint positions of
            `observation.state` (`*.pos`, which stay in the state input too) and no effort reaches the
            policy, a learner with the same history and auxiliary head and no effort (the benchmark's
            leak check, this port).
        effort_ablation: Eval-time switch `none` / `zero` / `shuffle` (this port; guards against the
            modality neglect reported for force-aware policies).
        ood_effort_z: Inference: |normalised effort| (a z-score under MEAN_STD) beyond which a live frame
            counts as far outside the training distribution. Default 20 (this port: a 1000× unit
            mistake gives z ≈ 3850, contact in our simulated demonstrations at most 7.5).
        ood_effort_steps: Consecutive control steps beyond `ood_effort_z` (any joint) that trigger
            `ood_effort_response`. Default 10 (this port: 0.2-0.4 s at 50-25 fps; demonstration contact
            stays beyond z = 5 for at most 2 steps).
        ood_effort_response: `warn` once (default: the run continues as before, the mistake shows),
            `error` (stop) or `clip` (clamp every frame to ±ood_effort_z) (this port).
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
    history_signal: HistorySignal = HistorySignal.EFFORT
    effort_ablation: EffortAblation = EffortAblation.NONE
    ood_effort_z: float = 20.0
    ood_effort_steps: int = 10
    ood_effort_response: OODEffortResponse = OODEffortResponse.WARN
    layout: EffortLayout | None = None

    def __post_init__(self) -> None:
        self.history_mode = parse_choice(HistoryMode, self.history_mode, f"{FLAG}history_mode")
        self.aggregator = parse_choice(Aggregator, self.aggregator, f"{FLAG}aggregator")
        self.effort_source = parse_choice(EffortSource, self.effort_source, f"{FLAG}effort_source")
        self.history_signal = parse_choice(HistorySignal, self.history_signal, f"{FLAG}history_signal")
        if self.state_effort_suffix.endswith(POSITION_SUFFIX):  # how the position history was asked for
            logger.warning(
                "%sstate_effort_suffix=%s names joint positions: read as %shistory_signal=position "
                "(the positions stay in the state input), the setting for a joint-position history.",
                FLAG,
                self.state_effort_suffix,
                FLAG,
            )
            self.history_signal, self.state_effort_suffix = HistorySignal.POSITION, EFFORT_SUFFIX
        if self.history_signal is HistorySignal.POSITION and self.effort_source is EffortSource.FEATURE:
            raise ValueError(
                f"{FLAG}history_signal=position reads the joint positions of observation.state, not a "
                f"feature: drop {FLAG}effort_source=feature (or set it to auto or state)."
            )
        self.effort_ablation = parse_choice(EffortAblation, self.effort_ablation, f"{FLAG}effort_ablation")
        self.ood_effort_response = parse_choice(
            OODEffortResponse, self.ood_effort_response, f"{FLAG}ood_effort_response"
        )
        check_number(f"{FLAG}ood_effort_z", self.ood_effort_z, gt=0)
        if self.ood_effort_steps < 1:
            raise ValueError(f"{FLAG}ood_effort_steps={self.ood_effort_steps} must be >= 1 step.")
        if self.history_length < 1:
            raise ValueError(f"{FLAG}history_length={self.history_length} must be >= 1 frame.")
        check_number(f"{FLAG}history_span_s", self.history_span_s, gt=0)
        if self.history_stride is not None and self.history_stride < 1:
            raise ValueError(
                f"{FLAG}history_stride={self.history_stride} must be >= 1 frame, or null to derive it "
                "from history_span_s."
            )
        if self.history_mode is HistoryMode.PER_FRAME and self.aggregator is not Aggregator.MLP:
            raise ValueError(
                f"torque.aggregator={self.aggregator.value} summarises the history into one token, but "
                "torque.history_mode=per_frame gives one token per frame (paper A.4 uses the MLP on each "
                "frame). Use --policy.torque.history_mode=one_token or --policy.torque.aggregator=mlp."
            )
        if self.future_loss_weight is None:
            self.future_loss_weight = 0.1 if self.use_effort_input else 1.0
        check_number(
            f"{FLAG}future_loss_weight",
            self.future_loss_weight,
            ge=0,
            fix="It is β in L = L_action + β·L_effort; null gives the paper's 0.1 (1 without effort input).",
        )

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

    def find_layout(self, features: dict[str, dict], *, required: bool = True) -> EffortLayout | None:
        """Where this config's signal lives in dataset features (`resolve_effort_layout`)."""
        return resolve_effort_layout(
            features,
            self.effort_source,
            self.state_effort_suffix,
            signal=self.history_signal,
            required=required,
        )

    def bind_dataset(self, features: dict[str, dict], fps: int | None = None) -> EffortLayout | None:
        """Resolve (or, for a trained policy, check) where effort lives and the history stride.

        Idempotent; raises a ValueError naming the problem when the data has no effort or an effort
        dimension different from the one this policy was trained with.
        """
        found = self.find_layout(features, required=self.enabled)
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

    The widths are what the base model builds its layers from (ACT's state projection reads
    `input_features["observation.state"]`); the keys stay the dataset's, which LeRobot's normaliser
    reads. The policy splits the normalised state itself (`effort_inputs.read_effort_inputs`), so
    LeRobot's processors stay those of the base policy. Empty features (LeRobot fills them from the
    dataset later, `make_policy`) stay empty.
    """
    if layout is None or not input_features:
        return input_features
    features = dict(input_features)
    kept = layout.kept_state_indices
    if OBS_STATE in features and kept is not None:
        features[OBS_STATE] = PolicyFeature(type=FeatureType.STATE, shape=(len(kept),))
    features[OBS_EFFORT] = PolicyFeature(type=FeatureType.STATE, shape=(len(layout.names),))
    return features


class TorquePolicyConfigMixin:
    """Wires a `torque: TorqueConfig` field into a LeRobot policy config (list it before the base).

    `bind(dataset_meta)` is where a config meets its training data. Two callers pass LeRobot's
    dataset metadata: our dataset-window patch (`lerobot_torque.compat.dataset_windows`, inside
    `resolve_delta_timestamps`, before the dataset is built) and the policy's `__init__` (LeRobot's
    `make_policy` passes `dataset_meta` for training and fine-tuning). `effort_window()` and
    `state_observation_delta_indices` read the bound config.
    """

    torque: TorqueConfig
    chunk_size: int
    input_features: dict[str, PolicyFeature]

    def bind(self, dataset_meta) -> EffortLayout | None:
        """Bind to a dataset (LeRobot's `LeRobotDatasetMetadata`: `features`, `fps`, `episodes`).

        Resolves where effort lives and the history stride (`TorqueConfig.bind_dataset`; for a trained
        policy, checks that the data fits it), sets the policy's view of `input_features`, and warns
        once when the history spans more frames than most episodes. Idempotent; returns the layout.
        """
        layout = self.torque.bind_dataset(dataset_meta.features, dataset_meta.fps)
        self.input_features = policy_input_features(self.input_features, layout)
        if layout is not None and self.torque.enabled:
            episodes = getattr(dataset_meta, "episodes", None)
            lengths = list(episodes["length"]) if episodes is not None else []
            span = -self.torque.history_offsets()[0]
            warn_if_history_exceeds_episodes(span, lengths, dataset_meta.fps)
        return layout

    def effort_window(self) -> tuple[str, list[int]] | None:
        """The dataset key to window and its frame offsets (history, then future); None without effort."""
        layout = self.torque.layout
        if layout is None or not self.torque.enabled:
            return None
        return layout.key, self.torque.window_offsets(self.chunk_size)

    @property
    def state_observation_delta_indices(self) -> list[int] | None:
        """The `observation.state` window LeRobot main reads (`lerobot/datasets/factory.py`).

        The effort window when effort is recorded inside `observation.state`, else None (LeRobot's
        shared observation window). Needs the config bound to a dataset (`bind`, which the
        dataset-window patch calls first); LeRobot 0.6.1 does not read it.
        """
        window = self.effort_window()
        return window[1] if window is not None and window[0] == OBS_STATE else None


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
