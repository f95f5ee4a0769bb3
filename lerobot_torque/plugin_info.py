"""The plugin's name, version and install line, as the cards on the Hub state them."""

import importlib.metadata
import shlex
import sys

DISTRIBUTION = "lerobot_policy_torque"


def plugin_version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def install_line(extra: str | None = None) -> str:
    """`pip install ...` for this version: from the project URL when the metadata has one, else by name."""
    requirement = f"{DISTRIBUTION}[{extra}]" if extra else DISTRIBUTION
    try:
        metadata = importlib.metadata.metadata(DISTRIBUTION)
        urls = [url.split(",", 1)[-1].strip() for url in metadata.get_all("Project-URL") or []]
    except importlib.metadata.PackageNotFoundError:
        urls = []
    if urls:
        return f'pip install "{requirement} @ git+{urls[0]}"'
    return f'pip install "{requirement}=={plugin_version()}"'


def command_line(program: str, argv: list[str] | None = None) -> str:
    """The command being run, as a user would type it (`program` + the arguments after argv[0])."""
    args = sys.argv[1:] if argv is None else argv
    return shlex.join([program, *args])
