"""Control-loop rate of `lerobot-rollout`: our `so101_follower_torque` vs LeRobot's `so101_follower`.

Both robots run on the same virtual SO-101 (`lerobot-torque-virtual-arm`, the real Feetech SDK on a
pseudo-terminal, a rendered zmq camera) with a tiny ACT trained a few steps on what the same
robot recorded (`act` for LeRobot's follower, `act_torque` with a 4-frame effort history for ours).
The rate is read off the virtual bus itself: Goal_Position writes per second over each rollout
(the bus trace), so it counts completed control steps, not intentions. Rounds alternate the two
robots; each round's ratio compares neighbours, and the median ratio is reported.

    .venv/bin/python benchmarks/rollout_loop_rate.py [--fps 30] [--seconds 10] [--rounds 3]

Resumable: finished steps (datasets, checkpoints, rounds) are kept in --output-dir and skipped.
Nothing here measures a real arm; the virtual arm answers a packet in well under a millisecond.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from lerobot_torque.evaluation.machine import machine_line
from lerobot_torque.virtual_arm.process import OFFLINE_ENV, run_lerobot, running_virtual_arm
from lerobot_torque.virtual_arm.trace import read_trace

GOAL_POSITION = 42  # STS3215 address (lerobot/motors/feetech/tables.py)
OFFLINE = OFFLINE_ENV
TINY_ACT = [
    "--policy.dim_model=32",
    "--policy.n_heads=2",
    "--policy.dim_feedforward=64",
    "--policy.n_encoder_layers=1",
    "--policy.n_decoder_layers=1",
    "--policy.n_vae_encoder_layers=1",
    "--policy.latent_dim=8",
    "--policy.chunk_size=10",
    "--policy.n_action_steps=10",
    "--policy.pretrained_backbone_weights=null",
    "--policy.device=cpu",
]
ROBOTS = {  # label → (robot type, policy type, extra policy flags)
    "so101_follower": ("so101_follower", "act", []),
    "so101_follower_torque": (
        "so101_follower_torque",
        "act_torque",
        ["--policy.torque.history_length=4", "--policy.torque.history_stride=2"],
    ),
}
BASELINE, CANDIDATE = "so101_follower", "so101_follower_torque"
TASK = "press the block"


def robot_flags(robot_type: str, arm, calibration: Path) -> list[str]:
    return [
        f"--robot.type={robot_type}",
        f"--robot.port={arm.port}",
        "--robot.id=follower",
        f"--robot.calibration_dir={calibration}",
        f"--robot.cameras={arm.zmq_camera()}",
    ]


def follower(out: Path, name: str, calibration: Path, *extra: str):
    return running_virtual_arm(
        "so101_follower",
        out / f"port_{name}",
        "--calibration_dir",
        str(calibration),
        "--id",
        "follower",
        *extra,
        env=OFFLINE,
    )


def record_and_train(out: Path, label: str, fps: int) -> Path:
    """A 6 s recording with this robot and the scripted leader, then 20 training steps."""
    robot_type, policy_type, policy_flags = ROBOTS[label]
    checkpoint = out / f"train_{label}" / "checkpoints" / "last" / "pretrained_model"
    if checkpoint.exists():
        return checkpoint
    calibration = out / "calibration"
    dataset = out / f"dataset_{label}"
    if not (dataset / "meta" / "info.json").exists():
        leader_args = ["--calibration_dir", str(calibration / "leader"), "--id", "leader"]
        with (
            follower(out, f"record_{label}", calibration / "follower") as arm,
            running_virtual_arm(
                "so101_leader", out / "port_leader", *leader_args, camera=False, env=OFFLINE
            ) as leader,
        ):
            run_lerobot(
                "lerobot-record",
                *robot_flags(robot_type, arm, calibration / "follower"),
                "--teleop.type=so101_leader",
                f"--teleop.port={leader.port}",
                "--teleop.id=leader",
                f"--teleop.calibration_dir={calibration / 'leader'}",
                f"--dataset.repo_id=local/{dataset.name}",
                f"--dataset.root={dataset}",
                f"--dataset.single_task={TASK}",
                f"--dataset.fps={fps}",
                "--dataset.num_episodes=1",
                "--dataset.episode_time_s=6",
                "--dataset.reset_time_s=0",
                "--dataset.video=false",
                "--dataset.push_to_hub=false",
                "--display_data=false",
                "--play_sounds=false",
                env=OFFLINE,
            )
    run_lerobot(
        "lerobot-train",
        f"--policy.type={policy_type}",
        f"--dataset.repo_id=local/{dataset.name}",
        f"--dataset.root={dataset}",
        f"--output_dir={out / f'train_{label}'}",
        "--steps=20",
        "--batch_size=8",
        "--num_workers=0",
        "--save_freq=20",
        "--seed=1",
        "--policy.push_to_hub=false",
        "--wandb.enable=false",
        *TINY_ACT,
        *policy_flags,
        env=OFFLINE,
    )
    return checkpoint


def loop_rate(trace: list[dict]) -> float:
    """Completed control steps per second: Goal_Position writes over the span they cover."""
    times = [line["t"] for line in trace if line["op"] == "sync_write" and line["address"] == GOAL_POSITION]
    if len(times) < 2:
        raise RuntimeError("The rollout wrote fewer than 2 goals to the virtual arm: it did not run.")
    return (len(times) - 1) / (times[-1] - times[0])


def rollout_rate(
    out: Path, label: str, checkpoint: Path, round_index: int, fps: int, seconds: float
) -> float:
    robot_type = ROBOTS[label][0]
    name = f"{label}_round{round_index}"
    trace = out / f"trace_{name}.jsonl"
    trace.unlink(missing_ok=True)  # a round interrupted earlier starts over
    with follower(out, name, out / "calibration" / "follower", "--trace", str(trace)) as arm:
        run_lerobot(
            "lerobot-rollout",
            "--strategy.type=base",
            f"--policy.path={checkpoint}",
            *robot_flags(robot_type, arm, out / "calibration" / "follower"),
            f"--duration={seconds}",
            f"--fps={fps}",
            f"--task={TASK}",
            "--play_sounds=false",
            "--return_to_initial_position=false",
            env=OFFLINE,
        )
    return loop_rate(read_trace(trace))


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10.0, help="rollout duration per robot and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output-dir", type=Path, default=Path("results/rollout_loop_rate"))
    args = parser.parse_args(argv)
    out = args.output_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {"rounds": []}
    settings = {"fps": args.fps, "seconds": args.seconds}
    if results.get("settings", settings) != settings:
        results = {"rounds": []}  # other settings: earlier rounds do not compare
    results["settings"] = settings
    start = time.monotonic()
    checkpoints = {label: record_and_train(out, label, args.fps) for label in ROBOTS}
    for index in range(len(results["rounds"]), args.rounds):
        order = [BASELINE, CANDIDATE] if index % 2 == 0 else [CANDIDATE, BASELINE]
        rates = {
            label: rollout_rate(out, label, checkpoints[label], index, args.fps, args.seconds)
            for label in order
        }
        rates["ratio"] = rates[CANDIDATE] / rates[BASELINE]
        results["rounds"].append(rates)
        write_atomically(results_path, json.dumps(results, indent=2))
        print(
            f"round {index + 1}/{args.rounds}: " + ", ".join(f"{k} {v:.3f}" for k, v in rates.items()),
            flush=True,
        )
    ratios = [r["ratio"] for r in results["rounds"]]
    command = "benchmarks/rollout_loop_rate.py " + " ".join(sys.argv[1:] if argv is None else argv)
    lines = [
        f"lerobot-rollout control-loop rate on the virtual SO-101 at {args.fps} fps, "
        f"{args.seconds:g} s per rollout,"
        f" {len(ratios)} rounds ({time.monotonic() - start:.0f} s this run)",
        machine_line(),
        "",
        f"| round | {BASELINE} (Hz) | {CANDIDATE} (Hz) | ratio |",
        "|---|---|---|---|",
        *[
            f"| {i + 1} | {r[BASELINE]:.2f} | {r[CANDIDATE]:.2f} | {r['ratio']:.3f} |"
            for i, r in enumerate(results["rounds"])
        ],
        "",
        f"median ratio {CANDIDATE}/{BASELINE}: {statistics.median(ratios):.3f} (target ≥ 0.95)",
        f"command: .venv/bin/python {command.strip()}",
    ]
    write_atomically(out / "results.md", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
