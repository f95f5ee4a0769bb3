"""Offline stand-ins for the Hub repos pi0_torque uses, in the Hub cache format.

`google/paligemma-3b-pt-224` becomes a tiny word-level tokenizer and `lerobot/pi0_base` a tiny π0
saved by LeRobot's own `PI0Policy` with LeRobot's own π0 processors. Loading them by those ids, with
`HF_HUB_OFFLINE=1`, runs the same code paths as the real downloads.
"""

import os
from pathlib import Path

from huggingface_hub import constants

from tests.tiny import save_tiny_tokenizer

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
