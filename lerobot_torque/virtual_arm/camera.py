"""A camera view of the virtual arm, published for LeRobot's ZMQ camera (`--robot.cameras` type `zmq`).

Frames are rendered with MuJoCo from a copy of the simulation's joint angles and sent as LeRobot's
`ZMQCamera` expects them (lerobot/cameras/zmq/camera_zmq.py): one JSON message per frame,
`{"timestamps": {name: t}, "images": {name: <base64 JPEG>}}`, on a PUB socket.
"""

import base64
import json
import logging
import threading
import time

from lerobot_torque.virtual_arm.arm_sim import ArmSimulation

logger = logging.getLogger(__name__)

JPEG_QUALITY = 90
# A view from the front-left of the arm, looking at the block (MuJoCo free camera).
LOOKAT = (0.02, -0.15, 0.08)
DISTANCE_M = 0.75
AZIMUTH_DEG = 150.0
ELEVATION_DEG = -25.0


class CameraPublisher:
    """Renders `sim` at `fps` and publishes it on `tcp://<host>:<port>` until `stop()`.

    Args:
        sim: The running simulation.
        port: TCP port of the PUB socket.
        name: Camera name in the messages (LeRobot's `camera_name`).
        width, height: Image size in pixels.
        fps: Frames per second. Software rendering costs about 35 ms per frame on a CPU, so the
            default is 10; LeRobot robots take the latest frame (`read_latest`, up to 1 s old).
        host: Interface to bind; localhost by default.
    """

    def __init__(
        self,
        sim: ArmSimulation,
        port: int,
        name: str = "front",
        width: int = 64,
        height: int = 48,
        fps: int = 10,
        host: str = "127.0.0.1",
    ):
        self.sim, self.port, self.name = sim, port, name
        self.width, self.height, self.fps, self.host = width, height, fps, host
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="virtual-arm camera", daemon=True)

    def start(self) -> "CameraPublisher":
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            raise RuntimeError(f"The virtual camera could not start: {self._error}") from self._error
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        try:
            import cv2
            import mujoco
            import zmq

            context = zmq.Context.instance()
            socket = context.socket(zmq.PUB)
            socket.bind(f"tcp://{self.host}:{self.port}")
            renderer = mujoco.Renderer(self.sim.model, self.height, self.width)
            view = mujoco.MjData(self.sim.model)
            camera = mujoco.MjvCamera()
            camera.lookat[:], camera.distance = LOOKAT, DISTANCE_M
            camera.azimuth, camera.elevation = AZIMUTH_DEG, ELEVATION_DEG
            renderer.update_scene(view, camera)
            renderer.render()  # the first frame sets up the GL context (slow): before the arm is "ready"
        except Exception as e:  # reported by start()
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        period = 1.0 / self.fps
        next_frame = time.perf_counter()
        while not self._stop.is_set():
            with self.sim.lock:
                view.qpos[:] = self.sim.data.qpos
            mujoco.mj_kinematics(self.sim.model, view)
            renderer.update_scene(view, camera)
            rgb = renderer.render()
            ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if ok:
                message = {
                    "timestamps": {self.name: time.time()},
                    "images": {self.name: base64.b64encode(jpeg.tobytes()).decode("ascii")},
                }
                socket.send_string(json.dumps(message))
            next_frame += period
            time.sleep(max(0.0, next_frame - time.perf_counter()))
        renderer.close()
        socket.close(linger=0)
