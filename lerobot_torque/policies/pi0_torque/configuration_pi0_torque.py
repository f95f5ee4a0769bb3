"""`pi0_torque`: LeRobot's π0 with the paper's whole torque design space (paper §4-5)."""

from dataclasses import dataclass, field
from enum import StrEnum

from lerobot.configs import PreTrainedConfig
from lerobot.policies.pi0.configuration_pi0 import PI0Config

from lerobot_torque.policies.pi0_torque.model_size import PI0ModelSize
from lerobot_torque.policies.torque import HistoryMode, TorqueConfig, TorquePolicyConfigMixin

PALIGEMMA_TOKENIZER = "google/paligemma-3b-pt-224"  # hard-coded in lerobot/policies/pi0/processor_pi0.py


class EffortPlacement(StrEnum):
    """Where the effort enters π0 (paper §4.1, Figure 2, Table 1)."""

    ENCODER = "encoder"  # "Enc": one adapter token appended to the VLM prefix (width of the VLM)
    DECODER_PRE = "decoder_pre"  # "DePre": effort written into the zero-padded dims of the 32-d state
    DECODER_POST = "decoder_post"  # "DePost": adapter token before the state token in the action expert


class FutureEffortPlacement(StrEnum):
    """Where predicted future effort lives in the flow vector (paper §5, appendix A.5)."""

    WIDEN = "widen"  # the paper: action in/out projections widened by the effort dims
    PADDING = "padding"  # in π0's unused padded action dims; keeps pi0_base's weight shapes


@PreTrainedConfig.register_subclass("pi0_torque")
@dataclass
class PI0TorqueConfig(TorquePolicyConfigMixin, PI0Config):
    """π0 (all of `PI0Config`'s fields and defaults, i.e. `pi0_base`) plus joint effort.

    The paper's final model ("π0+obs+obj", §6.2) is the default: the effort history as one
    decoder token (DePost, §4.1-4.2) and future effort predicted in the same flow as the actions
    with β = 0.1 (§5, A.6.2).

    Args:
        torque: The shared torque settings (`--policy.torque.*`), see `TorqueConfig`.
        effort_placement: `encoder`, `decoder_pre` or `decoder_post` (paper §4.1). Default
            `decoder_post`, the paper's choice (Tables 1 and 3). `decoder_pre` writes the current
            frame into the last effort-dim entries of the padded state (TA-VLA `models/model.py`), so
            it needs `torque.history_mode=current` and state dim + effort dim <= `max_state_dim`.
        future_effort_placement: `widen` (paper A.5: projections widened, pretrained rows copied, new
            ones initialised small) or `padding` (this port: future effort in the padded action dims
            when action dim + effort dim <= `max_action_dim`, keeping `pi0_base`'s shapes).
        tokenizer_name: Tokenizer of the language prompt. Default PaliGemma's, as LeRobot's π0
            (lerobot/policies/pi0/processor_pi0.py); any local path or Hub id works.
        model_size: Width/depth overrides for tests and small experiments; empty keeps `pi0_base`.
    """

    torque: TorqueConfig = field(default_factory=TorqueConfig)
    effort_placement: EffortPlacement = EffortPlacement.DECODER_POST
    future_effort_placement: FutureEffortPlacement = FutureEffortPlacement.WIDEN
    tokenizer_name: str = PALIGEMMA_TOKENIZER
    model_size: PI0ModelSize = field(default_factory=PI0ModelSize)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.effort_placement = EffortPlacement(self.effort_placement)
        self.future_effort_placement = FutureEffortPlacement(self.future_effort_placement)
        decoder_pre = self.effort_placement is EffortPlacement.DECODER_PRE and self.torque.use_effort_input
        if decoder_pre and self.torque.history_mode is not HistoryMode.CURRENT:
            raise NotImplementedError(
                "effort_placement=decoder_pre writes the current effort frame into the padded state "
                "(paper §4.1); a history does not fit there. Use --policy.torque.history_mode=current, "
                "or effort_placement=decoder_post / encoder for a history."
            )
        self.install_dataset_windows()

    @property
    def effort_token_width_is_vlm(self) -> bool:
        """Encoder tokens live in the VLM (width 2048 in pi0_base), decoder tokens in the expert."""
        return self.effort_placement is EffortPlacement.ENCODER

    @property
    def uses_effort_tokens(self) -> bool:
        return self.torque.use_effort_input and self.effort_placement is not EffortPlacement.DECODER_PRE
