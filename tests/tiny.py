"""Tiny, seeded configs and batches for fast CPU tests (sizes as named constants)."""

from pathlib import Path

import torch

from lerobot.configs import FeatureType, PolicyFeature
from lerobot.utils.constants import ACTION, OBS_STATE

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.policies.act_torque import ACTTorqueConfig
from lerobot_torque.policies.torque import EffortLayout, TorqueConfig

DIM_MODEL = 16
CHUNK = 5
HISTORY = 4
STRIDE = 2
NUM_JOINTS = 2
IMAGE = 32
BATCH = 3

TINY_ACT = {
    "dim_model": DIM_MODEL,
    "n_heads": 2,
    "dim_feedforward": 32,
    "n_encoder_layers": 1,
    "n_decoder_layers": 1,
    "n_vae_encoder_layers": 1,
    "latent_dim": 4,
    "chunk_size": CHUNK,
    "n_action_steps": CHUNK,
    "pretrained_backbone_weights": None,
    "device": "cpu",
}
TINY_ACT_CLI = [f"--policy.{key}={'null' if value is None else value}" for key, value in TINY_ACT.items()]
TINY_TORQUE_CLI = [f"--policy.torque.history_length={HISTORY}", f"--policy.torque.history_stride={STRIDE}"]

FEATURE_LAYOUT = EffortLayout(
    key=OBS_EFFORT, names=[f"joint{i}" for i in range(NUM_JOINTS)], state_names=None
)
STATE_NAMES = [f"joint{i}.pos" for i in range(NUM_JOINTS)] + [f"joint{i}.effort" for i in range(NUM_JOINTS)]
STATE_LAYOUT = EffortLayout(key=OBS_STATE, names=STATE_NAMES[NUM_JOINTS:], state_names=STATE_NAMES)


def policy_features(num_joints: int = NUM_JOINTS) -> tuple[dict, dict]:
    """Input and output features of the tiny policies (effort already split from the state)."""
    inputs = {
        "observation.images.top": PolicyFeature(type=FeatureType.VISUAL, shape=(3, IMAGE, IMAGE)),
        OBS_STATE: PolicyFeature(type=FeatureType.STATE, shape=(num_joints,)),
        OBS_EFFORT: PolicyFeature(type=FeatureType.STATE, shape=(num_joints,)),
    }
    return inputs, {ACTION: PolicyFeature(type=FeatureType.ACTION, shape=(num_joints,))}


def make_act_config(layout: EffortLayout = FEATURE_LAYOUT, **overrides) -> ACTTorqueConfig:
    """A tiny act_torque config already bound to an effort layout; `torque_*` keys set torque fields."""
    torque_fields = {
        k.removeprefix("torque_"): overrides.pop(k) for k in list(overrides) if k.startswith("torque_")
    }
    torque = TorqueConfig(
        **{"history_length": HISTORY, "history_stride": STRIDE, **torque_fields}, layout=layout
    )
    inputs, outputs = policy_features()
    return ACTTorqueConfig(
        **{**TINY_ACT, "input_features": inputs, "output_features": outputs, "torque": torque, **overrides}
    )


def make_batch(config, batch_size: int = BATCH, seed: int = 0, *, training: bool = True) -> dict:
    """A normalised batch as the preprocessor hands it over, in the config's effort layout.

    Training batches carry the dataset's effort window (history + future) and its padding flags;
    otherwise one live frame.
    """
    generator = torch.Generator().manual_seed(seed)
    torque, layout = config.torque, config.torque.layout
    window = len(torque.window_offsets(config.chunk_size)) if training else 1
    effort = torch.randn(batch_size, window, len(layout.names), generator=generator)
    state = torch.randn(batch_size, window, NUM_JOINTS, generator=generator)
    is_pad = torch.zeros(batch_size, window, dtype=torch.bool)
    if training:
        is_pad[0, : torque.history_window_length - 1] = True  # first sample: at the episode start
        is_pad[1, -2:] = True  # second sample: near the episode end
    batch = {
        "observation.images.top": torch.rand(batch_size, 3, IMAGE, IMAGE, generator=generator),
        "task": ["press"] * batch_size,
    }
    current = torque.history_window_length - 1 if training else 0
    if layout.key == OBS_STATE:
        full = torch.cat([state, effort], dim=-1)
        batch[OBS_STATE] = full if training else full[:, 0]
        if training:
            batch[f"{OBS_STATE}_is_pad"] = is_pad
    else:
        batch[OBS_STATE] = state[:, current]
        batch[OBS_EFFORT] = effort if training else effort[:, 0]
        if training:
            batch[f"{OBS_EFFORT}_is_pad"] = is_pad
    if training:
        batch[ACTION] = torch.randn(batch_size, config.chunk_size, NUM_JOINTS, generator=generator)
        batch["action_is_pad"] = torch.zeros(batch_size, config.chunk_size, dtype=torch.bool)
    return batch


def fixed_noise(width: int, seed: int = 7) -> torch.Tensor:
    """The flow-matching noise (BATCH, CHUNK, width) that makes two samplings comparable."""
    return torch.randn(BATCH, CHUNK, width, generator=torch.Generator().manual_seed(seed))


