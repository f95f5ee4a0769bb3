"""Roll out a scripted expert in one of our simulated tasks and write a standard LeRobotDataset.

    lerobot-torque-sim-demos --env.type=torque_press --repo_id=local/torque_press_demos \
        --num_episodes=100 --root=data/torque_press_demos

The dataset has the keys a policy sees from the env (`lerobot-eval --env.type=...`) at the env's
fps: `observation.state` (joint positions), `observation.effort` (joint effort, its own feature like
the ALOHA datasets on the Hub), `observation.images.<cam>` (video) and `action` in the env's action
mode, plus LeRobot's `next.success` (the env's success flag after each frame's action); LeRobot
computes the statistics. A dataset card (`README.md`) states the effort units and
source; `--push_to_hub=true` uploads dataset and card. Episode `i` uses env seed `seed + i`; with
`keep_failed=false` (default) an expert failure is dropped and the next seed is tried, and the seeds
kept are written to the card.

The folder `--root` appears only once complete (episodes, statistics, card): an error or an interrupt
leaves nothing behind, a kill only an `<root>.incomplete-*` sibling that the next run removes.
"""

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lerobot.configs import FeatureType, parser
from lerobot.envs.configs import EnvConfig
from lerobot.utils.constants import ACTION, SUCCESS

from lerobot_torque.atomic_output import atomic_output
from lerobot_torque.config_checks import check_number
from lerobot_torque.envs.aloha_insertion.demos import ALOHA_SCRIPTED_TASK
from lerobot_torque.envs.configs import AlohaInsertionTorqueEnvConfig, TorquePressEnvConfig
from lerobot_torque.envs.scripted import ScriptedTask
from lerobot_torque.envs.torque_press.demos import PRESS_SCRIPTED_TASK

logger = logging.getLogger(__name__)

SCRIPTED_TASKS = {
    TorquePressEnvConfig: PRESS_SCRIPTED_TASK,
    AlohaInsertionTorqueEnvConfig: ALOHA_SCRIPTED_TASK,
}


def scripted_task(config: EnvConfig) -> ScriptedTask:
    """The scripted task of an env config; raises a ValueError listing the supported env types."""
    for config_type, task in SCRIPTED_TASKS.items():
        if isinstance(config, config_type):
            return task
    supported = [config_type().type for config_type in SCRIPTED_TASKS]
    raise ValueError(
        f"No scripted expert for --env.type={config.type}; demonstrations can be written for {supported}."
    )


@dataclass
class SimDemosConfig:
    """Options of `lerobot-torque-sim-demos`.

    Args:
        env: The task (`--env.type=torque_press` or `aloha_insertion_torque`) and its options; the
            evaluation env must use the same options (fps, action mode, image size).
        repo_id: Dataset name, `<user>/<name>` to push it to the Hub.
        root: Where to write it. Default: LeRobot's cache, `$HF_LEROBOT_HOME/<repo_id>`. Must not exist;
            it appears only when complete.
        num_episodes: Episodes to write.
        seed: Env seed of the first episode.
        max_attempts: Give up after this many episodes (kept or not). Default 2 × num_episodes + 10.
        keep_failed: Also write episodes where the expert failed (default: drop them).
        action_noise: Std of Gaussian noise added to the *executed* action while the recorded action
            stays the expert's (DART, Laskey et al. 2017), in the action's unit. Default 0.
        use_videos: Store cameras as videos (LeRobot's default) rather than PNG images.
        push_to_hub: Upload the dataset and its card when done.
        private: Make the Hub repository private.
        license: License written to the card.
    """

    env: EnvConfig = field(default_factory=TorquePressEnvConfig)
    repo_id: str = "local/torque_press_demos"
    root: str | None = None
    num_episodes: int = 50
    seed: int = 0
    max_attempts: int | None = None
    keep_failed: bool = False
    action_noise: float = 0.0
    use_videos: bool = True
    push_to_hub: bool = False
    private: bool = False
    license: str = "apache-2.0"

    def __post_init__(self) -> None:
        if self.num_episodes < 1:
            raise ValueError(f"--num_episodes must be >= 1, got {self.num_episodes}.")
        check_number("--action_noise", self.action_noise, ge=0)
        if self.max_attempts is None:
            self.max_attempts = 2 * self.num_episodes + 10


def dataset_features(task: ScriptedTask, env_config: EnvConfig, use_videos: bool) -> dict[str, dict]:
    """LeRobot dataset features of the env's observations (under their policy keys) and action."""
    features = {}
    for env_key, feature in env_config.features.items():
        key = env_config.features_map[env_key]
        if feature.type is FeatureType.VISUAL:
            features[key] = {
                "dtype": "video" if use_videos else "image",
                "shape": tuple(feature.shape),
                "names": ["height", "width", "channels"],
            }
        else:
            names = task.names(env_config)[key]
            features[key] = {"dtype": "float32", "shape": (len(names),), "names": list(names)}
    # LeRobot's per-frame outcome key (`next.success`): the env's `is_success` after the frame's action.
    features[SUCCESS] = {"dtype": "bool", "shape": (1,), "names": None}
    return features


