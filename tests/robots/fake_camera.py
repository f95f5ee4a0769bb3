"""A camera without hardware: seeded random RGB frames (LeRobot finds it by its config's module name)."""

import numpy as np

from lerobot.cameras import Camera

from tests.robots.config_fake_camera import FakeCameraConfig


class FakeCamera(Camera):
    def __init__(self, config: FakeCameraConfig):
        super().__init__(config)
        self._rng = np.random.default_rng(config.seed)
        self._connected = False

    @property
    def is_connected(self) -> bool:
        return self._connected

    @staticmethod
    def find_cameras() -> list[dict]:
        return []

    def connect(self, warmup: bool = True) -> None:
        self._connected = True

    def read(self) -> np.ndarray:
        return self._rng.integers(0, 256, (self.height, self.width, 3), dtype=np.uint8)

    def async_read(self, timeout_ms: float = 200) -> np.ndarray:
        return self.read()

    def read_latest(self, max_age_ms: int = 500) -> np.ndarray:
        return self.read()

    def disconnect(self) -> None:
        self._connected = False
