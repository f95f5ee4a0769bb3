"""Send this process a signal at a chosen point of a command: the n-th call of a function, before or after it.

In a test: `monkeypatch.setattr(module, "name", signalling(module.name, signal.SIGTERM))`. As a
command, to kill a console script outright (nothing of it can clean up):

    python -m tests.kill_point SIGKILL lerobot.datasets.dataset_tools:write_stats 1 before \
        lerobot_torque.datasets.convert_effort_layout:main --repo-id=... (the command's own arguments)

Only the moment of the signal is chosen here; what the command does about it is what tests check.
"""

import functools
import importlib
import os
import signal
import sys
from collections.abc import Callable

import pytest

PYTHON_DEFAULTS = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}


@pytest.fixture
def python_signal_defaults():
    """Python's own SIGINT and SIGTERM handling for the test: LeRobot's `ProcessSignalHandler` (run
    in-process by `record()` in other tests) installs handlers for both and never restores them."""
    previous = {signum: signal.signal(signum, handler) for signum, handler in PYTHON_DEFAULTS.items()}
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def signalling(function: Callable, signum: int, call: int = 1, when: str = "before") -> Callable:
    """`function`, sending this process `signum` at its `call`-th call, `before` or `after` it runs."""
    if when not in ("before", "after"):
        raise ValueError(f"when must be 'before' or 'after', got {when!r}.")
    calls = 0

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == call and when == "before":
            os.kill(os.getpid(), signum)
        result = function(*args, **kwargs)
        if calls == call and when == "after":
            os.kill(os.getpid(), signum)
        return result

    return wrapper


def resolve(spec: str) -> tuple[object, str]:
    """`package.module:Class.attribute` → (the object holding the attribute, the attribute's name)."""
    module_name, _, qualified = spec.partition(":")
    owner = importlib.import_module(module_name)
    *path, name = qualified.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, name


def main() -> None:
    signal_name, target, call, when, command, *arguments = sys.argv[1:]
    owner, name = resolve(target)
    setattr(owner, name, signalling(getattr(owner, name), signal.Signals[signal_name], int(call), when))
    entry_owner, entry_name = resolve(command)
    sys.argv = [command, *arguments]
    getattr(entry_owner, entry_name)()


if __name__ == "__main__":
    main()
