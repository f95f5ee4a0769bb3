"""Record → train → deploy with LeRobot's unchanged commands on a virtual SO-101 follower and leader.

Everything crosses the real boundaries: `lerobot-record`, `lerobot-train` and `lerobot-rollout`
run as subprocesses, for act_torque and for smolvla_torque fine-tuned from `lerobot/smolvla_base`
(a tiny local stand-in in the Hub cache, tests/fake_hub.py); the robot talks through LeRobot's
Feetech bus and the Feetech SDK to a pseudo-terminal served by `lerobot-torque-virtual-arm`
(another subprocess) that simulates the arm.
"""

import numpy as np
import pytest
import torch

from lerobot.common.control_utils import predict_action
from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.motors.encoding_utils import decode_sign_magnitude
from lerobot.policies.factory import make_pre_post_processors
from lerobot.utils.constants import OBS_STATE

from lerobot_torque.policies.act_torque.modeling_act_torque import ACTTorquePolicy
from lerobot_torque.virtual_arm.trace import read_trace
from tests.fake_hub import publish_smolvla_base
from tests.tiny import TINY_ACT_CLI, TINY_SMOLVLA_CLI
from tests.virtual_arm.virtual_arms import lerobot, two_short_episodes_args, virtual_arm

pytestmark = pytest.mark.slow

MOTORS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
IDS = {motor: i for i, motor in enumerate(MOTORS, start=1)}
TASK = "press the block"
FPS = 30
PRESENT_POSITION, PRESENT_LOAD, GOAL_POSITION = 56, 60, 42
LOAD_SIGN_BIT = 10
ROLLOUT_S = 3
CAMERA = "observation.images.front"


def robot_args(follower, calibration) -> list[str]:
    return [
        "--robot.type=so101_follower_torque",
        f"--robot.port={follower.port}",
        "--robot.id=follower",
        f"--robot.calibration_dir={calibration / 'follower'}",
        f"--robot.cameras={follower.zmq_camera()}",
    ]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("deploy")


@pytest.fixture(scope="module")
def recorded(workdir):
    """Two 3 s episodes recorded from the virtual leader's scripted presses, with effort."""
    calibration = workdir / "calibration"
    with (
        virtual_arm(
            "so101_follower",
            workdir / "follower",
            "--calibration_dir",
            str(calibration / "follower"),
            "--id",
            "follower",
        ) as follower,
        virtual_arm(
            "so101_leader",
            workdir / "leader",
            "--calibration_dir",
            str(calibration / "leader"),
            "--id",
            "leader",
            camera=False,
        ) as leader,
    ):
        lerobot(
            "lerobot-record",
            *robot_args(follower, calibration),
            "--teleop.type=so101_leader",
            f"--teleop.port={leader.port}",
            "--teleop.id=leader",
            f"--teleop.calibration_dir={calibration / 'leader'}",
            *two_short_episodes_args("local/virtual_press", workdir / "dataset", TASK, FPS),
        )
    return LeRobotDataset("local/virtual_press", root=workdir / "dataset")


def train_on_recording(recorded, output, steps: int, batch_size: int, *policy_args: str):
    """`lerobot-train` on the recording with a 4-frame effort history every 2 frames; its checkpoint."""
    lerobot(
        "lerobot-train",
        *policy_args,
        "--dataset.repo_id=local/virtual_press",
        f"--dataset.root={recorded.root}",
        f"--output_dir={output}",
        f"--steps={steps}",
        f"--batch_size={batch_size}",
        "--num_workers=0",
        f"--save_freq={steps}",
        "--seed=1",
        "--policy.push_to_hub=false",
        "--wandb.enable=false",
        "--policy.torque.history_length=4",
        "--policy.torque.history_stride=2",
    )
    return output / "checkpoints" / "last" / "pretrained_model"


@pytest.fixture(scope="module")
def trained(recorded, workdir):
    return train_on_recording(recorded, workdir / "train", 20, 8, "--policy.type=act_torque", *TINY_ACT_CLI)


@pytest.fixture(scope="module")
def trained_smolvla(recorded, workdir):
    """smolvla_torque fine-tuned 2 steps from `lerobot/smolvla_base` on the recording (camera, effort)."""
    base = f"--policy.pretrained_path={publish_smolvla_base()}"
    return train_on_recording(
        recorded, workdir / "train_smolvla", 2, 2, "--policy.type=smolvla_torque", base, *TINY_SMOLVLA_CLI
    )


def rollout(workdir, policy, name: str, *arm_args: str):
    """`lerobot-rollout` with the sentry strategy (records an eval dataset) on a fresh virtual follower."""
    calibration = workdir / "calibration"
    trace = workdir / f"{name}.jsonl"
    with virtual_arm(
        "so101_follower",
        workdir / f"follower_{name}",
        "--calibration_dir",
        str(calibration / "follower"),
        "--id",
        "follower",
        *arm_args,
        trace=trace,
    ) as follower:
        lerobot(
            "lerobot-rollout",
            "--strategy.type=sentry",
            f"--policy.path={policy}",
            *robot_args(follower, calibration),
            f"--duration={ROLLOUT_S}",
            f"--fps={FPS}",
            f"--dataset.repo_id=local/rollout_{name}",
            f"--dataset.root={workdir / f'rollout_{name}'}",
            f"--dataset.single_task={TASK}",
            "--dataset.video=false",
            "--dataset.push_to_hub=false",
            "--play_sounds=false",
            "--return_to_initial_position=false",
        )
    return LeRobotDataset(f"local/rollout_{name}", root=workdir / f"rollout_{name}"), read_trace(trace)


