"""`act_torque`: LeRobot's ACT with effort tokens in its transformer encoder and a future-effort head.

Encoder tokens: [latent, state, (env_state), effort × K, image features] (ACT's order with the
effort tokens after the state token). With `effort_in_vae_encoder`, the VAE encoder reads
[cls, state, effort × K, actions]. `ACTTorque.forward_with_effort` is ACT's forward with those tokens
added, returning the future effort with the actions; `ACTTorque.forward` keeps ACT's return value for
ACT's own `predict_action_chunk`. With torque switched off act_torque gives ACT's outputs and loss for
the same weights (tests/test_act_torque.py::test_torque_off_matches_act_outputs).

The model reads the state and effort the policy split from the batch (`OBS_STATE_WITHOUT_EFFORT`,
`OBS_EFFORT_HISTORY`, `OBS_EFFORT_HISTORY_IS_PAD`, see `lerobot_torque/constants.py`).

Left out: effort tokens do not get a key padding mask inside ACT's encoder (ACT's decoder has no
memory mask either); history frames before an episode start repeat its first frame, as in the
dataset, so training and inference see the same values.
"""

from dataclasses import dataclass
from types import SimpleNamespace

import einops
import torch
from torch import Tensor, nn

from lerobot.policies.act.modeling_act import ACT, ACTPolicy, create_sinusoidal_pos_embedding
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_IMAGES

from lerobot_torque.constants import OBS_EFFORT_HISTORY, OBS_EFFORT_HISTORY_IS_PAD, OBS_STATE_WITHOUT_EFFORT
from lerobot_torque.policies.act_torque.configuration_act_torque import ACTTorqueConfig
from lerobot_torque.policies.torque.modeling_torque import make_effort_encoder
from lerobot_torque.policies.torque.policy_mixin import TorquePolicyMixin


@dataclass
class ACTTorqueOutput:
    """What one forward pass of `ACTTorque` computes."""

    actions: Tensor  # (B, chunk, A)
    mu: Tensor | None  # (B, latent) in training with the VAE, else None
    log_sigma_x2: Tensor | None  # (B, latent) 2·log(σ), as in ACT
    future_effort: Tensor | None  # (B, chunk, D) when `predict_future_effort`, else None


class ACTTorque(ACT):
    """ACT's network plus the effort adapter(s) and the future-effort head."""

    def __init__(self, config: ACTTorqueConfig):
        super().__init__(config)
        torque, width = config.torque, config.dim_model
        self.uses_effort_input = torque.use_effort_input
        self.vae_uses_effort = torque.use_effort_input and config.effort_in_vae_encoder and config.use_vae
        if self.uses_effort_input:
            self.effort_encoder = make_effort_encoder(torque, torque.effort_dim, width)
            self.encoder_effort_pos_embed = nn.Embedding(torque.num_effort_tokens, width)
        if self.vae_uses_effort:
            self.vae_effort_encoder = make_effort_encoder(torque, torque.effort_dim, width)
            num_tokens = 1 + bool(config.robot_state_feature) + torque.num_effort_tokens + config.chunk_size
            pos_enc = create_sinusoidal_pos_embedding(num_tokens, width).unsqueeze(0)
            self.register_buffer("vae_encoder_effort_pos_enc", pos_enc, persistent=False)
        self.effort_head = nn.Linear(width, torque.effort_dim) if torque.predict_future_effort else None

    def forward(self, batch: dict) -> tuple[Tensor, tuple[Tensor, Tensor] | tuple[None, None]]:
        """ACT's return value, (actions, (mu, log_sigma_x2)), of `forward_with_effort`."""
        out = self.forward_with_effort(batch)
        return out.actions, (out.mu, out.log_sigma_x2)

    def forward_with_effort(self, batch: dict) -> ACTTorqueOutput:
        """ACT's forward with the effort tokens; the future effort comes back with the actions."""
        batch_size = batch[OBS_IMAGES][0].shape[0] if OBS_IMAGES in batch else batch[OBS_ENV_STATE].shape[0]
        mu, log_sigma_x2, latent = self._latent(batch, batch_size)

        tokens = [self.encoder_latent_input_proj(latent)]  # each (B, D)
        pos_embeds = list(self.encoder_1d_feature_pos_embed.weight.unsqueeze(1))  # each (1, D)
        if self.config.robot_state_feature:
            tokens.append(self.encoder_robot_state_input_proj(batch[OBS_STATE_WITHOUT_EFFORT]))
        if self.config.env_state_feature:
            tokens.append(self.encoder_env_state_input_proj(batch[OBS_ENV_STATE]))
        if self.uses_effort_input:
            history, is_pad = batch[OBS_EFFORT_HISTORY], batch[OBS_EFFORT_HISTORY_IS_PAD]
            effort_tokens, _ = self.effort_encoder(history, is_pad)  # (B, K, D)
            tokens.extend(effort_tokens.transpose(0, 1))
            pos_embeds.extend(self.encoder_effort_pos_embed.weight.unsqueeze(1))
        for img in batch.get(OBS_IMAGES, []):
            cam_features = self.backbone(img)["feature_map"]
            cam_pos_embed = self.encoder_cam_feat_pos_embed(cam_features).to(dtype=cam_features.dtype)
            cam_features = self.encoder_img_feat_input_proj(cam_features)
            tokens.extend(einops.rearrange(cam_features, "b c h w -> (h w) b c"))
            pos_embeds.extend(einops.rearrange(cam_pos_embed, "b c h w -> (h w) b c"))
        tokens, pos_embeds = torch.stack(tokens), torch.stack(pos_embeds)  # (S, B, D), (S, 1, D)

        encoder_out = self.encoder(tokens, pos_embed=pos_embeds)
        decoder_in = torch.zeros(
            (self.config.chunk_size, batch_size, self.config.dim_model),
            dtype=pos_embeds.dtype,
            device=pos_embeds.device,
        )
        decoder_out = self.decoder(
            decoder_in,
            encoder_out,
            encoder_pos_embed=pos_embeds,
            decoder_pos_embed=self.decoder_pos_embed.weight.unsqueeze(1),
        ).transpose(0, 1)  # (B, chunk, D)
        future_effort = self.effort_head(decoder_out) if self.effort_head is not None else None
        return ACTTorqueOutput(self.action_head(decoder_out), mu, log_sigma_x2, future_effort)

    def _latent(self, batch: dict, batch_size: int) -> tuple[Tensor | None, Tensor | None, Tensor]:
        """ACT's VAE encoder over [cls, state, (effort), actions] in training; zeros otherwise."""
        if not (self.config.use_vae and ACTION in batch and self.training):
            latent = torch.zeros([batch_size, self.config.latent_dim], dtype=torch.float32)
            return None, None, latent.to(batch[OBS_STATE_WITHOUT_EFFORT].device)

        inputs = [einops.repeat(self.vae_encoder_cls_embed.weight, "1 d -> b 1 d", b=batch_size)]
        if self.config.robot_state_feature:
            state = batch[OBS_STATE_WITHOUT_EFFORT]
            inputs.append(self.vae_encoder_robot_state_input_proj(state).unsqueeze(1))
        pos_embed = self.vae_encoder_pos_enc
        if self.vae_uses_effort:
            history, is_pad = batch[OBS_EFFORT_HISTORY], batch[OBS_EFFORT_HISTORY_IS_PAD]
            inputs.append(self.vae_effort_encoder(history, is_pad)[0])
            pos_embed = self.vae_encoder_effort_pos_enc
        num_prefix = sum(x.shape[1] for x in inputs)
        inputs.append(self.vae_encoder_action_input_proj(batch[ACTION]))  # (B, chunk, D)
        prefix_is_pad = torch.zeros((batch_size, num_prefix), dtype=torch.bool, device=batch[ACTION].device)
        key_padding_mask = torch.cat([prefix_is_pad, batch["action_is_pad"]], dim=1)

        cls_token_out = self.vae_encoder(
            torch.cat(inputs, dim=1).permute(1, 0, 2),
            pos_embed=pos_embed.clone().detach().permute(1, 0, 2),
            key_padding_mask=key_padding_mask,
        )[0]
        latent_pdf_params = self.vae_encoder_latent_output_proj(cls_token_out)
        mu = latent_pdf_params[:, : self.config.latent_dim]
        log_sigma_x2 = latent_pdf_params[:, self.config.latent_dim :]  # 2·log(σ), as in ACT
        return mu, log_sigma_x2, mu + log_sigma_x2.div(2).exp() * torch.randn_like(mu)


