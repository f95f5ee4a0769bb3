"""The word-level prompt tokenizer that lets π0 train from scratch without the Hub."""

from transformers import AutoTokenizer

from lerobot_torque.policies.pi0_torque.word_tokenizer import (
    SPECIAL_TOKENS,
    save_dataset_tokenizer,
    save_word_tokenizer,
    words_of,
)

TORQUE_PRESS_TASK = "Press the button until its force is in the target band and hold it there."


def test_words_are_split_on_whitespace_and_punctuation_in_order_of_first_appearance():
    assert words_of(["Press the button.", "the end\n"]) == ["Press", "the", "button", ".", "end"]


def test_the_saved_tokenizer_loads_with_autotokenizer_and_pads_like_pi0s_processor(tmp_path):
    words = words_of([TORQUE_PRESS_TASK])
    assert save_word_tokenizer(words, tmp_path) == len(SPECIAL_TOKENS) + 15  # 15 distinct of 16 tokens
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    encoded = tokenizer(TORQUE_PRESS_TASK + "\n", max_length=18, padding="max_length", truncation=True)
    vocabulary = {word: len(SPECIAL_TOKENS) + i for i, word in enumerate(words)}
    expected = [vocabulary[w] for w in TORQUE_PRESS_TASK.replace(".", " .").split()]
    assert encoded["input_ids"] == expected + [tokenizer.pad_token_id] * 2 and tokenizer.pad_token_id == 0
    assert encoded["attention_mask"] == [1] * 16 + [0] * 2
    assert tokenizer("Press harder")["input_ids"] == [vocabulary["Press"], tokenizer.unk_token_id]


def test_a_datasets_tokenizer_covers_its_task_prompts(synthetic_datasets, tmp_path):
    size = save_dataset_tokenizer(synthetic_datasets["feature"], tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    assert size == len(SPECIAL_TOKENS) + 5  # "press until it pushes back"
    assert tokenizer.unk_token_id not in tokenizer("press until it pushes back")["input_ids"]
