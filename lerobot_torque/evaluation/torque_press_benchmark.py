"""`lerobot-torque-benchmark`: does effort make a *learned* policy succeed on `torque_press`?

One command, LeRobot's own commands inside it:
1. `lerobot-torque-sim-demos` writes scripted effort-aware demonstrations (a LeRobotDataset);
2. `lerobot-train` trains `act`, `act_torque` and the leak-check learner on the same demonstrations;
3. `lerobot-eval` evaluates each on fresh episodes (env seeds never used for demonstrations), and
   act_torque again with its effort zeroed and shuffled (`--policy.torque.effort_ablation`);
4. the scripted experts run on the same seeds;
5. a table of success rates with 95 % Wilson intervals, `results.md`/`results.json`, and plots
   (success bars; effort and button force of a success and a failure) go to `--output-dir`.

The leak check is the strongest no-effort learner we build with LeRobot's tools: act_torque whose
"effort" window reads the joint-position history (`--policy.torque.effort_source=state
--policy.torque.state_effort_suffix=.pos`), i.e. ACT with a 2 s state history and the same
auxiliary head, on joint-target increments. `benchmarks/torque_press_leak_check.py` adds MLP
learners with previous commands (docs/torque_press.md).

Policies train without the camera: on this 2-core CPU ACT's ResNet-18 costs ≈ 12 s per batch-32
step at 96×96. The env then reports what the camera shows of the scene, the button's position, as
`observation.environment_state` (ACT needs an image or an environment state).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from lerobot_torque.evaluation.machine import machine_line
from lerobot_torque.evaluation.statistics import SuccessRate

BIN = Path(sys.executable).parent
EVAL_SEED = 100_000  # evaluation env seeds start here; demonstrations use seeds from 0

ENV_FLAGS = ["--env.type=torque_press", "--env.obs_type=agent_pos"]
ACT_SIZE = [  # a small ACT for CPU training; everything else is ACT's default
    "--policy.dim_model=128",
    "--policy.n_heads=4",
    "--policy.dim_feedforward=512",
    "--policy.n_encoder_layers=2",
    "--policy.n_vae_encoder_layers=2",
    "--policy.chunk_size=20",
    "--policy.n_action_steps=5",
    "--policy.optimizer_lr=1e-4",
    "--policy.pretrained_backbone_weights=null",
    "--policy.device=cpu",
]
LEARNERS = {
    "act": ["--policy.type=act"],
    "act_torque": ["--policy.type=act_torque"],
    "act_position_history": [
        "--policy.type=act_torque",
        "--policy.torque.effort_source=state",
        "--policy.torque.state_effort_suffix=.pos",
    ],
}
ABLATIONS = {"act_torque, effort zeroed": "zero", "act_torque, effort shuffled": "shuffle"}
LABELS = {
    "act": "act (no effort)",
    "act_position_history": "act + 2 s joint-position history (no effort; leak check)",
    "act_torque": "act_torque (effort history + future effort)",
}


@dataclass
class Preset:
    """Sizes of a benchmark run."""

    demos: int
    train_steps: int
    batch_size: int
    eval_episodes: int


PRESETS = {
    # The README's main job: ≤ 20 min on 2 CPU cores.
    "quick": Preset(demos=60, train_steps=1500, batch_size=32, eval_episodes=50),
    # The benchmark whose table the README reports.
    "full": Preset(demos=200, train_steps=5000, batch_size=32, eval_episodes=100),
}


def run(command: list[str], log: Path) -> None:
    """Run a command, its output to `log`; raise with the log's tail when it fails."""
    print(f"$ {' '.join(command)}\n  (output: {log})", flush=True)
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl"), "OMP_NUM_THREADS": "1"}
    with log.open("w") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({log}):\n" + log.read_text()[-3000:])


def write_demos(preset: Preset, out: Path) -> Path:
    root = out / "demos"
    if not (root / "meta" / "info.json").exists():
        run(
            [
                str(BIN / "lerobot-torque-sim-demos"),
                *ENV_FLAGS,
                "--repo_id=local/torque_press_demos",
                f"--root={root}",
                f"--num_episodes={preset.demos}",
                "--seed=0",
            ],
            out / "logs" / "demos.log",
        )
    return root


def train(name: str, demos: Path, preset: Preset, out: Path) -> Path:
    checkpoint = out / "train" / name / "checkpoints" / "last" / "pretrained_model"
    if not checkpoint.exists():
        run(
            [
                str(BIN / "lerobot-train"),
                *LEARNERS[name],
                *ACT_SIZE,
                "--dataset.repo_id=local/torque_press_demos",
                f"--dataset.root={demos}",
                f"--output_dir={out / 'train' / name}",
                f"--steps={preset.train_steps}",
                f"--batch_size={preset.batch_size}",
                f"--save_freq={preset.train_steps}",
                "--num_workers=1",
                "--seed=1",
                "--log_freq=100",
                "--policy.push_to_hub=false",
                "--wandb.enable=false",
            ],
            out / "logs" / f"train_{name}.log",
        )
    return checkpoint


