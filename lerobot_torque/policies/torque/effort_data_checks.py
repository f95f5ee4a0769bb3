"""Frame-by-frame sanity checks of the effort a torque policy is about to be trained on.

Run when a torque policy is built from dataset metadata (`lerobot-train`, fine-tuning with
`--policy.path`), never when a trained policy is loaded for inference. The effort column is read
from the dataset's parquet files (`data/*/*.parquet`, the files LeRobot's `hf_dataset` is loaded
from: `lerobot/datasets/io_utils.py: load_nested_dataset`), that column only, so cameras stored as
images are not decoded.

Per joint (this port; thresholds below):
- NaN or infinite frames raise a ValueError listing episode and frame: one such frame makes the
  normalisation statistics, the loss and then every weight NaN.
- Outliers: frames farther from the joint's median than `OUTLIER_SPREADS` × the 90th percentile
  of the absolute deviation from the median. The median absolute deviation (MAD) itself misjudges
  effort that rests near zero in most frames and rises only in contact: in 40 episodes of the
  synthetic press data (`tests/synthetic.py`) normal contact reaches 66 MADs but 3
  of these spreads. The 90th percentile still ignores up to 10 % of outlying frames. A 1e9 glitch
  in 2 of 60 frames multiplies the joint's std by ~10^8 and so squashes its normalised effort to a
  constant.
- Constant channels: one value in at least 90 % of the frames (the spread above is 0).
- Saturated channels: at least `SATURATED_FRACTION` of the frames exactly at the joint's maximum or
  minimum, that value not being its median (a joint resting at 0, its minimum, is not saturated).

Each finding is one `logging` warning naming joint, episodes and frames (worst first).
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from lerobot_torque.policies.torque.effort_layout import EffortLayout

logger = logging.getLogger(__name__)

OUTLIER_SPREADS = 20.0
SPREAD_QUANTILE = 0.9
SATURATED_FRACTION = 0.05
LISTED_FRAMES = 5


@dataclass
class EffortFrames:
    """Every frame's effort with where it comes from.

    Args:
        values: (N, D) effort, one column per joint.
        episode_index: (N,) episode of each frame.
        frame_index: (N,) frame of each row within its episode.
        names: The D joint names.
        source: Where the frames were read (for messages).
    """

    values: np.ndarray
    episode_index: np.ndarray
    frame_index: np.ndarray
    names: list[str]
    source: str = "the training data"

    def where(self, rows: np.ndarray, column: int) -> str:
        """'episode e frame f (value)' for each row, comma-separated."""
        return ", ".join(
            f"episode {self.episode_index[r]} frame {self.frame_index[r]} ({self.values[r, column]:.4g})"
            for r in rows
        )


def read_effort_frames(root: Path, layout: EffortLayout) -> EffortFrames | None:
    """The effort of every frame under `root/data`, or None when the dataset has no local data files."""
    paths = sorted(Path(root).glob("data/*/*.parquet"))
    if not paths:
        return None
    columns = effort_columns = None
    values, episodes, frames = [], [], []
    for path in paths:
        table = pq.read_table(path, columns=[layout.key, "episode_index", "frame_index"])
        column = table.column(layout.key).combine_chunks()
        rows = np.asarray(column.flatten(), dtype=np.float64).reshape(len(column), -1)  # (n, width)
        if columns is None:
            columns = rows.shape[1]
            effort_columns = layout.effort_indices or list(range(columns))
        values.append(rows[:, effort_columns])
        episodes.append(table.column("episode_index").to_numpy())
        frames.append(table.column("frame_index").to_numpy())
    return EffortFrames(
        np.concatenate(values), np.concatenate(episodes), np.concatenate(frames), layout.names, str(root)
    )


def check_effort_frames(frames: EffortFrames) -> list[str]:
    """Warn about outlying, constant and saturated joints; raise a ValueError on NaN/inf frames.

    Returns the warnings it logged.
    """
    warnings = []
    for column, name in enumerate(frames.names):
        warning = joint_warning(frames, column, name)
        if warning:
            logger.warning(warning)
            warnings.append(warning)
    raise_on_non_finite(frames)
    return warnings


def joint_warning(frames: EffortFrames, column: int, name: str) -> str | None:
    """The finding of one joint's finite frames (outliers, constant, saturated), or None."""
    rows = np.flatnonzero(np.isfinite(frames.values[:, column]))
    if rows.size == 0:
        return None
    x = frames.values[rows, column]
    median = float(np.median(x))
    deviation = np.abs(x - median)
    spread = float(np.quantile(deviation, SPREAD_QUANTILE))
    if spread == 0:
        return constant_warning(frames, column, name, rows, deviation, median)
    outlying = deviation > OUTLIER_SPREADS * spread
    if outlying.any():
        worst = rows[np.argsort(-deviation)[: min(LISTED_FRAMES, int(outlying.sum()))]]
        return (
            f"Effort outliers in {frames.source}: joint '{name}' has {int(outlying.sum())} of {x.size} "
            f"frames more than {OUTLIER_SPREADS:g}× its usual deviation from the median (median "
            f"{median:.4g}, {SPREAD_QUANTILE:.0%} of frames within ±{spread:.4g}); worst: "
            f"{frames.where(worst, column)}. They raise the joint's std from {x[~outlying].std():.4g} to "
            f"{x.std():.4g}, so its normalised effort is nearly constant in the other frames. Check the "
            "recording (a glitched read, another unit or register) and drop those episodes with "
            "`lerobot-edit-dataset --operation.type delete_episodes --operation.episode_indices "
            f'"{sorted({int(e) for e in frames.episode_index[rows[outlying]]})}"`; ignore this if they '
            "are real contacts."
        )
    return saturated_warning(frames, column, name, rows, x, median)


