"""Async inference: our subclasses of LeRobot's gRPC policy server and robot client, on localhost.

A tiny act_torque is trained a few steps on a recording of the SO follower (mocked bus, as in
tests/robots/test_record_with_effort.py). Our server runs in this process on a free port; our client
drives a real `so101_follower_torque` through the Feetech SDK on a virtual SO-101 (a pseudo-terminal
served by `lerobot-torque-virtual-arm` in its own process, gravity-loaded servos). The client's
per-step samples are written as a LeRobotDataset, and the window LeRobot's dataset gives for each
frame is compared with the window the server fed the policy for that frame.
"""

import contextlib
import dataclasses
import pickle  # nosec: LeRobot's protocol
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple
from unittest.mock import patch

import grpc
import pytest
import torch

from lerobot.async_inference.configs import PolicyServerConfig, RobotClientConfig
from lerobot.async_inference.helpers import RemotePolicyConfig
from lerobot.datasets import factory
from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
from lerobot.policies.factory import make_policy, make_pre_post_processors
from lerobot.transport import services_pb2, services_pb2_grpc  # type: ignore
from lerobot.utils.constants import OBS_STATE, OBS_STR
from lerobot.utils.feature_utils import hw_to_dataset_features

from lerobot_torque.async_inference.effort_window import EffortWindowSampler, TorqueRemotePolicyConfig
from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.policies.torque import TorqueConfig
from lerobot_torque.robots.so_follower_torque.so_follower_torque import SOFollowerTorque
from lerobot_torque.virtual_arm.process import running_virtual_arm
from tests.robots.mock_buses import bus_class_mock, make_bus_mock
from tests.robots.test_record_with_effort import (
    FOLLOWER_BUS,
    FPS,
    TASK,
    TINY_ACT_TORQUE,
    RandomRegisters,
    follower_config,
    record_so100_episode,
)
from tests.tiny import HISTORY, STRIDE, make_pi05_config, make_smolvla_config
from tests.virtual_arm.sdk_timeouts import longer_status_timeouts

# LeRobot's async modules open ./logs/<name>_<time>.log when imported (helpers.get_logger).
with contextlib.chdir(tempfile.mkdtemp(prefix="lerobot_torque_tests_logs_")):
    from lerobot.async_inference.robot_client import RobotClient

    from lerobot_torque.async_inference.policy_server import (
        TorquePolicyServer,
        start_server,
        supported_policy_types,
    )
    from lerobot_torque.async_inference.robot_client import TorqueRobotClient, policy_effort_window

OBS_STATE_IS_PAD = f"{OBS_STATE}_is_pad"
OFFSETS = [-(HISTORY - 1 - i) * STRIDE for i in range(HISTORY)]  # -6, -4, -2, 0
SPAN = -OFFSETS[0]
LAST_FRAME = 4 * SPAN  # the run lasts until the server computed a chunk this far into the episode
TRAIN_STEPS = 2
RUN_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """act_torque (a 4-frame history every 2 frames) trained on a recording, saved with its processors."""
    root = tmp_path_factory.mktemp("async_checkpoint")
    recorded = record_so100_episode(root)
    torque = TorqueConfig(history_length=HISTORY, history_stride=STRIDE)
    config = ACTTorqueConfig(**TINY_ACT_TORQUE, torque=torque)
    meta = LeRobotDatasetMetadata(recorded.repo_id, root=recorded.root)
    dataset = LeRobotDataset(
        recorded.repo_id, root=recorded.root, delta_timestamps=factory.resolve_delta_timestamps(config, meta)
    )
    torch.manual_seed(0)
    policy = make_policy(config, ds_meta=dataset.meta)
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=dataset.meta.stats)
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=True)
    for _, batch in zip(range(TRAIN_STEPS), loader, strict=False):
        loss, _ = policy.forward(preprocessor(batch))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    path = root / "pretrained_model"
    for part in (policy, preprocessor, postprocessor):
        part.save_pretrained(path)
    return path


class RecordingServer(TorquePolicyServer):
    """Our server, keeping each chunk's effort window and the batch the policy was given."""

    def __init__(self, config: PolicyServerConfig):
        super().__init__(config)
        self.fed = []

    def _get_action_chunk(self, observation: dict) -> torch.Tensor:
        self.fed.append((self.current_effort_window, observation))
        return super()._get_action_chunk(observation)


@pytest.fixture(scope="module")
def server():
    config = PolicyServerConfig(host="127.0.0.1", port=free_port(), fps=FPS, obs_queue_timeout=0.2)
    policy_server = RecordingServer(config)
    grpc_server = start_server(policy_server)
    yield policy_server
    grpc_server.stop(grace=None)


