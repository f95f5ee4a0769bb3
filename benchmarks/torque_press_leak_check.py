"""Leak check for `torque_press`: is joint effort *necessary* for a learned policy?

Prototyping the task showed that a press task leaks force through proprioception when the servo
is compliant: a behaviour-cloned policy without effort reached 99-100 % from state history
and targets relative to the measured position. This script measures the same thing on our env:

1. The scripted effort-aware expert (`PressExpert`) on fresh seeds (target ≥ 95 %).
2. The best scripted *blind* policy: press to one fixed depth below the cap, the depth that fits the
   largest share of stiffnesses (log(F_hi/F_lo) / log(k_max/k_min) of them).
3. Behaviour cloning (small MLPs, torch, CPU) on the expert's demonstrations, one per input set:
   no-effort learners as strong as we can make them (state history, previous commands and the
   command-minus-measured gap, increments on the previous command or targets relative to the
   measured position as actions, and the button position, which the camera shows) must stay
   ≤ 60 %; an effort-aware learner with the same inputs plus effort should succeed clearly more.
4. An information check independent of any learner's skill: episodes of a stiffness-independent
   policy (random fixed depth and speed), and the R² with which an MLP predicts the hidden
   log-stiffness from each input set in contact. Near 0 (or below) without effort means that
   positions and the command-minus-measured gap carry no usable trace of the force.

Every rate is printed with its 95 % Wilson interval, with the command, seeds, versions and machine.
Runs in a few minutes on 2 CPU cores with the defaults (state-only env, no rendering).

    python benchmarks/torque_press_leak_check.py                      # defaults (README numbers)
    python benchmarks/torque_press_leak_check.py --env.servo_model=pd   # the leaky servo, for contrast
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from lerobot_torque.envs.configs import TorquePressEnvConfig
from lerobot_torque.envs.torque_press.env import TorquePressEnv
from lerobot_torque.evaluation.machine import machine_line
from lerobot_torque.evaluation.press_baselines import (
    EXPERT_SETTINGS,
    ExpertPolicy,
    FixedDepthPolicy,
    best_fixed_depth,
    make_expert,
)
from lerobot_torque.evaluation.rollout import Episode, rollout
from lerobot_torque.evaluation.statistics import wilson_interval

# --- inputs of the learners -------------------------------------------------------------------------


@dataclass(frozen=True)
class InputSet:
    """What a learner sees at each step (always the button's x, which the camera shows)."""

    name: str
    history: int = 1  # frames of each windowed signal, stride 1, newest last
    effort: bool = False
    commands: bool = False  # previous actions and the (previous target − measured) gap
    gap_only: bool = False  # with `commands`: the gap without the previous actions
    depth: bool = False  # exact cap depth: privileged, a sub-tick tip position no camera resolves
    action: str = "delta"  # label: "delta" (increment on the previous target), "relative" (target −
    # measured angles) or "absolute" (joint target); always executed as the equivalent delta


INPUT_SETS = {
    s.name: s
    for s in (
        InputSet("blind_state", history=1),
        InputSet("blind_state_history", history=10),
        InputSet("blind_history_commands", history=10, commands=True),
        InputSet("blind_history_gap", history=10, commands=True, gap_only=True),
        InputSet("blind_long_history_commands", history=25, commands=True),
        InputSet("blind_history_commands_relative", history=10, commands=True, action="relative"),
        InputSet("effort_history_commands", history=10, effort=True, commands=True),
        InputSet(
            "effort_history_commands_relative", history=10, effort=True, commands=True, action="relative"
        ),
        InputSet(
            "effort_history_commands_absolute", history=10, effort=True, commands=True, action="absolute"
        ),
    )
}
# Not in the default run: an exact cap depth is a sub-tick tip position sensor that defeats the
# encoder's quantisation (no camera resolves 0.1 mm), reported on request for completeness.
PRIVILEGED_INPUT_SETS = {
    s.name: s
    for s in (InputSet("blind_history_commands_exact_depth", history=10, commands=True, depth=True),)
}
PROBE_INPUTS = (
    "blind_state_history",
    "blind_history_gap",
    "blind_long_history_commands",
    "effort_history_commands",
)


@dataclass
class Frame:
    """One control step as a learner may see it, plus the expert's action label."""

    q: np.ndarray
    effort: np.ndarray
    prev_action: np.ndarray
    gap: np.ndarray  # previous joint target − measured joint angles
    depth: float
    button_x: float
    prev_target: np.ndarray
    action: np.ndarray | None = None  # the expert's delta

    def label(self, kind: str) -> np.ndarray:
        """The expert's action in the representation `kind` (see `InputSet.action`)."""
        if kind == "delta":
            return self.action
        target = self.prev_target + self.action
        return target - self.q if kind == "relative" else target


@dataclass
class FeatureBuilder:
    """Turns a growing list of frames into the feature vector of an `InputSet` (episode-start padded)."""

    inputs: InputSet
    frames: list[Frame] = field(default_factory=list)

    def features(self, t: int | None = None) -> np.ndarray:
        t = len(self.frames) - 1 if t is None else t
        window = [self.frames[max(0, t - k)] for k in range(self.inputs.history - 1, -1, -1)]
        parts = [np.concatenate([f.q for f in window]), [window[-1].button_x]]
        if self.inputs.effort:
            parts.append(np.concatenate([f.effort for f in window]))
        if self.inputs.commands:
            if not self.inputs.gap_only:
                parts.append(np.concatenate([f.prev_action for f in window]))
            parts.append(np.concatenate([f.gap for f in window]))
        if self.inputs.depth:
            parts.append([f.depth for f in window])
        return np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in parts])


