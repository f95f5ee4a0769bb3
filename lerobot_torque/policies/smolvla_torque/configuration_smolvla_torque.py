"""`smolvla_torque`: LeRobot's SmolVLA with the paper's torque design space (paper §4-5)."""

from dataclasses import dataclass, field

from lerobot.configs import PreTrainedConfig
from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig

from lerobot_torque.policies.torque import TorqueConfig
from lerobot_torque.policies.torque.configuration_vla import (
    EffortPlacement,
    FutureEffortPlacement,
    VLATorqueConfigMixin,
)


@PreTrainedConfig.register_subclass("smolvla_torque")
@dataclass
class SmolVLATorqueConfig(VLATorqueConfigMixin, SmolVLAConfig):
    """SmolVLA (all of `SmolVLAConfig`'s fields and defaults, i.e. `smolvla_base`) plus joint effort.

    The default is the paper's final model ("π0+obs+obj", §6.2) carried over: the effort history as
    one action-expert token and future effort in the same flow as the actions with β = 0.1. SmolVLA
    keeps its state in the VLM prefix (one token after the language, opening its own block,
    lerobot/policies/smolvla/modeling_smolvla.py `embed_prefix`) and its action expert reads the
    VLM's keys and values (cross-attention, with self-attention every `self_attn_every_n_layers`),
    so the placements land as follows.

    Args:
        torque: The shared torque settings (`--policy.torque.*`), see `TorqueConfig`.
        effort_placement: `decoder_post` (default, paper §4.1 "DePost"): the effort token(s) first in
            the action expert's suffix, each opening an attention block; the actions read them in the
            expert's self-attention layers and the VLM never sees them. `encoder` ("Enc"): VLM-width
            token(s) after SmolVLA's state token, in the state's block (where SmolVLA puts
            proprioception: images and language do not attend to it). `decoder_pre` ("DePre", TA-VLA
            `EffortType.STATE`): the current frame in the last effort-dim entries of the padded state,
            which SmolVLA projects into its prefix state token; needs `torque.history_mode=current`
            and state dim + effort dim <= `max_state_dim`.
        future_effort_placement: `widen` (paper A.5: action projections widened, pretrained rows
            copied, new ones initialised small) or `padding` (this port: future effort in the padded
            action dims when action dim + effort dim <= `max_action_dim`, keeping `smolvla_base`'s
            shapes).
    """

    torque: TorqueConfig = field(default_factory=TorqueConfig)
    effort_placement: EffortPlacement = EffortPlacement.DECODER_POST
    future_effort_placement: FutureEffortPlacement = FutureEffortPlacement.WIDEN
