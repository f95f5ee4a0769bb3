"""Compatibility code for the LeRobot version we pin; see each module's docstring."""


def install_rollout_features() -> None:
    """Make `lerobot-rollout` pass torque policies their effort features (`rollout_features.py`).

    Called by plugin discovery (`lerobot_torque/__init__.py`); imports nothing heavy.
    """
    from lerobot_torque.compat import rollout_features

    rollout_features.install_when_imported()
