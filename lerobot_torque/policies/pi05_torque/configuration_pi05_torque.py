"""`pi05_torque`: LeRobot's π0.5 with the paper's torque design space (paper §4-5).

Where effort goes. π0.5 has no state token: its processor normalises the state, discretises it into
256 bins and writes the numbers into the prompt, "Task: …, State: 12 200 …;\nAction: "
(lerobot/policies/pi05/processor_pi05.py, openpi `PaligemmaTokenizer`). We keep effort continuous by
default, as in the paper's final model: the history through the adapter into one action-expert token
(`decoder_post`). Reasons: the paper's best rows are decoder tokens (Tables 1, 3, 5); a 2 s history
as text would be H·D numbers of several tokens each, every control step; 256 bins are coarse for a
contact signal; and the knowledge-insulation recipe, which formalises π0.5's training, works with
text and continuous state alike (that paper's appendix C, Figure 10). The text alternative is a
switch: `effort_placement=prompt` appends the current effort frame to the state that π0.5
discretises into its prompt (π0.5's analogue of "DePre": effort written next to the state).
"""

from dataclasses import dataclass, field
from enum import StrEnum

from lerobot.configs import PreTrainedConfig
from lerobot.policies.pi05.configuration_pi05 import PI05Config

from lerobot_torque.policies.pi0_torque.configuration_pi0_torque import PALIGEMMA_TOKENIZER
from lerobot_torque.policies.pi0_torque.model_size import PI0ModelSize
from lerobot_torque.policies.torque import TorqueConfig
from lerobot_torque.policies.torque.configuration_vla import (
    FutureEffortPlacement,
    VLATorqueConfigMixin,
)


class PI05EffortPlacement(StrEnum):
    """Where the effort enters π0.5 (paper §4.1, Table 1; π0.5 has no state vector to pad)."""

    ENCODER = "encoder"  # "Enc": adapter token(s) appended to the prefix block of images and prompt
    DECODER_POST = "decoder_post"  # "DePost": adapter token(s) first in the action expert's suffix
    PROMPT = "prompt"  # the current effort discretised into the prompt after the state (text state)


@PreTrainedConfig.register_subclass("pi05_torque")
@dataclass
class PI05TorqueConfig(VLATorqueConfigMixin, PI05Config):
    """π0.5 (all of `PI05Config`'s fields and defaults, i.e. `pi05_base`) plus joint effort.

    Args:
        torque: The shared torque settings (`--policy.torque.*`), see `TorqueConfig`.
        effort_placement: `decoder_post` (default: the effort token(s) open their own attention
            blocks before the actions in the action expert, which π0.5 conditions on time by adaRMS;
            the prefix never sees them), `encoder` (VLM-width token(s) in the prefix block with the
            images and the prompt) or `prompt` (the current frame in 256 bins after the state in the
            prompt; needs `torque.history_mode=current`, and the tokenizer length must fit the
            longer prompt). See the module docstring for the choice.
        future_effort_placement: `widen` (paper A.5: action projections widened, pretrained rows
            copied, new ones initialised small) or `padding` (this port: future effort in the padded
            action dims when action dim + effort dim <= `max_action_dim`, keeping `pi05_base`'s shapes).
        tokenizer_name: Tokenizer of the prompt. Default PaliGemma's, as LeRobot's π0.5
            (lerobot/policies/pi05/processor_pi05.py, hard-coded there); any local path or Hub id.
        model_size: Width/depth overrides for tests and small experiments (π0's knobs: π0.5 uses the
            same PaliGemma and Gemma expert); empty keeps `pi05_base`.
    """

    effort_placements = PI05EffortPlacement

    torque: TorqueConfig = field(default_factory=TorqueConfig)
    effort_placement: PI05EffortPlacement = PI05EffortPlacement.DECODER_POST
    future_effort_placement: FutureEffortPlacement = FutureEffortPlacement.WIDEN
    tokenizer_name: str = PALIGEMMA_TOKENIZER
    model_size: PI0ModelSize = field(default_factory=PI0ModelSize)

    @property
    def effort_in_prompt(self) -> bool:
        return self.effort_placement is PI05EffortPlacement.PROMPT and self.torque.use_effort_input
