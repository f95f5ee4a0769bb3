"""A small synthetic "press until it pushes back" dataset, in either effort layout.

Each episode has a hidden contact point and stiffness. The arm's joints advance; past contact the
effort rises with stiffness, and the demonstrated action retracts once the effort crosses a
threshold. The retreat time therefore follows the effort, not the position: a policy needs effort
to imitate it. Used by the tests, `examples/act_torque_python_api.py` and
`benchmarks/act_torque_overhead.py`; the simulated tasks (`lerobot_torque.envs`) are the real evaluation.

Layouts (`layout`):
- `feature`: `observation.state` = `joint<i>.pos`, `observation.effort` = `joint<i>`;
- `state`:   `observation.state` = `joint<i>.pos` then `joint<i>.effort` (what `lerobot-record` writes);
- `none`:    `observation.state` = `joint<i>.pos` and no effort at all (for error paths and baselines).
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np

from lerobot.datasets import LeRobotDataset

from lerobot_torque.constants import EFFORT_SUFFIX, OBS_EFFORT

EFFORT_THRESHOLD = 1.0


def synthetic_features(
    layout: str, num_joints: int, image_size: int, use_videos: bool, cameras: tuple[str, ...] = ("top",)
) -> dict:
    positions = [f"joint{i}.pos" for i in range(num_joints)]
    image = {
        "dtype": "video" if use_videos else "image",
        "shape": (image_size, image_size, 3),
        "names": ["height", "width", "channels"],
    }
    features = {f"observation.images.{camera}": dict(image) for camera in cameras}
    features["action"] = {"dtype": "float32", "shape": (num_joints,), "names": positions}
    if layout == "state":
        names = positions + [f"joint{i}{EFFORT_SUFFIX}" for i in range(num_joints)]
        features["observation.state"] = {"dtype": "float32", "shape": (len(names),), "names": names}
    elif layout in ("feature", "none"):
        features["observation.state"] = {"dtype": "float32", "shape": (num_joints,), "names": positions}
        if layout == "feature":
            names = [f"joint{i}" for i in range(num_joints)]
            features[OBS_EFFORT] = {"dtype": "float32", "shape": (num_joints,), "names": names}
    else:
        raise ValueError(f"layout must be 'feature', 'state' or 'none', got {layout!r}.")
    return features


def synthetic_episode(rng: np.random.Generator, length: int, num_joints: int) -> dict[str, np.ndarray]:
    """Positions, efforts and actions (length, num_joints) of one press-and-retract episode."""
    contact = rng.uniform(0.2, 0.5, num_joints)
    stiffness = rng.uniform(2.0, 8.0, num_joints)
    position = np.zeros(num_joints)
    retracting = False
    positions, efforts, actions = [], [], []
    for _ in range(length):
        effort = stiffness * np.maximum(position - contact, 0.0) + rng.normal(0, 0.02, num_joints)
        retracting = retracting or bool(np.abs(effort).max() > EFFORT_THRESHOLD)
        action = position + (-0.05 if retracting else 0.03)
        positions.append(position.copy())
        efforts.append(effort)
        actions.append(action)
        position = position + 0.8 * (action - position)
    return {"pos": np.array(positions), "effort": np.array(efforts), "action": np.array(actions)}


def render(position: np.ndarray, image_size: int) -> np.ndarray:
    """A bar per joint whose height shows its position (uint8, H×W×3)."""
    image = np.zeros((image_size, image_size, 3), dtype=np.uint8)
    width = image_size // len(position)
    for i, value in enumerate(position):
        height = int(np.clip(value, 0, 1) * (image_size - 1)) + 1
        image[-height:, i * width : (i + 1) * width, i % 3] = 255
    return image


def write_synthetic_dataset(
    root: str | Path,
    *,
    layout: str = "feature",
    repo_id: str = "lerobot_torque/synthetic_press",
    num_episodes: int = 4,
    episode_length: int = 60,
    fps: int = 30,
    num_joints: int = 2,
    image_size: int = 32,
    cameras: tuple[str, ...] = ("top",),
    use_videos: bool = True,
    seed: int = 0,
    edit_effort: Callable[[int, np.ndarray], np.ndarray] | None = None,
) -> LeRobotDataset:
    """Write the dataset under `root` (must not exist) and return it opened for reading.

    `edit_effort(episode_index, effort)` returns the (episode_length, num_joints) effort to record
    in place of the simulated one (the actions stay those of the simulated effort); tests plant
    faults with it.
    """
    features = synthetic_features(layout, num_joints, image_size, use_videos, cameras)
    dataset = LeRobotDataset.create(repo_id, fps, features, root=root, use_videos=use_videos)
    rng = np.random.default_rng(seed)
    for episode_index in range(num_episodes):
        episode = synthetic_episode(rng, episode_length, num_joints)
        if edit_effort is not None:
            episode["effort"] = edit_effort(episode_index, episode["effort"].copy())
        for pos, effort, action in zip(episode["pos"], episode["effort"], episode["action"], strict=True):
            image = render(pos, image_size)
            frame = {f"observation.images.{camera}": image for camera in cameras}
            frame["action"] = action.astype(np.float32)
            if layout == "state":
                frame["observation.state"] = np.concatenate([pos, effort]).astype(np.float32)
            else:
                frame["observation.state"] = pos.astype(np.float32)
            if layout == "feature":
                frame[OBS_EFFORT] = effort.astype(np.float32)
            dataset.add_frame({**frame, "task": "press until it pushes back"})
        dataset.save_episode()
    dataset.finalize()
    return LeRobotDataset(repo_id, root=root)
