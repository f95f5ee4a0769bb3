"""Killed or interrupted at any step, `lerobot-torque-effort-layout` and `lerobot-torque-sim-demos`
leave no dataset, never block the rerun, and the rerun writes byte for byte what an uninterrupted
run writes. The converter only reads its source."""

import hashlib
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lerobot.datasets import dataset_tools
from lerobot.datasets.lerobot_dataset import LeRobotDataset

from lerobot_torque.atomic_output import STAGING_MARK
from lerobot_torque.datasets import convert_effort_layout, sim_demos
from lerobot_torque.datasets.sim_demos import SimDemosConfig, write_demos
from tests.envs.press_fixtures import SHORT_EPISODE, make_config
from tests.kill_point import python_signal_defaults, signalling  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("python_signal_defaults")

REPOSITORY = Path(__file__).parents[1]
DEMO_EPISODES = 2


def digests(root: Path) -> dict[str, str]:
    """sha256 of every file under `root`, by relative path."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def leftovers(target: Path) -> list[Path]:
    return list(target.parent.glob(target.name + STAGING_MARK + "*"))


def run_killed(signal_name: str, at: str, call: int, when: str, command: str, arguments: list[str]):
    """Run `command` (module:function) in a new process that gets `signal_name` at the `call`-th `at`."""
    return subprocess.run(
        [sys.executable, "-m", "tests.kill_point", signal_name, at, str(call), when, command, *arguments],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
    )


# --- lerobot-torque-effort-layout ------------------------------------------------------------------


def converter_arguments(source: Path, output: Path) -> list[str]:
    return [
        "--repo-id=local/x",
        f"--root={source}",
        "--to=state",
        "--output-repo-id=local/to_state",
        f"--output-root={output}",
    ]


@pytest.fixture(scope="module")
def converted_once(synthetic_datasets, tmp_path_factory) -> dict[str, str]:
    """What an uninterrupted conversion of the synthetic dataset writes (file digests)."""
    output = tmp_path_factory.mktemp("uninterrupted") / "to_state"
    convert_effort_layout.main(converter_arguments(synthetic_datasets["feature"], output))
    return digests(output)


@pytest.mark.slow
def test_converter_killed_during_statistics_leaves_no_dataset_and_the_rerun_matches(
    synthetic_datasets, converted_once, tmp_path
):
    source, output = synthetic_datasets["feature"], tmp_path / "to_state"
    source_before = digests(source)
    killed = run_killed(
        "SIGKILL",
        "lerobot.datasets.dataset_tools:compute_episode_stats",
        2,  # of 4 episodes
        "before",
        "lerobot_torque.datasets.convert_effort_layout:main",
        converter_arguments(source, output),
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert not output.exists(), "a dataset whose statistics were never written must not appear"
    assert leftovers(output), "the kill should have left its staging folder"

    convert_effort_layout.main(converter_arguments(source, output))
    assert digests(output) == converted_once
    assert not leftovers(output)
    assert digests(source) == source_before


@pytest.mark.parametrize(
    ("step", "signum", "call", "when"),
    [
        ("_copy_videos", signal.SIGTERM, 1, "before"),  # first pass
        ("_copy_videos", signal.SIGINT, 2, "before"),  # second pass
        ("write_stats", signal.SIGTERM, 3, "after"),  # statistics written, not yet in place
    ],
    ids=["sigterm_in_the_first_pass", "ctrl_c_in_the_second_pass", "sigterm_after_the_statistics"],
)
def test_converter_interrupted_leaves_nothing_and_the_rerun_matches(
    synthetic_datasets, converted_once, tmp_path, monkeypatch, step, signum, call, when
):
    source, output = synthetic_datasets["feature"], tmp_path / "to_state"
    source_before = digests(source)
    with monkeypatch.context() as patch:
        patch.setattr(dataset_tools, step, signalling(getattr(dataset_tools, step), signum, call, when))
        with pytest.raises(KeyboardInterrupt if signum == signal.SIGINT else SystemExit):
            convert_effort_layout.main(converter_arguments(source, output))
    assert list(tmp_path.iterdir()) == []

    convert_effort_layout.main(converter_arguments(source, output))
    assert digests(output) == converted_once
    assert digests(source) == source_before


def test_converter_refuses_an_existing_output_and_says_how_to_fix_it(
    synthetic_datasets, converted_once, tmp_path
):
    output = tmp_path / "to_state"
    convert_effort_layout.main(converter_arguments(synthetic_datasets["feature"], output))
    with pytest.raises(FileExistsError, match=r"--output-root=.*to_state already exists.*Delete it"):
        convert_effort_layout.main(converter_arguments(synthetic_datasets["feature"], output))
    assert digests(output) == converted_once


def test_converter_refuses_to_write_inside_its_source(synthetic_datasets):
    source = synthetic_datasets["feature"]
    source_before = digests(source)
    with pytest.raises(ValueError, match="inside the source dataset"):
        convert_effort_layout.main(converter_arguments(source, source / "converted"))
    assert digests(source) == source_before


@pytest.mark.parametrize(("layout", "to"), [("state", "state"), ("feature", "feature")])
def test_converter_says_a_dataset_is_already_in_the_requested_layout(
    synthetic_datasets, tmp_path, layout, to
):
    arguments = converter_arguments(synthetic_datasets[layout], tmp_path / "out")
    arguments[2] = f"--to={to}"
    with pytest.raises(ValueError, match=f"already in the '{to}' layout.*Nothing to convert"):
        convert_effort_layout.main(arguments)
    assert list(tmp_path.iterdir()) == []


def test_converter_refuses_a_dataset_with_effort_in_both_layouts():
    features = {
        "observation.state": {"dtype": "float32", "shape": [2], "names": ["joint0.pos", "joint0.effort"]},
        "observation.effort": {"dtype": "float32", "shape": [1], "names": ["joint0"]},
    }
    with pytest.raises(ValueError, match="both layouts.*effort_source=feature or state"):
        convert_effort_layout.check_not_converted(features, "state")


# --- lerobot-torque-sim-demos ----------------------------------------------------------------------

DEMO_FLAGS = [
    "--env.type=torque_press",
    "--env.obs_type=agent_pos",
    f"--env.episode_length={SHORT_EPISODE}",
    "--repo_id=local/press_demos",
    f"--num_episodes={DEMO_EPISODES}",
    "--keep_failed=true",  # a 20-step episode is too short for the expert to finish
]


def demo_config(root: Path, **overrides) -> SimDemosConfig:
    """The config `DEMO_FLAGS` give, writing to `root`."""
    options = {"num_episodes": DEMO_EPISODES, "keep_failed": True, **overrides}
    env = make_config(episode_length=options.pop("episode_length", SHORT_EPISODE))
    return SimDemosConfig(env=env, repo_id="local/press_demos", root=str(root), **options)


@pytest.fixture(scope="module")
def demos_once(tmp_path_factory) -> dict[str, str]:
    """What an uninterrupted demo writer writes (file digests)."""
    root = tmp_path_factory.mktemp("uninterrupted") / "demos"
    write_demos(demo_config(root))
    return digests(root)


@pytest.mark.slow
def test_demo_writer_killed_after_an_episode_leaves_no_dataset_and_the_rerun_matches(demos_once, tmp_path):
    root = tmp_path / "demos"
    killed = run_killed(
        "SIGKILL",
        "lerobot.datasets.lerobot_dataset:LeRobotDataset.save_episode",
        1,
        "after",
        "lerobot_torque.datasets.sim_demos:main",
        [*DEMO_FLAGS, f"--root={root}"],
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert not root.exists() and leftovers(root)

    write_demos(demo_config(root))
    assert digests(root) == demos_once
    assert not leftovers(root)


@pytest.mark.parametrize(
    ("owner", "step", "signum", "call", "when"),
    [
        (sim_demos, "record_episode", signal.SIGTERM, 2, "before"),  # one episode saved
        (LeRobotDataset, "finalize", signal.SIGINT, 1, "before"),  # every episode saved
        (sim_demos, "write_card", signal.SIGTERM, 1, "after"),  # complete, not yet in place
    ],
    ids=["sigterm_between_episodes", "ctrl_c_before_finalize", "sigterm_after_the_card"],
)
def test_demo_writer_interrupted_leaves_nothing_and_the_rerun_matches(
    demos_once, tmp_path, monkeypatch, owner, step, signum, call, when
):
    root = tmp_path / "demos"
    with monkeypatch.context() as patch:
        patch.setattr(owner, step, signalling(getattr(owner, step), signum, call, when))
        with pytest.raises(KeyboardInterrupt if signum == signal.SIGINT else SystemExit):
            write_demos(demo_config(root))
    assert list(tmp_path.iterdir()) == []

    write_demos(demo_config(root))
    assert digests(root) == demos_once


def test_episodes_shorter_than_the_hold_fail_before_anything_is_written(tmp_path):
    config = demo_config(tmp_path / "demos", episode_length=5, keep_failed=False, num_episodes=1)
    with pytest.raises(ValueError, match=r"episode_length=5 is too short.*last 25 steps.*episode_length=26"):
        write_demos(config)
    assert list(tmp_path.iterdir()) == []


def test_an_expert_that_never_succeeds_leaves_nothing_behind(tmp_path):
    config = demo_config(
        tmp_path / "demos", episode_length=30, keep_failed=False, num_episodes=1, max_attempts=1
    )
    with pytest.raises(RuntimeError, match="Only 0 of 1 episodes.*nothing was written"):
        write_demos(config)
    assert list(tmp_path.iterdir()) == []
