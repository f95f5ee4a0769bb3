"""Size knobs for π0's PaliGemma + action expert, so tests can build a model of a few million parameters.

LeRobot 0.6.1 accepts only the `gemma_300m` / `gemma_2b` variants and fixes the SigLIP vision tower
(and its 2048-wide projection) inside `PaliGemmaWithExpertModel.__init__`. `SizedPaliGemmaWithExpert`
builds LeRobot's own HF configs (on the meta device, no memory), overrides only the sizes set in
`PI0ModelSize`, and instantiates LeRobot's PaliGemma/PiGemma classes from them. With every knob
unset the result is exactly `pi0_base`'s (tests/test_pi0_torque.py pins the configs and weights).

Limits kept from LeRobot: 8 attention heads and one KV head in both Gemma stacks
(`modeling_pi0.compute_layer_complete` reshapes with 8 heads), and one depth for both stacks
(their layers run side by side).
"""

import copy
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType

import torch
from torch import nn

from lerobot.policies.pi0 import modeling_pi0
from lerobot.policies.pi0.modeling_pi0 import GemmaConfig, PaliGemmaWithExpertModel, get_gemma_config
from lerobot.policies.pi_gemma import PaliGemmaForConditionalGenerationWithPiGemma, PiGemmaForCausalLM


@dataclass
class PI0ModelSize:
    """Overrides of π0's sizes; None keeps LeRobot's value for the configured variants.

    Args:
        depth: Layers of both Gemma stacks (18 in pi0_base).
        head_dim: Attention head size of both stacks (256).
        vlm_width, vlm_mlp_dim: PaliGemma's Gemma width and MLP size (2048, 16384).
        expert_width, expert_mlp_dim: The action expert's width and MLP size (1024, 4096).
        vocab_size: Token vocabulary (257152, PaliGemma's); must cover the tokenizer's ids.
        vision_width, vision_depth, vision_heads, vision_mlp_dim, patch_size: SigLIP sizes
            (1152, 27, 16, 4304, 14).
    """

    depth: int | None = None
    head_dim: int | None = None
    vlm_width: int | None = None
    vlm_mlp_dim: int | None = None
    expert_width: int | None = None
    expert_mlp_dim: int | None = None
    vocab_size: int | None = None
    vision_width: int | None = None
    vision_depth: int | None = None
    vision_heads: int | None = None
    vision_mlp_dim: int | None = None
    patch_size: int | None = None

    def gemma_configs(self, vlm_variant: str, expert_variant: str) -> tuple[GemmaConfig, GemmaConfig]:
        """LeRobot's Gemma configs of the two variants with the width/depth overrides applied."""
        vlm, expert = get_gemma_config(vlm_variant), get_gemma_config(expert_variant)
        for config, width, mlp_dim in (
            (vlm, self.vlm_width, self.vlm_mlp_dim),
            (expert, self.expert_width, self.expert_mlp_dim),
        ):
            config.width = width or config.width
            config.mlp_dim = mlp_dim or config.mlp_dim
            config.depth = self.depth or config.depth
            config.head_dim = self.head_dim or config.head_dim
        return vlm, expert


