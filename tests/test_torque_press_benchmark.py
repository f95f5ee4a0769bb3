"""lerobot-torque-benchmark: reading lerobot-eval's output, the targets, the paper tables, resuming.

The end-to-end test runs the preset machinery through the real `lerobot-torque-sim-demos`,
`lerobot-train` and `lerobot-eval` subprocesses at a tiny size; it checks plumbing, not success rates.
"""

import json
import threading
from pathlib import Path

import pytest

from lerobot_torque.evaluation import runner
from lerobot_torque.evaluation.arms import (
    BACKBONES,
    PI0_ENV,
    PI0_STUDY,
    SCRIPTED_ARMS,
    Arm,
    Backbone,
    BackboneSetup,
    Study,
    ablation_arms,
    trained_arm,
)
from lerobot_torque.evaluation.design_space import comparison_json, comparison_markdown, seeded
from lerobot_torque.evaluation.runner import Preset, StudyRun, episode_successes, write_json_atomically
from lerobot_torque.evaluation.statistics import SuccessRate
from lerobot_torque.evaluation.torque_press_benchmark import PRESETS, main, markdown_table, run_time, verdicts
from tests.tiny import TINY_PI0_CLI, TINY_TORQUE_CLI

SHORT_EPISODE = 20  # control steps: the expert does not finish, the plumbing runs in seconds


def test_successes_are_read_from_lerobot_evals_per_task_metrics():
    info = {  # LeRobot 0.6.1's eval_info.json, trimmed
        "per_task": [
            {"task_group": "torque_press", "task_id": 0, "metrics": {"successes": [True, False, True]}},
        ],
        "overall": {"pc_success": 66.7},
    }
    assert episode_successes(info) == [True, False, True]


def rates(base: int, torque: int, zeroed: int, leak: int, expert: int, n: int = 50) -> dict:
    return {
        "pi0": SuccessRate("pi0", base, n),
        "pi0_torque": SuccessRate("pi0_torque", torque, n),
        "pi0_torque_effort_zeroed": SuccessRate("zeroed", zeroed, n),
        "pi0_position_history": SuccessRate("leak", leak, n),
        "scripted_expert": SuccessRate("expert", expert, n),
    }


def test_verdicts_pass_when_every_target_is_met():
    lines = verdicts(rates(base=5, torque=45, zeroed=3, leak=20, expert=50), PI0_STUDY)
    assert len(lines) == 5 and all(line.startswith("- [x]") for line in lines)


def test_verdicts_flag_a_gap_below_forty_points_a_low_success_and_a_leaky_task():
    lines = verdicts(rates(base=20, torque=35, zeroed=3, leak=40, expert=50), PI0_STUDY)
    assert [line[:5] for line in lines] == ["- [ ]", "- [ ]", "- [x]", "- [ ]", "- [x]"]
    assert "pi0_torque 70 % (target ≥ 80 %)" in lines[1]


def test_verdicts_of_arms_that_did_not_finish_are_left_unchecked():
    partial = rates(base=5, torque=45, zeroed=3, leak=20, expert=50)
    del partial["pi0_position_history"]
    assert "- [ ] not checked: pi0_position_history did not finish" in verdicts(partial, PI0_STUDY)


def test_table_shows_counts_percent_and_wilson_interval():
    table = markdown_table([SuccessRate("act_torque", 18, 20)])
    assert "| act_torque | 18/20 (90 %) | [69.9, 97.2] |" in table


# --- the paper's tables next to ours -------------------------------------------------------------


def design_rates(final: list[int], **others: int) -> dict[str, SuccessRate]:
    """Results of 50 episodes per arm: the final model's training seeds, and single-seed arms."""
    out = {name: SuccessRate(name, k, 50) for name, k in zip(seeded("pi0_torque"), final, strict=True)}
    return {**out, **{name: SuccessRate(name, k, 50) for name, k in others.items()}}


