"""`pi0_torque`: LeRobot's π0 with the paper's whole torque design space (paper §4-5)."""

from dataclasses import dataclass, field

from lerobot.configs import PreTrainedConfig
from lerobot.policies.pi0.configuration_pi0 import PI0Config

from lerobot_torque.policies.pi0_torque.model_size import PI0ModelSize
from lerobot_torque.policies.torque import TorqueConfig
from lerobot_torque.policies.torque.configuration_vla import (
    EffortPlacement,
    FutureEffortPlacement,
    VLATorqueConfigMixin,
)

PALIGEMMA_TOKENIZER = "google/paligemma-3b-pt-224"  # hard-coded in lerobot/policies/pi0/processor_pi0.py


@PreTrainedConfig.register_subclass("pi0_torque")
@dataclass
class PI0TorqueConfig(VLATorqueConfigMixin, PI0Config):
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
