"""Compatibility code for the LeRobot version we pin; see each module's docstring."""

import logging

logger = logging.getLogger(__name__)


def install_config_errors() -> None:
    """Let config validation messages reach LeRobot's CLIs (`config_errors.py`).

    Called by plugin discovery (`lerobot_torque/__init__.py`). A draccus this does not fit only costs
    the messages, so the error is logged and our configs still register.
    """
    from lerobot_torque.compat import config_errors

    try:
        config_errors.install()
    except RuntimeError as error:
        logger.warning("%s", error)


def install_dataset_windows() -> None:
    """Give torque policies their effort windows in LeRobot's datasets (`dataset_windows.py`).

    Called by plugin discovery (`lerobot_torque/__init__.py`); the wrappers change nothing for other
    policies. A LeRobot whose internals this does not know is logged here; a torque policy then
    refuses its first training batch (one frame instead of the window), naming the fix.
    """
    from lerobot_torque.compat import dataset_windows

    try:
        dataset_windows.install()
    except RuntimeError as error:
        logger.warning("%s", error)


def install_rollout_features() -> None:
    """Make `lerobot-rollout` pass torque policies their effort features (`rollout_features.py`).

    Called by plugin discovery (`lerobot_torque/__init__.py`); imports nothing heavy.
    """
    from lerobot_torque.compat import rollout_features

    rollout_features.install_when_imported()
