"""Convert a LeRobotDataset between the two effort layouts (`lerobot-torque-effort-layout`).

- `--to state`: `observation.state` + `observation.effort` → one `observation.state` whose names carry
  our robots' suffixes (`left_waist` → `left_waist.pos`, effort `left_waist` → `left_waist.effort`).
  A policy trained on the converted ALOHA Hub datasets then reads exactly what `aloha_torque` reports.
- `--to feature`: the `*.effort` entries of `observation.state` → their own `observation.effort`
  (needed, e.g., for π0's relative actions, which read the current state).

Values are copied unchanged (units stay the dataset's); videos are copied, not re-encoded; the
statistics of the new features are recomputed. Built on LeRobot's `modify_features`, which cannot
replace a feature in one pass, so the dataset is written twice (the intermediate copy is deleted).

The output folder appears only when complete, statistics included (`lerobot_torque.atomic_output`):
an interrupted run leaves nothing that blocks the next one, and the source dataset is only read.
"""

import argparse
import logging
from pathlib import Path

import numpy as np

from lerobot.datasets import LeRobotDataset
from lerobot.datasets.dataset_tools import modify_features, recompute_stats
from lerobot.utils.constants import OBS_STATE

from lerobot_torque.atomic_output import atomic_output
from lerobot_torque.constants import EFFORT_SUFFIX, EFFORT_SUFFIXES, OBS_EFFORT
from lerobot_torque.policies.torque.effort_layout import EffortSource, feature_names, resolve_effort_layout

logger = logging.getLogger(__name__)
NEW_STATE = OBS_STATE + "_new"  # modify_features cannot replace a feature in one pass


def with_suffix(name: str, suffix: str) -> str:
    return name if "." in name else f"{name}{suffix}"


def column(dataset: LeRobotDataset, key: str) -> np.ndarray:
    return np.stack(dataset.hf_dataset.with_format("numpy")[key]).astype(np.float32)


def vector(values: np.ndarray, names: list[str]) -> tuple[np.ndarray, dict]:
    return values, {"dtype": "float32", "shape": [len(names)], "names": names}


def check_not_converted(features: dict[str, dict], to: str) -> None:
    """Raise a ValueError if the dataset already has its effort in layout `to`, or in both layouts."""
    state_names = feature_names(features[OBS_STATE]) if OBS_STATE in features else None
    state_effort = [name for name in state_names or [] if name.endswith(EFFORT_SUFFIX)]
    has_feature = OBS_EFFORT in features
    if has_feature and state_effort:
        raise ValueError(
            f"The dataset has effort in both layouts: a '{OBS_EFFORT}' feature and the entries "
            f"{state_effort} of '{OBS_STATE}'. Nothing to convert: train on it as it is and choose one "
            "with --policy.torque.effort_source=feature or state."
        )
    if to == "state" and state_effort:
        raise ValueError(
            f"The dataset is already in the 'state' layout: '{OBS_STATE}' holds the effort entries "
            f"{state_effort} and there is no '{OBS_EFFORT}' feature. Nothing to convert: train on it as "
            "it is, or pass --to=feature to move the effort into its own feature."
        )
    if to == "feature" and has_feature:
        raise ValueError(
            f"The dataset is already in the 'feature' layout: it has a '{OBS_EFFORT}' feature and no "
            f"'*{EFFORT_SUFFIX}' entries in '{OBS_STATE}' {state_names}. Nothing to convert: train on it "
            "as it is, or pass --to=state to fold the effort into the state under the robot's names."
        )


def check_outside(output_dir: Path, source_root: Path) -> None:
    """Raise a ValueError if `output_dir` would be written inside the source dataset's folder."""
    output, source = output_dir.resolve(), source_root.resolve()
    if output == source or output.is_relative_to(source):
        raise ValueError(
            f"--output-root={output_dir} is inside the source dataset {source_root}, which is never "
            "modified. Choose a folder outside it."
        )


def convert_effort_layout(
    dataset: LeRobotDataset, to: str, output_dir: Path, repo_id: str, position_suffix: str = ".pos"
) -> LeRobotDataset:
    """Write `dataset` with its effort in layout `to` (`state` or `feature`) under `output_dir`.

    `output_dir` appears only once complete, statistics included; it must not exist.
    """
    source = {"state": EffortSource.FEATURE, "feature": EffortSource.STATE}.get(to)
    if source is None:
        raise ValueError(f"--to must be 'state' or 'feature', got {to!r}.")
    output_dir = Path(output_dir)
    check_outside(output_dir, dataset.root)
    check_not_converted(dataset.meta.features, to)
    layout = resolve_effort_layout(dataset.meta.features, source, EFFORT_SUFFIX)
    with atomic_output(output_dir, option="--output-root") as staging_root:
        state = column(dataset, OBS_STATE)
        state_names = layout.state_names or [f"joint{i}" for i in range(state.shape[1])]
        if to == "state":
            effort = column(dataset, OBS_EFFORT)
            names = [with_suffix(n, position_suffix) for n in state_names]
            names += [n if n.endswith(EFFORT_SUFFIXES) else f"{n}{EFFORT_SUFFIX}" for n in layout.names]
            staged = {NEW_STATE: vector(np.concatenate([state, effort], axis=1), names)}
            removed = [OBS_STATE, OBS_EFFORT]
        else:
            kept = layout.kept_state_indices
            staged = {
                NEW_STATE: vector(state[:, kept], [state_names[i] for i in kept]),
                OBS_EFFORT: vector(state[:, layout.effort_indices], layout.names),
            }
            removed = [OBS_STATE]
        intermediate = staging_root.with_name(staging_root.name + "_intermediate")  # removed with it
        first = modify_features(
            dataset, staged, removed, output_dir=intermediate, repo_id=repo_id + "_intermediate"
        )
        values, info = staged[NEW_STATE]
        final = modify_features(
            first, {OBS_STATE: (values, info)}, [NEW_STATE], output_dir=staging_root, repo_id=repo_id
        )
        recompute_stats(final)
    return LeRobotDataset(repo_id, root=output_dir)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="lerobot-torque-effort-layout",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repo-id", required=True, help="source dataset, e.g. lerobot/aloha_static_coffee")
    parser.add_argument(
        "--root", type=Path, help="local folder of the source dataset (default: LeRobot's cache)"
    )
    parser.add_argument("--to", required=True, choices=["state", "feature"], help="the layout to write")
    parser.add_argument("--output-repo-id", required=True)
    parser.add_argument(
        "--output-root",
        type=Path,
        required=True,
        help="folder to write; must not exist (it appears only when complete, so a rerun after an "
        "interruption just works)",
    )
    parser.add_argument(
        "--position-suffix", default=".pos", help="added to suffix-less state names (--to state)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    dataset = LeRobotDataset(args.repo_id, root=args.root)
    converted = convert_effort_layout(
        dataset, args.to, args.output_root, args.output_repo_id, args.position_suffix
    )
    names = feature_names(converted.meta.features[OBS_STATE])
    print(f"Wrote {converted.repo_id} to {converted.root}: {OBS_STATE} = {names}")


if __name__ == "__main__":
    main()
