"""A word-level tokenizer built from a dataset's task prompts, for a π0 trained from scratch offline.

π0's prompts go through PaliGemma's SentencePiece tokenizer (`google/paligemma-3b-pt-224`, 257k
tokens, a Hub download). A π0 trained from scratch on a handful of task strings needs only their
words. `save_word_tokenizer` writes a Hugging Face fast tokenizer — the format
`AutoTokenizer.from_pretrained`, hence LeRobot's `TokenizerProcessorStep`, loads — whose vocabulary is
four special tokens (`<pad>` = 0, `<eos>`, `<bos>`, `<unk>`) followed by the words in order of first
appearance. Words are split as the `tokenizers` `Whitespace` pre-tokenizer does (`\\w+|[^\\w\\s]+`), so
the newline π0's processor appends is dropped; a word outside the vocabulary becomes `<unk>`.

Use the folder as `--policy.tokenizer_name=<folder>` with `--policy.model_size.vocab_size` at least
the size `save_word_tokenizer` returns. Left out: sub-word pieces, lower-casing, added BOS/EOS tokens.
"""

from collections.abc import Iterable
from pathlib import Path

SPECIAL_TOKENS = ("<pad>", "<eos>", "<bos>", "<unk>")


def words_of(texts: Iterable[str]) -> list[str]:
    """The distinct words of `texts`, in order of first appearance."""
    from tokenizers.pre_tokenizers import Whitespace

    split = Whitespace()
    words: dict[str, None] = {}
    for text in texts:
        for word, _ in split.pre_tokenize_str(text):
            words.setdefault(word, None)
    return list(words)


def save_word_tokenizer(
    words: Iterable[str], path: Path, *, extra_special_tokens: dict[str, str] | None = None
) -> int:
    """Write a word-level tokenizer of `words` (after the special tokens) to `path`; its vocabulary size.

    `extra_special_tokens` (attribute name → token, e.g. SmolVLM's `image_token` → `<image>`) come
    right after the four special tokens; the loaded tokenizer has `<name>` and `<name>_id` attributes.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    extra = extra_special_tokens or {}
    vocab: dict[str, int] = {}
    for token in (*SPECIAL_TOKENS, *extra.values(), *words):
        vocab.setdefault(token, len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    pad, eos, bos, unk = SPECIAL_TOKENS
    special = {"extra_special_tokens": extra} if extra else {}
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token=pad, eos_token=eos, bos_token=bos, unk_token=unk, **special
    ).save_pretrained(path)
    return len(vocab)


def save_dataset_tokenizer(dataset_root: Path, path: Path) -> int:
    """A word-level tokenizer of every task prompt of the LeRobotDataset at `dataset_root`."""
    from lerobot.datasets.io_utils import load_tasks

    return save_word_tokenizer(words_of(load_tasks(Path(dataset_root)).index.astype(str)), path)
