"""`lerobot-torque-benchmark`: does effort make a *learned* policy succeed on `torque_press`?

One command, LeRobot's own commands inside it:
1. `lerobot-torque-sim-demos` writes scripted effort-aware demonstrations (a LeRobotDataset);
2. `lerobot-train` trains every learner of the preset on the same demonstrations;
3. `lerobot-eval` evaluates each on fresh episodes (env seeds never used for demonstrations), and the
   torque policy again with its effort zeroed and shuffled (`--policy.torque.effort_ablation`);
4. the scripted experts run on the same seeds;
5. `results.md`/`results.json` and plots go to `--output-dir`: success rates with 95 % Wilson
   intervals and the benchmark's targets as checked sentences, or for `design_space` the paper's tables
   next to ours with Fisher exact tests.

Presets (arms in `arms.py` and `design_space.py`, the runner in `runner.py`):
- `quick` (the README's main job, ≈ 18 min on 2 cores) and `full`: act vs act_torque, effort
  ablations, the leak check, the scripted baselines.
- `pi0_quick` (≤ 30 min on 2 cores): the same comparison for π0 at a CPU size, π0 being pi0_torque
  with effort off (LeRobot's `pi0` has no size knobs; the two compute the same actions for the
  same weights when effort is off).
- `smolvla_quick`: the same comparison for SmolVLA at a CPU size: LeRobot's own `smolvla` against
  `smolvla_torque`, both reading a small SmolVLM2 folder written from the demonstrations' prompts.
- `design_space` (≤ 3 h on 2 cores): every row of the paper's Tables 1, 3, 5, 9 and 10 that the README
  maps to flags, three training seeds for π0, the final model, act and act_torque.

The leak check is the strongest no-effort learner we build with LeRobot's tools: the torque policy
whose "effort" window reads the joint-position history (`--policy.torque.history_signal=position`),
i.e. a 2 s state history and the same auxiliary head,
on joint-target increments. `benchmarks/torque_press_leak_check.py` adds MLP learners with previous
commands (docs/torque_press.md).

`--jobs` (default 2) trains and evaluates that many learners at once, each command on one thread.

Every run resumes: finished arms (their `eval/<arm>/result.json`) are skipped, and `results.md` is
rewritten after every arm, so an interrupted study keeps its partial results; `--report-only`
rewrites the report from the saved results without running anything.
"""

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from lerobot_torque.envs.rendering import default_to_egl_without_display
from lerobot_torque.evaluation.arms import ACT_STUDY, PI0_STUDY, SMOLVLA_STUDY, Backbone, Report, Study
from lerobot_torque.evaluation.design_space import DESIGN_SPACE_STUDY, comparison_json, comparison_markdown
from lerobot_torque.evaluation.machine import machine_line
from lerobot_torque.evaluation.runner import EVAL_SEED, Preset, Results, StudyRun
from lerobot_torque.evaluation.statistics import SuccessRate

PRESETS = {
    # The README's main job: ≤ 20 min on 2 CPU cores.
    "quick": Preset(ACT_STUDY, demos=60, train_steps={Backbone.ACT: 1500}, batch_size=32, eval_episodes=50),
    # The ACT benchmark whose table the README reports.
    "full": Preset(ACT_STUDY, demos=200, train_steps={Backbone.ACT: 5000}, batch_size=32, eval_episodes=100),
    # π0 at a CPU size: 3 trainings of 2000 steps, 5 evaluations of 50 episodes.
    "pi0_quick": Preset(
        PI0_STUDY, demos=60, train_steps={Backbone.PI0: 2000}, batch_size=32, eval_episodes=50
    ),
    # SmolVLA at a CPU size: 3 trainings of 2000 steps, 5 evaluations (not yet timed).
    "smolvla_quick": Preset(
        SMOLVLA_STUDY, demos=60, train_steps={Backbone.SMOLVLA: 2000}, batch_size=32, eval_episodes=50
    ),
    # The paper's design space: 18 π0 and 6 ACT trainings, 26 evaluations.
    "design_space": Preset(
        DESIGN_SPACE_STUDY,
        demos=60,
        train_steps={Backbone.ACT: 1500, Backbone.PI0: 2000},
        batch_size=32,
        eval_episodes=50,
    ),
}


def markdown_table(rows: list[SuccessRate | tuple[str, str]]) -> str:
    """Success, percent and Wilson interval per rate; a (label, status) row for an arm without one."""
    lines = ["| policy | success | 95 % Wilson CI (%) |", "|---|---|---|"]
    for row in rows:
        if isinstance(row, tuple):
            lines.append(f"| {row[0]} | {row[1]} | — |")
            continue
        low, high = row.interval
        lines.append(
            f"| {row.name} | {row.successes}/{row.episodes} ({row.percent:.0f} %) | [{low:.1f}, {high:.1f}] |"
        )
    return "\n".join(lines)


