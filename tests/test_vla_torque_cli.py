"""The unchanged `lerobot-train` and `lerobot-eval` run smolvla_torque and pi05_torque on torque_press.

Each type is fine-tuned with LoRA from its base checkpoint by its Hub id (`lerobot/smolvla_base`,
`lerobot/pi05_base`: tiny local stand-ins in the Hub cache, tests/fake_hub.py), then the adapter
checkpoint is evaluated by `lerobot-eval` in the simulated press with a 32×32 camera.
"""

import json
from pathlib import Path

import pytest

from tests.envs.test_lerobot_eval_torque_press import lerobot_eval, run, write_press_demos
from tests.fake_hub import publish_pi05_base, publish_smolvla_base
from tests.tiny import TINY_PI05_CLI, TINY_SMOLVLA_CLI, TINY_TORQUE_CLI, lerobot_train_args

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def press_demos(tmp_path_factory) -> Path:
    """The scripted episodes both types are fine-tuned on."""
    return write_press_demos(tmp_path_factory.mktemp("vla_press_demos") / "press")


def fine_tune_with_lora(policy_type: str, base: str, size: list[str], demos: Path, output: Path) -> Path:
    """`lerobot-train` 2 LoRA steps from `base`; the checkpoint it wrote, after checking the load report."""
    common = [a for a in lerobot_train_args(demos, output, steps=2) if not a.startswith("--policy.")]
    result = run(
        "lerobot-train",
        *common,
        f"--policy.type={policy_type}",
        f"--policy.pretrained_path={base}",
        "--policy.push_to_hub=false",
        "--peft.method_type=lora",
        "--peft.r=2",
        *size,
        *TINY_TORQUE_CLI,
    )
    assert "added ['effort_encoder']; widened ['action_in_proj', 'action_out_proj']" in result.stderr
    checkpoint = output / "checkpoints" / "last" / "pretrained_model"
    assert (checkpoint / "adapter_model.safetensors").exists()
    config = json.loads((checkpoint / "config.json").read_text())
    assert config["type"] == policy_type and config["torque"]["layout"]["key"] == "observation.effort"
    return checkpoint


@pytest.mark.parametrize(
    "policy_type, publish, size",
    [
        ("smolvla_torque", publish_smolvla_base, TINY_SMOLVLA_CLI),
        ("pi05_torque", publish_pi05_base, TINY_PI05_CLI),
    ],
    ids=["smolvla_torque", "pi05_torque"],
)
def test_fine_tuned_from_its_base_with_lora_then_evaluated_on_torque_press(
    policy_type, publish, size, press_demos, tmp_path
):
    checkpoint = fine_tune_with_lora(policy_type, publish(), size, press_demos, tmp_path / "train")
    info = lerobot_eval(checkpoint, tmp_path / "eval")
    assert info["overall"]["n_episodes"] == 2
    assert len(info["per_task"][0]["metrics"]["successes"]) == 2
