"""Effort windows on LeRobot datasets without decoding any image history.

LeRobot 0.6.1's `datasets.factory.resolve_delta_timestamps` gives one `observation_delta_indices`
to *every* `observation.*` key, cameras included: a 10-frame effort history would decode 10 frames
per camera. LeRobot main (0.6.2, unreleased) adds modality-specific windows (PR #4076:
`image_observation_delta_indices` / `state_observation_delta_indices`, read with `getattr` by
`resolve_delta_timestamps`, which also gains a `rename_map` argument). Torque configs define
`state_observation_delta_indices` (effort inside `observation.state`), and this module adds what no
LeRobot version does:

1. `resolve_delta_timestamps` first binds a torque policy config to the dataset (`cfg.bind(ds_meta)`:
   the effort layout and the history stride its windows need) and reads its `effort_window()` (a
   `(key, offsets)` pair), then calls LeRobot's function with every argument it was given. Where
   LeRobot windows the key itself (`observation.state` on main) its window is kept and checked;
   elsewhere (0.6.1, and `observation.effort` on every version) the effort key's window is set here.
   Configs without `effort_window` resolve exactly as LeRobot does.
2. LeRobot's per-key window lookup (`DatasetReader._query_hf_dataset`) formats rows through the
   HF dataset, about as costly per sample as decoding a small image. The effort key of such a
   window is served from an in-memory copy of its column instead (same values, same dtype).

Everything LeRobot-internal that this relies on is named in `PATCHED`; `install()` checks it, raises
a RuntimeError for a signature it does not know, and `tests/test_compat_dataset_windows.py` fails
loudly when LeRobot changes it (`make test-upstream` runs it against LeRobot main too). Plugin
discovery runs `install()` (`lerobot_torque/__init__.py`); for configs of other policies every wrapper
passes through. LeRobot calls `factory.resolve_delta_timestamps` through its module, so the patched
function is the one used (a name imported earlier keeps the original).
"""

import functools
import inspect

import lerobot.datasets as lerobot_datasets
from lerobot.datasets import factory
from lerobot.datasets.dataset_reader import DatasetReader
from lerobot.utils.constants import OBS_STATE

# The parameters of `resolve_delta_timestamps` in each LeRobot version this module knows → the
# dataset keys that version windows itself from the config's per-modality properties.
RESOLVE_SIGNATURES = {
    ("cfg", "ds_meta"): frozenset(),  # LeRobot 0.6.1: one observation window for all keys
    ("cfg", "ds_meta", "rename_map"): frozenset({OBS_STATE}),  # main: `state_observation_delta_indices`
}
# name → the parameter lists this module accepts for it (one per known LeRobot version).
PATCHED = {
    "lerobot.datasets.factory.resolve_delta_timestamps": tuple(RESOLVE_SIGNATURES),
    "lerobot.datasets.dataset_reader.DatasetReader._query_hf_dataset": (("self", "query_indices"),),
    "lerobot.datasets.dataset_reader.DatasetReader.__init__": (
        (
            "self",
            "meta",
            "root",
            "episodes",
            "tolerance_s",
            "video_backend",
            "delta_timestamps",
            "image_transforms",
            "return_uint8",
            "depth_output_unit",
        ),
    ),
}
_IN_MEMORY_KEYS = "_torque_in_memory_keys"
_COLUMNS = "_torque_columns"


class EffortWindowTimestamps(dict):
    """`delta_timestamps` that remembers which keys to serve from memory.

    Unpickling it (a DataLoader worker started with `spawn` receives the dataset this way, in a
    fresh interpreter) installs the patches there too.
    """

    def __init__(self, timestamps: dict, in_memory_keys: frozenset[str]):
        super().__init__(timestamps)
        self.in_memory_keys = in_memory_keys

    def __reduce__(self):
        return _restore_timestamps, (dict(self), self.in_memory_keys)


def _restore_timestamps(timestamps: dict, in_memory_keys: frozenset[str]) -> EffortWindowTimestamps:
    install()
    return EffortWindowTimestamps(timestamps, in_memory_keys)


