"""Camera features and latest frames of a robot, keyed like LeRobot's robots key them.

LeRobot's `SOFollower.get_observation` inlines the frame loop after its one-register position read;
our robots read positions and effort in one block first, so they need the same loop on its own.
"""

import logging
import time

from lerobot.cameras import Camera, CameraConfig

logger = logging.getLogger(__name__)


def camera_features(configs: dict[str, CameraConfig]) -> dict[str, tuple]:
    """`{name: (h, w, 3)}` and `{name_depth: (h, w, 1)}` per camera (lerobot koch_follower.py)."""
    features: dict[str, tuple] = {}
    for name, config in configs.items():
        if getattr(config, "use_rgb", True):
            features[name] = (config.height, config.width, 3)
        if getattr(config, "use_depth", False):
            features[f"{name}_depth"] = (config.height, config.width, 1)
    return features


def read_camera_frames(owner: str, cameras: dict[str, Camera]) -> dict:
    """`{name: rgb}` and `{name_depth: depth}` for each camera that has them (lerobot so_follower.py)."""
    frames = {}
    for name, camera in cameras.items():
        start = time.perf_counter()
        if getattr(camera, "use_rgb", True):
            frames[name] = camera.read_latest()
        if getattr(camera, "use_depth", False):
            frames[f"{name}_depth"] = camera.read_latest_depth()
        logger.debug("%s read %s: %.1fms", owner, name, (time.perf_counter() - start) * 1e3)
    return frames
