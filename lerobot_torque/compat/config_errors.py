"""Config validation messages reach the terminal of `lerobot-train`, `lerobot-eval` and `lerobot-rollout`.

LeRobot's CLIs parse their configs with draccus (`lerobot/configs/parser.py: wrap`), which prints a
`DecodingError` as `error: <message>` and exits with 1. draccus 0.11's `decode_dataclass`
(`draccus/parsers/decoding.py`) builds each dataclass, and when its `__init__`/`__post_init__` raises
a `TypeError` or `ValueError` (every config check, ours and LeRobot's) it replaces the message by
`ParsingError("Couldn't instantiate class X using the given arguments.")`: the user sees no reason.
Its `decode_enum` lets a `KeyError: 'foo'` through for an unknown enum value, without the valid values.
And LeRobot's `PreTrainedConfig.from_pretrained` (`lerobot/configs/policies.py`) reads `config.json`
with `json.load`, whose error on a truncated file does not say which file.

`install()` wraps the three, for every class (ours and LeRobot's, e.g. ACT's `n_action_steps` check):
- `decode_dataclass`: that `ParsingError` becomes a `DecodingError` at the config's path whose
  message is the original error's (`raise ... from` it). `DecodingError` subclasses `ParsingError`,
  so code catching the latter still does; anything else passes unchanged.
- `decode_enum`: an unknown value raises a `DecodingError` listing the enum's valid values.
- `PreTrainedConfig.from_pretrained`: a `JSONDecodeError` becomes a ValueError naming the file.

draccus looks its two functions up in its module when it builds a decoder (`get_decoding_fn`, cached:
the cache is cleared) and `decode_choice_class` calls `decode_dataclass` by name, so rebinding the
module attributes reaches every decode. What this relies on is named in `PATCHED` and
`INSTANTIATION_MESSAGE`; `install()` checks it, and `tests/test_config_errors.py` fails loudly when
draccus or LeRobot change it. Plugin discovery installs it (`lerobot_torque/__init__.py`): LeRobot's
CLIs run discovery before they parse.
"""

import json
import logging
from enum import Enum
from pathlib import Path

from draccus.parsers import decoding
from draccus.utils import DecodingError, ParsingError
from huggingface_hub import try_to_load_from_cache
from huggingface_hub.constants import CONFIG_NAME

from lerobot.configs.policies import PreTrainedConfig

from lerobot_torque.compat.patching import check_parameters, marked_wrapper

logger = logging.getLogger(__name__)

DECODING_MODULE = "draccus.parsers.decoding"
CONFIG_FROM_PRETRAINED = "lerobot.configs.policies.PreTrainedConfig.from_pretrained"
# name → its parameters in draccus 0.11.6 and LeRobot 0.6.1: wrapped…
PATCHED = {
    f"{DECODING_MODULE}.decode_dataclass": ("cls", "d", "path"),
    f"{DECODING_MODULE}.decode_enum": ("cls", "raw_value", "path"),
    CONFIG_FROM_PRETRAINED: (
        "cls",
        "pretrained_name_or_path",
        "force_download",
        "resume_download",
        "proxies",
        "token",
        "cache_dir",
        "local_files_only",
        "revision",
        "policy_kwargs",
    ),
}
# …and used: its cache holds decoders built from the unwrapped functions.
RELIED_ON = {f"{DECODING_MODULE}.get_decoding_fn": ("cls",)}
# The start of the message `decode_dataclass` replaces a TypeError/ValueError of the class with.
INSTANTIATION_MESSAGE = "Couldn't instantiate class "
_MARK = "_lerobot_torque_config_errors"


def enum_values(enum_class: type[Enum]) -> list:
    """The values a command line may give for `enum_class`."""
    return [member.value for member in enum_class]


def _decode_dataclass(original, cls, d, path=()):
    try:
        return original(cls, d, path)
    except DecodingError:
        raise
    except ParsingError as error:
        cause = error.__cause__
        if not (str(error).startswith(INSTANTIATION_MESSAGE) and isinstance(cause, TypeError | ValueError)):
            raise
        raise DecodingError(tuple(path), str(cause)) from cause


def _decode_enum(original, cls, raw_value, path):
    try:
        return original(cls, raw_value, path)
    except (KeyError, ValueError, DecodingError) as error:
        raise DecodingError(
            tuple(path), f"{raw_value!r} is not a valid {cls.__name__}; choose one of {enum_values(cls)}."
        ) from error


def config_file_of(pretrained_name_or_path, cache_dir=None, revision=None) -> str:
    """Where `PreTrainedConfig.from_pretrained` read `config.json`: the directory's or the Hub cache's."""
    if Path(pretrained_name_or_path).is_dir():
        return str(Path(pretrained_name_or_path) / CONFIG_NAME)
    try:
        cached = try_to_load_from_cache(
            str(pretrained_name_or_path), CONFIG_NAME, cache_dir=cache_dir, revision=revision
        )
    except ValueError:  # not a valid Hub id
        cached = None
    return cached if isinstance(cached, str) else f"{CONFIG_NAME} of {pretrained_name_or_path}"


def _config_from_pretrained(original, cls, pretrained_name_or_path, *args, **kwargs):
    try:
        return original(cls, pretrained_name_or_path, *args, **kwargs)
    except json.JSONDecodeError as error:
        path = config_file_of(pretrained_name_or_path, kwargs.get("cache_dir"), kwargs.get("revision"))
        raise ValueError(
            f"{path} is not valid JSON ({error}): it is truncated (an interrupted save, copy or download) "
            "or was edited by hand. Copy the checkpoint again, or use another one (e.g. another "
            "`checkpoints/<step>/pretrained_model` of the training run)."
        ) from error


def _check_signatures() -> None:
    check_parameters(
        {**PATCHED, **RELIED_ON},
        "draccus 0.11.6 and LeRobot 0.6.1",
        "Install lerobot>=0.6.1,<0.7 with the draccus it pins, or update "
        "lerobot_torque/compat/config_errors.py.",
    )


def _wrapper(original, body):
    return marked_wrapper(original, body, _MARK)


def installed() -> bool:
    return getattr(decoding.decode_dataclass, _MARK, False)


def install() -> None:
    """Wrap the three functions once per process; a no-op when installed.

    Raises a RuntimeError naming this file if draccus or LeRobot changed them.
    """
    if installed():
        return
    _check_signatures()
    decoding.decode_dataclass = _wrapper(decoding.decode_dataclass, _decode_dataclass)
    decoding.decode_enum = _wrapper(decoding.decode_enum, _decode_enum)
    decoding.get_decoding_fn.cache_clear()  # decoders built before hold the unwrapped functions
    from_pretrained = PreTrainedConfig.__dict__["from_pretrained"].__func__
    PreTrainedConfig.from_pretrained = classmethod(_wrapper(from_pretrained, _config_from_pretrained))
