"""`lerobot-rollout` gives a torque policy the effort features it was trained on.

LeRobot 0.6.1's `build_rollout_context` (lerobot/rollout/context.py) keeps only cameras and the
scalars whose names end in `.pos`/`.vel` before it builds `hw_features` (the policy frame of RTC
inference) and `dataset_features` (the frame of sync inference and the features of the eval dataset
recorded with `--dataset.*`). Our robots' `<joint>.effort` and `<joint>.effort_ext` are dropped, so
a policy trained on `lerobot-record` data (effort inside `observation.state`) fails after connecting
with a size mismatch in its normaliser.

Here the policy's training data decides, not name suffixes. For a torque policy (a config whose
`torque.layout` records where effort was, see `policies/torque/effort_layout.py`), the observation
dicts LeRobot builds its features from keep every robot feature LeRobot keeps plus every scalar of
the training data; LeRobot's `hw_to_dataset_features` then writes them into `observation.state` and
`build_dataset_frame` reads them by name:
- `state` layout: `observation.state` has the recorded names, effort included, in the recorded order;
- `feature` layout: `observation.effort` has the robot's effort keys (a training name `left_waist`
  matches the robot's `left_waist` or `left_waist.effort`), `observation.state` the rest; a state
  name matches the robot's `name` or `name.pos`.
Both hold for the policy frame and the eval dataset. A scalar the policy needs and the robot does not
report raises a ValueError before the robot connects. Other policies get exactly LeRobot's features.

How: `build_rollout_context` is wrapped so that, for the duration of one call, a context variable
holds the torque layout and the robot that `make_robot_from_config` built; `create_initial_features`,
`hw_to_dataset_features` and `aggregate_pipeline_dataset_features`, which context.py looks up in its
module at call time, are wrapped to hand LeRobot the policy's observation features. Outside such a
call the wrappers pass through. Left out: action features (torque policies act on `.pos`, which
LeRobot keeps) and datasets resumed with `--resume` (their features are those they were created with).

Everything LeRobot-internal this relies on is named in `PATCHED` and `RELIED_ON`; `install()` checks
it and `tests/test_compat_rollout_features.py` fails loudly when LeRobot changes it (LeRobot's
discovery logs and swallows that error, so `build_rollout_context` then refuses torque policies
with it instead of rolling them out without effort). Plugin discovery
installs it (`lerobot_torque/__init__.py`). Importing `lerobot.rollout` costs little time (+0.03 s
after `lerobot_torque`, `python -X importtime`) but loads a keyboard listener (pynput, X11) that
`lerobot-train` or `lerobot-record` have no use for, so discovery does not import it:
`install_when_imported()` patches at once if it is loaded (`lerobot-rollout` imports it before
discovery) and otherwise right after its first import, through an import hook. `lerobot-rollout`
imported `build_rollout_context` by name before discovery, so every module holding LeRobot's
function under that name gets the wrapper.
"""

import contextvars
import importlib.abc
import logging
import sys
from dataclasses import dataclass, field

from lerobot.robots import RobotConfig
from lerobot.utils.constants import OBS_STATE, OBS_STR

from lerobot_torque.compat.patching import check_parameters, marked_wrapper
from lerobot_torque.constants import EFFORT_SUFFIX, EFFORT_SUFFIXES, OBS_EFFORT, POSITION_SUFFIX
from lerobot_torque.policies.torque.configuration_torque import TorqueConfig
from lerobot_torque.policies.torque.effort_layout import EffortLayout

logger = logging.getLogger(__name__)

