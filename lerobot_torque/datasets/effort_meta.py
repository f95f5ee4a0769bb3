"""Where effort channels sit in a dataset, and what `meta/info.json` records about them.

Effort channels are the entries a torque policy reads as effort (`observation.effort`, or the
`<joint>.effort` entries of `observation.state`) and the external effort entries
`<joint>.effort_ext` of `observation.state`.

What we know about them is stored inside the feature that holds them, under its `info` dict, as
LeRobot does for depth units (`features[key]["info"]["depth_unit"]`, lerobot/datasets/dataset_writer.py);
LeRobot keeps a feature's dict as is through `modify_features`, `aggregate_datasets` and the Hub:

    "observation.state": {"dtype": "float32", "shape": [4], "names": [...],
        "info": {"effort_units": {"joint0.effort": "N·m", ...},
                 "effort_source": {"joint0.effort": "Feetech Present_Load (0.1 % of max torque)"},
                 "effort_conversions": {"joint0.effort": {"from": "load", "factor": 0.00294, ...}},
                 "made_by": ["lerobot-torque-dataset units ...", ...]}}
"""

import copy
from dataclasses import dataclass

import numpy as np

from lerobot.datasets import LeRobotDataset
from lerobot.utils.constants import OBS_STATE

from lerobot_torque.constants import EFFORT_EXT_SUFFIX, EFFORT_SUFFIX, OBS_EFFORT
from lerobot_torque.policies.torque.effort_layout import (
    EffortLayout,
    EffortSource,
    feature_names,
    resolve_effort_layout,
)

UNITS = "effort_units"
SOURCES = "effort_source"
CONVERSIONS = "effort_conversions"
MADE_BY = "made_by"
NEWTON_METERS = "N·m"
POSITION_SUFFIX = ".pos"


@dataclass(frozen=True)
class EffortChannel:
    """One effort entry: the feature key holding it, its index there, its name and its joint."""

    key: str
    index: int
    name: str
    external: bool = False

    @property
    def joint(self) -> str:
        return self.name.removesuffix(EFFORT_EXT_SUFFIX).removesuffix(EFFORT_SUFFIX)


def joint_of(name: str) -> str:
    """`shoulder_pan.pos` / `shoulder_pan.effort` / `shoulder_pan` → `shoulder_pan`."""
    for suffix in (EFFORT_EXT_SUFFIX, EFFORT_SUFFIX, POSITION_SUFFIX):
        name = name.removesuffix(suffix)
    return name


def find_layout(features: dict[str, dict]) -> EffortLayout:
    """The measured-effort layout of a dataset (ValueError with the fix when it has none)."""
    return resolve_effort_layout(features, EffortSource.AUTO, EFFORT_SUFFIX)


def measured_channels(features: dict[str, dict]) -> list[EffortChannel]:
    """The measured effort entries, in the order a torque policy reads them."""
    layout = find_layout(features)
    if layout.key == OBS_EFFORT:
        return [EffortChannel(OBS_EFFORT, i, name) for i, name in enumerate(layout.names)]
    return [
        EffortChannel(OBS_STATE, index, name)
        for index, name in zip(layout.effort_indices, layout.names, strict=True)
    ]


def external_channels(features: dict[str, dict]) -> list[EffortChannel]:
    """The `<joint>.effort_ext` entries of `observation.state` (empty when there are none)."""
    names = feature_names(features[OBS_STATE]) if OBS_STATE in features else None
    return [
        EffortChannel(OBS_STATE, i, name, external=True)
        for i, name in enumerate(names or [])
        if name.endswith(EFFORT_EXT_SUFFIX)
    ]


def position_channels(features: dict[str, dict]) -> dict[str, int]:
    """Joint → index in `observation.state` of its position (names `<joint>.pos`, or bare names)."""
    names = feature_names(features[OBS_STATE]) if OBS_STATE in features else None
    effort_suffixes = (EFFORT_SUFFIX, EFFORT_EXT_SUFFIX)
    return {joint_of(name): i for i, name in enumerate(names or []) if not name.endswith(effort_suffixes)}


def feature_info(features: dict[str, dict], key: str) -> dict:
    return features[key].get("info") or {}


def recorded_units(features: dict[str, dict], channels: list[EffortChannel]) -> dict[str, str | None]:
    """Channel name → unit recorded in `meta/info.json` (None: not recorded)."""
    return {ch.name: feature_info(features, ch.key).get(UNITS, {}).get(ch.name) for ch in channels}


def recorded_sources(features: dict[str, dict], channels: list[EffortChannel]) -> dict[str, str | None]:
    return {ch.name: feature_info(features, ch.key).get(SOURCES, {}).get(ch.name) for ch in channels}


def unit_label(units: list[str | None]) -> str:
    """An axis unit for channels: their common unit, or 'mixed units' / 'unit not recorded'."""
    known = {unit for unit in units if unit}
    if len(known) == 1 and None not in units:
        return known.pop()
    return "mixed units" if len(known) > 1 else "unit not recorded"


def updated_feature(
    feature: dict,
    *,
    units: dict[str, str] | None = None,
    sources: dict[str, str] | None = None,
    conversions: dict[str, dict] | None = None,
    command: str | None = None,
    names: list[str] | None = None,
    rename: dict[str, str] | None = None,
) -> dict:
    """A copy of a feature dict with its effort `info` updated (entries merged by channel name).

    `rename` maps old → new entry names in the recorded info; `names` replaces the feature's names
    (and its shape).
    """
    new = copy.deepcopy(feature)
    info = dict(new.get("info") or {})
    if rename:
        for field in (UNITS, SOURCES, CONVERSIONS):
            if field in info:
                info[field] = {rename.get(name, name): value for name, value in info[field].items()}
    for field, values in ((UNITS, units), (SOURCES, sources), (CONVERSIONS, conversions)):
        if values:
            info[field] = {**info.get(field, {}), **values}
    if command:
        info[MADE_BY] = [*info.get(MADE_BY, []), command]
    if names is not None:
        new["names"] = list(names)
        new["shape"] = [len(names)]
    new["info"] = info
    return new


def made_by(features: dict[str, dict]) -> list[str]:
    """The commands recorded on any effort feature, in the order they ran (deduplicated)."""
    commands: list[str] = []
    for key in (OBS_EFFORT, OBS_STATE):
        if key in features:
            for command in feature_info(features, key).get(MADE_BY, []):
                if command not in commands:
                    commands.append(command)
    return commands


def read_column(dataset: LeRobotDataset, key: str) -> np.ndarray:
    """All frames of a vector feature as a float array (frames, dims), in dataset order."""
    return np.stack(dataset.hf_dataset.with_format("numpy")[key]).astype(np.float32)


def episode_bounds(dataset: LeRobotDataset) -> list[tuple[int, int, int]]:
    """(episode index, first frame, end frame) of each episode, in dataset order."""
    episodes = dataset.meta.episodes
    return [
        (int(ep), int(start), int(end))
        for ep, start, end in zip(
            episodes["episode_index"],
            episodes["dataset_from_index"],
            episodes["dataset_to_index"],
            strict=True,
        )
    ]