def client_config(server: TorquePolicyServer, checkpoint: Path, root: Path, **overrides) -> RobotClientConfig:
    """The flags of `python -m lerobot_torque.async_inference.robot_client` (mocked follower by default)."""
    return RobotClientConfig(
        robot=overrides.pop("robot", None) or follower_config(root),
        server_address=f"127.0.0.1:{server.config.port}",
        policy_type="act_torque",
        pretrained_name_or_path=str(checkpoint),
        policy_device="cpu",
        actions_per_chunk=TINY_ACT_TORQUE["chunk_size"],
        fps=FPS,
        task=TASK,
        **overrides,
    )


class Run(NamedTuple):
    """What one client run left: the client's (S,) sample per step, and the server's state after it."""

    samples: list[torch.Tensor]
    fed: list[tuple]  # (effort window, batch the policy was given) per chunk
    lerobot_features: dict[str, dict]  # the robot's, as the client sent them
    policy: object
    preprocessor: object
    effort_window: tuple[str, list[int]] | None


@pytest.fixture(scope="module")
def run(server, checkpoint, tmp_path_factory) -> Run:
    """Our client on a virtual SO-101 against our server until the server computed a chunk for LAST_FRAME."""
    root = tmp_path_factory.mktemp("client")
    robot = follower_config(root)
    arm_flags = ("--calibration_dir", str(robot.calibration_dir), "--id", robot.id)
    # The arm in its own process, as a real one: in this process its bus thread would share the GIL
    # with the gRPC server, the client and the SDK's polling loop.
    with (
        longer_status_timeouts(),
        running_virtual_arm("so101_follower", root / "arm", *arm_flags, camera=False) as arm,
    ):
        robot = dataclasses.replace(robot, port=arm.port)
        client = TorqueRobotClient(client_config(server, checkpoint, root, robot=robot))
        return run_client(client, server)