CONTEXT_MODULE = "lerobot.rollout.context"
# name → the parameters this module was written against (LeRobot 0.6.1): wrapped…
PATCHED = {
    f"{CONTEXT_MODULE}.build_rollout_context": (
        "cfg",
        "shutdown_event",
        "teleop_action_processor",
        "robot_action_processor",
        "robot_observation_processor",
    ),
    f"{CONTEXT_MODULE}.make_robot_from_config": ("config",),
    f"{CONTEXT_MODULE}.create_initial_features": ("action", "observation"),
    f"{CONTEXT_MODULE}.hw_to_dataset_features": ("hw_features", "prefix", "use_video"),
    f"{CONTEXT_MODULE}.aggregate_pipeline_dataset_features": (
        "pipeline",
        "initial_features",
        "use_videos",
        "exclude_images",
        "patterns",
    ),
}
# …and used unchanged: strategies and inference engines build frames with it, reading each 1-D
# float32 `observation.*` feature's values by its `names`.
RELIED_ON = {"lerobot.utils.feature_utils.build_dataset_frame": ("ds_features", "values", "prefix")}
# The hooks that must run during a build, else LeRobot's build_rollout_context changed.
HOOKS = (
    "make_robot_from_config",
    "create_initial_features",
    "hw_to_dataset_features",
    "aggregate_pipeline_dataset_features",
)
_MARK = "_lerobot_torque_rollout_features"


@dataclass
class _RolloutCall:
    """What one `build_rollout_context` call of a torque policy knows."""

    policy_type: str
    layout: EffortLayout
    robot: object | None = None
    effort_keys: list[str] = field(default_factory=list)
    hooked: set[str] = field(default_factory=set)


_CALL: contextvars.ContextVar[_RolloutCall | None] = contextvars.ContextVar(
    "lerobot_torque_rollout_call", default=None
)


def effort_layout_of(policy_config) -> EffortLayout | None:
    """The effort layout a torque policy was trained on; None for any other policy."""
    torque = getattr(policy_config, "torque", None)
    return torque.layout if isinstance(torque, TorqueConfig) else None


def _match(name: str, scalars: dict, suffix: str) -> str | None:
    """The robot key of a training name: the name itself, else name + suffix."""
    for key in (name, f"{name}{suffix}"):
        if key in scalars:
            return key
    return None


@dataclass(frozen=True)
class PolicyScalars:
    """Robot keys for a layout: the recorded state (None: as LeRobot), effort keys, missing names."""

    state: list[str] | None
    effort: list[str]
    missing: list[str]


def policy_scalars(layout: EffortLayout, robot_features: dict) -> PolicyScalars:
    """Match the training data's scalar names to the robot's observation keys."""
    scalars = {key: value for key, value in robot_features.items() if not isinstance(value, tuple)}
    effort, missing = [], []
    if layout.key == OBS_EFFORT:
        for name in layout.names:
            key = _match(name, scalars, EFFORT_SUFFIX)
            if key is None:
                missing.append(name)
            else:
                effort.append(key)
    state = [_match(name, scalars, POSITION_SUFFIX) for name in layout.state_names or []]
    if None in state:
        if layout.key == OBS_STATE:  # effort is among these names: each one is needed
            missing += [name for name, key in zip(layout.state_names, state, strict=True) if key is None]
        state = None  # feature layout, names the robot does not use (e.g. `motor_0`): LeRobot's state
    elif layout.state_names is None:
        state = None
    else:
        state = [key for key in state if key not in effort]
    return PolicyScalars(state=state, effort=effort, missing=missing)


def observation_features(layout: EffortLayout, robot_features: dict, kept: dict) -> tuple[dict, list[str]]:
    """The observation features LeRobot should build from, and the keys of `observation.effort`.

    `kept` is what LeRobot kept of `robot_features`. Scalars come in the order the policy was trained
    on (the recorded order, which for `lerobot-record` data is the robot's own), then any other
    scalar LeRobot kept, then the effort keys; cameras stay as LeRobot kept them.
    """
    found = policy_scalars(layout, robot_features)
    kept_scalars = [key for key, value in kept.items() if not isinstance(value, tuple)]
    state = list(found.state or [])
    state += [key for key in kept_scalars if key not in state and key not in found.effort]
    if layout.state_names is not None and len(state) != len(layout.state_names):
        raise ValueError(
            f"The policy was trained on a {len(layout.state_names)}-entry '{OBS_STATE}' "
            f"{layout.state_names}, but the robot gives {len(state)}: {state}. Roll out with the robot "
            "type and options the training data was recorded with."
        )
    keys = state + found.effort
    scalars = {key: robot_features[key] for key in keys}
    cameras = {key: value for key, value in kept.items() if isinstance(value, tuple)}
    return {**scalars, **cameras}, found.effort