def design_id(design: dict) -> str:
    """A readable test id for a dict of config overrides: `history_mode=per_frame-aggregator=gru`."""
    return "-".join(f"{k.removeprefix('torque_')}={getattr(v, 'value', v)}" for k, v in design.items())


def parameters_without_gradient(policy: torch.nn.Module) -> list[str]:
    """Trainable parameters that the last backward left without a finite gradient.

    Under DDP without `find_unused_parameters`, any such parameter stops the next step with
    "Expected to have finished reduction in the prior iteration".
    """
    return [
        name
        for name, param in policy.named_parameters()
        if param.requires_grad and (param.grad is None or not torch.isfinite(param.grad).all())
    ]


def train_a_step_then_act(policy) -> tuple[dict, torch.Tensor]:
    """A VLA policy's loss terms after one backward pass on a training batch, then its first action.

    Asserts what every design must give: a finite gradient on the effort adapter and the action
    input projection, and a finite (BATCH, 2) action from `select_action` on a live batch.
    """
    loss, terms = policy.forward(make_pi0_batch(policy.config))
    loss.backward()
    effort_path = [p for n, p in policy.named_parameters() if "effort_encoder" in n or "action_in_proj" in n]
    assert effort_path and all(p.grad is not None and torch.isfinite(p.grad).all() for p in effort_path)
    policy.reset()
    actions = policy.select_action(make_pi0_batch(policy.config, training=False))
    assert actions.shape == (BATCH, 2) and torch.isfinite(actions).all()
    return terms, actions


def lerobot_train_args(
    dataset_root: Path, output_dir: Path, *, steps: int = 3, policy_type: str = "act_torque"
):
    """`lerobot-train` arguments for a tiny run on a local dataset, offline, on the CPU."""
    return [
        f"--policy.type={policy_type}",
        f"--dataset.repo_id=local/{dataset_root.name}",
        f"--dataset.root={dataset_root}",
        f"--output_dir={output_dir}",
        f"--steps={steps}",
        "--batch_size=4",
        "--num_workers=0",
        "--log_freq=1",
        f"--save_freq={steps}",
        "--seed=1",
        "--policy.push_to_hub=false",
        "--wandb.enable=false",
        *TINY_ACT_CLI,
        *TINY_TORQUE_CLI,
    ]


# --- pi0_torque -----------------------------------------------------------------------------
TOKENIZER_WORDS = ["press", "until", "it", "pushes", "back", "the", "button", "plug", "in"]
TINY_PI0 = {
    "chunk_size": CHUNK,
    "n_action_steps": CHUNK,
    "max_state_dim": 8,
    "max_action_dim": 8,
    "image_resolution": (IMAGE, IMAGE),
    "tokenizer_max_length": 8,
    "num_inference_steps": 2,
    "scheduler_warmup_steps": 1,
    "device": "cpu",
}
TINY_PI0_SIZE = {
    "depth": 2,
    "head_dim": 8,
    "vlm_width": 32,
    "vlm_mlp_dim": 64,
    "expert_width": 16,
    "expert_mlp_dim": 32,
    "vocab_size": 64,
    "vision_width": 16,
    "vision_depth": 1,
    "vision_heads": 2,
    "vision_mlp_dim": 32,
    "patch_size": 8,
}
TINY_PI0_CLI = (
    [f"--policy.{key}={value}" for key, value in TINY_PI0.items() if key != "image_resolution"]
    + [f"--policy.model_size.{key}={value}" for key, value in TINY_PI0_SIZE.items()]
    + [f"--policy.image_resolution=[{IMAGE},{IMAGE}]"]
)


# π0.5's prompt "Task: <task>, State: <256-bin numbers>;\nAction: " (lerobot/policies/pi05/processor_pi05.py)
PROMPT_WORDS = ["Task", ":", ",", "State", ";", "Action", *map(str, range(256))]


def save_tiny_tokenizer(path: Path) -> Path:
    """A word-level tokenizer of `TOKENIZER_WORDS` then `PROMPT_WORDS` (what `AutoTokenizer` loads)."""
    from lerobot_torque.policies.pi0_torque.word_tokenizer import save_word_tokenizer

    save_word_tokenizer(TOKENIZER_WORDS + PROMPT_WORDS, path)
    return path


def make_pi0_config(layout: EffortLayout = FEATURE_LAYOUT, tokenizer: str = "unused", **overrides):
    """A tiny pi0_torque config bound to an effort layout; `torque_*` keys set torque fields."""
    from lerobot_torque.policies.pi0_torque import PI0TorqueConfig
    from lerobot_torque.policies.pi0_torque.model_size import PI0ModelSize

    torque_fields = {
        k.removeprefix("torque_"): overrides.pop(k) for k in list(overrides) if k.startswith("torque_")
    }
    torque = TorqueConfig(
        **{"history_length": HISTORY, "history_stride": STRIDE, **torque_fields}, layout=layout
    )
    inputs, outputs = policy_features()
    return PI0TorqueConfig(
        **{
            **TINY_PI0,
            "model_size": PI0ModelSize(**TINY_PI0_SIZE),
            "input_features": inputs,
            "output_features": outputs,
            "torque": torque,
            "tokenizer_name": tokenizer,
            **overrides,
        }
    )


