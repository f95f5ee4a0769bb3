"""lerobot-torque-benchmark: reading lerobot-eval's output and checking the issue's targets."""

from lerobot_torque.evaluation.statistics import SuccessRate
from lerobot_torque.evaluation.torque_press_benchmark import episode_successes, markdown_table, verdicts


def test_successes_are_read_from_lerobot_evals_per_task_metrics():
    info = {  # LeRobot 0.6.1's eval_info.json, trimmed
        "per_task": [
            {"task_group": "torque_press", "task_id": 0, "metrics": {"successes": [True, False, True]}},
        ],
        "overall": {"pc_success": 66.7},
    }
    assert episode_successes(info) == [True, False, True]


def rates(act: int, torque: int, zeroed: int, leak: int, expert: int, n: int = 50) -> dict:
    return {
        "act": SuccessRate("act", act, n),
        "act_torque": SuccessRate("act_torque", torque, n),
        "act_torque, effort zeroed": SuccessRate("zeroed", zeroed, n),
        "act_position_history": SuccessRate("leak", leak, n),
        "scripted expert (effort)": SuccessRate("expert", expert, n),
    }


def test_verdicts_pass_when_every_target_is_met():
    lines = verdicts(rates(act=5, torque=45, zeroed=3, leak=20, expert=50))
    assert all(line.startswith("- [x]") for line in lines)


def test_verdicts_flag_a_gap_below_forty_points_and_a_leaky_task():
    lines = verdicts(rates(act=20, torque=35, zeroed=3, leak=40, expert=50))
    assert lines[0].startswith("- [ ]") and lines[2].startswith("- [ ]")


def test_table_shows_counts_percent_and_wilson_interval():
    table = markdown_table([SuccessRate("act_torque", 18, 20)])
    assert "| act_torque | 18/20 (90 %) | [69.9, 97.2] |" in table