class SizedPaliGemmaWithExpert(PaliGemmaWithExpertModel):
    """LeRobot's `PaliGemmaWithExpertModel` with the vision tower and vocabulary sized by `PI0ModelSize`."""

    def __init__(
        self,
        vlm_config: GemmaConfig,
        action_expert_config: GemmaConfig,
        use_adarms: list[bool] | None = None,
        precision: str = "bfloat16",
        image_size: int = 224,
        freeze_vision_encoder: bool = False,
        train_expert_only: bool = False,
        *,
        size: PI0ModelSize | None = None,
    ):
        nn.Module.__init__(self)
        size = size or PI0ModelSize()
        with torch.device("meta"):  # LeRobot's own HF configs, built without allocating weights
            reference = PaliGemmaWithExpertModel(
                vlm_config, action_expert_config, use_adarms, "float32", image_size
            )
        vlm_hf = copy.deepcopy(reference.paligemma.config)
        expert_hf = copy.deepcopy(reference.gemma_expert.config)
        vision = vlm_hf.vision_config
        vision.hidden_size = size.vision_width or vision.hidden_size
        vision.num_hidden_layers = size.vision_depth or vision.num_hidden_layers
        vision.num_attention_heads = size.vision_heads or vision.num_attention_heads
        vision.intermediate_size = size.vision_mlp_dim or vision.intermediate_size
        vision.patch_size = size.patch_size or vision.patch_size
        vision.projection_dim = vlm_hf.projection_dim = vlm_hf.hidden_size = vlm_config.width
        vlm_hf.text_config.num_image_tokens = (image_size // vision.patch_size) ** 2
        if size.vocab_size is not None:
            for config in (vlm_hf, vlm_hf.text_config, vision, expert_hf):
                config.vocab_size = size.vocab_size
            vlm_hf._vocab_size = vlm_hf.image_token_index = size.vocab_size  # noqa: SLF001

        self.freeze_vision_encoder = freeze_vision_encoder
        self.train_expert_only = train_expert_only
        self.paligemma = PaliGemmaForConditionalGenerationWithPiGemma(config=vlm_hf)
        self.gemma_expert = PiGemmaForCausalLM(config=expert_hf)
        self.gemma_expert.model.embed_tokens = None
        self.to_bfloat16_for_selected_params(precision)
        self._set_requires_grad()


def sized_stacks(config) -> dict[str, object]:
    """`get_gemma_config` and `PaliGemmaWithExpertModel` for LeRobot's `PI0Pytorch.__init__` (or
    `PI05Pytorch.__init__`), to bind with `lerobot_init`: the two stacks at `config.model_size`.

    LeRobot asks for the VLM's config, then the expert's; the variants may have the same name.
    Raises a ValueError for non-square images, which PaliGemma's vision tower cannot take.
    """
    if config.image_resolution[0] != config.image_resolution[1]:
        raise ValueError(
            f"PaliGemma expects square images, got image_resolution={config.image_resolution}. Set "
            "--policy.image_resolution to one size twice, e.g. '[224, 224]'."
        )
    size, vlm_variant, expert_variant = (
        config.model_size,
        config.paligemma_variant,
        config.action_expert_variant,
    )
    vlm, expert = size.gemma_configs(vlm_variant, expert_variant)
    asked = iter([(vlm_variant, vlm), (expert_variant, expert)])

    def sized_gemma_config(variant: str) -> GemmaConfig:
        expected, config = next(asked, (None, None))
        if variant != expected:
            raise RuntimeError(
                f"LeRobot's π0 asked for the Gemma config of {variant!r}, expected {expected!r} (the "
                "VLM's, then the action expert's): update lerobot_torque/policies/pi0_torque/model_size.py."
            )
        return config

    return {
        "get_gemma_config": sized_gemma_config,
        "PaliGemmaWithExpertModel": functools.partial(SizedPaliGemmaWithExpert, size=size),
    }


@contextmanager
def lerobot_pi0_at_size(
    size: PI0ModelSize,
    vlm_variant: str = "gemma_2b",
    expert_variant: str = "gemma_300m",
    module: ModuleType = modeling_pi0,
) -> Iterator[None]:
    """Inside the block, LeRobot's `PI0Policy` (`PI05Policy` with `module=modeling_pi05`) builds at `size`.

    For side-by-side baselines (benchmarks/) and plain-π0/π0.5 test checkpoints: it swaps the two
    module-level builders `PI0Pytorch.__init__` (`PI05Pytorch.__init__`) calls, and restores them on
    exit. lerobot/policies/pi05/modeling_pi05.py's `PaliGemmaWithExpertModel` is a copy of π0's (same
    layers, same forward), so the sized π0 class stands in for it.
    """
    if vlm_variant == expert_variant:
        raise ValueError("The two π0 stacks need different variant names to be sized apart.")
    vlm, expert = size.gemma_configs(vlm_variant, expert_variant)
    originals = module.get_gemma_config, module.PaliGemmaWithExpertModel
    module.get_gemma_config = {vlm_variant: vlm, expert_variant: expert}.__getitem__
    module.PaliGemmaWithExpertModel = functools.partial(SizedPaliGemmaWithExpert, size=size)
    try:
        yield
    finally:
        module.get_gemma_config, module.PaliGemmaWithExpertModel = originals