def test_the_final_model_pools_its_training_seeds_and_is_the_fisher_reference():
    markdown = comparison_markdown(design_rates([40, 42, 44], pi0_torque_gru=20))
    assert (
        "| MLP | `pi0_torque` (seeds 1, 2, 3) | 18/20 (90 %) | 126/150 (84 %); per seed 40, 42, 44 of 50 |"
        in (markdown)
    )
    # RNN 20/50 vs the pooled 126/150: Fisher's two-sided p < 0.001; the paper's order (MLP first) holds.
    assert (
        "| RNN (GRU) | `pi0_torque_gru` | 10/20 (50 %) | 20/50 (40 %) | [27.6, 53.8] | < 0.001 |" in markdown
    )
    assert "| yes: below MLP (p = < 0.001) |" in markdown


def test_a_row_that_beats_the_papers_best_row_disagrees_with_its_ordering():
    data = comparison_json(design_rates([30, 30, 30], pi0_torque_attention=45))
    (attention,) = [r for r in data if r["row"] == "Attention"]
    assert attention["agrees_with_paper_ordering"] is False
    assert attention["paper_reference"] == "MLP" and attention["fisher_p_vs_final"] < 0.01
    assert attention["fisher_p_vs_reference"] == attention["fisher_p_vs_final"]  # MLP is the final model


def test_rows_without_results_say_not_yet_run_or_failed():
    markdown = comparison_markdown({}, failed={"pi0_enc": "lerobot-train failed"})
    assert "| Enc | `pi0_enc` | 7/20 (35 %) | failed (pi0_enc) | — | — | — |" in markdown
    assert (
        "| DePost | `pi0_depost` | 10/20 (50 %) | not yet run | — | — | reference: the paper's best row |"
        in (markdown)
    )
    # A seeded row needs every seed: one finished seed is not a result yet.
    assert "not yet run" in comparison_markdown({"pi0_torque": SuccessRate("x", 40, 50)}).split("| MLP |")[1]


def test_the_design_space_plot_has_one_panel_per_table(tmp_path):
    from lerobot_torque.evaluation.design_space import plot_design_space

    plot_design_space(design_rates([40, 42, 44], pi0_torque_gru=20), tmp_path / "success.png")
    assert (tmp_path / "success.png").stat().st_size > 20_000


# --- resuming ------------------------------------------------------------------------------------


def tiny_preset(arms: tuple[Arm, ...]) -> Preset:
    """π0 at the tests' tiny size on 2 demonstrations of short episodes, 2 steps, 2 eval episodes."""
    size = (*TINY_PI0_CLI, *TINY_TORQUE_CLI)
    return Preset(
        Study(arms, base="pi0", torque="pi0_torque"),
        demos=2,
        train_steps={Backbone.PI0: 2},
        batch_size=4,
        eval_episodes=2,
        env={"episode_length": SHORT_EPISODE},
        backbones={Backbone.PI0: BackboneSetup(PI0_ENV, size, tokenizer=True)},
        demo_flags=("--keep_failed=true",),
    )


def refuse_to_run(command, log):
    raise AssertionError(f"resumed run started {command[0]}")


def test_a_finished_arm_is_skipped(tmp_path, monkeypatch):
    arm = trained_arm("pi0_torque")
    run = StudyRun(tiny_preset((arm,)), tmp_path)
    run.result_path(arm).parent.mkdir(parents=True)
    write_json_atomically(run.result_path(arm), {"episode_successes": [True, False, True]})
    monkeypatch.setattr(runner, "run", refuse_to_run)
    results = run.run_arms()
    assert results.rates["pi0_torque"].successes == 2 and results.rates["pi0_torque"].episodes == 3
    assert not results.failed and results.resumed == ["pi0_torque"]
    assert run_time(run, results).startswith("rewritten from the saved results")  # not "0 min"