def observe(env: TorquePressEnv, obs: dict, prev_action: np.ndarray, prev_target: np.ndarray) -> Frame:
    return Frame(
        q=obs["agent_pos"].copy(),
        effort=obs["effort"].copy(),
        prev_action=prev_action.copy(),
        gap=prev_target - obs["agent_pos"],
        depth=env.sim.button_depth,
        button_x=env.button_x,
        prev_target=prev_target.copy(),
    )


# --- demonstrations and rollouts --------------------------------------------------------------------


def collect_demos(cfg: TorquePressEnvConfig, seeds: list[int], noise_std: float) -> list[list[Frame]]:
    """Expert episodes; with `noise_std` (rad) > 0 the executed action is perturbed (DART, Laskey et al.
    2017) while the labels stay the expert's, so the learners see how the expert recovers."""
    env = TorquePressEnv(cfg)
    rng = np.random.default_rng(12345)
    episodes = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        expert = make_expert(env)
        expert.reset(obs["agent_pos"])
        prev_action, frames = np.zeros(2), []
        for _ in range(cfg.episode_length):
            frame = observe(env, obs, prev_action, env.target)
            frame.action = expert.act(obs, env.button_x).astype(np.float64)
            frames.append(frame)
            executed = frame.action + rng.normal(0.0, noise_std, 2)
            expert.command = env.target + executed  # the expert continues from what was executed
            obs, _, terminated, truncated, _ = env.step(executed)
            prev_action = executed
            if terminated or truncated:
                break
        episodes.append(frames)
    env.close()
    return episodes


def probe_frames(cfg: TorquePressEnvConfig, seeds: list[int]) -> list[list[Frame]]:
    """Episodes of a stiffness-independent policy (fixed depth and speed drawn per episode); each
    frame also records the hidden log-stiffness. What such frames reveal about the stiffness is what
    the world leaks, whatever a policy does with it."""
    env = TorquePressEnv(cfg)
    rng = np.random.default_rng(54321)
    episodes = []
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        policy = FixedDepthPolicy(float(np.exp(rng.uniform(np.log(0.002), np.log(0.03)))))
        policy.reset(env, obs)
        policy.expert.settings.speed = float(rng.uniform(0.005, 0.04))
        prev_action, frames = np.zeros(2), []
        for _ in range(cfg.episode_length):
            frame = observe(env, obs, prev_action, env.target)
            frame.log_stiffness = np.log(info["stiffness"])
            frames.append(frame)
            prev_action = policy(env, obs).astype(np.float64)
            obs, _, terminated, truncated, info = env.step(prev_action)
            if terminated or truncated:
                break
        episodes.append(frames)
    env.close()
    return episodes


def stiffness_r2(episodes: list[list[Frame]], inputs: InputSet, steps: int, seed: int) -> float:
    """R² of the hidden log-stiffness predicted from `inputs` in contact (held-out fifth of episodes)."""
    split = len(episodes) * 4 // 5
    sets = []
    for part in (episodes[:split], episodes[split:]):
        xs, ys = [], []
        for frames in part:
            builder = FeatureBuilder(inputs, frames)
            xs += [builder.features(t) for t, f in enumerate(frames) if f.depth > 0.0005]
            ys += [f.log_stiffness for f in frames if f.depth > 0.0005]
        sets.append((np.asarray(xs), np.asarray(ys)[:, None]))
    (x, y), (x_test, y_test) = sets
    model, stats = train_mlp(x, y, steps, seed)
    with torch.no_grad():
        pred = model(
            torch.as_tensor((x_test - stats["x_mean"]) / stats["x_std"], dtype=torch.float32)
        ).numpy()
    pred = pred * stats["y_std"] + stats["y_mean"]
    return float(1.0 - np.mean((pred - y_test) ** 2) / np.var(y_test))


