"""Bad settings stop LeRobot's CLIs with our message: what is wrong, the allowed values, the fix.

LeRobot's CLIs parse through `lerobot.configs.parser.wrap`, which prints a draccus `DecodingError` as
`error: ...` and exits with 1; `compat/config_errors.py` makes config checks reach it. Most cases run
that wrapper in-process, exactly as the CLIs do; a few run the unchanged `lerobot-train` and
`lerobot-eval` (each pays their ≈ 10 s import time).
"""

import dataclasses
import math
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from lerobot.configs import parser
from lerobot.configs.eval import EvalPipelineConfig
from lerobot.configs.train import TrainPipelineConfig
from lerobot.rollout import RolloutConfig

from lerobot_torque.compat import config_errors
from lerobot_torque.datasets.sim_demos import SimDemosConfig
from lerobot_torque.envs.configs import AlohaInsertionTorqueEnvConfig, TorquePressEnvConfig
from lerobot_torque.policies.torque import TorqueConfig
from lerobot_torque.robots.so_follower_torque import SOFollowerTorqueConfig
from lerobot_torque.robots.viperx_follower_torque import ViperXFollowerTorqueConfig
from lerobot_torque.teleoperators.widowx_leader import WidowXLeaderConfig
from tests.tiny import make_act_config

BIN = Path(sys.executable).parent
TRAIN = ["--dataset.repo_id=local/unused"]
ACT_TORQUE = ["--policy.type=act_torque", *TRAIN]
SO101 = ["--robot.type=so101_follower_torque", "--robot.port=/dev/null", "--policy.type=act_torque"]


def cli_error(config_class: type, args: list[str], monkeypatch, capsys) -> str:
    """Parse `args` with LeRobot's `parser.wrap` as a CLI of `config_class` does; return what it printed."""

    def main(cfg):
        raise AssertionError(f"parsed without error: {cfg}")

    main.__annotations__ = {"cfg": config_class}
    monkeypatch.setattr(sys, "argv", ["lerobot", *args])
    with pytest.raises(SystemExit) as exit_info:
        parser.wrap()(main)()
    assert exit_info.value.code == 1
    return capsys.readouterr().err


def test_plugin_discovery_installs_the_patch_on_the_draccus_and_lerobot_it_was_written_for():
    assert config_errors.installed()
    config_errors._check_signatures()  # raises naming config_errors.py when draccus or LeRobot changed


TRAIN_CASES = {  # id: (flags after `--policy.type=act_torque`, expected text)
    "history_length": (["--policy.torque.history_length=0"], "history_length=0 must be >= 1"),
    "history_stride": (["--policy.torque.history_stride=0"], "history_stride=0 must be >= 1"),
    "history_span_s": (
        ["--policy.torque.history_span_s=-1"],
        "history_span_s=-1.0 must be a finite number > 0",
    ),
    "future_loss_weight": (["--policy.torque.future_loss_weight=-1"], "future_loss_weight=-1.0 must be a"),
    "history_mode": (
        ["--policy.torque.history_mode=dec_h"],
        "'dec_h' is not a valid HistoryMode; choose one of ['current', 'one_token', 'per_frame']",
    ),
    "env_fps": (["--env.type=torque_press", "--env.fps=7"], "--env.fps=7 must divide"),
}
CASES = [
    pytest.param(TrainPipelineConfig, [*ACT_TORQUE, *flags], message, id=f"train-{name}")
    for name, (flags, message) in TRAIN_CASES.items()
] + [
    pytest.param(
        TrainPipelineConfig,
        ["--policy.type=pi0_torque", *TRAIN, "--policy.effort_placement=dec"],
        "choose one of ['encoder', 'decoder_pre', 'decoder_post']",
        id="train-pi0-enum",
    ),
    pytest.param(  # LeRobot's own ACT check; before: "Couldn't instantiate class ACTConfig"
        TrainPipelineConfig,
        ["--policy.type=act", *TRAIN, "--policy.n_action_steps=200"],
        "Got 200 for `n_action_steps` and 100 for `chunk_size`",
        id="train-lerobot-act",
    ),
    pytest.param(
        EvalPipelineConfig,
        ["--policy.type=act_torque", "--env.type=torque_press", "--env.force_band=[4,.inf]"],
        "--env.force_band=[4.0, inf] must be [min, max] of finite numbers",
        id="eval-env-interval",
    ),
    pytest.param(
        RolloutConfig,
        [*SO101, "--robot.stall_torque_nm=nan"],
        "stall_torque_nm=nan must be a finite number > 0",
        id="rollout-robot-nan",
    ),
    pytest.param(
        RolloutConfig, [*SO101, "--robot.effort_unit=amps"], "choose one of ['raw', 'nm']", id="rollout-enum"
    ),
]


