"""Dataset edits on top of LeRobot's dataset tools (lerobot/datasets/dataset_tools.py).

- `replace_features`: new values and feature dicts for existing keys. LeRobot's `modify_features`
  cannot replace a key in one pass, so it runs twice (remove + add under a staging name, then back);
  data files are rewritten, videos are copied, never re-encoded.
- `refresh_statistics`: the per-episode statistics in `meta/episodes` and `meta/stats.json` of the
  changed keys, both with LeRobot's own code (`compute_episode_stats`, `recompute_stats`).
  `modify_features` copies the per-episode statistics of the source unchanged, so without this the
  episodes of a converted feature would keep the old numbers, and LeRobot's `delete_episodes`
  (which aggregates them) would bring them back.
- `copy_with_features`: a dataset copy whose `meta/info.json` features differ only in metadata
  (names, info); data and videos are copied byte for byte.
"""

import logging
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lerobot.datasets import LeRobotDataset
from lerobot.datasets.compute_stats import compute_episode_stats
from lerobot.datasets.dataset_tools import modify_features, recompute_stats
from lerobot.datasets.io_utils import load_info, write_info

from lerobot_torque.datasets.atomic import temporary_sibling
from lerobot_torque.datasets.effort_meta import episode_bounds, read_column

logger = logging.getLogger(__name__)
STAGING_SUFFIX = "_lerobot_torque_staging"


def replace_features(
    dataset: LeRobotDataset,
    replaced: dict[str, tuple[np.ndarray, dict]],
    output_dir: Path,
    repo_id: str,
) -> LeRobotDataset:
    """Write `dataset` to `output_dir` with `replaced[key] = (values (frames, dims), feature dict)`.

    Statistics of the replaced keys are recomputed; everything else is copied.
    """
    for key, (values, feature) in replaced.items():
        if key not in dataset.meta.features:
            raise ValueError(f"Cannot replace '{key}': the dataset has {sorted(dataset.meta.features)}.")
        if values.shape != (dataset.num_frames, feature["shape"][0]):
            raise ValueError(
                f"New values of '{key}' have shape {values.shape}, expected "
                f"({dataset.num_frames}, {feature['shape'][0]}) for the dataset's frames and the feature."
            )
    staging_dir = temporary_sibling(output_dir)
    staged = {key + STAGING_SUFFIX: item for key, item in replaced.items()}
    try:
        first = modify_features(
            dataset, staged, list(replaced), output_dir=staging_dir, repo_id=repo_id + STAGING_SUFFIX
        )
        final = modify_features(first, replaced, list(staged), output_dir=output_dir, repo_id=repo_id)
    finally:
        shutil.rmtree(staging_dir, ignore_errors=True)
    return refresh_statistics(final, list(replaced))


def refresh_statistics(dataset: LeRobotDataset, keys: list[str]) -> LeRobotDataset:
    """Recompute the per-episode and the dataset statistics of `keys` from the data (in place)."""
    features = {key: dataset.meta.features[key] for key in keys}
    columns = {key: read_column(dataset, key) for key in keys}
    per_episode = {
        episode: compute_episode_stats({key: columns[key][start:end] for key in keys}, features)
        for episode, start, end in episode_bounds(dataset)
    }
    for path in sorted((Path(dataset.root) / "meta" / "episodes").glob("*/*.parquet")):
        table = pq.read_table(path)
        episodes = table.column("episode_index").to_pylist()
        for key in keys:
            for stat in per_episode[episodes[0]][key]:
                name = f"stats/{key}/{stat}"
                values = [np.asarray(per_episode[ep][key][stat]).tolist() for ep in episodes]
                if name in table.column_names:
                    index = table.column_names.index(name)
                    table = table.set_column(index, name, pa.array(values))
                else:
                    table = table.append_column(name, pa.array(values))
        staging = temporary_sibling(path)
        pq.write_table(table, staging)
        staging.replace(path)
    dataset = LeRobotDataset(dataset.repo_id, root=dataset.root)
    return recompute_stats(dataset)


def copy_with_features(
    dataset: LeRobotDataset, features: dict[str, dict], output_dir: Path, repo_id: str
) -> LeRobotDataset:
    """Copy `dataset` to `output_dir` with `meta/info.json` features replaced by `features`.

    For metadata-only edits (entry names, recorded units): the data files, videos and statistics
    are copied byte for byte, so values stay exactly as they were.
    """
    if set(features) != set(dataset.meta.features):
        raise ValueError(
            f"copy_with_features changes metadata only; keys must stay {sorted(dataset.meta.features)}, "
            f"got {sorted(features)}."
        )
    ignore = shutil.ignore_patterns("images")  # LeRobot's temporary frame images (not pushed either)
    shutil.copytree(dataset.root, output_dir, ignore=ignore)
    info = load_info(output_dir)
    info.features = {key: features[key] for key in info.features}
    write_info(info, output_dir)
    return LeRobotDataset(repo_id, root=output_dir)