def evaluate(name: str, checkpoint: Path, preset: Preset, out: Path, extra: list[str] = ()) -> SuccessRate:
    folder = out / "eval" / name.replace(", ", "_").replace(" ", "_")
    info_path = folder / "eval_info.json"
    if not info_path.exists():
        run(
            [
                str(BIN / "lerobot-eval"),
                f"--policy.path={checkpoint}",
                *extra,
                *ENV_FLAGS,
                f"--eval.n_episodes={preset.eval_episodes}",
                "--eval.batch_size=10",
                "--eval.use_async_envs=false",
                f"--seed={EVAL_SEED}",
                f"--output_dir={folder}",
            ],
            out / "logs" / f"eval_{folder.name}.log",
        )
    successes = episode_successes(json.loads(info_path.read_text()))
    return SuccessRate(LABELS.get(name, name), sum(successes), len(successes))


def episode_successes(info: dict) -> list[bool]:
    """Per-episode successes of a `lerobot-eval` `eval_info.json` (LeRobot 0.6.1: `per_task` metrics)."""
    return [bool(success) for task in info["per_task"] for success in task["metrics"]["successes"]]


def scripted_rates(preset: Preset) -> list[SuccessRate]:
    """The effort-aware expert and the best fixed-depth (blind) script, on the evaluation seeds."""
    from lerobot_torque.envs.configs import TorquePressEnvConfig
    from lerobot_torque.envs.press_baselines import ExpertPolicy, FixedDepthPolicy, best_fixed_depth, rollout

    config = TorquePressEnvConfig(obs_type="agent_pos")
    seeds = list(range(EVAL_SEED, EVAL_SEED + preset.eval_episodes))
    rates = []
    for name, policy in (
        ("scripted expert (effort)", ExpertPolicy()),
        ("scripted best fixed depth (no effort)", FixedDepthPolicy(best_fixed_depth(config)[0])),
    ):
        outcomes = rollout(config, seeds, policy)
        rates.append(SuccessRate(name, sum(o["success"] for o in outcomes), len(outcomes)))
    return rates


def markdown_table(rates: list[SuccessRate]) -> str:
    lines = ["| policy | success | 95 % Wilson CI (%) |", "|---|---|---|"]
    for rate in rates:
        low, high = rate.interval
        success = f"{rate.successes}/{rate.episodes} ({rate.percent:.0f} %)"
        lines.append(f"| {rate.name} | {success} | [{low:.1f}, {high:.1f}] |")
    return "\n".join(lines)


def verdicts(rates: dict[str, SuccessRate]) -> list[str]:
    """The issue's targets, each as a checked sentence."""
    act, torque = rates["act"], rates["act_torque"]
    zero, leak = rates["act_torque, effort zeroed"], rates["act_position_history"]
    expert = rates["scripted expert (effort)"]
    gap = torque.percent - act.percent
    checks = [
        (
            gap >= 40 and torque.separated_above(act),
            f"act_torque − act = {gap:+.0f} points, intervals separated: {torque.separated_above(act)} "
            "(target ≥ 40, separated)",
        ),
        (
            zero.percent <= act.percent,
            f"zeroed effort {zero.percent:.0f} % ≤ act {act.percent:.0f} % "
            "(the policy falls back without effort)",
        ),
        (
            leak.percent <= 60,
            f"leak check (no-effort learner with state history) {leak.percent:.0f} % (target ≤ 60 %)",
        ),
        (expert.percent >= 95, f"scripted effort-aware expert {expert.percent:.0f} % (target ≥ 95 %)"),
    ]
    return [f"- [{'x' if ok else ' '}] {text}" for ok, text in checks]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="lerobot-torque-benchmark",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    parser.add_argument("--output-dir", type=Path, help="default: results/torque_press_<preset>")
    args = parser.parse_args(argv)
    preset = PRESETS[args.preset]
    out = args.output_dir or Path("results") / f"torque_press_{args.preset}"
    (out / "logs").mkdir(parents=True, exist_ok=True)
    start = time.time()

    demos = write_demos(preset, out)
    checkpoints = {name: train(name, demos, preset, out) for name in LEARNERS}
    rates = {name: evaluate(name, checkpoints[name], preset, out) for name in LEARNERS}
    for name, mode in ABLATIONS.items():
        rates[name] = evaluate(
            name, checkpoints["act_torque"], preset, out, [f"--policy.torque.effort_ablation={mode}"]
        )
    for rate in scripted_rates(preset):
        rates[rate.name] = rate

    from lerobot_torque.evaluation.plots import plot_effort_traces, plot_success

    order = [
        "scripted expert (effort)",
        "scripted best fixed depth (no effort)",
        "act",
        "act_position_history",
        "act_torque",
        "act_torque, effort zeroed",
        "act_torque, effort shuffled",
    ]
    table = markdown_table([rates[name] for name in order])
    plot_success([rates[name] for name in order], out / "success.png")
    plot_effort_traces(checkpoints["act_torque"], out / "effort_traces.png", first_seed=EVAL_SEED)
    minutes = (time.time() - start) / 60
    report = (
        f"torque_press benchmark, preset `{args.preset}` ({asdict(preset)}), evaluation seeds from "
        f"{EVAL_SEED}, {minutes:.0f} min\n{machine_line()}\n\n{table}\n\n" + "\n".join(verdicts(rates))
    )
    (out / "results.md").write_text(report + "\n")
    (out / "results.json").write_text(json.dumps({k: asdict(v) for k, v in rates.items()}, indent=2))
    print(report)
    print(f"\nPlots: {out / 'success.png'}, {out / 'effort_traces.png'}")


if __name__ == "__main__":
    main()
