"""The edits behind `lerobot-torque-dataset`: each reads a dataset and writes a new one atomically.

Every output is written into a temporary sibling of `output_root` and renamed into place when
complete (atomic.py); the source is never modified. The command that made an output is recorded in
its `meta/info.json` (effort_meta.py) and shown on the dataset card.
"""

import functools
import logging
from pathlib import Path

import numpy as np

from lerobot.datasets import LeRobotDataset
from lerobot.datasets.io_utils import load_info, write_info
from lerobot.utils.constants import OBS_STATE

from lerobot_torque.atomic_output import atomic_output
from lerobot_torque.constants import EFFORT_EXT_SUFFIX, EFFORT_SUFFIX, OBS_EFFORT
from lerobot_torque.datasets import units as unit_tools
from lerobot_torque.datasets.atomic import write_text_atomic
from lerobot_torque.datasets.convert_effort_layout import convert_effort_layout
from lerobot_torque.datasets.edit import copy_with_features, replace_features
from lerobot_torque.datasets.effort_meta import (
    CONVERSIONS,
    MADE_BY,
    NEWTON_METERS,
    SOURCES,
    UNITS,
    episode_bounds,
    external_channels,
    feature_info,
    measured_channels,
    position_channels,
    read_column,
    recorded_units,
    updated_feature,
)
from lerobot_torque.datasets.external_effort import ArmModel, arm_groups, external_effort, external_names
from lerobot_torque.policies.torque.effort_layout import feature_names
from lerobot_torque.robots.effort.options import ModelTorque

logger = logging.getLogger(__name__)

# Other projects' effort suffixes → ours (Trossen `{joint}.eff` / `.ext_eff`, LeRobot's
# `openarm_follower` `{motor}.torque`, `unitree_g1` `{name}.tau`). Longest first.
FOREIGN_SUFFIXES = {
    ".ext_eff": EFFORT_EXT_SUFFIX,
    ".torque": EFFORT_SUFFIX,
    ".tau": EFFORT_SUFFIX,
    ".eff": EFFORT_SUFFIX,
}


def convert_layout(
    dataset: LeRobotDataset,
    to: str,
    output_root: Path,
    repo_id: str,
    command: str,
    position_suffix: str = ".pos",
) -> LeRobotDataset:
    """Split (`to=feature`) or merge (`to=state`) effort and state; values copied exactly.

    Wraps `convert_effort_layout` and carries the recorded effort info over to the new names.
    """
    mapping = layout_name_mapping(dataset.meta.features, to, position_suffix)
    with atomic_output(output_root, "--output-root") as staging:
        convert_effort_layout(dataset, to, staging, repo_id, position_suffix)
        info = load_info(staging)
        carry_effort_info(dataset.meta.features, info.features, mapping, command)
        write_info(info, staging)
    return LeRobotDataset(repo_id, root=output_root)


def layout_name_mapping(features: dict, to: str, position_suffix: str) -> dict[str, str]:
    """Old entry name → new entry name for the effort entries `convert_effort_layout` renames."""
    if to != "state" or OBS_EFFORT not in features:
        return {}
    names = feature_names(features[OBS_EFFORT]) or []
    return {name: name if name.endswith(EFFORT_SUFFIX) else f"{name}{EFFORT_SUFFIX}" for name in names}


def carry_effort_info(old: dict, new: dict, mapping: dict[str, str], command: str) -> None:
    """Copy recorded units, sources and conversions to whichever new feature holds each entry."""
    entries: dict[str, dict] = {UNITS: {}, SOURCES: {}, CONVERSIONS: {}}
    history: list[str] = []
    for key in (OBS_EFFORT, OBS_STATE):
        if key in old:
            info = feature_info(old, key)
            for field, values in entries.items():
                values.update({mapping.get(n, n): v for n, v in info.get(field, {}).items()})
            history += [c for c in info.get(MADE_BY, []) if c not in history]
    for key in (OBS_EFFORT, OBS_STATE):
        if key not in new:
            continue
        names = set(feature_names(new[key]) or [])
        info = dict(new[key].get("info") or {})
        for field, values in entries.items():
            kept = {n: v for n, v in values.items() if n in names}
            if kept:
                info[field] = kept
        if key == OBS_EFFORT or any(n.endswith((EFFORT_SUFFIX, EFFORT_EXT_SUFFIX)) for n in names):
            info[MADE_BY] = [*history, command]
        new[key]["info"] = info


