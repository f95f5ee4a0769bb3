"""LeRobot's own `build_rollout_context` gives torque policies the effort they were trained on.

Real `RolloutConfig`s (the recording `sentry` strategy) with our SO follower on a mocked bus and a
tiny act_torque trained on a `lerobot-record` recording (tests/robots/test_record_with_effort.py).
"""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from threading import Event
from unittest.mock import patch

import numpy as np
import pytest
import torch

import lerobot.rollout
from lerobot.configs import PreTrainedConfig
from lerobot.configs.dataset import DatasetRecordConfig
from lerobot.datasets import LeRobotDataset, factory
from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.factory import make_policy, make_pre_post_processors
from lerobot.robots.so_follower import SOFollowerRobotConfig
from lerobot.rollout import RolloutConfig, SentryStrategyConfig
from lerobot.rollout import context as rollout_context
from lerobot.utils.constants import ACTION, OBS_STATE, OBS_STR
from lerobot.utils.feature_utils import build_dataset_frame

from lerobot_torque.compat import rollout_features
from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.policies.torque import EffortLayout
from lerobot_torque.robots.so_follower_torque.so_follower_torque import SOFollowerTorque
from tests.robots import test_record_with_effort as recording
from tests.robots.mock_buses import bus_class_mock, make_bus_mock
from tests.robots.test_record_with_effort import (
    FOLLOWER_BUS,
    FPS,
    MOTORS,
    TASK,
    TINY_ACT_TORQUE,
    RandomRegisters,
    follower_config,
)
from tests.tiny import STATE_LAYOUT, make_act_config

# The recording and the act_torque trained on it, reused (pytest finds fixtures by module attribute).
recorded, trained = recording.recorded, recording.trained

PLAIN_FOLLOWER_BUS = "lerobot.robots.so_follower.so_follower.FeetechMotorsBus"
CAMERA = "observation.images.top"
POS = [f"{motor}.pos" for motor in MOTORS]
EFFORT = [f"{motor}.effort" for motor in MOTORS]


def save(path: Path, *parts) -> Path:
    for part in parts:
        part.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def state_checkpoint(trained, tmp_path_factory) -> Path:
    """The act_torque trained on the recording (effort inside `observation.state`), saved."""
    policy, preprocessor, postprocessor, _, _ = trained
    return save(tmp_path_factory.mktemp("state") / "pretrained_model", policy, preprocessor, postprocessor)


@pytest.fixture(scope="module")
def feature_checkpoint(tmp_path_factory) -> Path:
    """An act_torque bound (as lerobot-train binds it) to an ALOHA-Hub-style dataset of the SO arm:
    effort in its own `observation.effort`, named by joint without a suffix."""
    root = tmp_path_factory.mktemp("feature")
    image = {"dtype": "image", "shape": (32, 32, 3), "names": ["height", "width", "channels"]}
    features = {
        OBS_STATE: {"dtype": "float32", "shape": (len(MOTORS),), "names": POS},
        OBS_EFFORT: {"dtype": "float32", "shape": (len(MOTORS),), "names": list(MOTORS)},
        CAMERA: image,
        ACTION: {"dtype": "float32", "shape": (len(MOTORS),), "names": POS},
    }
    dataset = LeRobotDataset.create("local/aloha_style", FPS, root=root / "dataset", features=features)
    rng = np.random.default_rng(0)
    for _ in range(4):
        frame = {
            key: rng.normal(size=len(MOTORS)).astype(np.float32) for key in (OBS_STATE, OBS_EFFORT, ACTION)
        }
        frame[CAMERA] = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
        dataset.add_frame({**frame, "task": TASK})
    dataset.save_episode()
    dataset.finalize()
    config = ACTTorqueConfig(**TINY_ACT_TORQUE)
    factory.resolve_delta_timestamps(config, dataset.meta)  # lerobot-train's order: binds the history
    policy = make_policy(config, ds_meta=dataset.meta)
    processors = make_pre_post_processors(config, dataset_stats=dataset.meta.stats)
    return save(root / "pretrained_model", policy, *processors)


@pytest.fixture(scope="module")
def act_checkpoint(recorded, tmp_path_factory) -> Path:
    """A plain LeRobot `act` made for the same recording."""
    config = ACTConfig(**TINY_ACT_TORQUE)
    policy = make_policy(config, ds_meta=recorded.meta)
    processors = make_pre_post_processors(config, dataset_stats=recorded.meta.stats)
    return save(tmp_path_factory.mktemp("act") / "pretrained_model", policy, *processors)


def rollout_config(checkpoint: Path, root: Path, robot=None) -> RolloutConfig:
    """What `lerobot-rollout --strategy.type=sentry --policy.path=… --dataset.*` parses to."""
    policy = PreTrainedConfig.from_pretrained(checkpoint)
    policy.pretrained_path = str(checkpoint)
    return RolloutConfig(
        robot=robot or follower_config(root),
        policy=policy,
        strategy=SentryStrategyConfig(),
        dataset=DatasetRecordConfig(
            repo_id="local/rollout_eval",
            single_task=TASK,
            root=root / "eval",
            fps=FPS,
            video=False,
            push_to_hub=False,
            no_stamp=True,
        ),
        fps=FPS,
        device="cpu",
        play_sounds=False,
    )