def test_an_interrupted_training_is_started_again_in_a_clean_folder(tmp_path, monkeypatch):
    arm = trained_arm("pi0_torque")
    run = StudyRun(tiny_preset((arm,)), tmp_path)
    (tmp_path / "demos_pixels_agent_pos_32_32").mkdir()  # demonstrations already written
    (tmp_path / "train" / "pi0_torque").mkdir(parents=True)
    (tmp_path / "train" / "pi0_torque" / "half_written").touch()
    commands = []

    def fake_run(command, log):
        commands.append(command)
        assert not (tmp_path / "train" / "pi0_torque").exists(), "the interrupted folder must be gone"

    monkeypatch.setattr(runner, "run", fake_run)
    monkeypatch.setattr(StudyRun, "tokenizer", lambda self, demos, flags: tmp_path / "tokenizer")
    run.train(arm.learner)
    assert [Path(c[0]).name for c in commands] == ["lerobot-train"]
    assert f"--output_dir={tmp_path / 'train' / 'pi0_torque'}" in commands[0]


def test_a_failed_arm_is_reported_and_the_next_arm_runs(tmp_path, monkeypatch):
    arms = (trained_arm("pi0_torque"), trained_arm("pi0"))
    run = StudyRun(tiny_preset(arms), tmp_path)
    run.result_path(arms[1]).parent.mkdir(parents=True)
    write_json_atomically(run.result_path(arms[1]), {"episode_successes": [False, False]})

    def failing_training(self, learner):
        raise RuntimeError("boom\nthe log's tail")

    monkeypatch.setattr(StudyRun, "train", failing_training)
    results = run.run_arms()
    assert results.failed == {"pi0_torque": "boom"} and results.rates["pi0"].episodes == 2


def test_parallel_jobs_train_different_learners_at_once_and_report_in_the_studys_order(tmp_path, monkeypatch):
    arms = (trained_arm("pi0"), trained_arm("pi0_torque"), *ablation_arms("pi0_torque"))
    both_training = threading.Barrier(2, timeout=10)  # broken unless the two learners run at once
    trained = []

    def fake_evaluate(self, arm):
        if arm.learner.name not in trained:
            trained.append(arm.learner.name)
            both_training.wait()
        return SuccessRate(arm.label, len(arm.name), 50)

    monkeypatch.setattr(StudyRun, "evaluate", fake_evaluate)
    reports = []
    results = StudyRun(tiny_preset(arms), tmp_path).run_arms(on_result=reports.append, jobs=2)
    assert not results.failed and sorted(trained) == ["pi0", "pi0_torque"]
    assert list(results.rates) == [arm.name for arm in arms] and len(reports) == len(arms)


def test_results_are_written_atomically(tmp_path):
    path = tmp_path / "result.json"
    write_json_atomically(path, {"episode_successes": [True]})
    assert json.loads(path.read_text()) == {"episode_successes": [True]}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temporary file left


# --- the presets -----------------------------------------------------------------------------------


PI0_WITHOUT_TORQUE = (  # π0 is pi0_torque with both torque parts off: LeRobot's π0 exactly
    "--policy.type=pi0_torque",
    "--policy.torque.use_effort_input=false",
    "--policy.torque.predict_future_effort=false",
)


@pytest.mark.parametrize(
    "preset_name, backbone, base, base_flags, target_success",
    [
        ("pi0_quick", Backbone.PI0, "pi0", PI0_WITHOUT_TORQUE, 80),
        ("smolvla_quick", Backbone.SMOLVLA, "smolvla", ("--policy.type=smolvla",), None),  # not yet timed
    ],
    ids=["pi0_quick", "smolvla_quick"],
)
def test_a_vla_quick_preset_compares_the_base_policy_with_its_torque_type_the_ablations_and_the_leak_check(
    preset_name, backbone, base, base_flags, target_success
):
    preset = PRESETS[preset_name]
    assert [arm.name for arm in preset.study.arms] == [
        "scripted_expert",
        "scripted_fixed_depth",
        base,
        f"{base}_position_history",
        f"{base}_torque",
        f"{base}_torque_effort_zeroed",
        f"{base}_torque_effort_shuffled",
    ]
    learners = {arm.learner for arm in preset.study.arms if arm.learner}
    assert {learner.backbone for learner in learners} == {backbone} and len(learners) == 3
    assert preset.study.arm(base).learner.flags == base_flags
    assert preset.study.arm(f"{base}_torque_effort_shuffled").eval_flags == (
        "--policy.torque.effort_ablation=shuffle",
    )
    assert preset.eval_episodes >= 50 and preset.study.target_success == target_success
    assert BACKBONES[backbone].env == PI0_ENV  # the same camera press for every VLA


