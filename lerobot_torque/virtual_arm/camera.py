"""A camera view of the virtual arm, published for LeRobot's ZMQ camera (`--robot.cameras` type `zmq`).

Frames are rendered with MuJoCo from the simulation's joint angles and sent as LeRobot's
`ZMQCamera` expects them (lerobot/cameras/zmq/camera_zmq.py): one JSON message per frame,
`{"timestamps": {name: t}, "images": {name: <base64 JPEG>}}`, on a PUB socket.

Rendering runs in its own process, at a lower CPU priority: software OpenGL takes about 35 ms per
frame on a CPU, and in the arm's process it would delay bus replies past LeRobot's 50 ms packet
timeout. The arm process only copies its joint angles into shared memory (`update`).
"""

import base64
import json
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from lerobot_torque.envs.rendering import default_to_egl_without_display

logger = logging.getLogger(__name__)

JPEG_QUALITY = 90
RENDER_NICENESS = 5  # below the bus server, which must answer within milliseconds
START_TIMEOUT_S = 60
RENDER_ANGLE_DECIMALS = 3  # 1 mrad: finer than a 64×48 view shows


@dataclass(frozen=True)
class CameraView:
    """A MuJoCo free camera: the point it looks at (m), its distance (m) and angles (degrees)."""

    lookat: tuple[float, float, float]
    distance: float
    azimuth: float
    elevation: float


@dataclass(frozen=True)
class CameraSettings:
    port: int
    view: CameraView
    name: str = "front"
    width: int = 64
    height: int = 48
    # Frames per second; LeRobot robots take the latest frame (`read_latest`, up to 1 s old).
    fps: int = 10
    host: str = "127.0.0.1"


class CameraPublisher:
    """Renders the model `build_model()` compiles with the angles given to `update`, until `stop()`.

    `build_model` runs in the render process: a module-level function (a spawned process receives it
    by name), such as `so101_arm.build_model`.
    """

    def __init__(self, build_model: Callable[[], object], nq: int, settings: CameraSettings):
        context = mp.get_context("spawn")
        self.settings = settings
        self._qpos = context.Array("d", nq, lock=False)
        self._ready = context.Event()
        self._errors = context.Queue()
        self._process = context.Process(
            target=_publish,
            args=(build_model, settings, self._qpos, self._ready, self._errors),
            daemon=True,
        )

    def update(self, qpos) -> None:
        self._qpos[:] = qpos

    def start(self) -> "CameraPublisher":
        self._process.start()
        if not self._ready.wait(START_TIMEOUT_S):
            error = self._errors.get() if not self._errors.empty() else "no frame within 60 s"
            self.stop()
            raise RuntimeError(
                f"The virtual camera could not start: {error}. Rendering needs OpenGL: on a machine "
                "without a display set MUJOCO_GL=egl (or osmesa), or leave out --camera_port."
            )
        return self

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=5)


def _publish(build_model: Callable[[], object], settings: CameraSettings, qpos, ready, errors) -> None:
    """The render process: build the arm's model, render `qpos` at `fps`, publish JPEGs."""
    try:
        os.nice(RENDER_NICENESS)
        default_to_egl_without_display()
        import cv2
        import mujoco
        import zmq

        model = build_model()
        socket = zmq.Context.instance().socket(zmq.PUB)
        socket.bind(f"tcp://{settings.host}:{settings.port}")
        renderer = mujoco.Renderer(model, settings.height, settings.width)
        data = mujoco.MjData(model)
        camera = mujoco.MjvCamera()
        view = settings.view
        camera.lookat[:], camera.distance = view.lookat, view.distance
        camera.azimuth, camera.elevation = view.azimuth, view.elevation
    except Exception as e:  # reported by start()
        errors.put(repr(e))
        return
    period = 1.0 / settings.fps
    next_frame = time.perf_counter()
    rendered_qpos, image = None, None
    while True:
        current = [round(angle, RENDER_ANGLE_DECIMALS) for angle in qpos[:]]
        if current != rendered_qpos:  # a still arm is not rendered again (rendering costs ~35 ms)
            data.qpos[:] = current
            mujoco.mj_kinematics(model, data)
            renderer.update_scene(data, camera)
            bgr = cv2.cvtColor(renderer.render(), cv2.COLOR_RGB2BGR)
            ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if ok:
                rendered_qpos, image = current, base64.b64encode(jpeg.tobytes()).decode("ascii")
        if image is not None:
            message = {"timestamps": {settings.name: time.time()}, "images": {settings.name: image}}
            socket.send_string(json.dumps(message))
        ready.set()
        next_frame += period
        time.sleep(max(0.0, next_frame - time.perf_counter()))
