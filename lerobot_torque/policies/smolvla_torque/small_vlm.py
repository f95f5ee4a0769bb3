"""A SmolVLM2 folder of any size, for SmolVLA at a CPU size with no Hub download.

LeRobot 0.6.1's SmolVLA builds its VLM from a Hugging Face folder or Hub id,
`--policy.vlm_model_name` (lerobot/policies/smolvla/smolvlm_with_expert.py: `AutoConfig` and
`AutoProcessor`, plus the weights with `load_vlm_weights`), and tokenises its prompts with that
folder's tokenizer (processor_smolvla.py). `save_small_smolvlm` writes such a folder with
transformers' own classes: a `SmolVLMConfig` (a Llama text model, a SigLIP-style vision tower and
the pixel-shuffle connector) at the sizes of `SmolVLMSize`, a `SmolVLMProcessor`, and a word-level
tokenizer of the given prompt words (`pi0_torque/word_tokenizer.py`) that carries SmolVLM's image
tokens (SmolVLA reads `fake_image_token_id` and `global_image_token_id`). LeRobot's loading code then
runs unchanged on it. Left out: weights (SmolVLA starts from random VLM weights unless
`load_vlm_weights`), a chat template, video.
"""

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lerobot_torque.policies.pi0_torque.word_tokenizer import save_word_tokenizer, words_of

# SmolVLM's special tokens (transformers `processing_smolvlm.py` defaults), attribute → token.
SMOLVLM_SPECIAL_TOKENS = {
    "fake_image_token": "<fake_token_around_image>",
    "global_image_token": "<global-img>",
    "image_token": "<image>",
    "end_of_utterance_token": "<end_of_utterance>",
}


@dataclass(frozen=True)
class SmolVLMSize:
    """Sizes of a SmolVLM2 (transformers `SmolVLMConfig` and its `SmolVLMVisionConfig`).

    Args:
        text_width, text_depth, text_heads, text_kv_heads, text_head_dim, text_mlp_dim: The Llama text
            model; SmolVLA's action expert copies it at `expert_width_multiplier` × the width.
        vision_width, vision_depth, vision_heads, vision_mlp_dim: The vision tower.
        image_size, patch_size: Pixels per side of the tower's input (set SmolVLA's
            `resize_imgs_with_padding` to the same) and per patch.
        scale_factor: The connector's pixel shuffle: (image_size/patch_size)² / scale_factor² image tokens.
        vocab_size: Token embeddings; at least the tokenizer's size.
    """

    text_width: int
    text_depth: int
    text_heads: int
    text_kv_heads: int
    text_head_dim: int
    text_mlp_dim: int
    vision_width: int
    vision_depth: int
    vision_heads: int
    vision_mlp_dim: int
    image_size: int
    patch_size: int
    scale_factor: int
    vocab_size: int

    @property
    def image_tokens(self) -> int:
        return (self.image_size // self.patch_size) ** 2 // self.scale_factor**2


def save_small_smolvlm(path: Path, words: Iterable[str], size: SmolVLMSize) -> int:
    """Write a SmolVLM2 config, processor and word-level tokenizer of `words` to `path`.

    Written to a sibling folder first and renamed, so `path` is either absent (or empty) or complete.
    Returns the tokenizer's size; raises a ValueError if `size.vocab_size` does not cover it.
    """
    from transformers import (
        AutoTokenizer,
        LlamaConfig,
        SmolVLMConfig,
        SmolVLMImageProcessor,
        SmolVLMProcessor,
        SmolVLMVideoProcessor,
    )
    from transformers.models.smolvlm.configuration_smolvlm import SmolVLMVisionConfig

    path = Path(path)
    partial = path.with_name(path.name + ".incomplete")
    shutil.rmtree(partial, ignore_errors=True)
    tokens = save_word_tokenizer(words, partial, extra_special_tokens=SMOLVLM_SPECIAL_TOKENS)
    if size.vocab_size < tokens:
        shutil.rmtree(partial)
        raise ValueError(
            f"The prompt tokenizer has {tokens} tokens but SmolVLMSize.vocab_size is {size.vocab_size}; "
            f"raise vocab_size to at least {tokens}."
        )
    tokenizer = AutoTokenizer.from_pretrained(partial)
    text = LlamaConfig(
        hidden_size=size.text_width,
        num_hidden_layers=size.text_depth,
        num_attention_heads=size.text_heads,
        num_key_value_heads=size.text_kv_heads,
        head_dim=size.text_head_dim,
        intermediate_size=size.text_mlp_dim,
        vocab_size=size.vocab_size,
        pad_token_id=tokenizer.pad_token_id,
        rms_norm_eps=1e-5,
    )
    vision = SmolVLMVisionConfig(
        hidden_size=size.vision_width,
        num_hidden_layers=size.vision_depth,
        num_attention_heads=size.vision_heads,
        intermediate_size=size.vision_mlp_dim,
        image_size=size.image_size,
        patch_size=size.patch_size,
    )
    SmolVLMConfig(
        text_config=text.to_dict(),
        vision_config=vision.to_dict(),
        scale_factor=size.scale_factor,
        image_token_id=tokenizer.convert_tokens_to_ids(SMOLVLM_SPECIAL_TOKENS["image_token"]),
        pad_token_id=tokenizer.pad_token_id,
    ).save_pretrained(partial)
    edge = {"longest_edge": size.image_size}
    SmolVLMProcessor(
        image_processor=SmolVLMImageProcessor(size=edge, max_image_size=edge),
        tokenizer=tokenizer,
        video_processor=SmolVLMVideoProcessor(),
        image_seq_len=size.image_tokens,
    ).save_pretrained(partial)
    if path.exists():
        path.rmdir()  # an empty folder (e.g. a Hub-cache snapshot) is replaced; a full one raises
    partial.rename(path)
    return tokens


def save_dataset_smolvlm(dataset_root: Path, path: Path, size: SmolVLMSize) -> int:
    """`save_small_smolvlm` with the words of every task prompt of the LeRobotDataset at `dataset_root`."""
    from lerobot.datasets.io_utils import load_tasks

    return save_small_smolvlm(path, words_of(load_tasks(Path(dataset_root)).index.astype(str)), size)
