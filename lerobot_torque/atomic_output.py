"""Write an output folder atomically: build it in a temporary sibling, rename it into place when complete.

    with atomic_output(Path("data/demos"), option="--root") as staging:
        write_everything(staging)  # `staging` does not exist yet (LeRobot's writers create their root)
    # data/demos exists now, complete. After an error, Ctrl-C, SIGTERM or SIGHUP nothing is left.

The temporary sibling is `<name>.incomplete-<random>/` next to the target (one filesystem, so the
final `os.rename` is atomic) and holds the folder being written under the target's name. Its process
keeps an `fcntl.flock` on it while writing. A process killed outright (SIGKILL, out of memory) cannot
clean up, but the kernel drops its lock: the next run for the same target removes every unlocked
`<name>.incomplete-*` sibling before it starts, and leaves a locked one (another run) alone.

An existing target is never replaced (LeRobot's `LeRobotDataset.create` refuses an existing root
too): the error names it and the fix. An empty folder counts as free.
"""

import glob
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; every leftover counts as stale
    fcntl = None

logger = logging.getLogger(__name__)

STAGING_MARK = ".incomplete-"
TERMINATING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def check_output_free(target: Path, option: str) -> None:
    """Raise FileExistsError unless `target` is absent or an empty folder."""
    if target.is_dir() and not any(target.iterdir()):
        return
    if target.exists():
        raise FileExistsError(
            f"{option}={target} already exists; it is never overwritten. Delete it (rm -r {target}) to "
            f"write it again, or choose another {option}."
        )


def lock_folder(path: Path) -> int | None:
    """An exclusive lock on the folder `path`, held until the returned descriptor is closed.

    Raises BlockingIOError if another process holds it (None: no locks on this platform)."""
    if fcntl is None:
        return None
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def unlock_folder(descriptor: int | None) -> None:
    if descriptor is not None:
        os.close(descriptor)


def remove_stale_staging(target: Path) -> None:
    """Remove the temporary siblings of `target` that no running process holds (left by a kill)."""
    for leftover in target.parent.glob(glob.escape(target.name) + STAGING_MARK + "*"):
        try:
            descriptor = lock_folder(leftover)
        except BlockingIOError:
            logger.warning("%s is being written by another process; leaving it alone", leftover)
            continue
        except FileNotFoundError:
            continue
        try:
            logger.warning("Removing %s, left by an interrupted run", leftover)
            shutil.rmtree(leftover, ignore_errors=True)
        finally:
            unlock_folder(descriptor)


def raise_system_exit(signum: int, frame) -> None:
    raise SystemExit(128 + signum)  # the shell's exit status of a process killed by `signum`


@contextmanager
def terminating_signals_raise() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into SystemExit in the main thread, so that `finally` blocks run.

    Only where the default action (terminate at once) is in place: a handler of the calling program,
    or an ignored signal, is left as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    replaced = [signum for signum in TERMINATING_SIGNALS if signal.getsignal(signum) is signal.SIG_DFL]
    for signum in replaced:
        signal.signal(signum, raise_system_exit)
    try:
        yield
    finally:
        for signum in replaced:
            signal.signal(signum, signal.SIG_DFL)


def make_parents(path: Path) -> list[Path]:
    """Create the missing parent folders of `path`; return those created, deepest first."""
    missing = [parent for parent in path.absolute().parents if not parent.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    return missing


def remove_if_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


@contextmanager
def atomic_output(target: str | Path, option: str) -> Iterator[Path]:
    """Yield a path (not yet created) to write `target` at; rename it to `target` if the block completes.

    `option` is the command-line flag that chose `target`, for the error message if it exists.
    """
    target = Path(target)
    check_output_free(target, option)
    created = make_parents(target)
    remove_stale_staging(target)
    container = Path(tempfile.mkdtemp(prefix=target.name + STAGING_MARK, dir=target.parent))
    descriptor = lock_folder(container)
    staging = container / target.name
    complete = False
    try:
        with terminating_signals_raise():
            yield staging
            if not staging.is_dir():
                raise RuntimeError(f"Nothing was written to {staging}, so {target} was not created.")
            check_output_free(target, option)  # another run may have finished first
            if target.is_dir():
                target.rmdir()
            os.rename(staging, target)
            complete = True
    finally:
        shutil.rmtree(container, ignore_errors=True)
        unlock_folder(descriptor)
        if not complete:
            remove_if_empty(created)