def _resolve_with_effort_window(original, windowed_by_lerobot, cfg, ds_meta, *args, **kwargs):
    """LeRobot's `resolve_delta_timestamps` plus the effort window of a torque config.

    `windowed_by_lerobot`: the keys the installed LeRobot windows itself from the config's
    per-modality properties (`RESOLVE_SIGNATURES`); any other effort key is windowed here.
    """
    request = _effort_window(cfg, ds_meta)  # binds the config before LeRobot reads it
    timestamps = original(cfg, ds_meta, *args, **kwargs)
    if request is None:
        return timestamps
    key, offsets = request
    expected = [offset / ds_meta.fps for offset in offsets]
    timestamps = dict(timestamps or {})
    if key in windowed_by_lerobot and not _renamed(original, key, cfg, ds_meta, *args, **kwargs):
        if timestamps.get(key) != expected:
            raise RuntimeError(
                f"LeRobot's resolve_delta_timestamps gave '{key}' the window {timestamps.get(key)}, not "
                f"the config's state_observation_delta_indices {offsets} at {ds_meta.fps} fps, which "
                "LeRobot main (the version with a rename_map argument) applies. LeRobot changed how it "
                "reads per-modality windows: update lerobot_torque/compat/dataset_windows.py."
            )
    else:
        timestamps[key] = expected
    return EffortWindowTimestamps(timestamps, frozenset({key}))


def _effort_window(cfg, ds_meta) -> tuple[str, list[int]] | None:
    """A torque config's effort window once bound to `ds_meta`; None for other configs."""
    if not callable(getattr(cfg, "effort_window", None)):
        return None
    cfg.bind(ds_meta)
    return cfg.effort_window()


def _renamed(original, key: str, *args, **kwargs) -> bool:
    """Whether the call's `rename_map` gives the dataset key another policy key."""
    rename_map = inspect.signature(original).bind(*args, **kwargs).arguments.get("rename_map") or {}
    return rename_map.get(key, key) != key


def _init_remembering_keys(original, self, *args, **kwargs):
    original(self, *args, **kwargs)
    bound = inspect.signature(original).bind(self, *args, **kwargs)
    setattr(self, _IN_MEMORY_KEYS, getattr(bound.arguments.get("delta_timestamps"), "in_memory_keys", ()))


def _query_with_in_memory_columns(original, self, query_indices: dict[str, list[int]]) -> dict:
    keys = [key for key in getattr(self, _IN_MEMORY_KEYS, ()) if key in query_indices]
    if not keys:
        return original(self, query_indices)
    result = original(self, {k: v for k, v in query_indices.items() if k not in keys})
    columns = self.__dict__.setdefault(_COLUMNS, {})
    for key in keys:
        if key not in columns:
            columns[key] = self.hf_dataset.with_format("torch", columns=[key])[:][key]
        indices = query_indices[key]
        if self._absolute_to_relative_idx is not None:
            indices = [self._absolute_to_relative_idx[idx] for idx in indices]
        result[key] = columns[key][indices]
    return result


def _check_signatures() -> frozenset[str]:
    """Raise a RuntimeError unless LeRobot's patched functions have a known signature.

    Returns the dataset keys the installed LeRobot windows itself (see `RESOLVE_SIGNATURES`).
    """
    found = {
        "lerobot.datasets.factory.resolve_delta_timestamps": factory.resolve_delta_timestamps,
        "lerobot.datasets.dataset_reader.DatasetReader._query_hf_dataset": DatasetReader._query_hf_dataset,
        "lerobot.datasets.dataset_reader.DatasetReader.__init__": DatasetReader.__init__,
    }
    for name, function in found.items():
        parameters = tuple(inspect.signature(function).parameters)
        if parameters not in PATCHED[name]:
            known = " or ".join(str(accepted) for accepted in PATCHED[name])
            raise RuntimeError(
                f"lerobot-torque knows {name} with the parameters {known} (LeRobot 0.6.1 and main); "
                f"the installed LeRobot's takes {parameters}. Install lerobot>=0.6.1,<0.7 or update "
                "lerobot_torque/compat/dataset_windows.py."
            )
    return RESOLVE_SIGNATURES[tuple(inspect.signature(factory.resolve_delta_timestamps).parameters)]


def install() -> None:
    """Patch LeRobot once per process; a no-op when already installed."""
    if hasattr(factory.resolve_delta_timestamps, "__wrapped__"):
        return
    windowed_by_lerobot = _check_signatures()
    resolve, init, query = (
        factory.resolve_delta_timestamps,
        DatasetReader.__init__,
        DatasetReader._query_hf_dataset,
    )

    @functools.wraps(resolve)
    def resolve_delta_timestamps(cfg, ds_meta, *args, **kwargs):
        return _resolve_with_effort_window(resolve, windowed_by_lerobot, cfg, ds_meta, *args, **kwargs)

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):  # noqa: N807
        _init_remembering_keys(init, self, *args, **kwargs)

    @functools.wraps(query)
    def _query_hf_dataset(self, query_indices):
        return _query_with_in_memory_columns(query, self, query_indices)

    factory.resolve_delta_timestamps = resolve_delta_timestamps
    lerobot_datasets.resolve_delta_timestamps = resolve_delta_timestamps
    DatasetReader.__init__ = __init__
    DatasetReader._query_hf_dataset = _query_hf_dataset
