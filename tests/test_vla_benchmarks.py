"""The SmolVLA benchmark learners and the VLA overhead scripts: their plumbing, at a tiny size.

The smolvla_quick preset's arms are checked with pi0_quick's in tests/test_torque_press_benchmark.py.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from transformers import AutoConfig, AutoTokenizer

from lerobot_torque.evaluation import runner
from lerobot_torque.evaluation.arms import (
    SMOLVLA_SIZE,
    SMOLVLA_VLM_SIZE,
    trained_arm,
)
from lerobot_torque.evaluation.runner import StudyRun
from lerobot_torque.evaluation.torque_press_benchmark import PRESETS
from lerobot_torque.policies.smolvla_torque.small_vlm import SmolVLMSize, save_dataset_smolvlm
from tests.test_benchmark_arms import parse_policy
from tests.tiny import FEATURE_LAYOUT, policy_features

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def test_the_cpu_size_smolvla_flags_and_vlm_build_both_policies(synthetic_datasets, tmp_path):
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

    from lerobot_torque.policies.smolvla_torque.modeling_smolvla_torque import SmolVLATorquePolicy

    vlm = tmp_path / "smolvlm"
    assert (
        save_dataset_smolvlm(synthetic_datasets["feature"], vlm, SmolVLMSize(**SMOLVLA_VLM_SIZE)) == 4 + 4 + 5
    )
    sizes = {}
    for policy_type, policy_class in (("smolvla", SmolVLAPolicy), ("smolvla_torque", SmolVLATorquePolicy)):
        config = parse_policy(
            (f"--policy.type={policy_type}", *SMOLVLA_SIZE, f"--policy.vlm_model_name={vlm}")
        )
        config.input_features, config.output_features = policy_features()
        if policy_type == "smolvla":
            config.input_features.pop("observation.effort")
        else:
            config.torque.layout, config.torque.history_stride = FEATURE_LAYOUT, 10
        sizes[policy_type] = sum(p.numel() for p in policy_class(config).parameters())
    assert config.resize_imgs_with_padding == (32, 32) and config.chunk_size == 20
    assert 0.5e6 < sizes["smolvla"] < sizes["smolvla_torque"] < 0.7e6  # "≈ 0.6 M parameters"


def test_a_smolvla_learner_trains_with_the_small_vlm_written_once_from_the_demonstrations(
    synthetic_datasets, tmp_path, monkeypatch
):
    preset = PRESETS["smolvla_quick"]
    run = StudyRun(preset, tmp_path)
    monkeypatch.setattr(StudyRun, "demos", lambda self, backbone: synthetic_datasets["feature"])
    commands = []
    monkeypatch.setattr(runner, "run", lambda command, log: commands.append(command))
    for design in ("smolvla", "smolvla_torque"):
        run.train(trained_arm(design).learner)
    vlm = tmp_path / "smolvlm"
    assert all(f"--policy.vlm_model_name={vlm}" in command for command in commands)
    assert "--policy.type=smolvla" in commands[0] and "--policy.type=smolvla_torque" in commands[1]
    assert AutoConfig.from_pretrained(vlm).text_config.hidden_size == SMOLVLA_VLM_SIZE["text_width"]
    tokenizer = AutoTokenizer.from_pretrained(vlm)
    assert tokenizer.unk_token_id not in tokenizer("press until it pushes back")["input_ids"]
    assert not (tmp_path / "smolvlm.incomplete").exists()


def test_a_vocabulary_smaller_than_the_prompt_tokenizer_is_refused(synthetic_datasets, tmp_path):
    size = SmolVLMSize(**{**SMOLVLA_VLM_SIZE, "vocab_size": 10})
    with pytest.raises(ValueError, match="raise vocab_size to at least 13"):
        save_dataset_smolvlm(synthetic_datasets["feature"], tmp_path / "smolvlm", size)
    assert not (tmp_path / "smolvlm").exists() and not (tmp_path / "smolvlm.incomplete").exists()


@pytest.mark.parametrize(
    "script, base",
    [
        ("pi0_torque_overhead", "pi0"),
        ("smolvla_torque_overhead", "smolvla"),
        ("pi05_torque_overhead", "pi05"),
    ],
)
def test_the_overhead_scripts_print_their_ratio_tables(script, base):
    """Each script as a user runs it, in its own process (`--keep-freed-memory` changes glibc's
    thresholds for the rest of the process)."""
    flags = ["--tiny", "--rounds", "1", *(["--keep-freed-memory"] if base == "pi05" else [])]
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{script}.py"), *flags],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    lines = result.stdout.splitlines()
    (title,) = [line for line in lines if line.startswith(f"{base}_torque vs {base} — ")]
    allocator = "glibc keeping freed memory" if base == "pi05" else "glibc's default allocator"
    assert allocator in title
    header = f"| measure | rounds | {base} | {base}_torque | ratio {base}_torque/{base} | target | control"
    assert any(line.startswith(header) for line in lines)
    assert sum(line.startswith(("| inference latency", "| train step")) for line in lines) == 2
    # π0.5's table also prices one more action token of its own (its chunk of 51)
    assert any(
        line.startswith(f"| reference, in the {base}_torque column: {base} with chunk 51") for line in lines
    ) == (base == "pi05")