def constant_warning(
    frames: EffortFrames, column: int, name: str, rows: np.ndarray, deviation: np.ndarray, median: float
) -> str:
    moving = deviation > 0
    others = ""
    if moving.any():
        shown = rows[np.argsort(-deviation)[: min(LISTED_FRAMES, int(moving.sum()))]]
        others = f"; the other {int(moving.sum())}, farthest first: {frames.where(shown, column)}"
    return (
        f"Constant effort in {frames.source}: joint '{name}' is {median:.4g} in {int((~moving).sum())} of "
        f"{rows.size} frames{others}. The policy learns nothing from a constant channel; check that the "
        "robot reads this joint's effort (register, cable, units) or record with an effort-reporting robot."
    )


def saturated_warning(
    frames: EffortFrames, column: int, name: str, rows: np.ndarray, x: np.ndarray, median: float
) -> str | None:
    for bound, extreme in (("maximum", x.max()), ("minimum", x.min())):
        at_bound = x == extreme
        if extreme == median or at_bound.mean() < SATURATED_FRACTION:
            continue
        episodes, counts = np.unique(frames.episode_index[rows[at_bound]], return_counts=True)
        listed = []
        for episode in episodes[np.argsort(-counts)][:LISTED_FRAMES]:
            in_episode = rows[at_bound & (frames.episode_index[rows] == episode)]
            first = frames.frame_index[in_episode[0]]
            listed.append(f"episode {episode} ({in_episode.size} frames from frame {first})")
        share = f"{int(at_bound.sum())} of {x.size} frames ({at_bound.mean():.0%})"
        return (
            f"Saturated effort in {frames.source}: joint '{name}' sits exactly at its {bound} {extreme:.4g} "
            f"in {share}: {', '.join(listed)}. A reading clipped at a register or current limit hides how "
            "hard the arm pushes; check the robot's effort range and current limit."
        )
    return None


def raise_on_non_finite(frames: EffortFrames) -> None:
    bad = ~np.isfinite(frames.values)
    if not bad.any():
        return
    joints = []
    for column, name in enumerate(frames.names):
        rows = np.flatnonzero(bad[:, column])
        if rows.size:
            count = f"{rows.size} frame{'s' if rows.size > 1 else ''}"
            joints.append(f"'{name}' in {count}: {frames.where(rows[:LISTED_FRAMES], column)}")
    episodes = sorted({int(e) for e in frames.episode_index[bad.any(axis=1)]})
    raise ValueError(
        f"Effort is NaN or infinite in {frames.source}: joint {'; joint '.join(joints)}. Training on it "
        "makes the normalisation statistics, the loss and every weight NaN. Fix the recording, or drop the "
        "episodes with `lerobot-edit-dataset --operation.type delete_episodes --operation.episode_indices "
        f'"{episodes}"`.'
    )


def check_dataset_effort(dataset_meta, layout: EffortLayout) -> list[str]:
    """Read and check the effort of the dataset behind `dataset_meta` (a `LeRobotDatasetMetadata`).

    Skipped (logged) when the dataset has no local data files, e.g. when streamed from the Hub.
    """
    root = getattr(dataset_meta, "root", None)
    frames = read_effort_frames(root, layout) if root is not None else None
    if frames is None:
        logger.info("Effort checks skipped: no local data files under %s.", root)
        return []
    return check_effort_frames(frames)
