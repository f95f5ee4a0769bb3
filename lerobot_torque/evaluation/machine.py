"""One line naming where and when a measurement ran, printed next to every reported number."""

import datetime
import os
import platform
from importlib.metadata import PackageNotFoundError, version

PACKAGES = ("lerobot", "torch", "mujoco")


def machine_line() -> str:
    """Date, package versions, Python, CPU architecture and usable cores, e.g. for a README table."""
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            continue
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{datetime.date.today().isoformat()}, {', '.join(versions)}, Python {platform.python_version()}, "
        f"{platform.machine()} {platform.system()}, {cores} CPU cores"
    )
