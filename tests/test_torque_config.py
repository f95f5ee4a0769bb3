"""TorqueConfig: windows, defaults from the paper, validation and CLI parsing."""

import logging
from dataclasses import dataclass

import draccus
import pytest

from lerobot.configs import PreTrainedConfig

from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.policies.torque import (
    Aggregator,
    EffortAblation,
    EffortLayout,
    HistoryMode,
    HistorySignal,
    TorqueConfig,
)
from tests.tiny import STATE_NAMES, TINY_ACT


def test_default_history_is_ten_frames_over_two_seconds():
    torque = TorqueConfig()
    torque.bind_dataset({"observation.state": {"shape": (4,), "names": STATE_NAMES}}, fps=50)
    assert torque.history_offsets() == list(range(-90, 1, 10))


def test_history_span_at_20_fps_gives_the_official_offsets():
    torque = TorqueConfig()
    torque.bind_dataset({"observation.state": {"shape": (4,), "names": STATE_NAMES}}, fps=20)
    assert torque.history_offsets() == [4 * i - 36 for i in range(10)]  # TA-VLA training/config.py


def test_explicit_stride_is_kept_when_binding():
    torque = TorqueConfig(history_length=3, history_stride=4)
    torque.bind_dataset({"observation.state": {"shape": (4,), "names": STATE_NAMES}}, fps=50)
    assert torque.history_offsets() == [-8, -4, 0]


def test_the_position_suffix_as_effort_suffix_means_the_position_history(caplog):
    """How the leak check asked for it before `history_signal` existed: old checkpoints and flags."""
    with caplog.at_level(logging.WARNING):
        torque = TorqueConfig(effort_source="state", state_effort_suffix=".pos")
    assert torque.history_signal is HistorySignal.POSITION and torque.state_effort_suffix == ".effort"
    assert "history_signal=position" in caplog.text
    old_layout = EffortLayout("observation.state", ["a.pos"], ["a.pos", "a.effort"])  # a saved one
    assert old_layout.signal is HistorySignal.POSITION and old_layout.kept_state_indices == [0]


def test_the_position_history_is_not_read_from_a_feature():
    with pytest.raises(ValueError, match="history_signal=position reads the joint positions.*effort_source"):
        TorqueConfig(history_signal="position", effort_source="feature")


def test_the_position_history_needs_position_names():
    with pytest.raises(ValueError, match=r"'\*.pos' names.*\['a.effort'\]"):
        TorqueConfig(history_signal="position").bind_dataset(
            {"observation.state": {"shape": (1,), "names": ["a.effort"]}}
        )


def test_window_is_history_then_the_frames_after_each_action():
    torque = TorqueConfig(history_length=3, history_stride=2)
    assert torque.window_offsets(chunk_size=4) == [-4, -2, 0, 1, 2, 3, 4]


def test_current_frame_mode_reads_one_frame():
    torque = TorqueConfig(history_mode=HistoryMode.CURRENT, predict_future_effort=False)
    assert torque.window_offsets(chunk_size=4) == [0]


def test_beta_defaults_follow_the_paper_appendix():
    assert TorqueConfig().future_loss_weight == 0.1  # +obs+obj, A.6.2
    assert TorqueConfig(use_effort_input=False).future_loss_weight == 1.0  # +obj alone, A.6.2


def test_unresolved_stride_says_how_to_set_it():
    with pytest.raises(ValueError, match="history_stride"):
        TorqueConfig().history_offsets()


def test_per_frame_tokens_reject_sequence_aggregators():
    with pytest.raises(ValueError, match="per_frame"):
        TorqueConfig(history_mode=HistoryMode.PER_FRAME, aggregator=Aggregator.GRU)


@dataclass
class _Cli:
    policy: PreTrainedConfig


def test_cli_flags_parse_into_enums():
    config = draccus.parse(
        _Cli,
        args=[
            "--policy.type=act_torque",
            "--policy.torque.history_mode=per_frame",
            "--policy.torque.effort_ablation=shuffle",
            "--policy.torque.history_span_s=1.5",
            "--policy.pretrained_backbone_weights=null",
        ],
    ).policy
    assert isinstance(config, ACTTorqueConfig)
    assert config.torque.history_mode is HistoryMode.PER_FRAME
    assert config.torque.effort_ablation is EffortAblation.SHUFFLE
    assert config.torque.history_span_s == 1.5


def test_effort_in_vae_encoder_needs_the_effort_input():
    with pytest.raises(ValueError, match="effort_in_vae_encoder"):
        ACTTorqueConfig(**TINY_ACT, effort_in_vae_encoder=True, torque=TorqueConfig(use_effort_input=False))
