"""Effort windows on LeRobot 0.6.1 datasets without decoding any image history.

LeRobot 0.6.1's `datasets.factory.resolve_delta_timestamps` gives one `observation_delta_indices`
to *every* `observation.*` key, cameras included: a 10-frame effort history would decode 10 frames
per camera. LeRobot main adds modality-specific windows (PR #4076:
`image_observation_delta_indices` / `state_observation_delta_indices`, read with `getattr` by
`resolve_delta_timestamps`). This module backports that shape for one more modality, effort:

1. `resolve_delta_timestamps` also asks the policy config for `effort_dataset_window(ds_meta)`
   (a `(key, offsets)` pair) and windows that one key; configs without it resolve as before.
2. LeRobot's per-key window lookup (`DatasetReader._query_hf_dataset`) formats rows through the
   HF dataset, about as costly per sample as decoding a small image. The effort key of such a
   window is served from an in-memory copy of its column instead (same values, same dtype).

Everything LeRobot-internal that this relies on is named in `PATCHED`; `install()` checks it and
`tests/test_compat_dataset_windows.py` fails loudly when LeRobot changes it. `install()` runs when
the first torque policy config is created (`TorquePolicyConfigMixin.install_dataset_windows`), so
plain LeRobot runs are untouched; LeRobot calls `factory.resolve_delta_timestamps` through its module,
so the patched function is the one used (a name imported earlier keeps the original).
"""

import functools
import inspect

import lerobot.datasets as lerobot_datasets
from lerobot.datasets import factory
from lerobot.datasets.dataset_reader import DatasetReader

# name → the parameters this module was written against (LeRobot 0.6.1). LeRobot main (the next
# release our pin admits) adds `rename_map` to `resolve_delta_timestamps`; both are accepted and
# every argument is passed through.
RESOLVE_SIGNATURES = (("cfg", "ds_meta"), ("cfg", "ds_meta", "rename_map"))
PATCHED = {
    "lerobot.datasets.factory.resolve_delta_timestamps": RESOLVE_SIGNATURES,
    "lerobot.datasets.dataset_reader.DatasetReader._query_hf_dataset": ("self", "query_indices"),
    "lerobot.datasets.dataset_reader.DatasetReader.__init__": (
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


def _resolve_with_effort_window(original, cfg, ds_meta, *args, **kwargs):
    timestamps = original(cfg, ds_meta, *args, **kwargs)
    window = getattr(cfg, "effort_dataset_window", None)
    request = window(ds_meta) if callable(window) else None
    if request is None:
        return timestamps
    key, offsets = request
    timestamps = dict(timestamps or {})
    timestamps[key] = [offset / ds_meta.fps for offset in offsets]
    return EffortWindowTimestamps(timestamps, frozenset({key}))


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


def _check_signatures() -> None:
    found = {
        "lerobot.datasets.factory.resolve_delta_timestamps": factory.resolve_delta_timestamps,
        "lerobot.datasets.dataset_reader.DatasetReader._query_hf_dataset": DatasetReader._query_hf_dataset,
        "lerobot.datasets.dataset_reader.DatasetReader.__init__": DatasetReader.__init__,
    }
    for name, function in found.items():
        parameters = tuple(inspect.signature(function).parameters)
        accepted = PATCHED[name] if isinstance(PATCHED[name][0], tuple) else (PATCHED[name],)
        if parameters not in accepted:
            raise RuntimeError(
                f"lerobot-torque was written for LeRobot 0.6.1, where {name} takes {PATCHED[name]}; the "
                f"installed LeRobot's takes {parameters}. Install lerobot>=0.6.1,<0.7 or update "
                "lerobot_torque/compat/dataset_windows.py."
            )


def install() -> None:
    """Patch LeRobot 0.6.1 once per process; a no-op when already installed."""
    if hasattr(factory.resolve_delta_timestamps, "__wrapped__"):
        return
    _check_signatures()
    resolve, init, query = (
        factory.resolve_delta_timestamps,
        DatasetReader.__init__,
        DatasetReader._query_hf_dataset,
    )

    @functools.wraps(resolve)
    def resolve_delta_timestamps(cfg, ds_meta, *args, **kwargs):
        return _resolve_with_effort_window(resolve, cfg, ds_meta, *args, **kwargs)

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