def make_pi0_batch(config, batch_size: int = BATCH, seed: int = 0, *, training: bool = True) -> dict:
    """`make_batch` plus tokenised language, as π0's preprocessor outputs it."""
    batch = make_batch(config, batch_size, seed, training=training)
    generator = torch.Generator().manual_seed(seed + 100)
    tokens = torch.randint(
        4, 4 + len(TOKENIZER_WORDS), (batch_size, config.tokenizer_max_length), generator=generator
    )
    mask = torch.ones_like(tokens, dtype=torch.bool)
    mask[:, -2:] = False
    return {**batch, "observation.language.tokens": tokens, "observation.language.attention_mask": mask}


def torque_config(layout: EffortLayout, overrides: dict) -> TorqueConfig:
    """The tiny torque settings; pops the `torque_*` keys of `overrides` into them."""
    torque_fields = {
        k.removeprefix("torque_"): overrides.pop(k) for k in list(overrides) if k.startswith("torque_")
    }
    return TorqueConfig(
        **{"history_length": HISTORY, "history_stride": STRIDE, **torque_fields}, layout=layout
    )


def base_features() -> tuple[dict, dict]:
    """The tiny policies' features without effort: what a plain base checkpoint is trained on."""
    inputs, outputs = policy_features()
    inputs.pop(OBS_EFFORT)
    return inputs, outputs


# --- smolvla_torque -------------------------------------------------------------------------
def tiny_smolvlm_size():
    """A SmolVLM2 of ~60k parameters: 4 image tokens (32 px, patch 8, pixel shuffle 2)."""
    from lerobot_torque.policies.smolvla_torque.small_vlm import SmolVLMSize

    return SmolVLMSize(
        text_width=32,
        text_depth=2,
        text_heads=4,
        text_kv_heads=2,
        text_head_dim=8,
        text_mlp_dim=64,
        vision_width=16,
        vision_depth=1,
        vision_heads=2,
        vision_mlp_dim=32,
        image_size=IMAGE,
        patch_size=8,
        scale_factor=2,
        vocab_size=300,  # the tiny tokenizer's 4 + 4 SmolVLM + 271 words
    )


TINY_SMOLVLA = {
    "chunk_size": CHUNK,
    "n_action_steps": CHUNK,
    "max_state_dim": 8,
    "max_action_dim": 8,
    "resize_imgs_with_padding": (IMAGE, IMAGE),
    "tokenizer_max_length": 8,
    "num_steps": 2,
    "num_vlm_layers": 2,
    "scheduler_warmup_steps": 1,
    "device": "cpu",
}
TINY_SMOLVLA_CLI = [
    f"--policy.{key}={value}" for key, value in TINY_SMOLVLA.items() if key != "resize_imgs_with_padding"
] + [f"--policy.resize_imgs_with_padding=[{IMAGE},{IMAGE}]"]


def make_smolvla_config(layout: EffortLayout = FEATURE_LAYOUT, **overrides):
    """A tiny smolvla_torque config bound to an effort layout (the tiny SmolVLM2 must be published)."""
    from lerobot_torque.policies.smolvla_torque import SmolVLATorqueConfig

    torque = torque_config(layout, overrides)
    inputs, outputs = policy_features()
    return SmolVLATorqueConfig(
        **{
            **TINY_SMOLVLA,
            "input_features": inputs,
            "output_features": outputs,
            "torque": torque,
            **overrides,
        }
    )


# --- pi05_torque ----------------------------------------------------------------------------
TINY_PI05 = {**TINY_PI0, "tokenizer_max_length": 32}  # the prompt carries the discretised state
TINY_PI05_SIZE = {**TINY_PI0_SIZE, "vocab_size": 300}  # ≥ the tiny tokenizer's 275 tokens
TINY_PI05_CLI = (
    [f"--policy.{key}={value}" for key, value in TINY_PI05.items() if key != "image_resolution"]
    + [f"--policy.model_size.{key}={value}" for key, value in TINY_PI05_SIZE.items()]
    + [f"--policy.image_resolution=[{IMAGE},{IMAGE}]"]
)


def make_pi05_config(layout: EffortLayout = FEATURE_LAYOUT, tokenizer: str = "unused", **overrides):
    """A tiny pi05_torque config bound to an effort layout; `torque_*` keys set torque fields."""
    from lerobot_torque.policies.pi0_torque.model_size import PI0ModelSize
    from lerobot_torque.policies.pi05_torque import PI05TorqueConfig

    torque = torque_config(layout, overrides)
    inputs, outputs = policy_features()
    return PI05TorqueConfig(
        **{
            **TINY_PI05,
            "model_size": PI0ModelSize(**TINY_PI05_SIZE),
            "input_features": inputs,
            "output_features": outputs,
            "torque": torque,
            "tokenizer_name": tokenizer,
            **overrides,
        }
    )