def verdicts(rates: dict[str, SuccessRate], study: Study) -> list[str]:
    """The benchmark's targets as checked sentences; a target whose arms did not finish is unchecked."""
    base, torque, leak = study.base, study.torque, study.leak
    zeroed, expert = f"{torque}_effort_zeroed", "scripted_expert"

    def percent(name: str) -> float:
        return rates[name].percent

    def gap() -> tuple[bool, str]:
        separated = rates[torque].separated_above(rates[base])
        points = percent(torque) - percent(base)
        return points >= 40 and separated, (
            f"{torque} − {base} = {points:+.0f} points, intervals separated: {separated} "
            "(target ≥ 40, separated)"
        )

    def success() -> tuple[bool, str]:
        target = study.target_success
        return percent(torque) >= target, f"{torque} {percent(torque):.0f} % (target ≥ {target:.0f} %)"

    def fallback() -> tuple[bool, str]:
        return percent(zeroed) <= percent(base), (
            f"zeroed effort {percent(zeroed):.0f} % ≤ {base} {percent(base):.0f} % "
            "(the policy falls back without effort)"
        )

    def leak_check() -> tuple[bool, str]:
        return percent(leak) <= 60, (
            f"leak check (no-effort learner with state history) {percent(leak):.0f} % (target ≤ 60 %)"
        )

    def scripted() -> tuple[bool, str]:
        return percent(expert) >= 95, f"scripted effort-aware expert {percent(expert):.0f} % (target ≥ 95 %)"

    checks = [((torque, base), gap)]
    if study.target_success is not None:
        checks.append(((torque,), success))
    checks += [((zeroed, base), fallback), ((leak,), leak_check), ((expert,), scripted)]
    lines = []
    for needed, check in checks:
        missing = [name for name in needed if name not in rates]
        if missing:
            lines.append(f"- [ ] not checked: {', '.join(missing)} did not finish")
            continue
        ok, text = check()
        lines.append(f"- [{'x' if ok else ' '}] {text}")
    return lines


def run_time(run: StudyRun, results: Results) -> str:
    """This run's minutes, saying which results an earlier run (its own log has its time) saved."""
    earlier = len(results.resumed)
    if not earlier:
        return f"{run.minutes():.0f} min"
    if earlier == len(results.rates):
        return "rewritten from the saved results of earlier runs (their time is in their logs)"
    new = len(results.rates) - earlier
    return f"{run.minutes():.0f} min for {new} arms, {earlier} arms saved by earlier runs"


def report(preset_name: str, run: StudyRun, results: Results, plots: bool) -> str:
    """Write `results.md` and `results.json` (and the plots); return the report's text."""
    preset, out = run.preset, run.out
    study = preset.study
    header = (
        f"torque_press benchmark, preset `{preset_name}` ({preset.describe()}), {run_time(run, results)}\n"
    )
    header += machine_line()
    rates = results.rates
    data = {
        "preset": preset_name,
        "sizes": {
            "demos": preset.demos,
            "train_steps": preset.train_steps,
            "batch_size": preset.batch_size,
            "eval_episodes": preset.eval_episodes,
            "first_eval_seed": EVAL_SEED,
            "env": preset.env,
        },
        "arms": {name: {**asdict(rate), "wilson_95": list(rate.interval)} for name, rate in rates.items()},
        "failed": results.failed,
    }
    if study.report is Report.PAPER_TABLES:
        command = f"lerobot-torque-benchmark --preset {preset_name}"
        body = comparison_markdown(rates, results.failed, command)
        data["tables"] = comparison_json(rates)
        if plots:
            from lerobot_torque.evaluation.design_space import plot_design_space

            plot_design_space(rates, out / "success.png")
    else:
        finished = [rates[arm.name] for arm in study.arms if arm.name in rates]
        rows = [
            rates.get(arm.name) or (arm.label, "failed" if arm.name in results.failed else "not yet run")
            for arm in study.arms
        ]
        failed = [f"- {name}: failed ({error})" for name, error in results.failed.items()]
        body = markdown_table(rows) + "\n\n" + "\n".join(verdicts(rates, study) + failed)
        if plots and finished:
            from lerobot_torque.evaluation.plots import plot_effort_traces, plot_success

            plot_success(finished, out / "success.png")
            torque = study.arm(study.torque)
            if torque.name in rates:
                env = run.env_settings(torque.learner.backbone)
                plot_effort_traces(
                    run.checkpoint(torque.learner),
                    out / "effort_traces.png",
                    first_seed=EVAL_SEED,
                    env_flags=env,
                    tries=min(20, preset.eval_episodes),
                )
    text = f"{header}\n\n{body}"
    (out / "results.md").write_text(text + "\n")
    (out / "results.json").write_text(json.dumps(data, indent=2, default=str))
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="lerobot-torque-benchmark",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--preset", choices=list(PRESETS), default="quick")
    parser.add_argument("--output-dir", type=Path, help="default: results/torque_press_<preset>")
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="learners trained and evaluated at once, one thread each (default: 2, or 1 on one core)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite results.md/json and the plots from saved results"
    )
    args = parser.parse_args(argv)
    default_to_egl_without_display()  # the plots roll the torque policy out in this process
    preset = PRESETS[args.preset]
    out = args.output_dir or Path("results") / f"torque_press_{args.preset}"
    run = StudyRun(preset, out)
    print(
        f"preset {args.preset}: {preset.describe()}; {len(preset.study.arms)} arms; output {out}", flush=True
    )

    if args.report_only:
        results = run.saved_results()
    else:
        results = run.run_arms(
            on_result=lambda partial: report(args.preset, run, partial, plots=False), jobs=args.jobs
        )
    print(report(args.preset, run, results, plots=True))
    print(f"\nResults: {out / 'results.md'}, {out / 'results.json'}; plots: {out / 'success.png'}")
    if results.failed:
        print(f"{len(results.failed)} arm(s) failed: {', '.join(results.failed)} (logs in {out / 'logs'})")
        sys.exit(1)


if __name__ == "__main__":
    main()
