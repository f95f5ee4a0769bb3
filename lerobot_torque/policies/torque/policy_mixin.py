"""What every torque policy does around its base policy: read effort for training, keep it live.

Mixed into every torque policy before the LeRobot base class. A policy is built by its base's own
`__init__` with the torque network in place of LeRobot's (`lerobot_init`), so a policy class states
only `base_policy_class` and `network_replacements`. Built for training (with dataset metadata), a
policy checks the dataset's effort frame by frame (`effort_data_checks`); at inference it watches
live effort for values far outside the training distribution (`live_effort_check`).
"""

import builtins
import logging
from pathlib import Path
from typing import ClassVar

import torch
from torch import Tensor

from lerobot.configs import NormalizationMode, PreTrainedConfig
from lerobot.policies.pretrained import PreTrainedPolicy, T

from lerobot_torque.constants import OBS_EFFORT_HISTORY
from lerobot_torque.policies.torque.configuration_torque import EffortAblation
from lerobot_torque.policies.torque.effort_data_checks import check_dataset_effort
from lerobot_torque.policies.torque.effort_inputs import (
    EffortHistory,
    EffortInputs,
    batch_without_effort,
    has_history_window,
    read_effort_inputs,
)
from lerobot_torque.policies.torque.lerobot_init import lerobot_init
from lerobot_torque.policies.torque.live_effort_check import LiveEffortCheck
from lerobot_torque.policies.torque.model_card import TorqueModelCardMixin
from lerobot_torque.policies.torque.modeling_torque import zero_padded_mean

logger = logging.getLogger(__name__)

# How to get the effort window into training batches.
WINDOW_FIX = (
    "Train with `lerobot-train` (lerobot_torque adds the effort window to LeRobot's datasets; a "
    "warning at start-up says when that failed), or give LeRobotDataset "
    "delta_timestamps={key: [offset / fps for offset in offsets]} with "
    "(key, offsets) = config.effort_window() after config.bind(dataset.meta)."
)


