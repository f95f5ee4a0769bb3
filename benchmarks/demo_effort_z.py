"""How far normal contact goes in a dataset, in the units of the effort checks' thresholds.

    lerobot-torque-sim-demos --env.type=torque_press --num_episodes=10 --root=<root> --use_videos=false
    python benchmarks/demo_effort_z.py --root=<root>

Prints, per effort joint: the largest |z| (effort normalised with the dataset's mean and std, as the
policy reads it) and the largest deviation from the median in 90th-percentile deviations (the
training-time outlier measure); then, over all joints, the longest run of consecutive frames of an
episode with some |z| beyond 5, 10 and 20 (the live check fires after `ood_effort_steps` such
frames beyond `ood_effort_z`), and the findings of the training-time checks.
"""

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from lerobot_torque.evaluation.machine import machine_line
from lerobot_torque.policies.torque import TorqueConfig
from lerobot_torque.policies.torque.effort_data_checks import (
    SPREAD_QUANTILE,
    check_effort_frames,
    read_effort_frames,
)

Z_LEVELS = (5, 10, 20)


def longest_run(beyond: np.ndarray, episodes: np.ndarray) -> int:
    """Longest run of True in `beyond` (N,) that stays within one episode."""
    best = run = 0
    for index, flag in enumerate(beyond):
        same_episode = index > 0 and episodes[index] == episodes[index - 1]
        run = run + 1 if flag and same_episode else int(flag)
        best = max(best, run)
    return best


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", type=Path, required=True)
    args = parser.parse_args(argv)

    features = json.loads((args.root / "meta" / "info.json").read_text())["features"]
    layout = TorqueConfig().bind_dataset(features)
    stats = json.loads((args.root / "meta" / "stats.json").read_text())[layout.key]
    frames = read_effort_frames(args.root, layout)
    columns = layout.effort_indices or list(range(len(layout.names)))
    mean, std = (np.asarray(stats[k])[columns] for k in ("mean", "std"))
    z = (frames.values - mean) / std  # (N, D)

    print("command: python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *argv]))
    episodes = len(np.unique(frames.episode_index))
    print(f"{args.root}: {len(frames.values)} frames, {episodes} episodes")
    for column, name in enumerate(layout.names):
        x = frames.values[:, column]
        deviation = np.abs(x - np.median(x))
        spread = np.quantile(deviation, SPREAD_QUANTILE)
        ratio = deviation.max() / spread if spread > 0 else float("inf")
        print(f"  {name}: max |z| {np.abs(z[:, column]).max():.1f}, max deviation {ratio:.1f} spreads")
    for level in Z_LEVELS:
        beyond = (np.abs(z) > level).any(axis=1)
        print(
            f"  |z| > {level}: {beyond.sum()} frames, longest run {longest_run(beyond, frames.episode_index)}"
        )
    print(f"  training-time checks: {check_effort_frames(frames) or 'no findings'}")
    print(machine_line())


if __name__ == "__main__":
    main()
