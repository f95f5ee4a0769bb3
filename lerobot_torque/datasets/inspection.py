"""What a dataset's effort looks like before training on it (`lerobot-torque-dataset inspect`).

Per effort channel (measured `.effort` and external `.effort_ext`): statistics over all frames, the
unit recorded in `meta/info.json`, and flags for channels that would hurt a policy:
- `nan`: NaN or infinite values (LeRobot's normaliser passes them through to the model);
- `constant`: one value in every frame (std 0; normalising divides by ~1e-8);
- `saturated`: ≥ `SATURATION_FRACTION` of the frames exactly at the channel's minimum or maximum
  (unless that is its median, where it rests), or, for a recorded unit `load`, at the register's
  full scale (Feetech Present_Load ±1000, feetech_units.LOAD_FULL_SCALE);
- `outliers`: isolated spikes: frames farther from the median of their `SPIKE_WINDOW` neighbours than
  `OUTLIER_SIGMAS` robust standard deviations of those residuals (and than 1 % of the channel's range).
  Effort is heavy-tailed by nature (contact), so values are compared with their neighbours, not with
  the whole channel: a smooth contact ramp is not an outlier, a one-frame bus glitch is;
- `stale_stats`: `meta/stats.json` disagrees with the data (edited without recomputing).
Alignment: every effort joint needs a position entry of the same joint in `observation.state`
(and the other way round), in the same order. History: the frames a policy's effort window reaches
back and forward, against the episode lengths.
"""

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from lerobot.datasets import LeRobotDataset

from lerobot_torque.datasets.effort_meta import (
    EffortChannel,
    episode_bounds,
    external_channels,
    measured_channels,
    position_channels,
    read_column,
    recorded_units,
)
from lerobot_torque.robots.effort.feetech_units import LOAD_FULL_SCALE

SATURATION_FRACTION = 0.05
OUTLIER_SIGMAS = 8.0
SPIKE_WINDOW = 5


@dataclass
class ChannelReport:
    name: str
    key: str
    index: int
    joint: str
    external: bool
    unit: str | None
    min: float
    max: float
    mean: float
    std: float
    q01: float
    q99: float
    nan_frames: int
    outlier_frames: int
    saturated_fraction: float
    flags: list[str] = field(default_factory=list)


@dataclass
class HistoryReport:
    """Effort window of a policy against the episodes: offsets in frames, counts of frames."""

    history_offsets: list[int]
    future_frames: int
    shortest_episode: int
    episodes_shorter_than_window: list[int]
    history_padded_fraction: float
    future_padded_fraction: float


@dataclass
class EffortReport:
    repo_id: str
    fps: int
    episodes: int
    frames: int
    episode_lengths: dict[str, float]
    effort_key: str
    channels: list[ChannelReport]
    alignment: dict[str, list[str] | bool]
    history: HistoryReport | None = None

    @property
    def suspicious(self) -> list[str]:
        return [f"{ch.name}: {', '.join(ch.flags)}" for ch in self.channels if ch.flags]

    def to_dict(self) -> dict:
        return {**asdict(self), "suspicious": self.suspicious}


def channel_report(
    channel: EffortChannel, values: np.ndarray, unit: str | None, stats: dict
) -> ChannelReport:
    finite = values[np.isfinite(values)]
    nan_frames = int(values.size - finite.size)
    if finite.size == 0:
        return ChannelReport(
            channel.name,
            channel.key,
            channel.index,
            channel.joint,
            channel.external,
            unit,
            *([math.nan] * 6),
            nan_frames,
            0,
            0.0,
            ["nan", "constant"],
        )
    low, high = float(finite.min()), float(finite.max())
    outliers = spike_count(finite, high - low)
    median = float(np.median(finite))
    # A pile of frames at an extreme value is clipping, unless the extreme is where the channel rests.
    at_extreme = (
        max(float(np.mean(finite == value)) for value in (low, high) if value != median)
        if high > low
        else 0.0
    )
    at_full_scale = float(np.mean(np.abs(finite) >= LOAD_FULL_SCALE)) if unit == "load" else 0.0
    saturated = max(at_extreme, at_full_scale)
    report = ChannelReport(
        channel.name,
        channel.key,
        channel.index,
        channel.joint,
        channel.external,
        unit,
        low,
        high,
        float(finite.mean()),
        float(finite.std()),
        float(np.quantile(finite, 0.01)),
        float(np.quantile(finite, 0.99)),
        nan_frames,
        outliers,
        saturated,
    )
    report.flags = [
        flag
        for flag, raised in (
            ("nan", nan_frames > 0),
            ("constant", high == low),
            ("saturated", saturated >= SATURATION_FRACTION),
            ("outliers", outliers > 0),
            ("stale_stats", stale(stats, channel.index, report)),
        )
        if raised
    ]
    return report


def spike_count(values: np.ndarray, value_range: float) -> int:
    """Frames that stand out from the median of their neighbours (see the module docstring)."""
    if values.size < SPIKE_WINDOW or value_range == 0:
        return 0
    half = SPIKE_WINDOW // 2
    padded = np.pad(values, half, mode="edge")
    local = np.median(np.lib.stride_tricks.sliding_window_view(padded, SPIKE_WINDOW), axis=1)
    residual = np.abs(values - local)
    # σ of the residuals from their 90th percentile (1.645 σ for normal noise): robust to the exact
    # zeros of flat or quantised stretches, which would make a median-based scale 0.
    scale = float(np.quantile(residual, 0.9)) / 1.645 or float(residual.mean())
    return int(np.sum((residual > OUTLIER_SIGMAS * scale) & (residual > 0.01 * value_range)))