def split_effort(features: dict[str, dict], effort_keys: list[str]) -> dict[str, dict]:
    """Move `effort_keys` out of `observation.state` into their own `observation.effort` feature."""
    state = features.get(OBS_STATE)
    effort = [key for key in effort_keys if state is not None and key in state["names"]]
    if not effort:
        return features
    names = [name for name in state["names"] if name not in effort]
    out = {key: value for key, value in features.items() if key != OBS_STATE}
    if names:
        out[OBS_STATE] = {**state, "shape": (len(names),), "names": names}
    out[OBS_EFFORT] = {"dtype": state["dtype"], "shape": (len(effort),), "names": effort}
    return out


def _fix(robot_config, robot_features: dict, missing: list[str]) -> str:
    """How to get the missing scalars: the robot type or effort option the data was recorded with."""
    robot_type = getattr(robot_config, "type", "?")
    hints = []
    if not any(key.endswith(EFFORT_SUFFIXES) for key in robot_features):
        torque_types = sorted(t for t in RobotConfig.get_known_choices() if t.endswith("_torque"))
        if f"{robot_type}_torque" in torque_types:
            hints.append(f"use --robot.type={robot_type}_torque, which reports joint effort")
        else:
            hints.append(f"use an effort-reporting robot type ({', '.join(torque_types)})")
    if any(name.endswith(".effort_ext") for name in missing):
        option = (
            "--robot.left_arm_config.external_effort=true --robot.right_arm_config.external_effort=true"
            if hasattr(robot_config, "left_arm_config")
            else "--robot.external_effort=true"
        )
        hints.append(f"the data was recorded with external effort: add {option}")
    hints.append(
        "roll out with the robot type and effort options the policy's data was recorded with "
        "(e.g. --robot.effort_register, --robot.effort_unit, --robot.external_effort)"
    )
    return "Fix: " + "; ".join(hints) + "."


def check_robot_reports(policy_type: str, layout: EffortLayout, robot_config, robot_features: dict) -> None:
    """Raise a ValueError naming what the policy needs, what the robot reports, and the fix."""
    missing = policy_scalars(layout, robot_features).missing
    if not missing:
        return
    trained_on = (
        f"'{OBS_STATE}' = {layout.state_names}"
        if layout.key == OBS_STATE
        else f"'{OBS_EFFORT}' = {layout.names}"
    )
    scalars = [key for key, value in robot_features.items() if not isinstance(value, tuple)]
    cameras = [key for key, value in robot_features.items() if isinstance(value, tuple)]
    raise ValueError(
        f"{policy_type} was trained on {trained_on}, but robot '{getattr(robot_config, 'type', '?')}' "
        f"does not report {missing}; it reports {scalars} and cameras {cameras}. "
        f"{_fix(robot_config, robot_features, missing)}"
    )


def _kept_features(call: _RolloutCall, kept: dict) -> dict:
    if call.robot is None:
        raise RuntimeError(
            "LeRobot's build_rollout_context built its features before make_robot_from_config returned; "
            "lerobot_torque/compat/rollout_features.py needs updating for this LeRobot version."
        )
    features, call.effort_keys = observation_features(call.layout, call.robot.observation_features, kept)
    return features


def _build_rollout_context(original, cfg, *args, **kwargs):
    layout = effort_layout_of(getattr(cfg, "policy", None))
    if layout is None:
        return original(cfg, *args, **kwargs)
    call = _RolloutCall(policy_type=cfg.policy.type, layout=layout)
    token = _CALL.set(call)
    try:
        context = original(cfg, *args, **kwargs)
    finally:
        _CALL.reset(token)
    skipped = [hook for hook in HOOKS if hook not in call.hooked]
    if skipped:
        raise RuntimeError(
            f"LeRobot's build_rollout_context no longer calls {skipped} of lerobot/rollout/context.py, so "
            "the policy's effort features were not passed; update lerobot_torque/compat/rollout_features.py."
        )
    return context


def _make_robot_from_config(original, config):
    robot = original(config)
    call = _CALL.get()
    if call is not None:
        call.hooked.add("make_robot_from_config")
        call.robot = robot
        # LeRobot's Robot.observation_features works unconnected: check before robot.connect().
        check_robot_reports(call.policy_type, call.layout, config, robot.observation_features)
    return robot