class TorquePolicyMixin(TorqueModelCardMixin):
    """Effort handling shared by the torque policies (the config has a `torque: TorqueConfig`), and
    their Hub model card (model_card.py).

    A policy class names LeRobot's policy it extends (`base_policy_class`, also listed after this
    mixin in its bases) and the module-level names whose classes that policy's `__init__` builds,
    mapped to the torque ones (`network_replacements`, see `lerobot_init`); `select_action` keeps
    the effort history between calls.
    """

    base_policy_class: ClassVar[builtins.type[PreTrainedPolicy]]
    network_replacements: ClassVar[dict[str, object]]
    strict_loading: ClassVar[bool] = False  # `from_pretrained`'s default `strict`, LeRobot's

    def __init__(self, config, dataset_meta=None, **kwargs):
        """Bind to the training data (`bind_to_training_data`), then run the base's own `__init__`."""
        self.bind_to_training_data(config, dataset_meta)
        lerobot_init(self.base_policy_class.__init__, **self.network_replacements)(self, config, **kwargs)

    def reset(self) -> None:
        """The base's reset (action queues, ensembling), then a new effort history."""
        super().reset()
        self.reset_effort_history()

    @torch.no_grad()
    def select_action(self, batch: dict[str, Tensor], *args, **kwargs) -> Tensor:
        """The base's `select_action` (and its arguments) on the batch with this step's effort history."""
        return super().select_action(self.live_batch(batch), *args, **kwargs)

    @classmethod
    def from_pretrained(
        cls: builtins.type[T],
        pretrained_name_or_path: str | Path,
        *,
        config: PreTrainedConfig | None = None,
        force_download: bool = False,
        resume_download: bool | None = None,
        proxies: dict | None = None,
        token: str | bool | None = None,
        cache_dir: str | Path | None = None,
        local_files_only: bool = False,
        revision: str | None = None,
        strict: bool | None = None,
        **kwargs,
    ) -> T:
        """Load a checkpoint of this policy (`load_checkpoint`) once its config is known to be this policy's.

        A checkpoint of another type raises with how to start from it (`check_checkpoint_config`).
        `strict=None` is the policy's `strict_loading`.
        """
        hub = {
            "force_download": force_download,
            "proxies": proxies,
            "token": token,
            "cache_dir": cache_dir,
            "local_files_only": local_files_only,
            "revision": revision,
        }
        if config is None:
            config = PreTrainedConfig.from_pretrained(
                pretrained_name_or_path, resume_download=resume_download, **hub, **kwargs
            )
        cls.check_checkpoint_config(config, pretrained_name_or_path)
        strict = cls.strict_loading if strict is None else strict
        return cls.load_checkpoint(pretrained_name_or_path, config, hub, resume_download, strict, **kwargs)

    @classmethod
    def load_checkpoint(cls, path: str | Path, config, hub: dict, resume_download, strict: bool, **kwargs):
        """The policy with the checkpoint's weights: LeRobot's `PreTrainedPolicy.from_pretrained`."""
        return super().from_pretrained(
            path,
            config=config,
            resume_download=resume_download,
            strict=strict,
            **hub,
            **kwargs,
        )

    @staticmethod
    def bind_to_training_data(config, dataset_meta) -> None:
        """Bind `config` to the data it will be trained on (`config.bind`) and check that data's effort.

        Called first in the policy's `__init__`, with the `dataset_meta` LeRobot's `make_policy`
        passes for training and fine-tuning; a policy loaded for inference gets None and is left as is.
        """
        if dataset_meta is None:
            return
        layout = config.bind(dataset_meta)
        if layout is not None and config.torque.enabled:
            check_dataset_effort(dataset_meta, layout)

    @classmethod
    def check_checkpoint_config(cls, config, pretrained_name_or_path) -> None:
        """Raise a ValueError unless `config`, read from a checkpoint, is this policy's own.

        A checkpoint of the base policy (act, pi0) has no torque settings; it starts a torque policy
        through `--policy.pretrained_path`, where the torque config comes from the command line.
        """
        if isinstance(config, cls.config_class):
            return
        path, name = pretrained_name_or_path, cls.name
        raise ValueError(
            f"{path} holds a '{config.type}' policy, not {name}. To start {name} from its weights use "
            f"--policy.type={name} --policy.pretrained_path={path} "
            f"(in Python: {cls.__name__}.from_pretrained(path, config={cls.config_class.__name__}(...)))."
        )

    def reset_effort_history(self) -> None:
        """Start a new episode: an empty effort history and a new run of the live effort check."""
        torque = self.config.torque
        self._effort_history = (
            EffortHistory(torque.history_offsets(), torque.effort_ablation) if torque.layout else None
        )
        check = getattr(self, "_live_effort_check", None)
        if check is not None:
            check.reset()
        elif torque.layout is not None and self._effort_is_normalised():
            self._live_effort_check = LiveEffortCheck(
                torque.layout.names, torque.ood_effort_z, torque.ood_effort_steps, torque.ood_effort_response
            )
        else:
            self._live_effort_check = None

    def _effort_is_normalised(self) -> bool:
        """Whether effort reaches the policy normalised (the live check is meaningless on raw values)."""
        mode = self.config.normalization_mapping.get("STATE", NormalizationMode.IDENTITY)
        return mode is not NormalizationMode.IDENTITY

    def training_inputs(self, batch: dict) -> tuple[dict, EffortInputs | None]:
        """The batch the model reads (`EffortInputs.model_batch`) and the effort split from it."""
        torque = self.config.torque
        if torque.layout is None:
            return batch_without_effort(batch), None
        values = batch.get(torque.layout.key)
        windowed = torque.history_window_length > 1 or torque.predict_future_effort
        if windowed and values is not None and values.ndim < 3:
            raise ValueError(
                f"The training batch holds one frame of '{torque.layout.key}' per sample "
                f"{tuple(values.shape)}, not the effort window at offsets "
                f"{torque.window_offsets(self.config.chunk_size)} this policy reads. " + WINDOW_FIX
            )
        effort = read_effort_inputs(batch, torque)
        if torque.predict_future_effort and effort.future is None:
            raise ValueError(
                "predict_future_effort is on but the batch has no future effort frames. " + WINDOW_FIX
            )
        return effort.model_batch(batch), effort

    def live_batch(self, batch: dict) -> dict:
        """The batch the model reads at inference (`EffortInputs.model_batch`).

        One live frame is added to the policy's own history (one call per control step). A batch
        that already carries the whole history window (`has_history_window`; our async robot
        client sends it) is used as is and leaves the policy's history untouched. A batch that
        already holds the model's effort history (LeRobot's `select_action` hands it on to
        `predict_action_chunk`) is returned unchanged.
        """
        if OBS_EFFORT_HISTORY in batch:
            return batch
        if self._effort_history is None:
            return batch_without_effort(batch)
        torque = self.config.torque
        supplied = has_history_window(batch, torque)
        effort = read_effort_inputs(batch, torque)
        if self._live_effort_check is not None:
            effort.history = self._live_effort_check.observe(effort.history)
        if not supplied:
            effort.history, effort.history_is_pad = self._effort_history.push(effort.history[:, -1])
        elif torque.effort_ablation is EffortAblation.ZERO:
            effort.history = torch.zeros_like(effort.history)
        elif torque.effort_ablation is EffortAblation.SHUFFLE:
            raise NotImplementedError(
                "torque.effort_ablation=shuffle draws from the whole episode, which a supplied history "
                "window does not carry. Run the ablation where the policy keeps its own history "
                "(lerobot-eval, lerobot-rollout), or use effort_ablation=zero."
            )
        return effort.model_batch(batch)

    def supports_rtc(self) -> bool:
        """The base's RTC support, without a per-step effort history.

        RTC (lerobot/policies/rtc/) calls `predict_action_chunk` once per chunk, so a history of
        one frame per control step cannot be kept; the current frame alone works.
        """
        if not super().supports_rtc():
            return False
        frames = self.config.torque.history_window_length
        if frames == 1:
            return True
        logger.warning(
            "%s reads an effort history of %d frames (torque.history_mode=%s), but RTC calls the policy "
            "once per chunk, so no per-step history can be kept. RTC works with "
            "--policy.torque.history_mode=current or --policy.torque.use_effort_input=false; otherwise use "
            "--inference.type=sync.",
            self.name,
            frames,
            self.config.torque.history_mode.value,
        )
        return False

    def future_effort_loss(self, errors: Tensor, effort: EffortInputs) -> Tensor:
        """Mean of per-element errors (B, F, D), frames past the episode end counted as zero."""
        return zero_padded_mean(errors, effort.future_is_pad)
