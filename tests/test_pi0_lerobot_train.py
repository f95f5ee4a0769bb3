"""`lerobot-train --policy.type=pi0_torque`, from scratch and from `lerobot/pi0_base`, offline."""

import json

import pytest
import torch
from huggingface_hub import hf_hub_download
from safetensors.torch import load_file

from lerobot_torque.policies.pi0_torque.modeling_pi0_torque import PI0TorquePolicy
from tests.fake_hub import publish_paligemma_tokenizer, publish_pi0_base
from tests.test_lerobot_train import checkpoint, lerobot_train
from tests.tiny import TINY_PI0_CLI, TINY_TORQUE_CLI, lerobot_train_args

pytestmark = pytest.mark.slow


def pi0_train_args(dataset_root, output_dir, steps: int = 2) -> list[str]:
    args = [
        a for a in lerobot_train_args(dataset_root, output_dir, steps=steps) if not a.startswith("--policy.")
    ]
    return [*args, "--policy.type=pi0_torque", "--policy.push_to_hub=false", *TINY_PI0_CLI, *TINY_TORQUE_CLI]


def test_pi0_torque_trains_from_scratch_with_the_paligemma_tokenizer_id(synthetic_datasets, tmp_path):
    publish_paligemma_tokenizer()
    lerobot_train(*pi0_train_args(synthetic_datasets["state"], tmp_path / "out"))
    config = json.loads((checkpoint(tmp_path / "out") / "config.json").read_text())
    assert config["type"] == "pi0_torque" and config["tokenizer_name"] == "google/paligemma-3b-pt-224"
    assert config["torque"]["layout"]["key"] == "observation.state"
    policy = PI0TorquePolicy.from_pretrained(checkpoint(tmp_path / "out"))
    assert policy.model.action_in_proj.in_features == 8 + 2  # widened by the two effort dims


def test_pi0_torque_fine_tunes_from_pi0_base(synthetic_datasets, tmp_path):
    repo_id = publish_pi0_base()
    output = tmp_path / "out"
    result = lerobot_train(
        *pi0_train_args(synthetic_datasets["feature"], output), f"--policy.pretrained_path={repo_id}"
    )
    assert "added ['effort_encoder']; widened ['action_in_proj', 'action_out_proj']" in result.stderr
    tuned = PI0TorquePolicy.from_pretrained(checkpoint(output)).state_dict()
    base = load_file(hf_hub_download(repo_id, "model.safetensors"))
    vision = "model.paligemma_with_expert.paligemma.model.vision_tower.vision_model"
    patch = f"{vision}.embeddings.patch_embedding.weight"
    for key in (patch, "model.action_out_proj.weight"):  # two small steps away from pi0_base
        start = base[key]
        assert (tuned[key][: start.shape[0]] - start).abs().max() < 1e-3, key


def test_lora_fine_tuning_from_pi0_base_reloads_like_lerobot_eval_does(synthetic_datasets, tmp_path):
    """The paper fine-tuned with LoRA (A.6.1); the checkpoint must reload to the same policy."""
    from lerobot.configs import PreTrainedConfig
    from lerobot.datasets import LeRobotDataset
    from lerobot.policies.factory import make_policy

    from tests.tiny import make_pi0_batch

    repo_id = publish_pi0_base()
    output = tmp_path / "out"
    args = pi0_train_args(synthetic_datasets["feature"], output)
    lerobot_train(*args, f"--policy.pretrained_path={repo_id}", "--peft.method_type=lora", "--peft.r=2")
    path = checkpoint(output)
    assert (path / "adapter_model.safetensors").exists()

    meta = LeRobotDataset("local/x", root=synthetic_datasets["feature"]).meta
    policies = []
    for _ in range(2):  # each load draws other random widened rows before the adapter restores them
        config = PreTrainedConfig.from_pretrained(path)
        config.pretrained_path = path
        policies.append(make_policy(config, ds_meta=meta).eval())
    batch = make_pi0_batch(policies[0].config, training=False)
    noise = torch.randn(3, policies[0].config.chunk_size, 10, generator=torch.Generator().manual_seed(0))
    actions = [p.base_model.model.predict_action_chunk(dict(batch), noise=noise) for p in policies]
    assert torch.equal(actions[0], actions[1])