def rename_foreign_effort(
    dataset: LeRobotDataset, output_root: Path, repo_id: str, command: str
) -> LeRobotDataset:
    """`.eff`/`.torque`/`.tau` entries → `.effort`, `.ext_eff` → `.effort_ext`; values untouched."""
    features = {key: dict(value) for key, value in dataset.meta.features.items()}
    renamed: dict[str, str] = {}
    for key in (OBS_STATE, OBS_EFFORT):
        names = feature_names(features[key]) if key in features else None
        if not names:
            continue
        mapping = {name: foreign_to_ours(name) for name in names}
        mapping = {old: new for old, new in mapping.items() if old != new}
        if mapping:
            renamed.update(mapping)
            features[key] = updated_feature(
                features[key], names=[mapping.get(n, n) for n in names], rename=mapping, command=command
            )
    if not renamed:
        raise ValueError(
            f"No entry of {OBS_STATE} / {OBS_EFFORT} ends with {list(FOREIGN_SUFFIXES)}; nothing to rename. "
            f"State names: {feature_names(dataset.meta.features.get(OBS_STATE, {}))}."
        )
    clashes = sorted({n for n in renamed.values() if list(renamed.values()).count(n) > 1})
    if clashes:
        raise ValueError(f"Renaming would give duplicate entry names {clashes}; rename them by hand first.")
    logger.info("Renaming %s", renamed)
    with atomic_output(output_root, "--output-root") as staging:
        copy_with_features(dataset, features, staging, repo_id)
    return LeRobotDataset(repo_id, root=output_root)


def foreign_to_ours(name: str) -> str:
    for suffix, ours in FOREIGN_SUFFIXES.items():
        if name.endswith(suffix):
            return name.removesuffix(suffix) + ours
    return name


def declare_units(
    dataset: LeRobotDataset, declarations: list[str], output_root: Path, repo_id: str, command: str
) -> LeRobotDataset:
    """Record the unit of effort entries without changing values (`--declare UNIT` / `JOINT=UNIT`)."""
    channels = measured_channels(dataset.meta.features)
    default, per_joint = unit_tools.parse_assignments(declarations, "--declare")
    unknown = sorted(set(per_joint) - {ch.joint for ch in channels})
    if unknown:
        raise ValueError(
            f"--declare names joints {unknown}; the effort joints are {[ch.joint for ch in channels]}."
        )
    units = {ch.name: per_joint.get(ch.joint, default) for ch in channels}
    missing = [name for name, unit in units.items() if not unit]
    if missing:
        raise ValueError(f"--declare gives no unit for {missing}; give UNIT for all, or JOINT=UNIT for each.")
    features = dict(dataset.meta.features)
    key = channels[0].key
    features[key] = updated_feature(features[key], units=units, command=command)
    with atomic_output(output_root, "--output-root") as staging:
        copy_with_features(dataset, features, staging, repo_id)
    return LeRobotDataset(repo_id, root=output_root)


def convert_units(
    dataset: LeRobotDataset,
    output_root: Path,
    repo_id: str,
    command: str,
    *,
    source_unit: str | None = None,
    motors: list[str] | None = None,
    table: list[str] | None = None,
    invert: bool = False,
) -> LeRobotDataset:
    """Scale every measured effort entry to N·m (or back with `invert`); statistics recomputed."""
    features = dataset.meta.features
    channels = measured_channels(features)
    key = channels[0].key
    recorded = recorded_units(features, channels)
    if invert:
        conversions = feature_info(features, key).get(CONVERSIONS, {})
        factors, new_units = unit_tools.inverse_factors(channels, recorded, conversions)
        records = {}
    else:
        if source_unit is None or bool(motors) == bool(table):
            raise ValueError(
                "units needs --from with either --motor (a motor model or robot) or --table (factors), "
                "or --invert, or --declare."
            )
        unit_tools.check_source_units(channels, recorded, source_unit)
        if motors:
            factors, records = unit_tools.factors_from_motors(channels, motors, source_unit)
        else:
            factors, records = unit_tools.factors_from_table(channels, table, source_unit)
        new_units = dict.fromkeys(factors, NEWTON_METERS)
    values = unit_tools.scaled(read_column(dataset, key), channels, factors)
    feature = updated_feature(features[key], units=new_units, command=command)
    info = feature["info"]
    if invert:
        info[CONVERSIONS] = {n: c for n, c in info.get(CONVERSIONS, {}).items() if n not in factors}
    else:
        info[CONVERSIONS] = {**info.get(CONVERSIONS, {}), **records}
    with atomic_output(output_root, "--output-root") as staging:
        replace_features(dataset, {key: (values, feature)}, staging, repo_id)
    return LeRobotDataset(repo_id, root=output_root)