def test_a_changed_draccus_signature_is_refused_naming_the_compat_module(monkeypatch):
    monkeypatch.setitem(
        config_errors.PATCHED, f"{config_errors.DECODING_MODULE}.decode_enum", ("cls", "value")
    )
    with pytest.raises(RuntimeError, match="decode_enum takes \\('cls', 'value'\\).*compat/config_errors.py"):
        config_errors._check_signatures()


@pytest.mark.parametrize(("config_class", "args", "message"), CASES)
def test_bad_settings_print_our_message_through_lerobots_cli_parser(
    config_class, args, message, monkeypatch, capsys
):
    printed = cli_error(config_class, args, monkeypatch, capsys)
    assert message in printed
    assert "Couldn't instantiate" not in printed


def test_a_truncated_policy_config_reaches_lerobot_eval_with_its_path(tmp_path, monkeypatch, capsys):
    make_act_config().save_pretrained(tmp_path)
    config_file = tmp_path / "config.json"
    config_file.write_text(config_file.read_text()[:100])
    args = [f"--policy.path={tmp_path}", "--env.type=torque_press"]
    assert f"error: {config_file} is not valid JSON" in cli_error(
        EvalPipelineConfig, args, monkeypatch, capsys
    )


# Our configs with float settings, and what they need besides (robots and teleoperators: a port).
CONFIGS = {
    TorqueConfig: {},
    TorquePressEnvConfig: {},
    AlohaInsertionTorqueEnvConfig: {},
    SimDemosConfig: {},
    SOFollowerTorqueConfig: {"port": "/dev/null"},
    ViperXFollowerTorqueConfig: {"port": "/dev/null"},
    WidowXLeaderConfig: {"port": "/dev/null"},
}


def float_fields(config_class: type) -> list[tuple[str, object, object]]:
    """(name, NaN, infinity) for each field typed float (also per joint or optional) or (float, float)."""
    hints = typing.get_type_hints(config_class)
    found = []
    for config_field in dataclasses.fields(config_class):
        hint = str(hints[config_field.name])
        if hint.startswith("tuple[float, float]"):
            found.append((config_field.name, (1.0, math.nan), (1.0, math.inf)))
        elif "float" in hint and "PolicyFeature" not in hint:
            found.append((config_field.name, math.nan, math.inf))
    return found


FLOAT_FIELDS = [(cls, *bad) for cls in CONFIGS for bad in float_fields(cls)]


def test_the_float_settings_found_include_the_known_ones():
    found = {(cls.__name__, name) for cls, name, *_ in FLOAT_FIELDS}
    assert len(found) >= 30  # 35 when written: the search must not come back empty
    assert {
        ("TorqueConfig", "future_loss_weight"),
        ("SOFollowerTorqueConfig", "max_relative_target"),
    } <= found


@pytest.mark.parametrize(
    ("config_class", "name", "nan", "infinity"),
    FLOAT_FIELDS,
    ids=[f"{cls.__name__}.{name}" for cls, name, *_ in FLOAT_FIELDS],
)
def test_every_float_setting_rejects_nan_and_infinity_naming_itself(config_class, name, nan, infinity):
    for value in (nan, infinity):
        with pytest.raises(ValueError, match=f"{name}.*finite"):
            config_class(**CONFIGS[config_class], **{name: value})


def test_per_joint_values_name_the_joint():
    with pytest.raises(ValueError, match=r"effort_limits\['elbow'\]=nan must be a finite number > 0"):
        SOFollowerTorqueConfig(port="/dev/null", effort_limits={"shoulder_pan": 2.0, "elbow": math.nan})


def lerobot(command: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / command), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=300,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        (
            "lerobot-train",
            [*ACT_TORQUE, "--policy.torque.future_loss_weight=nan"],
            "--policy.torque.future_loss_weight=nan must be a finite number >= 0",
        ),
        (
            "lerobot-train",
            [*ACT_TORQUE, "--policy.torque.aggregator=foo"],
            "'foo' is not a valid Aggregator; choose one of ['mlp', 'gru', 'attention']",
        ),
        (
            "lerobot-eval",
            ["--policy.type=act_torque", "--env.type=torque_press", "--env.fps=7"],
            "--env.fps=7 must divide the 500 Hz physics rate",
        ),
    ],
    ids=["train-nan-beta", "train-unknown-aggregator", "eval-env-fps"],
)
def test_unchanged_cli_exits_with_our_message(command, args, message):
    result = lerobot(command, *args)
    printed = result.stderr + result.stdout
    assert result.returncode != 0
    assert message in printed
    assert "Traceback" not in printed  # LeRobot's `error: ...` line, not a crash
