"""Run a study's arms with LeRobot's own commands, resumably: demos, `lerobot-train`, `lerobot-eval`.

Layout of an output directory (`--output-dir`):

    demos/, demos_<obs>/    scripted demonstrations per observation setup (LeRobotDatasets)
    tokenizer/              the word-level prompt tokenizer of the π0 learners
    smolvlm/                the small SmolVLM2 folder (config, processor, prompt tokenizer) of SmolVLA's
    train/<learner>/        `lerobot-train` output (checkpoints/last/pretrained_model)
    eval/<arm>/             `lerobot-eval` output, and `result.json`: the arm's per-episode successes
    logs/                   one log per command

Resuming: an arm is finished when its `eval/<arm>/result.json` exists; that file is written atomically
(a temporary file, then `os.replace`) after `lerobot-eval` returned, so an interrupted run leaves no
half result. A learner is trained when its last checkpoint exists; the folder of an interrupted
training (no checkpoint: `--save_freq` equals `--steps`) is removed and trained again.
`lerobot-torque-sim-demos` creates a demonstrations folder only when it is complete (and removes what
an interrupted run left), so an existing one is finished. A failed command is reported in its arm's
row and the run goes on with the other arms.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lerobot_torque.evaluation.arms import (
    BACKBONES,
    Arm,
    Backbone,
    BackboneSetup,
    Learner,
    Scripted,
    Study,
    env_flags,
)
from lerobot_torque.evaluation.statistics import SuccessRate

BIN = Path(sys.executable).parent
EVAL_SEED = 100_000  # evaluation env seeds start here; demonstrations use seeds from 0
DEMOS_REPO_ID = "local/torque_press_demos"


@dataclass(frozen=True)
class Preset:
    """A benchmark run: its study (the arms) and sizes.

    Args:
        study: The arms and what the report compares.
        demos: Scripted demonstrations, env seeds from 0 (the same seeds for every backbone).
        train_steps: `lerobot-train --steps` per backbone.
        batch_size: `lerobot-train --batch_size`.
        eval_episodes: `lerobot-eval` episodes per arm, env seeds from `EVAL_SEED` (never a demo seed).
        env: Env options for every backbone and the scripted baselines (e.g. a short episode in tests).
        backbones: Size flags and observation options per backbone.
        demo_flags: Extra `lerobot-torque-sim-demos` flags (e.g. `--keep_failed=true` with short episodes).
    """

    study: Study
    demos: int
    train_steps: dict[Backbone, int]
    batch_size: int
    eval_episodes: int
    env: dict[str, object] = field(default_factory=dict)
    backbones: dict[Backbone, BackboneSetup] = field(default_factory=lambda: dict(BACKBONES))
    demo_flags: tuple[str, ...] = ()

    def describe(self) -> str:
        steps = ", ".join(f"{backbone.value} {steps}" for backbone, steps in self.train_steps.items())
        return (
            f"{self.demos} demonstrations, training steps {steps} at batch {self.batch_size}, "
            f"{self.eval_episodes} evaluation episodes per arm from env seed {EVAL_SEED}"
        )


@dataclass
class Results:
    """Success rates of the finished arms and the error of the failed ones, by arm name."""

    rates: dict[str, SuccessRate] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    resumed: list[str] = field(default_factory=list)  # arms whose result an earlier run saved


def write_json_atomically(path: Path, data: dict) -> None:
    """Write `data` to `path` so that readers see the old file, or none, or the whole new one."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w") as out:
        json.dump(data, out, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def run(command: list[str], log: Path) -> None:
    """Run a command, its output to `log`; raise with the log's tail when it fails."""
    print(f"$ {' '.join(command)}\n  (output: {log})", flush=True)
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl"), "OMP_NUM_THREADS": "1"}
    with log.open("w") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({log}):\n" + log.read_text()[-3000:])


def episode_successes(info: dict) -> list[bool]:
    """Per-episode successes of a `lerobot-eval` `eval_info.json` (LeRobot 0.6.1: `per_task` metrics)."""
    return [bool(success) for task in info["per_task"] for success in task["metrics"]["successes"]]


def read_result(path: Path, label: str) -> SuccessRate:
    successes = json.loads(path.read_text())["episode_successes"]
    return SuccessRate(label, sum(successes), len(successes))


def check_same_demonstrations(roots: list[Path]) -> None:
    """Raise unless the datasets hold the same episodes (actions, effort, joint positions).

    Each backbone observes the env its own way (camera or not); the scripted expert, the seeds and
    so the physics must be the same for "the same demonstrations" to hold.
    """
    import numpy as np

    from lerobot.datasets import LeRobotDataset

    keys = ("action", "observation.effort", "observation.state")
    columns = []
    for root in roots:
        data = LeRobotDataset(DEMOS_REPO_ID, root=root).hf_dataset.with_format("numpy")
        columns.append({key: np.asarray(data[key]) for key in keys})
    for root, other in zip(roots[1:], columns[1:], strict=True):
        for key in keys:
            if not np.array_equal(columns[0][key], other[key]):
                raise RuntimeError(
                    f"The demonstrations in {roots[0]} and {root} differ in '{key}': the backbones would "
                    "not learn from the same episodes. Delete both folders and run again."
                )


class StudyRun:
    """One output directory: writes demonstrations, trains learners and evaluates arms, skipping done work."""

    def __init__(self, preset: Preset, out: Path):
        self.preset, self.out = preset, out
        (out / "logs").mkdir(parents=True, exist_ok=True)
        self.started = time.time()
        self._demos: dict[Backbone, Path] = {}
        self._demos_lock = threading.Lock()  # parallel learners of a backbone share its demos
        self._tokenizers: dict[Path, int] = {}  # tokenizer folder → its size, written this run
        self._vlms: set[Path] = set()  # SmolVLM2 folders written or found this run

    def minutes(self) -> float:
        return (time.time() - self.started) / 60

    def env_settings(self, backbone: Backbone) -> dict[str, object]:
        return {**self.preset.backbones[backbone].env, **self.preset.env}

    def demos(self, backbone: Backbone) -> Path:
        """This backbone's demonstrations (written once per observation setup)."""
        with self._demos_lock:
            return self._write_demos(backbone)

    def _write_demos(self, backbone: Backbone) -> Path:
        if backbone in self._demos:
            return self._demos[backbone]
        root = self.out / self.preset.backbones[backbone].demos_name
        if not root.exists():
            run(
                [
                    str(BIN / "lerobot-torque-sim-demos"),
                    *env_flags(self.env_settings(backbone)),
                    f"--repo_id={DEMOS_REPO_ID}",
                    f"--root={root}",
                    f"--num_episodes={self.preset.demos}",
                    "--seed=0",
                    *self.preset.demo_flags,
                ],
                self.out / "logs" / f"{root.name}.log",
            )
        written = sorted({*self._demos.values(), root})
        if len(written) > 1:
            check_same_demonstrations(written)
        self._demos[backbone] = root
        return root

    def tokenizer(self, demos: Path, size_flags: tuple[str, ...]) -> Path:
        """The word-level tokenizer of the demonstrations' prompts, checked against the vocabulary size."""
        from lerobot_torque.policies.pi0_torque.word_tokenizer import save_dataset_tokenizer

        path = self.out / "tokenizer"
        with self._demos_lock:  # written once, while no training of this run reads it
            if path not in self._tokenizers:
                self._tokenizers[path] = save_dataset_tokenizer(demos, path)
        size = self._tokenizers[path]
        prefix = "--policy.model_size.vocab_size="
        vocab = next((int(f.removeprefix(prefix)) for f in size_flags if f.startswith(prefix)), None)
        if vocab is not None and vocab < size:
            raise ValueError(
                f"The prompt tokenizer has {size} tokens but {prefix}{vocab}; raise the vocabulary size."
            )
        return path

    def small_vlm(self, demos: Path, size: dict[str, int]) -> Path:
        """The small SmolVLM2 folder of SmolVLA's learners, its tokenizer of the demonstrations' prompts."""
        from lerobot_torque.policies.smolvla_torque.small_vlm import SmolVLMSize, save_dataset_smolvlm

        path = self.out / "smolvlm"
        with self._demos_lock:  # written once, while no training of this run reads it
            if path not in self._vlms and not (path / "config.json").exists():
                save_dataset_smolvlm(demos, path, SmolVLMSize(**size))
            self._vlms.add(path)
        return path

    def checkpoint(self, learner: Learner) -> Path:
        return self.out / "train" / learner.name / "checkpoints" / "last" / "pretrained_model"

    def train(self, learner: Learner) -> Path:
        """The learner's last checkpoint, trained now unless it exists."""
        folder, checkpoint = self.out / "train" / learner.name, self.checkpoint(learner)
        if checkpoint.exists():
            return checkpoint
        if folder.exists():
            print(f"  {learner.name}: removing an interrupted training ({folder})", flush=True)
            shutil.rmtree(folder)
        setup = self.preset.backbones[learner.backbone]
        demos = self.demos(learner.backbone)
        steps = self.preset.train_steps[learner.backbone]
        tokenizer = (
            [f"--policy.tokenizer_name={self.tokenizer(demos, setup.size_flags)}"] if setup.tokenizer else []
        )
        if setup.vlm_size is not None:
            tokenizer.append(f"--policy.vlm_model_name={self.small_vlm(demos, setup.vlm_size)}")
        run(
            [
                str(BIN / "lerobot-train"),
                *learner.flags,
                *setup.size_flags,
                *tokenizer,
                f"--dataset.repo_id={DEMOS_REPO_ID}",
                f"--dataset.root={demos}",
                f"--output_dir={folder}",
                f"--steps={steps}",
                f"--batch_size={self.preset.batch_size}",
                f"--save_freq={steps}",
                "--num_workers=1",
                f"--seed={learner.seed}",
                "--log_freq=100",
                "--policy.push_to_hub=false",
                "--wandb.enable=false",
            ],
            self.out / "logs" / f"train_{learner.name}.log",
        )
        return checkpoint

    def result_path(self, arm: Arm) -> Path:
        return self.out / "eval" / arm.name / "result.json"

    def evaluate(self, arm: Arm) -> SuccessRate:
        """The arm's success rate: read from its saved result, or trained/evaluated now and saved."""
        path = self.result_path(arm)
        if path.exists():
            return read_result(path, arm.label)
        path.parent.mkdir(parents=True, exist_ok=True)
        start = time.time()
        if arm.scripted:
            successes, command = self.scripted_successes(arm.scripted), f"scripted {arm.scripted.value}"
        else:
            checkpoint = self.train(arm.learner)
            command = [
                str(BIN / "lerobot-eval"),
                f"--policy.path={checkpoint}",
                *arm.eval_flags,
                *env_flags(self.env_settings(arm.learner.backbone)),
                f"--eval.n_episodes={self.preset.eval_episodes}",
                "--eval.batch_size=10",
                "--eval.use_async_envs=false",
                f"--seed={EVAL_SEED}",
                f"--output_dir={path.parent}",
            ]
            run(command, self.out / "logs" / f"eval_{arm.name}.log")
            successes = episode_successes(json.loads((path.parent / "eval_info.json").read_text()))
            command = " ".join(command)
        record = {"name": arm.name, "label": arm.label, "episode_successes": successes, "command": command}
        write_json_atomically(path, {**record, "first_seed": EVAL_SEED, "seconds": time.time() - start})
        return SuccessRate(arm.label, sum(successes), len(successes))

    def scripted_successes(self, policy: Scripted) -> list[bool]:
        """The effort-aware expert or the best fixed-depth (blind) script on the evaluation seeds."""
        from lerobot_torque.envs.configs import TorquePressEnvConfig
        from lerobot_torque.evaluation.press_baselines import ExpertPolicy, FixedDepthPolicy, best_fixed_depth
        from lerobot_torque.evaluation.rollout import rollout

        config = TorquePressEnvConfig(**{"obs_type": "agent_pos", **self.preset.env})
        if policy is Scripted.EXPERT:
            scripted = ExpertPolicy()
        else:
            scripted = FixedDepthPolicy(best_fixed_depth(config)[0])
        seeds = list(range(EVAL_SEED, EVAL_SEED + self.preset.eval_episodes))
        return [episode.success for episode in rollout(config, seeds, scripted)]

    def run_arms(self, on_result: Callable[[Results], None] | None = None, jobs: int = 1) -> Results:
        """Evaluate every arm of the study (training what it needs), printing progress.

        Arms are grouped by learner (a learner is trained once, then each of its arms is evaluated);
        up to `jobs` groups run at once, each command single-threaded (`run`). Failures are recorded
        and the other arms run; `on_result` sees the results, in the study's order, after every arm.
        """
        arms = self.preset.study.arms
        groups: dict[object, list[Arm]] = {}
        for arm in arms:
            groups.setdefault(arm.learner or arm.name, []).append(arm)
        rates: dict[str, SuccessRate] = {}
        failed: dict[str, str] = {}
        resumed: set[str] = set()
        report_lock = threading.Lock()

        def ordered() -> Results:
            return Results(
                {arm.name: rates[arm.name] for arm in arms if arm.name in rates},
                {arm.name: failed[arm.name] for arm in arms if arm.name in failed},
                [arm.name for arm in arms if arm.name in resumed],
            )

        def run_group(group: list[Arm]) -> None:
            for arm in group:
                finished = self.result_path(arm).exists()
                try:
                    rate = self.evaluate(arm)
                except (RuntimeError, ValueError) as error:
                    rate, message = None, str(error).splitlines()[0]
                with report_lock:
                    if rate is None:
                        failed[arm.name] = message
                        status = f"FAILED: {message}"
                    else:
                        rates[arm.name] = rate
                        if finished:
                            resumed.add(arm.name)
                        done = "skipped, result saved before" if finished else "done"
                        status = f"{rate.successes}/{rate.episodes} ({rate.percent:.0f} %), {done}"
                    count = len(rates) + len(failed)
                    print(f"[{count}/{len(arms)}, {self.minutes():.0f} min] {arm.name}: {status}", flush=True)
                    if on_result is not None:
                        on_result(ordered())

        # The longest groups first (a learner with its ablations), the quick scripted ones last.
        def scripted_last_longest_first(group: list[Arm]) -> tuple[bool, int]:
            return group[0].scripted is not None, -len(group)

        longest_first = sorted(groups.values(), key=scripted_last_longest_first)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for future in [pool.submit(run_group, group) for group in longest_first]:
                future.result()
        return ordered()

    def saved_results(self) -> Results:
        """The results of the arms finished so far, without running anything."""
        results = Results()
        for arm in self.preset.study.arms:
            if self.result_path(arm).exists():
                results.rates[arm.name] = read_result(self.result_path(arm), arm.label)
                results.resumed.append(arm.name)
        return results
