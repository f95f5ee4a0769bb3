"""Where joint effort lives in a dataset or an observation, and how to split it from the state.

Two layouts exist in practice:
- `feature`: a separate `observation.effort` key (the ALOHA datasets on the Hub, our simulations);
- `state`: `<joint>.effort` entries inside `observation.state`, which is all an unchanged
  `lerobot-record` can write for a robot (lerobot/utils/feature_utils.py: hw_to_dataset_features).

In both, the policy's state input is the state without any effort entries: those read as effort
(whatever `state_effort_suffix` names them) and every `*.effort` / `*.effort_ext` entry of our robots.

A layout may also describe a window of joint positions instead of effort (`HistorySignal.POSITION`):
the leak-check learner of the benchmark, with the same window and auxiliary head and no effort.
"""

import logging
from dataclasses import dataclass
from enum import StrEnum

from lerobot.utils.constants import OBS_STATE

from lerobot_torque.constants import EFFORT_SUFFIXES, OBS_EFFORT, POSITION_SUFFIX

logger = logging.getLogger(__name__)


class EffortSource(StrEnum):
    """Where a dataset keeps joint effort."""

    AUTO = "auto"  # `observation.effort` if present, else the `*.effort` names of `observation.state`
    FEATURE = "feature"  # a separate `observation.effort` feature (ALOHA datasets on the Hub)
    STATE = "state"  # `*.effort` entries of `observation.state` (an unchanged `lerobot-record`)


class HistorySignal(StrEnum):
    """What the torque policy's window (history input and future head) reads."""

    EFFORT = "effort"  # joint effort (the paper)
    POSITION = "position"  # the `*.pos` entries of `observation.state`, effort left out (leak check)


@dataclass
class EffortLayout:
    """Where effort was found: the key that holds it, its names, and the recorded state names.

    Args:
        key: `observation.effort` or `observation.state`.
        names: Effort entry names in order, e.g. `left_waist` or `shoulder_pan.effort`.
        state_names: The names of `observation.state` as recorded, or None if the dataset has none.
        signal: `effort`, or `position` when `names` are joint positions read in effort's place; these
            stay in the state input too.
    """

    key: str
    names: list[str]
    state_names: list[str] | None = None
    signal: HistorySignal = HistorySignal.EFFORT

    def __post_init__(self) -> None:
        self.signal = HistorySignal(self.signal)
        # A checkpoint saved before `signal` existed asked for the position history by reading the
        # `*.pos` state names as effort (`state_effort_suffix=.pos`, see `TorqueConfig`).
        if self.key == OBS_STATE and self.names and all(n.endswith(POSITION_SUFFIX) for n in self.names):
            self.signal = HistorySignal.POSITION

    @property
    def effort_indices(self) -> list[int] | None:
        """Positions of the effort entries inside `observation.state` (state layout only)."""
        if self.key != OBS_STATE or self.state_names is None:
            return None
        position = {name: i for i, name in enumerate(self.state_names)}
        return [position[name] for name in self.names]

    @property
    def kept_state_indices(self) -> list[int] | None:
        """Positions of the state entries the policy keeps: all but the effort ones (None: keep all).

        Effort entries are those read as effort (state layout) and any `*.effort` / `*.effort_ext`.
        """
        if self.state_names is None:
            return None
        read = set(self.names) if self.key == OBS_STATE and self.signal is HistorySignal.EFFORT else set()
        return [
            i
            for i, name in enumerate(self.state_names)
            if name not in read and not name.endswith(EFFORT_SUFFIXES)
        ]

    def check_compatible(self, other: "EffortLayout") -> None:
        """Raise if `other` (new data) cannot feed a policy trained on this layout."""
        if len(other.names) != len(self.names):
            raise ValueError(
                f"This policy was trained on {len(self.names)} effort dims {self.names}, but the data "
                f"has {len(other.names)} {other.names} (in '{other.key}'). Effort joints and units differ "
                "between robots: train a new policy on this data (drop --policy.path / pretrained_path), "
                "or fine-tune on data recorded with the same robot."
            )
        kept, other_kept = self.kept_state_indices, other.kept_state_indices
        if kept is not None and other_kept is not None and len(kept) != len(other_kept):
            raise ValueError(
                f"This policy was trained on a {len(kept)}-dim state (without effort entries) but the data "
                f"has a {len(other_kept)}-dim one. Use data from the same robot or train a new policy."
            )
        if other.names != self.names:
            logger.warning(
                "Effort names differ from training (%s) but dims match: %s", self.names, other.names
            )


def feature_names(feature: dict) -> list[str] | None:
    """Flat entry names of a dataset feature: a list, or a dict of one list (older datasets)."""
    names = feature.get("names")
    if isinstance(names, dict):
        names = next(iter(names.values()), None) if len(names) == 1 else None
    return [str(name) for name in names] if isinstance(names, list) else None


def resolve_effort_layout(
    features: dict[str, dict],
    source: EffortSource,
    suffix: str,
    *,
    signal: HistorySignal = HistorySignal.EFFORT,
    required: bool = True,
) -> EffortLayout | None:
    """Find effort (or, for `signal=position`, the joint positions) in dataset features.

    `features` are in LeRobot's `meta/info.json` format. Raises a ValueError that names what the
    data has and how to fix it when the signal is required but absent; returns None when it is
    absent and not required.
    """
    state_names = feature_names(features[OBS_STATE]) if OBS_STATE in features else None
    if signal is HistorySignal.POSITION:
        positions = [name for name in state_names or [] if name.endswith(POSITION_SUFFIX)]
        if positions:
            return EffortLayout(OBS_STATE, positions, state_names, signal)
        if not required:
            return None
        raise ValueError(
            f"torque.history_signal=position reads the joint positions ('*{POSITION_SUFFIX}' names) of "
            f"'{OBS_STATE}', but its names are {state_names}. Use data recorded from a LeRobot robot, "
            "or --policy.torque.history_signal=effort."
        )
    state_effort = [name for name in state_names or [] if name.endswith(suffix)]
    has_feature = OBS_EFFORT in features

    if source is EffortSource.FEATURE or (source is EffortSource.AUTO and has_feature):
        if has_feature:
            shape = tuple(features[OBS_EFFORT]["shape"])
            if len(shape) != 1:
                raise ValueError(f"'{OBS_EFFORT}' must be a 1-D vector per frame, got shape {shape}.")
            names = feature_names(features[OBS_EFFORT]) or [f"effort_{i}" for i in range(shape[0])]
            return EffortLayout(key=OBS_EFFORT, names=names, state_names=state_names)
    elif state_effort:
        return EffortLayout(key=OBS_STATE, names=state_effort, state_names=state_names)

    if not required:
        return None
    where = {
        EffortSource.AUTO: f"no '{OBS_EFFORT}' feature and no '*{suffix}' names in '{OBS_STATE}'",
        EffortSource.FEATURE: f"no '{OBS_EFFORT}' feature (torque.effort_source=feature)",
        EffortSource.STATE: f"no '*{suffix}' names in '{OBS_STATE}' (torque.effort_source=state)",
    }[source]
    raise ValueError(
        f"Torque policies need joint effort, but the data has {where}. Its features are "
        f"{sorted(features)} and its state names {state_names}. Record with an effort-reporting robot "
        "(--robot.type=so100_follower_torque, so101_follower_torque, bi_so100_follower_torque or "
        "aloha_torque), use an ALOHA dataset with 'observation.effort', set --policy.torque.effort_source "
        "/ state_effort_suffix to where your effort is, or turn torque off with "
        "--policy.torque.use_effort_input=false --policy.torque.predict_future_effort=false."
    )
