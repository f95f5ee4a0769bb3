"""Atomic files: a file appears complete under its final name, or not at all (folders: `atomic_output`).

Work happens in a hidden temporary sibling (same parent, so the same filesystem) that is renamed
to the final name only when writing succeeded; a failure removes it. `os.replace` of a directory
onto a missing name and of a file onto any name is atomic on POSIX filesystems.
"""

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


def temporary_sibling(final: Path) -> Path:
    """A fresh, not yet existing path next to `final` (hidden, unique)."""
    return final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex[:8]}")


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to `path` for a writer that takes a path (e.g. `savefig`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.stem}.tmp-{uuid.uuid4().hex[:8]}{path.suffix}")
    try:
        yield staging
        os.replace(staging, path)
    finally:
        if staging.exists():
            staging.unlink()