@contextmanager
def rollout(config: RolloutConfig, build=lerobot.rollout.build_rollout_context):
    """LeRobot's `build_rollout_context` on a mocked follower bus; disconnects and closes after."""
    with patch(FOLLOWER_BUS, bus_class_mock(make_bus_mock(RandomRegisters(3)))):
        ctx = build(config, Event())
    try:
        yield ctx
    finally:
        ctx.hardware.robot_wrapper.inner.disconnect()
        if ctx.data.dataset is not None:
            ctx.data.dataset.finalize()


def observation_frame(ctx, features: dict) -> dict:
    """One frame as the rollout strategies build it for the inference engine."""
    observation = ctx.processors.robot_observation_processor(ctx.hardware.robot_wrapper.get_observation())
    return build_dataset_frame(features, observation, prefix=OBS_STR)


@pytest.fixture(scope="module")
def state_rollout(state_checkpoint, tmp_path_factory):
    with rollout(rollout_config(state_checkpoint, tmp_path_factory.mktemp("rollout"))) as ctx:
        yield ctx


def test_the_policy_frame_has_the_recorded_state_names_effort_included(state_rollout, recorded):
    recorded_names = recorded.meta.features[OBS_STATE]["names"]
    assert recorded_names == POS + EFFORT
    assert state_rollout.data.hw_features[OBS_STATE]["names"] == recorded_names  # RTC inference
    assert state_rollout.data.dataset_features[OBS_STATE]["names"] == recorded_names  # sync inference


def test_one_policy_step_through_the_rollout_inference_engine(state_rollout):
    state_rollout.policy.inference.reset()
    frame = observation_frame(state_rollout, state_rollout.data.dataset_features)
    action = state_rollout.policy.inference.get_action(frame)
    assert action.shape == (len(MOTORS),) and torch.isfinite(action).all()


def test_the_eval_dataset_records_the_effort_the_policy_saw(state_rollout):
    dataset = state_rollout.data.dataset
    assert dataset.meta.features[OBS_STATE]["names"] == POS + EFFORT
    frame = observation_frame(state_rollout, state_rollout.data.dataset_features)
    action = dict(zip(state_rollout.data.ordered_action_keys, np.zeros(len(MOTORS)), strict=True))
    for _ in range(2):  # what the sentry strategy writes each control step
        dataset.add_frame({**frame, **build_dataset_frame(dataset.features, action, ACTION), "task": TASK})
    dataset.save_episode()
    np.testing.assert_allclose(dataset.meta.stats[OBS_STATE]["mean"], frame[OBS_STATE], rtol=1e-6)


def test_a_plain_act_policy_gets_exactly_lerobots_features(act_checkpoint, tmp_path):
    with rollout(rollout_config(act_checkpoint, tmp_path / "a")) as patched:
        hw_features, dataset_features = patched.data.hw_features, patched.data.dataset_features
    lerobots = rollout_context.build_rollout_context.__wrapped__
    with rollout(rollout_config(act_checkpoint, tmp_path / "b"), build=lerobots) as stock:
        assert hw_features == stock.data.hw_features
        assert dataset_features == stock.data.dataset_features
    assert hw_features[OBS_STATE]["names"] == POS  # LeRobot 0.6.1 keeps `.pos`/`.vel` scalars only


def test_the_feature_layout_gives_the_policy_observation_effort_by_joint_name(feature_checkpoint, tmp_path):
    with rollout(rollout_config(feature_checkpoint, tmp_path)) as ctx:
        for features in (ctx.data.hw_features, ctx.data.dataset_features, ctx.data.dataset.meta.features):
            assert features[OBS_STATE]["names"] == POS
            assert features[OBS_EFFORT] == {"dtype": "float32", "shape": (len(MOTORS),), "names": EFFORT}
        frame = observation_frame(ctx, ctx.data.dataset_features)
        assert frame[OBS_EFFORT].shape == (len(MOTORS),)
        action = ctx.policy.inference.get_action(frame)
    assert action.shape == (len(MOTORS),) and torch.isfinite(action).all()


def test_a_robot_without_the_policys_effort_is_refused_before_it_connects(state_checkpoint, tmp_path):
    bus = make_bus_mock(RandomRegisters(4))
    robot = SOFollowerRobotConfig(port="/dev/null", id="follower", calibration_dir=tmp_path)
    with (
        patch(PLAIN_FOLLOWER_BUS, bus_class_mock(bus)),
        pytest.raises(ValueError, match="does not report") as error,
    ):
        lerobot.rollout.build_rollout_context(rollout_config(state_checkpoint, tmp_path, robot), Event())
    message = str(error.value)
    assert str(EFFORT) in message  # what is missing
    assert "'shoulder_pan.pos'" in message  # what the robot reports
    assert "--robot.type=so100_follower_torque" in message  # the fix
    bus.connect.assert_not_called()