def run_client(client: TorqueRobotClient, server) -> Run:
    samples, add = [], client.effort_window.add

    def add_and_keep(state: dict):
        window = add(state)
        samples.append(window.values[-1].clone())
        return window

    client.effort_window.add = add_and_keep
    assert client.start()
    threads = [
        threading.Thread(target=client.receive_actions, daemon=True),
        threading.Thread(target=client.control_loop, args=(TASK,), daemon=True),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline and not any(w.frame_index >= LAST_FRAME for w, _ in server.fed):
        time.sleep(0.05)
    client.shutdown_event.set()
    for thread in threads:
        thread.join(timeout=5)
    client.stop()
    assert len(samples) == client.effort_window.frame_index + 1  # one sample per step, none held
    return Run(
        samples,
        list(server.fed),
        server.lerobot_features,
        server.policy,
        server.preprocessor,
        server.effort_window,
    )


@pytest.fixture(scope="module")
def dataset_windows(run, tmp_path_factory) -> LeRobotDataset:
    """The client's samples as a LeRobotDataset episode, read back with the policy's windows."""
    feature = run.lerobot_features[OBS_STATE]
    root = tmp_path_factory.mktemp("client_samples") / "dataset"
    dataset = LeRobotDataset.create(
        "local/client_samples", FPS, {OBS_STATE: feature}, root=root, use_videos=False
    )
    for sample in run.samples:
        dataset.add_frame({OBS_STATE: sample.numpy(), "task": TASK})
    dataset.save_episode()
    dataset.finalize()
    meta = LeRobotDatasetMetadata("local/client_samples", root=root)
    delta_timestamps = factory.resolve_delta_timestamps(run.policy.config, meta)
    return LeRobotDataset("local/client_samples", root=root, delta_timestamps=delta_timestamps)


def test_server_serves_act_torque_to_our_client(run):
    assert type(run.policy).__name__ == "ACTTorquePolicy"
    assert run.effort_window == (OBS_STATE, OFFSETS)
    assert len(run.fed) >= 3 and max(w.frame_index for w, _ in run.fed) >= LAST_FRAME


def test_every_chunk_sees_the_dataset_window_of_its_frame(run, dataset_windows):
    for window, batch in run.fed:
        item = dataset_windows[window.frame_index]
        values, is_pad = item[OBS_STATE][:HISTORY], item[OBS_STATE_IS_PAD][:HISTORY]  # history, no future
        assert torch.equal(window.values, values), f"frame {window.frame_index}"
        assert torch.equal(window.is_pad, is_pad), f"frame {window.frame_index}"
        expected = run.preprocessor({OBS_STATE: values[None], OBS_STATE_IS_PAD: is_pad[None]})
        assert torch.equal(batch[OBS_STATE], expected[OBS_STATE]), f"frame {window.frame_index}"
        assert torch.equal(batch[OBS_STATE_IS_PAD], expected[OBS_STATE_IS_PAD])


def test_the_first_chunk_sees_the_episode_start_padded_with_frame_0(run):
    window = min((w for w, _ in run.fed), key=lambda w: w.frame_index)
    assert window.frame_index < SPAN  # the first observation is answered before the history fills
    assert window.is_pad.tolist() == [window.frame_index + offset < 0 for offset in OFFSETS]
    for row, offset in zip(window.values, OFFSETS, strict=True):
        assert torch.equal(row, run.samples[max(0, window.frame_index + offset)])


def test_a_step_without_a_robot_reading_repeats_the_frame_before():
    feature = {"dtype": "float32", "shape": (2,), "names": ["a.pos", "a.effort"]}
    sampler = EffortWindowSampler(OBS_STATE, feature, [-2, -1, 0])
    sampler.add({"a.pos": 1.0, "a.effort": 10.0})
    sampler.add({"a.pos": 2.0, "a.effort": 20.0})
    window = sampler.hold()  # the client's observation read failed at step 2
    assert window.frame_index == 2 and window.values[:, 1].tolist() == [10.0, 20.0, 20.0]
    assert window.is_pad.tolist() == [False, False, False]


def robot_features(tmp_path: Path) -> dict[str, dict]:
    with patch(FOLLOWER_BUS, bus_class_mock(make_bus_mock(RandomRegisters(3)))):
        robot = SOFollowerTorque(follower_config(tmp_path))
    return hw_to_dataset_features(robot.observation_features, OBS_STR, use_video=False)


def send_instructions(port: int, specs: RemotePolicyConfig, timeout_s: float = 10) -> None:
    """What a client's `start()` sends: Ready, then the pickled policy instructions."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=timeout_s)
        stub = services_pb2_grpc.AsyncInferenceStub(channel)
        stub.Ready(services_pb2.Empty())
        stub.SendPolicyInstructions(services_pb2.PolicySetup(data=pickle.dumps(specs)))


def test_an_unknown_policy_type_is_refused_with_the_supported_types(server, checkpoint, tmp_path):
    specs = RemotePolicyConfig("not_a_policy", str(checkpoint), robot_features(tmp_path), 5)
    with pytest.raises(grpc.RpcError) as refused:
        send_instructions(server.config.port, specs)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'not_a_policy' is not served here" in refused.value.details()
    assert "'act', " in refused.value.details() and "'act_torque'" in refused.value.details()


def test_lerobots_own_client_is_refused_with_the_command_to_run(server, checkpoint, tmp_path, caplog):
    with patch(FOLLOWER_BUS, bus_class_mock(make_bus_mock(RandomRegisters(4)))):
        client = RobotClient(client_config(server, checkpoint, tmp_path))
    try:
        assert not client.start()
    finally:
        client.stop()
    assert "python -m lerobot_torque.async_inference.robot_client" in caplog.text
    assert "effort history of 4 frames" in caplog.text
    assert server.policy is None  # nothing is served until a client is accepted


def test_a_client_window_at_other_offsets_is_refused(server, checkpoint, tmp_path):
    specs = TorqueRemotePolicyConfig(
        "act_torque",
        str(checkpoint),
        robot_features(tmp_path),
        5,
        effort_window_key=OBS_STATE,
        effort_window_offsets=[-3, 0],
    )
    with pytest.raises(grpc.RpcError, match=r"offsets \[-3, 0\]"):
        send_instructions(server.config.port, specs)


def test_a_robot_without_effort_is_refused(server, checkpoint, tmp_path):
    features = robot_features(tmp_path)
    state = features[OBS_STATE]
    positions = [name for name in state["names"] if name.endswith(".pos")]
    features[OBS_STATE] = {**state, "shape": (len(positions),), "names": positions}
    with pytest.raises(grpc.RpcError, match="reads effort"):
        send_instructions(server.config.port, RemotePolicyConfig("act_torque", str(checkpoint), features, 5))


@pytest.mark.slow
def test_the_server_command_serves_the_plugin_policies(checkpoint, tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "lerobot_torque.async_inference.policy_server", "--host=127.0.0.1"]
    process = subprocess.Popen(
        [*command, f"--port={port}", "--fps=30"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        specs = RemotePolicyConfig("act_torque", str(checkpoint), robot_features(tmp_path), 5)
        with pytest.raises(grpc.RpcError) as refused:  # LeRobot's client: known type, refused for its gaps
            send_instructions(port, specs, timeout_s=120)
    finally:
        process.terminate()
        stderr = process.communicate(timeout=30)[1].decode()
    assert "python -m lerobot_torque.async_inference.robot_client" in refused.value.details(), stderr
    assert "'act_torque', 'pi0_torque'" in stderr  # the types it serves, as logged at start


@pytest.mark.parametrize(
    "policy_type, make_config",
    [("smolvla_torque", make_smolvla_config), ("pi05_torque", make_pi05_config)],
    ids=["smolvla_torque", "pi05_torque"],
)
def test_the_vla_torque_types_are_served_and_the_client_reads_their_effort_window(
    policy_type, make_config, tmp_path
):
    make_config().save_pretrained(tmp_path)  # the checkpoint's config.json is all the client reads
    assert policy_type in supported_policy_types()
    assert policy_effort_window(policy_type, str(tmp_path)) == ("observation.effort", OFFSETS)
