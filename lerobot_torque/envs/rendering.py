"""Offscreen camera images of our MuJoCo envs, and the error raised when no GL context can be made.

`CameraRenderer` keeps one `mujoco.Renderer` per image size of one camera, made on first use. MuJoCo's
renderers hold offscreen GL contexts that must be freed before MuJoCo's EGL module terminates its
display at exit, otherwise every unclosed renderer prints a traceback; atexit runs hooks last-in
first-out, so ours is registered once the first renderer (and with it MuJoCo's GL module) exists.

Our envs render in two places: the policy's camera observation (`--env.obs_type=pixels_agent_pos`) and
`render()`, the frames of `lerobot-eval`'s videos (`--env.visualization_height/width`), which
`lerobot-eval` asks for whatever the obs_type (lerobot/scripts/lerobot_eval.py renders the first 10
episodes unless `--eval.recording=true`). Only the first can be avoided with `--env.obs_type=agent_pos`.
"""

import atexit
import os
import weakref

import numpy as np

HEADLESS_FIX = (
    "On a headless machine set MUJOCO_GL=egl (GPU or Mesa) or MUJOCO_GL=osmesa (CPU, "
    "`apt-get install libosmesa6`)"
)


def default_to_egl_without_display() -> None:
    """Set MUJOCO_GL=egl when it is unset and there is no display (MuJoCo's default, GLFW, needs one).

    MuJoCo picks its GL backend when `mujoco` is first imported (mujoco/__init__.py): call this before.
    """
    if "MUJOCO_GL" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["MUJOCO_GL"] = "egl"


_OPEN_RENDERERS: "weakref.WeakSet[CameraRenderer]" = weakref.WeakSet()
_exit_hook_registered = False


def _close_open_renderers() -> None:
    for renderer in list(_OPEN_RENDERERS):
        renderer.close()


def _register_exit_hook() -> None:
    global _exit_hook_registered
    if not _exit_hook_registered:
        atexit.register(_close_open_renderers)
        _exit_hook_registered = True


def no_gl_context_error(camera: str, *, for_video: bool, obs_type: str) -> RuntimeError:
    """A RuntimeError naming what needed the camera and the fixes that apply to it."""
    if not for_video:
        return RuntimeError(
            f"MuJoCo could not open an offscreen GL context for the {camera} camera of the observations "
            f"(--env.obs_type={obs_type}). {HEADLESS_FIX}, or use --env.obs_type=agent_pos (no camera)."
        )
    return RuntimeError(
        f"MuJoCo could not open an offscreen GL context to render a video frame of the {camera} camera "
        f"(render(), --env.visualization_height/width). lerobot-eval renders videos of the first "
        f"episodes with every --env.obs_type (here {obs_type}). {HEADLESS_FIX}, or pass "
        "--eval.recording=true to lerobot-eval, which then records the episodes as a dataset instead of "
        "rendering videos."
    )


class CameraRenderer:
    """Images of one MJCF camera at any size, one `mujoco.Renderer` per size; `close()` frees them.

    Args:
        camera: The camera's name in the MJCF model.
        label: How error messages name it (e.g. "torque_press side").
        obs_type: The env's `--env.obs_type`, for the error message's fix.
    """

    def __init__(self, camera: str, label: str, obs_type: str):
        self.camera, self.label, self.obs_type = camera, label, obs_type
        self._renderers: dict[tuple[int, int], object] = {}
        _OPEN_RENDERERS.add(self)

    def image(self, model, data, height: int, width: int, for_video: bool = False) -> np.ndarray:
        """An (height, width, 3) uint8 image of `data` (a `mujoco.MjModel` and its `MjData`)."""
        import mujoco

        renderer = self._renderers.get((height, width))
        if renderer is None:
            try:
                renderer = mujoco.Renderer(model, height=height, width=width)
            except Exception as e:  # MuJoCo raises plain Exceptions when no GL context can be made
                raise no_gl_context_error(self.label, for_video=for_video, obs_type=self.obs_type) from e
            self._renderers[(height, width)] = renderer
            _register_exit_hook()
        renderer.update_scene(data, camera=self.camera)
        return renderer.render().copy()

    def close(self) -> None:
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()
