"""Config of a test camera that returns seeded random frames (`type: fake_test_camera`)."""

from dataclasses import dataclass

from lerobot.cameras import CameraConfig


@CameraConfig.register_subclass("fake_test_camera")
@dataclass
class FakeCameraConfig(CameraConfig):
    seed: int = 0