def observation_frame(env_config: EnvConfig, observation: dict) -> dict[str, np.ndarray]:
    """The env's raw observation as dataset entries, keyed like the policy sees them."""
    frame = {}
    for env_key in env_config.features:
        if env_key == ACTION:
            continue
        key = env_config.features_map[env_key]
        if env_key.startswith("pixels/"):
            frame[key] = observation["pixels"][env_key.split("/", 1)[1]]
        else:
            frame[key] = np.asarray(observation[env_key], dtype=np.float32)
    return frame


def record_episode(task: ScriptedTask, env, seed: int, noise: float, rng: np.random.Generator):
    """One expert episode: (frames, success). Each frame holds the observation and the expert action."""
    observation, _ = env.reset(seed=seed)
    expert = task.make_expert(env, observation)
    frames, info = [], {"is_success": False}
    for _ in range(env.config.episode_length):
        action = np.asarray(expert.act(observation), dtype=np.float32)
        frame = {**observation_frame(env.config, observation), ACTION: action}
        executed = action + rng.normal(0.0, noise, action.shape).astype(np.float32) if noise else action
        observation, _, terminated, truncated, info = env.step(executed)
        frames.append({**frame, SUCCESS: np.array([bool(info.get("is_success", False))])})
        expert.executed(env)
        if terminated or truncated:
            break
    return frames, bool(info.get("is_success", False))


def write_demos(config: SimDemosConfig):
    """Write the dataset; return it (opened for reading) and the seeds of the episodes kept.

    The dataset folder appears only when complete (episodes, statistics, card); after a failure or an
    interruption nothing is left that blocks a rerun (`lerobot_torque.atomic_output`).
    """
    from lerobot.datasets import LeRobotDataset
    from lerobot.utils.constants import HF_LEROBOT_HOME

    task = scripted_task(config.env)
    if not config.keep_failed:
        task.check_can_succeed(config.env)
    root = Path(config.root) if config.root else HF_LEROBOT_HOME / config.repo_id
    with atomic_output(root, option="--root") as staging:
        kept, card = record_demos(task, config, staging)
    logger.info("Wrote %d episodes to %s", len(kept), root)
    if config.push_to_hub:
        LeRobotDataset(config.repo_id, root=root).push_to_hub(
            tags=["lerobot-torque", config.env.type], license=config.license, private=config.private, **card
        )
    return LeRobotDataset(config.repo_id, root=root), kept


def record_demos(task: ScriptedTask, config: SimDemosConfig, root: Path) -> tuple[list[int], dict]:
    """Roll out the expert and write the dataset and its card at `root`; return the seeds kept and
    the card's text (`card_kwargs`)."""
    from lerobot.datasets import LeRobotDataset

    env = task.make_env(config.env)
    features = dataset_features(task, config.env, config.use_videos)
    dataset = LeRobotDataset.create(
        config.repo_id, config.env.fps, features, root=root, use_videos=config.use_videos
    )
    rng = np.random.default_rng(config.seed)
    kept, attempts, successes, start = [], 0, 0, time.time()
    try:
        while len(kept) < config.num_episodes and attempts < config.max_attempts:
            seed = config.seed + attempts
            attempts += 1
            frames, success = record_episode(task, env, seed, config.action_noise, rng)
            successes += success
            if not (success or config.keep_failed):
                logger.info("seed %d: expert failed, episode dropped", seed)
                continue
            for frame in frames:
                dataset.add_frame({**frame, "task": env.task_description})
            dataset.save_episode()
            kept.append(seed)
            logger.info(
                "seed %d: episode %d written (%d frames, success=%s)",
                seed,
                len(kept) - 1,
                len(frames),
                success,
            )
    finally:
        env.close()
        try:
            dataset.finalize()
        except BaseException:
            # Once more if Ctrl-C cut it short: a writer left open would finalize itself when garbage-
            # collected (LeRobot's `DatasetWriter.__del__`), into the folder `atomic_output` removed.
            dataset.finalize()
            raise
    if len(kept) < config.num_episodes:
        raise RuntimeError(
            f"Only {len(kept)} of {config.num_episodes} episodes could be recorded after {attempts} "
            f"attempts (expert success {successes}/{attempts}); nothing was written. Check the env "
            "options (--env.*), raise --max_attempts, or pass --keep_failed=true."
        )
    logger.info(
        "Recorded %d episodes in %.0f s; expert success %d/%d",
        len(kept),
        time.time() - start,
        successes,
        attempts,
    )
    card = task.card_kwargs(config.env, kept, successes, attempts, config.keep_failed)
    write_card(dataset, config.license, card)
    return kept, card


def write_card(dataset, license: str, card_kwargs: dict) -> Path:
    """Save LeRobot's dataset card, filled with our description, as `README.md` in the dataset root."""
    from lerobot.datasets.utils import create_lerobot_dataset_card

    card = create_lerobot_dataset_card(
        tags=["lerobot-torque"],
        dataset_info=dataset.meta.info,
        license=license,
        repo_id=dataset.repo_id,
        **card_kwargs,
    )
    path = Path(dataset.root) / "README.md"
    card.save(path)
    return path


@parser.wrap()
def demos_main(config: SimDemosConfig) -> None:
    write_demos(config)


def main() -> None:
    from lerobot.utils.import_utils import register_third_party_plugins
    from lerobot.utils.utils import init_logging

    init_logging()
    register_third_party_plugins()
    demos_main()


if __name__ == "__main__":
    main()