class LearnedPolicy:
    def __init__(self, inputs: InputSet, model: nn.Module, stats: dict):
        self.inputs, self.model, self.stats = inputs, model, stats

    def reset(self, env, obs):
        self.builder = FeatureBuilder(self.inputs)
        self.prev_action = np.zeros(2)  # the action executed at the previous step

    def __call__(self, env, obs):
        frame = observe(env, obs, self.prev_action, env.target)
        self.builder.frames.append(frame)
        x = (self.builder.features() - self.stats["x_mean"]) / self.stats["x_std"]
        with torch.no_grad():
            y = self.model(torch.as_tensor(x, dtype=torch.float32)[None])[0].numpy()
        y = y * self.stats["y_std"] + self.stats["y_mean"]
        if self.inputs.action == "relative":
            y = frame.q + y - frame.prev_target
        elif self.inputs.action == "absolute":
            y = y - frame.prev_target
        limit = env.config.max_delta_rad
        action = np.clip(y, -limit, limit).astype(np.float32)
        self.prev_action = action.astype(np.float64)
        return action


# --- behaviour cloning ------------------------------------------------------------------------------


def dataset(episodes: list[list[Frame]], inputs: InputSet) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for frames in episodes:
        builder = FeatureBuilder(inputs, frames)
        for t, frame in enumerate(frames):
            xs.append(builder.features(t))
            ys.append(frame.label(inputs.action))
    return np.asarray(xs), np.asarray(ys)


def train_mlp(
    x: np.ndarray, y: np.ndarray, steps: int, seed: int, width: int = 256
) -> tuple[nn.Module, dict]:
    torch.manual_seed(seed)
    stats = {
        "x_mean": x.mean(0),
        "x_std": x.std(0) + 1e-6,
        "y_mean": y.mean(0),
        "y_std": y.std(0) + 1e-9,
    }
    xt = torch.as_tensor((x - stats["x_mean"]) / stats["x_std"], dtype=torch.float32)
    yt = torch.as_tensor((y - stats["y_mean"]) / stats["y_std"], dtype=torch.float32)
    model = nn.Sequential(
        nn.Linear(x.shape[1], width),
        nn.GELU(),
        nn.Linear(width, width),
        nn.GELU(),
        nn.Linear(width, y.shape[1]),
    )
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(0, len(xt), (256,), generator=generator)
        loss = nn.functional.mse_loss(model(xt[idx]), yt[idx])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
    model.eval()
    return model, stats


# --- statistics and report --------------------------------------------------------------------------


def summarise(name: str, episodes: list[Episode]) -> dict:
    n, k = len(episodes), sum(episode.success for episode in episodes)
    low, high = wilson_interval(k, n)
    return {
        "name": name,
        "k": k,
        "n": n,
        "rate": k / n,
        "low": low,
        "high": high,
        "broken": sum(episode.broken for episode in episodes) / n,
    }


