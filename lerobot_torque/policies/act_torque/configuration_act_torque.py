"""`act_torque`: LeRobot's ACT with a joint-effort history token and future-effort prediction."""

from dataclasses import dataclass, field

from lerobot.configs import PreTrainedConfig
from lerobot.policies.act.configuration_act import ACTConfig

from lerobot_torque.policies.torque import TorqueConfig, TorquePolicyConfigMixin


@PreTrainedConfig.register_subclass("act_torque")
@dataclass
class ACTTorqueConfig(TorquePolicyConfigMixin, ACTConfig):
    """ACT (all of `ACTConfig`'s fields and defaults) plus joint effort.

    The effort history becomes `torque.num_effort_tokens` tokens among the transformer encoder inputs,
    after the state token: ACT's state enters its transformer encoder, so this is where the paper's
    "decoder, next to the state token" design (§4.1 DePost) lands in ACT. The decoder outputs also
    predict the effort of the chunk's frames (paper §5) through a linear head, trained with an L1
    loss like ACT's actions and weighted by β = `torque.future_loss_weight`.

    Args:
        torque: The shared torque settings (`--policy.torque.*`), see `TorqueConfig`.
        effort_in_vae_encoder: Also give the effort tokens to ACT's VAE encoder, after its state token
            (this port; off by default so the latent keeps ACT's meaning: a style of the action chunk).
    """

    torque: TorqueConfig = field(default_factory=TorqueConfig)
    effort_in_vae_encoder: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.effort_in_vae_encoder and not (self.torque.use_effort_input and self.use_vae):
            raise ValueError(
                "effort_in_vae_encoder needs the effort input and ACT's VAE: set "
                "--policy.torque.use_effort_input=true and --policy.use_vae=true, or drop it."
            )
