"""The LeRobot versions we support: 0.6.1 (installed) and main (`make test-upstream`, README).

`make test-upstream` puts LeRobot main's sources first on `PYTHONPATH` and names them in
`LEROBOT_TORQUE_UPSTREAM_SRC`; without that variable (the ordinary pass) the first test is skipped.
"""

import dataclasses
import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import lerobot
from lerobot.datasets import factory

UPSTREAM_SRC = os.environ.get("LEROBOT_TORQUE_UPSTREAM_SRC")
# Our packages whose classes subclass LeRobot's (async_inference is left out: importing LeRobot's
# policy server and robot client writes log files into the working directory).
SUBCLASSING_PACKAGES = (
    "lerobot_torque.policies",
    "lerobot_torque.robots",
    "lerobot_torque.teleoperators",
    "lerobot_torque.envs",
)


@pytest.mark.skipif(not UPSTREAM_SRC, reason="set by `make test-upstream`")
def test_the_upstream_pass_imports_lerobot_main_here_and_in_subprocesses():
    """Else `make test-upstream` would silently test the installed 0.6.1 a second time."""
    snapshot = Path(UPSTREAM_SRC).resolve() / "lerobot"
    assert Path(lerobot.__file__).resolve().parent == snapshot
    # LeRobot main's API, not 0.6.1's (lerobot.__version__ is read from the installed metadata).
    assert "rename_map" in inspect.signature(factory.resolve_delta_timestamps).parameters
    # What `lerobot-train` and the other commands the tests start import.
    run = subprocess.run(
        [sys.executable, "-c", "import lerobot; print(lerobot.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(run.stdout.strip()).resolve().parent == snapshot


def lerobot_class_defining(cls: type, method: str) -> type | None:
    """The nearest LeRobot class in `cls`'s bases that defines `method`."""
    bases = (b for b in cls.__mro__[1:] if b.__module__.startswith("lerobot.") and method in vars(b))
    return next(bases, None)


def lerobot_methods_we_override():
    """(our class, method name, LeRobot class, our function, LeRobot's function) for every method of
    a LeRobot class that one of our classes overrides; dataclass `__init__`s (fields) left out."""
    for package in SUBCLASSING_PACKAGES:
        root = importlib.import_module(package)
        names = [package, *(info.name for info in pkgutil.walk_packages(root.__path__, f"{package}."))]
        for name in names:
            for cls in vars(importlib.import_module(name)).values():
                if not inspect.isclass(cls) or cls.__module__ != name:
                    continue
                for method, ours in vars(cls).items():
                    ours = getattr(ours, "__func__", ours)  # classmethod, staticmethod
                    fields = method == "__init__" and dataclasses.is_dataclass(cls)
                    base = lerobot_class_defining(cls, method)
                    if base is None or fields or not inspect.isfunction(ours):
                        continue
                    theirs = getattr(vars(base)[method], "__func__", vars(base)[method])
                    if inspect.isfunction(theirs):
                        yield cls, method, base, ours, theirs


def signature_mismatches(ours, theirs) -> list[str]:
    """What LeRobot may pass that ours cannot take, and what ours requires that LeRobot does not pass."""
    own, lerobots = inspect.signature(ours).parameters, inspect.signature(theirs).parameters
    variadic = (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    takes_keywords = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in own.values())
    named = {n: p for n, p in lerobots.items() if p.kind not in variadic}
    missing = [] if takes_keywords else [n for n in named if n not in own]
    required = [
        n for n, p in own.items() if n not in lerobots and p.kind not in variadic and p.default is p.empty
    ]
    return [f"does not take {missing}"] * bool(missing) + [f"requires {required}"] * bool(required)


def test_every_lerobot_method_we_override_takes_the_arguments_lerobot_passes():
    """E.g. `PreTrainedPolicy._save_pretrained` lost its `state_dict` argument on LeRobot main."""
    overrides = list(lerobot_methods_we_override())
    mismatches = [
        f"{cls.__module__}.{cls.__qualname__}.{method} (overrides {base.__module__}.{base.__qualname__}) "
        f"{'; '.join(found)}: LeRobot's is {inspect.signature(theirs)}"
        for cls, method, base, ours, theirs in overrides
        if (found := signature_mismatches(ours, theirs))
    ]
    assert len(overrides) > 50  # the policies', robots', teleoperators' and envs' overrides were found
    assert not mismatches, "\n".join(mismatches)