def print_table(rows: list[dict]) -> None:
    print(f"\n{'policy':42s} {'success':>9s} {'95% Wilson CI':>17s} {'broken':>7s}")
    for r in rows:
        print(
            f"{r['name']:42s} {r['k']:3d}/{r['n']:<3d}  {100 * r['rate']:5.1f}%  "
            f"[{100 * r['low']:5.1f}, {100 * r['high']:5.1f}]  {100 * r['broken']:5.1f}%"
        )


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, dict]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train-episodes", type=int, default=200)
    parser.add_argument("--test-episodes", type=int, default=100)
    parser.add_argument("--train-seed-start", type=int, default=0)
    parser.add_argument("--test-seed-start", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=3000, help="gradient steps per learner")
    parser.add_argument("--noise", type=float, default=0.002, help="DART noise on demo actions (rad)")
    parser.add_argument(
        "--learners",
        default=",".join(INPUT_SETS),
        help=f"comma-separated input sets of {list(INPUT_SETS) + list(PRIVILEGED_INPUT_SETS)}",
    )
    parser.add_argument("--torch-seed", type=int, default=0)
    parser.add_argument("--probe-episodes", type=int, default=150, help="0 skips the stiffness probe")
    parser.add_argument("--probe-seed-start", type=int, default=200_000)
    args, rest = parser.parse_known_args(argv)
    overrides = {}
    for item in rest:
        if item.startswith("--expert.") and "=" in item:
            key, value = item[len("--expert.") :].split("=", 1)
            setattr(EXPERT_SETTINGS, key, float(value))
            continue
        if not item.startswith("--env.") or "=" not in item:
            parser.error(
                f"unknown argument {item!r}; options are --env.<field>=<value>, --expert.<field>=<value>"
            )
        key, value = item[len("--env.") :].split("=", 1)
        overrides[key] = eval(value, {}) if value[:1] in "([0123456789.-" else value  # noqa: S307
    return args, overrides


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args, overrides = parse_args(argv)
    torch.set_num_threads(1)
    cfg = TorquePressEnvConfig(obs_type="agent_pos", action_mode="delta", **overrides)
    train_seeds = list(range(args.train_seed_start, args.train_seed_start + args.train_episodes))
    test_seeds = list(range(args.test_seed_start, args.test_seed_start + args.test_episodes))
    start = time.time()
    print("command: python " + " ".join(shlex.quote(a) for a in [sys.argv[0], *argv]))
    print(
        f"train seeds {train_seeds[0]}..{train_seeds[-1]}, test seeds {test_seeds[0]}..{test_seeds[-1]}, "
        f"torch seed {args.torch_seed}"
    )
    print(
        f"env: stiffness {cfg.stiffness_range} N/m, band {cfg.force_band} N, break {cfg.break_force} N, "
        f"hold {cfg.hold_time_s} s, servo {cfg.servo_model}, encoder {cfg.encoder_ticks_per_rev} ticks/rev, "
        f"fps {cfg.fps}, {cfg.episode_length} steps; expert {EXPERT_SETTINGS}"
    )

    rows = [summarise("scripted expert (effort)", rollout(cfg, test_seeds, ExpertPolicy()))]

    # Best blind scripted policy (press_baselines.best_fixed_depth).
    depth, share = best_fixed_depth(cfg)
    rows.append(
        summarise(
            f"scripted fixed depth {1000 * depth:.1f} mm (blind)",
            rollout(cfg, test_seeds, FixedDepthPolicy(depth)),
        )
    )
    elapsed = time.time() - start
    print(f"[{elapsed:5.0f}s] scripted policies done; a fixed depth fits {100 * share:.1f} % of stiffnesses")

    demos = collect_demos(cfg, train_seeds, args.noise)
    print(f"[{time.time() - start:5.0f}s] {len(demos)} demos, {sum(map(len, demos))} frames")
    for name in args.learners.split(","):
        inputs = {**INPUT_SETS, **PRIVILEGED_INPUT_SETS}[name]
        x, y = dataset(demos, inputs)
        model, stats = train_mlp(x, y, args.steps, args.torch_seed)
        rows.append(summarise(f"BC {name}", rollout(cfg, test_seeds, LearnedPolicy(inputs, model, stats))))
        print(f"[{time.time() - start:5.0f}s] {name}: {rows[-1]['k']}/{rows[-1]['n']}")

    if args.probe_episodes:
        probe = probe_frames(
            cfg, list(range(args.probe_seed_start, args.probe_seed_start + args.probe_episodes))
        )
        r2 = {
            name: stiffness_r2(probe, INPUT_SETS[name], args.steps, args.torch_seed) for name in PROBE_INPUTS
        }
        print(f"[{time.time() - start:5.0f}s] stiffness probe done")

    print_table(rows)
    if args.probe_episodes:
        print(
            f"\nInformation about the hidden stiffness under a stiffness-independent policy "
            f"({args.probe_episodes} probe episodes, seeds {args.probe_seed_start}.., frames in contact):"
        )
        for name, value in r2.items():
            print(f"  R²(log stiffness | {name}) = {value:5.2f}")
    blind = [r for r in rows if "blind" in r["name"]]
    best_blind = max(blind, key=lambda r: r["rate"])
    effort_rows = [r for r in rows if r["name"].startswith("BC effort")]
    print(
        f"\nexpert ≥ 95 %: {rows[0]['rate'] >= 0.95}; best no-effort ({best_blind['name']}) ≤ 60 %: "
        f"{best_blind['rate'] <= 0.60}; effort-aware BC above it with disjoint intervals: "
        f"{bool(effort_rows) and effort_rows[0]['low'] > best_blind['high']}"
    )
    print(
        f"lerobot_torque leak check, {machine_line()}, {torch.get_num_threads()} torch thread(s), "
        f"{time.time() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