def test_missing_external_effort_names_the_robot_option(tmp_path):
    ext = [f"{motor}.effort_ext" for motor in MOTORS[:-1]]
    layout = EffortLayout(key=OBS_STATE, names=ext, state_names=POS + EFFORT + ext)
    config = follower_config(tmp_path)
    with patch(FOLLOWER_BUS, bus_class_mock(make_bus_mock(RandomRegisters(5)))):
        features = SOFollowerTorque(config).observation_features
    with pytest.raises(ValueError, match="add --robot.external_effort=true"):
        rollout_features.check_robot_reports("act_torque", layout, config, features)


def test_scalars_follow_the_recorded_order_not_the_robots():
    robot = {"a.pos": float, "a.effort": float, "b.pos": float, "b.effort": float, "top": (32, 32, 3)}
    kept = {"a.pos": float, "b.pos": float, "top": (32, 32, 3)}  # what LeRobot's suffix filter keeps
    state_names = ["a.pos", "b.pos", "a.effort", "b.effort"]
    layout = EffortLayout(key=OBS_STATE, names=state_names[2:], state_names=state_names)
    features, effort_keys = rollout_features.observation_features(layout, robot, kept)
    assert list(features) == [*state_names, "top"] and effort_keys == []


def test_feature_layout_state_names_the_robot_does_not_use_leave_lerobots_state():
    robot = {"a.pos": float, "b.pos": float, "a.effort": float, "b.effort": float}
    layout = EffortLayout(key=OBS_EFFORT, names=["a", "b"], state_names=["motor_0", "motor_1"])
    features, effort_keys = rollout_features.observation_features(layout, robot, kept=robot)
    assert list(features) == ["a.pos", "b.pos", "a.effort", "b.effort"]
    assert effort_keys == ["a.effort", "b.effort"]


def test_a_state_of_another_size_than_in_training_is_refused():
    robot = {"a.pos": float, "b.pos": float, "c.vel": float, "a.effort": float, "b.effort": float}
    layout = EffortLayout(key=OBS_EFFORT, names=["a", "b"], state_names=["a.pos", "b.pos"])
    with pytest.raises(ValueError, match="trained on a 2-entry 'observation.state'"):
        rollout_features.observation_features(layout, robot, kept=robot)


def test_lerobot_internals_have_the_signatures_the_patch_wraps():
    rollout_features._check_signatures()
    for module in (rollout_context, lerobot.rollout):
        assert getattr(module.build_rollout_context, rollout_features._MARK)
    for name in ("make_robot_from_config", "create_initial_features", "hw_to_dataset_features"):
        assert getattr(getattr(rollout_context, name), rollout_features._MARK)


def test_a_changed_lerobot_signature_fails_loudly_naming_the_file_to_update(monkeypatch):
    monkeypatch.setattr(rollout_context, "hw_to_dataset_features", lambda features, prefix: {})
    with pytest.raises(RuntimeError, match="hw_to_dataset_features.*compat/rollout_features.py"):
        rollout_features._check_signatures()


def test_on_a_changed_lerobot_torque_policies_are_refused_not_rolled_out_without_effort(monkeypatch):
    """LeRobot's plugin discovery logs and swallows install errors: the refusal comes at use."""
    stock = rollout_context.build_rollout_context.__wrapped__
    for module in (rollout_context, lerobot.rollout):
        monkeypatch.setattr(module, "build_rollout_context", stock)
    monkeypatch.setattr(rollout_context, "hw_to_dataset_features", lambda features, prefix: {})
    with pytest.raises(RuntimeError, match="compat/rollout_features.py"):
        rollout_features.install()
    torque_rollout = RolloutConfig.__new__(RolloutConfig)  # only its policy is read before refusing
    torque_rollout.policy = make_act_config(STATE_LAYOUT)
    with pytest.raises(RuntimeError, match="would drop the policy's effort"):
        lerobot.rollout.build_rollout_context(torque_rollout, Event())


def test_plugin_import_stays_light_and_patches_lerobot_rollout_when_it_is_imported():
    script = (
        "import sys\n"
        "import lerobot_torque\n"
        "print('lerobot.rollout' in sys.modules)\n"
        "import lerobot.rollout\n"
        "print(getattr(lerobot.rollout.build_rollout_context, '_lerobot_torque_rollout_features', False))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False", "True"]


@pytest.mark.slow
def test_lerobot_rollout_reports_the_missing_effort_in_the_terminal(state_checkpoint):
    """The unchanged command: plugin discovery installs the patch after the script imported LeRobot."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "lerobot-rollout"),
            "--strategy.type=base",
            f"--policy.path={state_checkpoint}",
            "--robot.type=so100_follower",
            "--robot.port=/dev/tty_no_such_port",
            "--robot.id=follower",
            f"--task={TASK}",
            "--duration=1",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode != 0
    assert "ValueError: act_torque was trained on 'observation.state'" in result.stderr
    assert "--robot.type=so100_follower_torque" in result.stderr
    assert "Could not connect" not in result.stderr  # refused before touching the port