@pytest.fixture(scope="module")
def rollouts(trained, workdir):
    return {
        name: rollout(workdir, trained, name, *args)
        for name, args in [("live", ()), ("zeroed", ("--zero_effort",))]
    }


def reported_loads(trace: list[dict]) -> list[tuple[int, ...]]:
    """Every Present_Load vector the virtual bus answered to a position+load block read."""
    vectors = []
    for line in trace:
        if line["op"] == "sync_read" and line["address"] == PRESENT_POSITION and line["length"] >= 6:
            offset = PRESENT_LOAD - PRESENT_POSITION
            raw = [
                int.from_bytes(bytes.fromhex(line["data"][str(IDS[m])])[offset : offset + 2], "little")
                for m in MOTORS
            ]
            vectors.append(tuple(decode_sign_magnitude(value, LOAD_SIGN_BIT) for value in raw))
    return vectors


def state_columns(dataset: LeRobotDataset, suffix: str) -> np.ndarray:
    names = dataset.meta.features["observation.state"]["names"]
    columns = [names.index(f"{motor}{suffix}") for motor in MOTORS]
    return np.stack(
        [dataset.hf_dataset[i]["observation.state"].numpy()[columns] for i in range(len(dataset))]
    )


def test_record_stores_the_virtual_arm_effort_in_observation_state(recorded):
    names = recorded.meta.features["observation.state"]["names"]
    assert names == [f"{m}.pos" for m in MOTORS] + [f"{m}.effort" for m in MOTORS]
    assert recorded.meta.total_episodes == 2
    effort = state_columns(recorded, ".effort")
    assert np.abs(effort[:, IDS["shoulder_lift"] - 1]).max() > 50  # gravity and the block load the shoulder


def test_rollout_eval_dataset_holds_the_effort_the_bus_reported(rollouts):
    dataset, trace = rollouts["live"]
    assert dataset.meta.features["observation.state"]["names"][-6:] == [f"{m}.effort" for m in MOTORS]
    reported = set(reported_loads(trace))
    recorded = [tuple(int(v) for v in row) for row in state_columns(dataset, ".effort")]
    assert len(recorded) >= FPS * ROLLOUT_S // 2
    assert all(row in reported for row in recorded)
    assert len(set(recorded)) > 1  # the effort changes while the arm moves


def test_rollout_actions_reach_the_virtual_arm_goal_position(rollouts):
    dataset, trace = rollouts["live"]
    goals = [line for line in trace if line["op"] == "sync_write" and line["address"] == GOAL_POSITION]
    assert len(goals) >= len(dataset)
    written = {
        tuple(int.from_bytes(bytes.fromhex(g["data"][str(IDS[m])]), "little") for m in MOTORS) for g in goals
    }
    assert len(written) > 1


def first_frame(dataset: LeRobotDataset) -> dict:
    """Frame 0 of an eval dataset as the robot reported it (uint8 HWC image, float state)."""
    item = dataset[0]
    image = (item[CAMERA] * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    return {OBS_STATE: item[OBS_STATE].numpy(), CAMERA: image}


def test_zeroed_effort_reaches_the_policy_and_changes_its_actions(rollouts, trained):
    """The first action of the zeroed-effort rollout is the policy's answer to the zeroed frame it
    recorded, and the same frame with the effort the live arm reported gets another answer."""
    zeroed, _ = rollouts["zeroed"]
    live, _ = rollouts["live"]
    assert not state_columns(zeroed, ".effort").any()
    assert np.abs(state_columns(live, ".effort")[0]).max() > 20  # gravity loads the arm at rest
    policy = ACTTorquePolicy.from_pretrained(trained)
    preprocessor, postprocessor = make_pre_post_processors(policy.config, pretrained_path=str(trained))

    def first_action(frame: dict) -> np.ndarray:
        policy.reset()
        action = predict_action(frame, policy, torch.device("cpu"), preprocessor, postprocessor, False, TASK)
        return action.squeeze(0).numpy()

    frame = first_frame(zeroed)
    np.testing.assert_allclose(first_action(frame), zeroed.hf_dataset[0]["action"].numpy(), atol=1e-3)
    names = zeroed.meta.features[OBS_STATE]["names"]
    effort = [names.index(f"{m}.effort") for m in MOTORS]
    frame[OBS_STATE][effort] = state_columns(live, ".effort")[0]
    assert np.abs(first_action(frame) - zeroed.hf_dataset[0]["action"].numpy()).max() > 1e-3


def test_smolvla_torque_rolls_out_on_the_arm_with_the_effort_its_bus_reports(trained_smolvla, workdir):
    dataset, trace = rollout(workdir, trained_smolvla, "smolvla_torque")
    assert dataset.meta.features["observation.state"]["names"][-6:] == [f"{m}.effort" for m in MOTORS]
    recorded = [tuple(int(v) for v in row) for row in state_columns(dataset, ".effort")]
    assert len(recorded) >= FPS * ROLLOUT_S // 2
    assert set(recorded) <= set(reported_loads(trace))
    goals = [line for line in trace if line["op"] == "sync_write" and line["address"] == GOAL_POSITION]
    assert len(goals) >= len(dataset)