def test_the_design_space_trains_three_seeds_of_the_compared_learners_on_fifty_episodes():
    preset = PRESETS["design_space"]
    names = {arm.name for arm in preset.study.arms}
    for design in ("pi0", "pi0_torque", "act", "act_torque"):
        assert {design, f"{design}_seed2", f"{design}_seed3"} <= names
    seeds = {arm.learner.seed for arm in preset.study.arms if arm.name.startswith("pi0_torque_seed")}
    assert seeds == {2, 3} and preset.eval_episodes >= 50
    assert set(preset.train_steps) == {Backbone.ACT, Backbone.PI0}


# --- end to end ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """The benchmark's `main` on a tiny study: demos, lerobot-train, lerobot-eval ×2, the expert."""
    arms = (SCRIPTED_ARMS[0], trained_arm("pi0_torque"), ablation_arms("pi0_torque")[0])
    out = tmp_path_factory.mktemp("benchmark")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(PRESETS, "tiny", tiny_preset(arms))
        main(["--preset", "tiny", "--output-dir", str(out)])
    return out


@pytest.mark.slow
def test_the_preset_machinery_runs_end_to_end_through_lerobot_train_and_lerobot_eval(finished_run):
    results = json.loads((finished_run / "results.json").read_text())
    assert set(results["arms"]) == {"scripted_expert", "pi0_torque", "pi0_torque_effort_zeroed"}
    assert all(rate["episodes"] == 2 for rate in results["arms"].values()) and not results["failed"]
    config = json.loads(
        (finished_run / "train/pi0_torque/checkpoints/last/pretrained_model/config.json").read_text()
    )
    assert config["type"] == "pi0_torque" and config["tokenizer_name"] == str(finished_run / "tokenizer")
    zeroed = json.loads((finished_run / "eval/pi0_torque_effort_zeroed/result.json").read_text())
    assert "--policy.torque.effort_ablation=zero" in zeroed["command"]
    assert "--env.obs_type=pixels_agent_pos" in zeroed["command"]
    report = (finished_run / "results.md").read_text()
    assert "| π0+obs+obj" not in report and "pi0_torque, effort zeroed" in report
    for plot in ("success.png", "effort_traces.png"):
        assert (finished_run / plot).stat().st_size > 10_000


@pytest.mark.slow
def test_running_a_finished_preset_again_runs_nothing_and_gives_the_same_results(finished_run, monkeypatch):
    before = json.loads((finished_run / "results.json").read_text())["arms"]
    monkeypatch.setattr(runner, "run", refuse_to_run)
    monkeypatch.setitem(PRESETS, "tiny", tiny_preset((SCRIPTED_ARMS[0], trained_arm("pi0_torque"))))
    monkeypatch.setattr(StudyRun, "scripted_successes", lambda self, policy: pytest.fail("expert rerun"))
    main(["--preset", "tiny", "--output-dir", str(finished_run), "--report-only"])
    header = (finished_run / "results.md").read_text().splitlines()[0]
    assert header.endswith("rewritten from the saved results of earlier runs (their time is in their logs)")
    main(["--preset", "tiny", "--output-dir", str(finished_run)])
    after = json.loads((finished_run / "results.json").read_text())["arms"]
    assert after == {name: before[name] for name in ("scripted_expert", "pi0_torque")}
