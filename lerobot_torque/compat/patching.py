"""What the compat patches share: finding a patched function, checking its parameters, marking wrappers.

Each patch module names the functions it wraps or relies on with the parameters it was written
against (its `PATCHED` / `RELIED_ON`); `check_parameters` refuses anything else, naming the file to
update, so a changed LeRobot or draccus fails loudly instead of being patched wrongly.
"""

import functools
import importlib
import inspect
import sys
from collections.abc import Callable


def lookup(name: str):
    """The function at a dotted name (a module's function or a class's method), or None.

    A module already imported is read as it is now (a test's monkeypatch included); a classmethod
    gives its function.
    """
    parts = name.split(".")
    for split in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:split])
        try:
            found = sys.modules.get(module_name) or importlib.import_module(module_name)
        except ImportError:
            continue
        for attribute in parts[split:]:
            found = inspect.getattr_static(found, attribute, None)
        return getattr(found, "__func__", found)
    return None


def parameters_of(name: str) -> tuple[str, ...] | None:
    """The parameter names of the function at `name` (through `functools.wraps`), None if absent."""
    function = lookup(name)
    return tuple(inspect.signature(function).parameters) if callable(function) else None


def check_parameters(expected: dict[str, tuple[str, ...]], written_for: str, fix: str) -> None:
    """Raise a RuntimeError unless every named function takes exactly the expected parameters.

    `written_for` names the versions the patch was written against (e.g. "LeRobot 0.6.1"), `fix`
    tells what to do (install a fitting version, or update the patch file it names).
    """
    for name, parameters in expected.items():
        found = parameters_of(name)
        if found != parameters:
            raise RuntimeError(
                f"lerobot-torque was written for {written_for}, where {name} takes {parameters}; the "
                f"installed one {'takes ' + str(found) if found else 'has none'}. {fix}"
            )


def marked_wrapper(original: Callable, body: Callable, mark: str) -> Callable:
    """`original` wrapped as `body(original, *args, **kwargs)`, carrying the attribute `mark` = True."""

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        return body(original, *args, **kwargs)

    setattr(wrapper, mark, True)
    return wrapper
