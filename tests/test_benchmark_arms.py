"""The benchmark's arms: each design's flags build the configuration of the paper row it stands for."""

import re
from pathlib import Path

import draccus
import pytest

from lerobot.configs import PreTrainedConfig

from lerobot_torque.evaluation.arms import DESIGNS, PI0_MODEL_SIZE, PI0_SIZE, Backbone
from lerobot_torque.evaluation.design_space import DESIGN_SPACE_STUDY, TABLES
from lerobot_torque.policies.torque import HistorySignal

README = Path(__file__).parents[1] / "README.md"


def parse_policy(flags: tuple[str, ...] | list[str]) -> PreTrainedConfig:
    """The policy config `lerobot-train` builds from these `--policy.*` flags."""
    (type_flag,) = [flag for flag in flags if flag.startswith("--policy.type=")]
    config_class = PreTrainedConfig.get_choice_class(type_flag.split("=", 1)[1])
    return draccus.parse(
        config_class, args=[flag.replace("--policy.", "--", 1) for flag in flags if flag != type_flag]
    )


# What each paper row is: (placement, history_mode, effort input "+obs", future effort "+obj", β,
# aggregator); None where the row does not fix it. Paper §4.1 (Table 1), §4.2 (Table 3), §5 and §6.2
# (Table 5), A.6.2 (β of +obj and +obs+obj), A.9 (Table 9), A.10 (Table 10).
PAPER_ROWS = {
    "pi0": (None, None, False, False, None, None),
    "pi0_enc": ("encoder", "current", True, False, None, None),
    "pi0_depre": ("decoder_pre", "current", True, False, None, None),
    "pi0_depost": ("decoder_post", "current", True, False, None, None),
    "pi0_enc_1": ("encoder", "one_token", True, False, None, "mlp"),
    "pi0_enc_h": ("encoder", "per_frame", True, False, None, "mlp"),
    "pi0_obs": ("decoder_post", "one_token", True, False, None, "mlp"),
    "pi0_dec_h": ("decoder_post", "per_frame", True, False, None, "mlp"),
    "pi0_obj": (None, None, False, True, 1.0, None),
    "pi0_torque": ("decoder_post", "one_token", True, True, 0.1, "mlp"),
    "pi0_torque_beta_0.01": ("decoder_post", "one_token", True, True, 0.01, "mlp"),
    "pi0_torque_beta_1": ("decoder_post", "one_token", True, True, 1.0, "mlp"),
    "pi0_torque_gru": ("decoder_post", "one_token", True, True, 0.1, "gru"),
    "pi0_torque_attention": ("decoder_post", "one_token", True, True, 0.1, "attention"),
}


def described(config) -> tuple:
    torque = config.torque
    return (
        config.effort_placement.value,
        torque.history_mode.value,
        torque.use_effort_input,
        torque.predict_future_effort,
        torque.future_loss_weight,
        torque.aggregator.value,
    )


@pytest.mark.parametrize("design", sorted(PAPER_ROWS))
def test_every_design_builds_the_configuration_of_its_paper_row(design):
    config = parse_policy(DESIGNS[design].flags)
    assert config.type == "pi0_torque"
    expected = PAPER_ROWS[design]
    assert (
        tuple(e if e is None else got for e, got in zip(expected, described(config), strict=True)) == expected
    )


def test_the_pi0_arm_is_pi0_torque_with_every_effort_path_off():
    config = parse_policy(DESIGNS["pi0"].flags)
    assert not config.torque.enabled and not config.uses_effort_tokens


def test_every_paper_design_is_in_the_design_space_study():
    names = {arm.name for arm in DESIGN_SPACE_STUDY.arms}
    assert set(PAPER_ROWS) <= names
    in_tables = {name for table in TABLES for row in table.rows for name in row.arms}
    assert in_tables <= names


def test_the_leak_checks_read_the_joint_position_history_as_effort():
    for design in ("act_position_history", "pi0_position_history"):
        torque = parse_policy(DESIGNS[design].flags).torque
        assert torque.history_signal is HistorySignal.POSITION


def test_the_cpu_size_pi0_flags_are_the_model_size_knobs():
    config = parse_policy(("--policy.type=pi0_torque", *PI0_SIZE))
    assert {k: getattr(config.model_size, k) for k in PI0_MODEL_SIZE} == PI0_MODEL_SIZE
    assert config.image_resolution == (32, 32) and config.chunk_size == 20 and config.n_action_steps == 5


def readme_design_rows() -> list[tuple[str, str, str]]:
    """(paper row, flags, benchmark arm) of the README's "paper's design space" table."""
    section = README.read_text().split("## pi0_torque: the paper's design space", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| (.+?) \| `([^`]+)`[^|]* \| `([^`]+)`[^|]* \|$", section, flags=re.MULTILINE)


def test_the_readme_design_space_rows_name_the_arm_that_runs_them_with_the_same_configuration():
    rows = readme_design_rows()
    assert len(rows) >= 13
    for paper_row, flags, arm in rows:
        if arm not in DESIGNS:
            raise AssertionError(f"README row {paper_row!r} names an unknown arm {arm!r}")
        if flags == "--policy.type=pi0":  # LeRobot's own π0 has no size knobs; the arm is pi0_torque off
            continue
        readme, ours = parse_policy(flags.split()), parse_policy(DESIGNS[arm].flags)
        assert described(readme) == described(ours), paper_row


def test_act_designs_train_on_the_act_backbone():
    for design in ("act", "act_torque", "act_position_history"):
        assert DESIGNS[design].backbone is Backbone.ACT