class ACTTorquePolicy(TorquePolicyMixin, ACTPolicy):
    """ACT policy reading joint effort, with ACT's loss plus the future effort's."""

    config_class = ACTTorqueConfig
    name = "act_torque"
    base_policy_class = ACTPolicy
    network_replacements = {"ACT": ACTTorque}

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict[str, Tensor]) -> Tensor:
        return super().predict_action_chunk(self.live_batch(batch))

    @torch.no_grad()
    def predict_action_and_effort_chunk(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor | None]:
        """Actions (B, chunk, A) and, when trained to predict it, normalised future effort (B, chunk, D)."""
        self.eval()
        out = self.model.forward_with_effort(self.with_camera_list(self.live_batch(batch)))
        return out.actions, out.future_effort

    def with_camera_list(self, model_batch: dict) -> dict:
        """The batch with ACT's list of camera images under `observation.images` (`ACTPolicy.forward`)."""
        if not self.config.image_features:
            return model_batch
        return {**model_batch, OBS_IMAGES: [model_batch[key] for key in self.config.image_features]}

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict]:
        """ACT's loss (L1 + β_KL·KL) plus β·L1 of the future effort over frames inside the episode."""
        model_batch, effort = self.training_inputs(batch)
        model_batch = self.with_camera_list(model_batch)
        out = self.model.forward_with_effort(model_batch)
        loss, loss_dict = act_loss(self.config, model_batch, out)
        if effort is not None and out.future_effort is not None:
            errors = (out.future_effort - effort.future).abs()
            effort_loss = self.future_effort_loss(errors, effort)
            loss = loss + self.config.torque.future_loss_weight * effort_loss
            loss_dict["effort_l1_loss"] = effort_loss.item()
        return loss, loss_dict


def act_loss(config: ACTTorqueConfig, batch: dict, out: ACTTorqueOutput) -> tuple[Tensor, dict]:
    """ACT's loss on outputs already computed: LeRobot's own `ACTPolicy.forward`, handed them.

    `ACTPolicy.forward` (lerobot/policies/act/modeling_act.py) reads `self.config` and calls
    `self.model(batch)` once; given a stand-in for the two it computes its L1 over the actions inside
    the episode plus `kl_weight`·KL on `out`, so act_torque's action loss is ACT's by construction.
    """
    outputs = (out.actions, (out.mu, out.log_sigma_x2))
    return ACTPolicy.forward(SimpleNamespace(config=config, model=lambda _: outputs), batch)