def add_external_effort(
    dataset: LeRobotDataset,
    output_root: Path,
    repo_id: str,
    command: str,
    *,
    arm: ArmModel,
    model_torque: ModelTorque = ModelTorque.GRAVITY,
    position_unit: str | None = None,
    progress: bool = True,
) -> LeRobotDataset:
    """Append `<joint>.effort_ext` (N·m) to `observation.state` for the arm joints with a position."""
    from tqdm import tqdm

    features = dataset.meta.features
    if external_channels(features):
        raise ValueError(
            f"The dataset already has {[c.name for c in external_channels(features)]}; "
            "start from a dataset without `.effort_ext` entries."
        )
    channels = measured_channels(features)
    recorded = recorded_units(features, channels)
    positions = position_channels(features)
    groups = arm_groups(channels, arm)
    used = [ch for group in groups.values() for ch in group]
    not_nm = {ch.name: recorded[ch.name] for ch in used if recorded[ch.name] != NEWTON_METERS}
    if not_nm:
        raise ValueError(
            f"External effort needs measured effort in N·m; meta/info.json records {not_nm}. Convert with "
            "`lerobot-torque-dataset units --from ... --motor ...`, or record the unit with "
            "`units --declare N·m` if the values already are N·m."
        )
    no_position = [ch.joint for ch in used if ch.joint not in positions]
    if no_position:
        raise ValueError(
            f"Joints {no_position} have effort but no position in {OBS_STATE} "
            f"(names {feature_names(features[OBS_STATE])}); external effort needs both."
        )
    unit = position_unit or arm.position_unit
    if unit not in ("deg", "rad"):
        raise ValueError(f"--position-unit={unit!r} is not supported; choose 'deg' or 'rad'.")
    effort = read_column(dataset, channels[0].key)
    state = read_column(dataset, OBS_STATE)
    timestamps = np.asarray(dataset.hf_dataset.with_format("numpy")["timestamp"], dtype=np.float64).reshape(
        -1
    )
    starts = [start for _, start, _ in episode_bounds(dataset)]
    columns = []
    for prefix, group in groups.items():
        joints = [ch.joint.removeprefix(prefix) for ch in group]
        model = arm.build(joints)
        q = state[:, [positions[ch.joint] for ch in group]].astype(np.float64)
        q = np.deg2rad(q) if unit == "deg" else q
        measured = effort[:, [ch.index for ch in group]].astype(np.float64)
        bar = functools.partial(tqdm, desc=f"External effort {prefix or 'arm'}", disable=not progress)
        columns.append(external_effort(measured, q, timestamps, starts, model, model_torque, bar))
    names = external_names(used)
    new_state = np.concatenate([state, *columns], axis=1).astype(np.float32)
    model_name = "G(q)" if model_torque is ModelTorque.GRAVITY else "M(q)q̈ + C(q,q̇)q̇ + G(q)"
    source = f"measured − {model_name} of the {arm.description} (MuJoCo mj_inverse)"
    feature = updated_feature(
        features[OBS_STATE],
        names=[*feature_names(features[OBS_STATE]), *names],
        units=dict.fromkeys(names, NEWTON_METERS),
        sources=dict.fromkeys(names, source),
        command=command,
    )
    with atomic_output(output_root, "--output-root") as staging:
        replace_features(dataset, {OBS_STATE: (new_state, feature)}, staging, repo_id)
    return LeRobotDataset(repo_id, root=output_root)


def push_dataset(
    dataset: LeRobotDataset,
    command: str,
    *,
    private: bool = False,
    license: str = "apache-2.0",
    branch: str | None = None,
    push_videos: bool = True,
    tags: list[str] | None = None,
) -> str:
    """Push the dataset and its effort card to the Hub in one commit; return the card's description.

    The steps of LeRobot's `LeRobotDataset.push_to_hub` (lerobot/datasets/lerobot_dataset.py): create
    the repo (and branch), upload the folder without `images/`, tag the codebase version (`v3.0`)
    that `LeRobotDataset(repo_id)` resolves. Unlike it, the card (LeRobot's template, our description)
    is written into the folder first and uploaded in the same commit: LeRobot pushes the card with
    `DatasetCard.push_to_hub`, whose `validate` posts to a hard-coded `https://huggingface.co/api/
    validate-yaml` (huggingface_hub 1.33, repocard.py) and so fails behind `HF_ENDPOINT` mirrors;
    `upload_folder` validates README.md at the configured endpoint.
    """
    import contextlib

    from huggingface_hub import HfApi
    from huggingface_hub.errors import RevisionNotFoundError

    from lerobot.datasets.dataset_metadata import CODEBASE_VERSION
    from lerobot.datasets.utils import create_lerobot_dataset_card

    from lerobot_torque.datasets.card import effort_description

    description = effort_description(dataset, command)
    card_tags = ["lerobot-torque", "effort", *(tags or [])]
    card = create_lerobot_dataset_card(
        tags=card_tags,
        dataset_info=dataset.meta.info,
        license=license,
        repo_id=dataset.repo_id,
        dataset_description=description,
    )
    write_text_atomic(Path(dataset.root) / "README.md", str(card))
    api = HfApi()
    api.create_repo(repo_id=dataset.repo_id, private=private, repo_type="dataset", exist_ok=True)
    if branch:
        api.create_branch(repo_id=dataset.repo_id, branch=branch, repo_type="dataset", exist_ok=True)
    api.upload_folder(
        repo_id=dataset.repo_id,
        folder_path=dataset.root,
        repo_type="dataset",
        revision=branch,
        ignore_patterns=["images/", ".*", *([] if push_videos else ["videos/"])],
        commit_message=f"Upload effort dataset ({command})",
    )
    with contextlib.suppress(RevisionNotFoundError):
        api.delete_tag(dataset.repo_id, tag=CODEBASE_VERSION, repo_type="dataset")
    api.create_tag(dataset.repo_id, tag=CODEBASE_VERSION, revision=branch, repo_type="dataset")
    logger.info("Pushed %s (%s)", dataset.repo_id, api.endpoint)
    return description
