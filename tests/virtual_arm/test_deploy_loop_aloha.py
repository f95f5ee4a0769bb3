"""The same record → train → deploy loop on ALOHA's arms over Dynamixel protocol 2.0.

A virtual ViperX 300 S follower (`viperx_follower_torque`, 9 motors with the shoulder and elbow
shadows) and a virtual WidowX 250 S leader (`widowx_leader`), LeRobot's unchanged commands.
"""

import numpy as np
import pytest

from lerobot.datasets.lerobot_dataset import LeRobotDataset
from lerobot.motors.encoding_utils import decode_twos_complement

from lerobot_torque.robots.effort.dynamixel_units import MILLIAMPERES_PER_CURRENT_UNIT
from lerobot_torque.robots.interbotix import JOINTS, VIPERX_MOTORS
from lerobot_torque.virtual_arm.trace import read_trace
from tests.tiny import TINY_ACT_CLI
from tests.virtual_arm.virtual_arms import lerobot, two_short_episodes_args, virtual_arm

pytestmark = pytest.mark.slow

TASK = "press the block"
FPS = 30
PRESENT_CURRENT, GOAL_POSITION = 126, 116


def follower_args(follower, calibration) -> list[str]:
    return [
        "--robot.type=viperx_follower_torque",
        f"--robot.port={follower.port}",
        "--robot.id=left",
        f"--robot.calibration_dir={calibration / 'follower'}",
        f"--robot.cameras={follower.zmq_camera()}",
    ]


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """Record 2 episodes, train act_torque a few steps, roll it out for 3 s recording an eval dataset."""
    workdir = tmp_path_factory.mktemp("aloha")
    calibration = workdir / "calibration"
    follower_calibration = ["--calibration_dir", str(calibration / "follower"), "--id", "left"]
    with (
        virtual_arm("viperx_follower", workdir / "follower", *follower_calibration) as follower,
        virtual_arm(
            "widowx_leader",
            workdir / "leader",
            "--calibration_dir",
            str(calibration / "leader"),
            "--id",
            "left",
            camera=False,
        ) as leader,
    ):
        lerobot(
            "lerobot-record",
            *follower_args(follower, calibration),
            "--teleop.type=widowx_leader",
            f"--teleop.port={leader.port}",
            "--teleop.id=left",
            f"--teleop.calibration_dir={calibration / 'leader'}",
            *two_short_episodes_args("local/virtual_aloha", workdir / "dataset", TASK, FPS),
        )
    lerobot(
        "lerobot-train",
        "--policy.type=act_torque",
        "--dataset.repo_id=local/virtual_aloha",
        f"--dataset.root={workdir / 'dataset'}",
        f"--output_dir={workdir / 'train'}",
        "--steps=10",
        "--batch_size=8",
        "--num_workers=0",
        "--save_freq=10",
        "--seed=1",
        "--policy.push_to_hub=false",
        "--wandb.enable=false",
        *TINY_ACT_CLI,
        "--policy.torque.history_length=4",
        "--policy.torque.history_stride=2",
    )
    trace = workdir / "rollout.jsonl"
    with virtual_arm(
        "viperx_follower", workdir / "follower_rollout", *follower_calibration, trace=trace
    ) as arm:
        lerobot(
            "lerobot-rollout",
            "--strategy.type=sentry",
            f"--policy.path={workdir / 'train' / 'checkpoints' / 'last' / 'pretrained_model'}",
            *follower_args(arm, calibration),
            "--duration=3",
            f"--fps={FPS}",
            "--dataset.repo_id=local/rollout_aloha",
            f"--dataset.root={workdir / 'rollout'}",
            f"--dataset.single_task={TASK}",
            "--dataset.video=false",
            "--dataset.push_to_hub=false",
            "--play_sounds=false",
            "--return_to_initial_position=false",
        )
    return (
        LeRobotDataset("local/virtual_aloha", root=workdir / "dataset"),
        LeRobotDataset("local/rollout_aloha", root=workdir / "rollout"),
        read_trace(trace),
    )


def effort_rows(dataset: LeRobotDataset) -> np.ndarray:
    names = dataset.meta.features["observation.state"]["names"]
    columns = [names.index(f"{joint}.effort") for joint in JOINTS]
    return np.stack(
        [dataset.hf_dataset[i]["observation.state"].numpy()[columns] for i in range(len(dataset))]
    )


def reported_currents_ma(trace: list[dict]) -> np.ndarray:
    """Every primary-motor current (mA) the virtual bus answered to a current…position block read."""
    rows = []
    for line in trace:
        if line["op"] == "sync_read" and line["address"] == PRESENT_CURRENT:
            raw = [bytes.fromhex(line["data"][str(VIPERX_MOTORS[j].id)])[:2] for j in JOINTS]
            units = [decode_twos_complement(int.from_bytes(r, "little"), 2) for r in raw]
            rows.append([u * MILLIAMPERES_PER_CURRENT_UNIT for u in units])
    return np.array(rows)


def test_aloha_record_stores_the_follower_current_in_observation_state(loop):
    recorded, _, _ = loop
    assert recorded.meta.features["observation.state"]["names"][len(JOINTS) :] == [
        f"{j}.effort" for j in JOINTS
    ]
    assert np.abs(effort_rows(recorded)).max() > 100  # mA: gravity and the block load the shoulder


def test_aloha_rollout_records_the_current_the_bus_reported_and_commands_the_goal(loop):
    _, rollout, trace = loop
    reported = reported_currents_ma(trace)
    for row in effort_rows(rollout):
        assert np.isclose(reported, row, rtol=1e-5, atol=1e-3).all(axis=1).any()
    goals = [line for line in trace if line["op"] == "sync_write" and line["address"] == GOAL_POSITION]
    assert len(goals) >= len(rollout) > FPS
