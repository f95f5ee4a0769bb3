"""Offline stand-ins for the Hub repos the VLA torque policies use, in the Hub cache format.

`google/paligemma-3b-pt-224` becomes a tiny word-level tokenizer, `lerobot/pi0_base` and
`lerobot/pi05_base` a tiny π0 / π0.5 saved by LeRobot's own `PI0Policy` / `PI05Policy` with LeRobot's
own processors, `HuggingFaceTB/SmolVLM2-500M-Video-Instruct` a tiny SmolVLM2 (config, processor,
tokenizer; built with transformers' own config classes) and `lerobot/smolvla_base` a tiny SmolVLA
saved by LeRobot's `SmolVLAPolicy` with its processors. Loading them by those ids, with
`HF_HUB_OFFLINE=1`, runs the same code paths as the real downloads.
"""

import os
from pathlib import Path

from huggingface_hub import constants

from tests.tiny import PROMPT_WORDS, TOKENIZER_WORDS, save_tiny_tokenizer

REVISION = "0" * 40


def snapshot(repo_id: str) -> Path:
    """The cache folder of `repo_id`'s main revision (created, with its ref)."""
    repo = Path(constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(REVISION)
    path = repo / "snapshots" / REVISION
    path.mkdir(parents=True, exist_ok=True)
    return path


def publish_paligemma_tokenizer() -> str:
    """The tokenizer files plus the `config.json` transformers' AutoTokenizer reads first."""
    repo_id = "google/paligemma-3b-pt-224"
    path = save_tiny_tokenizer(snapshot(repo_id))
    (path / "config.json").write_text('{"model_type": "paligemma"}')
    return repo_id


def publish_pi0_base(seed: int = 3) -> str:
    """A tiny `lerobot/pi0_base`: LeRobot's PI0Policy and its processors (PaliGemma tokenizer id)."""
    import torch

    from lerobot.policies.pi0.configuration_pi0 import PI0Config
    from lerobot.policies.pi0.modeling_pi0 import PI0Policy
    from lerobot.policies.pi0.processor_pi0 import make_pi0_pre_post_processors

    from lerobot_torque.policies.pi0_torque.model_size import PI0ModelSize, lerobot_pi0_at_size
    from tests.tiny import TINY_PI0, TINY_PI0_SIZE, policy_features

    assert os.environ.get("HF_HUB_OFFLINE") == "1", "stand-ins are for offline tests"
    publish_paligemma_tokenizer()
    repo_id = "lerobot/pi0_base"
    inputs, outputs = policy_features()
    inputs.pop("observation.effort")
    torch.manual_seed(seed)
    with lerobot_pi0_at_size(PI0ModelSize(**TINY_PI0_SIZE)):
        policy = PI0Policy(PI0Config(**TINY_PI0, input_features=inputs, output_features=outputs))
    path = snapshot(repo_id)
    policy.save_pretrained(path)
    for pipeline in make_pi0_pre_post_processors(policy.config):
        pipeline.save_pretrained(path)
    return repo_id


SMOLVLM_REPO = "HuggingFaceTB/SmolVLM2-500M-Video-Instruct"  # SmolVLAConfig.vlm_model_name in LeRobot 0.6.1


def publish_smolvlm2() -> str:
    """SmolVLA's VLM: a tiny SmolVLM2 config, processor and tokenizer (no weights: SmolVLA's default)."""
    from lerobot_torque.policies.smolvla_torque.small_vlm import save_small_smolvlm
    from tests.tiny import tiny_smolvlm_size

    assert os.environ.get("HF_HUB_OFFLINE") == "1", "stand-ins are for offline tests"
    path = snapshot(SMOLVLM_REPO)
    if not (path / "config.json").exists():
        save_small_smolvlm(path, TOKENIZER_WORDS + PROMPT_WORDS, tiny_smolvlm_size())
    return SMOLVLM_REPO


def publish_smolvla_base(seed: int = 3) -> str:
    """A tiny `lerobot/smolvla_base`: LeRobot's SmolVLAPolicy on the tiny SmolVLM2, and its processors."""
    import torch

    from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy
    from lerobot.policies.smolvla.processor_smolvla import make_smolvla_pre_post_processors

    from tests.tiny import TINY_SMOLVLA, base_features

    publish_smolvlm2()
    inputs, outputs = base_features()
    torch.manual_seed(seed)
    policy = SmolVLAPolicy(SmolVLAConfig(**TINY_SMOLVLA, input_features=inputs, output_features=outputs))
    return save_base(policy, make_smolvla_pre_post_processors(policy.config), "lerobot/smolvla_base")


def publish_pi05_base(seed: int = 3) -> str:
    """A tiny `lerobot/pi05_base`: LeRobot's PI05Policy at the tiny size, with LeRobot's π0.5 processors."""
    import torch

    from lerobot.policies.pi05 import modeling_pi05
    from lerobot.policies.pi05.configuration_pi05 import PI05Config
    from lerobot.policies.pi05.processor_pi05 import make_pi05_pre_post_processors

    from lerobot_torque.policies.pi0_torque.model_size import PI0ModelSize, lerobot_pi0_at_size
    from tests.tiny import TINY_PI05, TINY_PI05_SIZE, base_features

    assert os.environ.get("HF_HUB_OFFLINE") == "1", "stand-ins are for offline tests"
    publish_paligemma_tokenizer()
    inputs, outputs = base_features()
    torch.manual_seed(seed)
    with lerobot_pi0_at_size(PI0ModelSize(**TINY_PI05_SIZE), module=modeling_pi05):
        policy = modeling_pi05.PI05Policy(
            PI05Config(**TINY_PI05, input_features=inputs, output_features=outputs)
        )
    return save_base(policy, make_pi05_pre_post_processors(policy.config), "lerobot/pi05_base")


def save_base(policy, processors, repo_id: str) -> str:
    """Save a LeRobot policy and its processors as `repo_id`'s main revision."""
    path = snapshot(repo_id)
    policy.save_pretrained(path)
    for pipeline in processors:
        pipeline.save_pretrained(path)
    return repo_id