def _create_initial_features(original, action=None, observation=None):
    call = _CALL.get()
    if call is not None and observation:
        call.hooked.add("create_initial_features")
        observation = _kept_features(call, observation)
    return original(action=action, observation=observation)


def _hw_to_dataset_features(original, hw_features, prefix, use_video=True):
    call = _CALL.get()
    if call is None or prefix != OBS_STR:
        return original(hw_features, prefix, use_video)
    call.hooked.add("hw_to_dataset_features")
    features = split_effort(original(_kept_features(call, hw_features), prefix, use_video), call.effort_keys)
    logger.info(
        "%s reads the scalars of its training data: %s",
        call.policy_type,
        {key: feature["names"] for key, feature in features.items() if key in (OBS_STATE, OBS_EFFORT)},
    )
    return features


def _aggregate_pipeline_dataset_features(original, *args, **kwargs):
    features = original(*args, **kwargs)
    call = _CALL.get()
    if call is None:
        return features
    call.hooked.add("aggregate_pipeline_dataset_features")
    return split_effort(features, call.effort_keys)


def _check_signatures() -> None:
    check_parameters(
        {**PATCHED, **RELIED_ON},
        "LeRobot 0.6.1",
        "Install lerobot>=0.6.1,<0.7 or update lerobot_torque/compat/rollout_features.py.",
    )


def _wrapper(original, body):
    return marked_wrapper(original, body, _MARK)


def _refuse_torque_policies(error: RuntimeError):
    """A `build_rollout_context` body for a LeRobot this module does not fit: torque policies raise."""

    def body(original, *args, **kwargs):
        cfg = args[0] if args else kwargs.get("cfg")
        if effort_layout_of(getattr(cfg, "policy", None)) is not None:
            raise RuntimeError(f"{error} Without it, lerobot-rollout would drop the policy's effort.")
        return original(*args, **kwargs)

    return body


def _replace_everywhere(original, replacement) -> None:
    """Rebind LeRobot's function in every loaded module holding it (context.py, `lerobot.rollout`,
    and the names lerobot_rollout.py or `__main__` imported before plugin discovery)."""
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict) and namespace.get("build_rollout_context") is original:
            module.build_rollout_context = replacement


def install() -> None:
    """Patch `lerobot.rollout.context` (importing it) once per process; a no-op when installed.

    Raises a RuntimeError naming this file if LeRobot's internals changed; LeRobot's plugin discovery
    logs and swallows it, so `build_rollout_context` then refuses torque policies with that error.
    """
    _remove_import_hook()
    context = sys.modules.get(CONTEXT_MODULE) or importlib.import_module(CONTEXT_MODULE)
    original = getattr(context, "build_rollout_context", None)
    if getattr(original, _MARK, False):
        return
    try:
        _check_signatures()
    except RuntimeError as error:
        if callable(original):
            _replace_everywhere(original, _wrapper(original, _refuse_torque_policies(error)))
        raise
    for attribute, body in (
        ("make_robot_from_config", _make_robot_from_config),
        ("create_initial_features", _create_initial_features),
        ("hw_to_dataset_features", _hw_to_dataset_features),
        ("aggregate_pipeline_dataset_features", _aggregate_pipeline_dataset_features),
    ):
        setattr(context, attribute, _wrapper(getattr(context, attribute), body))
    _replace_everywhere(original, _wrapper(original, _build_rollout_context))


class _InstallingLoader(importlib.abc.Loader):
    """Runs LeRobot's own loader for `lerobot.rollout.context`, then `install()`."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader  # the module keeps LeRobot's loader
        self.loader.exec_module(module)
        install()


class _InstallAfterImport(importlib.abc.MetaPathFinder):
    """An import hook that installs the patch right after `lerobot.rollout.context` is imported."""

    def find_spec(self, fullname, path, target=None):
        if fullname != CONTEXT_MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _InstallingLoader(spec.loader)
                return spec
        return None


def _remove_import_hook() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _InstallAfterImport)]


def install_when_imported() -> None:
    """Install now if `lerobot.rollout.context` is loaded, else right after its first import."""
    if CONTEXT_MODULE in sys.modules:
        install()
    elif not any(isinstance(finder, _InstallAfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _InstallAfterImport())