def stale(stats: dict | None, index: int, report: ChannelReport) -> bool:
    """Whether `meta/stats.json` min/max/mean of this entry disagree with the data."""
    if not stats or "mean" not in stats:
        return False
    recorded = [float(np.asarray(stats[name]).reshape(-1)[index]) for name in ("min", "max", "mean")]
    actual = [report.min, report.max, report.mean]
    scale = max(abs(report.min), abs(report.max), 1e-6)
    return any(abs(r - a) > 1e-3 * scale for r, a in zip(recorded, actual, strict=True))


def alignment(features: dict, channels: list[EffortChannel]) -> dict:
    effort_joints = [ch.joint for ch in channels if not ch.external]
    positions = list(position_channels(features))
    return {
        "effort_without_position": [j for j in effort_joints if j not in positions],
        "position_without_effort": [j for j in positions if j not in effort_joints],
        "same_order": [j for j in positions if j in effort_joints]
        == [j for j in effort_joints if j in positions],
    }


def history_report(
    lengths: list[int], history_length: int, history_stride: int, future_frames: int
) -> HistoryReport:
    """How much of each episode's effort window falls outside the episode (padded by LeRobot)."""
    span = (history_length - 1) * history_stride
    total = sum(lengths)
    history_padded = sum(min(length, span) for length in lengths)
    future_padded = sum(min(length, future_frames) for length in lengths)
    window = span + 1 + future_frames
    return HistoryReport(
        history_offsets=[-(history_length - 1 - i) * history_stride for i in range(history_length)],
        future_frames=future_frames,
        shortest_episode=min(lengths),
        episodes_shorter_than_window=[i for i, length in enumerate(lengths) if length < window],
        history_padded_fraction=history_padded / total,
        future_padded_fraction=future_padded / total,
    )


def inspect_effort(
    dataset: LeRobotDataset, window: tuple[int, int, int] | None = None, progress: bool = True
) -> EffortReport:
    """The effort report of `dataset`; `window` = (history_length, history_stride, future_frames)."""
    from tqdm import tqdm

    features = dataset.meta.features
    channels = measured_channels(features) + external_channels(features)
    units = recorded_units(features, channels)
    columns = {key: read_column(dataset, key) for key in {ch.key for ch in channels}}
    stats = dataset.meta.stats or {}
    reports = [
        channel_report(ch, columns[ch.key][:, ch.index], units[ch.name], stats.get(ch.key))
        for ch in tqdm(channels, desc="Inspecting effort channels", disable=not progress)
    ]
    lengths = [end - start for _, start, end in episode_bounds(dataset)]
    report = EffortReport(
        repo_id=dataset.repo_id,
        fps=dataset.fps,
        episodes=dataset.num_episodes,
        frames=dataset.num_frames,
        episode_lengths={
            "min": min(lengths),
            "median": float(np.median(lengths)),
            "max": max(lengths),
        },
        effort_key=channels[0].key,
        channels=reports,
        alignment=alignment(features, channels),
    )
    if window is not None:
        report.history = history_report(lengths, *window)
    return report


def format_report(report: EffortReport) -> str:
    """The report as text tables (what `inspect` prints without --json)."""
    lines = [
        f"{report.repo_id}: {report.episodes} episodes, {report.frames} frames at {report.fps} fps; "
        f"episode length min/median/max {report.episode_lengths['min']}/"
        f"{report.episode_lengths['median']:g}/{report.episode_lengths['max']} frames",
        f"effort in '{report.effort_key}'",
        "",
        f"{'channel':<28} {'unit':<10} {'min':>10} {'max':>10} {'mean':>10} {'std':>10}  flags",
    ]
    for ch in report.channels:
        counts = {"nan": ch.nan_frames, "outliers": ch.outlier_frames}
        flags = [f"{flag} ({counts[flag]} frames)" if flag in counts else flag for flag in ch.flags]
        lines.append(
            f"{ch.name:<28} {ch.unit or '?':<10} {ch.min:>10.4g} {ch.max:>10.4g} {ch.mean:>10.4g} "
            f"{ch.std:>10.4g}  {', '.join(flags) or '-'}"
        )
    if any(ch.unit is None for ch in report.channels):
        lines.append(
            "? = unit not recorded in meta/info.json: record it with `lerobot-torque-dataset units "
            "--declare <unit>` or convert with `units --motor ...`."
        )
    align = report.alignment
    lines += ["", "alignment with observation.state positions:"]
    lines.append(f"  effort joints without a position: {align['effort_without_position'] or 'none'}")
    lines.append(f"  positions without effort: {align['position_without_effort'] or 'none'}")
    lines.append(f"  same joint order: {align['same_order']}")
    if report.history is not None:
        h = report.history
        lines += [
            "",
            f"policy effort window: history offsets {h.history_offsets}, {h.future_frames} future frames",
            f"  shortest episode {h.shortest_episode} frames; episodes shorter than the window: "
            f"{h.episodes_shorter_than_window or 'none'}",
            f"  frames whose history reaches before the episode start: {h.history_padded_fraction:.1%}; "
            f"whose future passes its end: {h.future_padded_fraction:.1%}",
        ]
    lines += ["", "suspicious channels: " + ("; ".join(report.suspicious) if report.suspicious else "none")]
    return "\n".join(lines)
