"""`act_torque`: LeRobot's ACT with effort tokens in its transformer encoder and a future-effort head.

Encoder tokens: [latent, state, (env_state), effort × K, image features] (ACT's order with the
effort tokens after the state token). With `effort_in_vae_encoder`, the VAE encoder reads
[cls, state, effort × K, actions]. `ACTTorque.forward` is ACT's forward with those tokens added;
with torque switched off it gives ACT's outputs for the same weights
(tests/test_act_torque.py::test_torque_off_matches_act_outputs).

Left out: effort tokens do not get a key padding mask inside ACT's encoder (ACT's decoder has no
memory mask either); history frames before an episode start repeat its first frame, as in the
dataset, so training and inference see the same values.
"""

import einops
import torch
from torch import Tensor, nn

from lerobot.policies.act.modeling_act import ACT, ACTPolicy, create_sinusoidal_pos_embedding
from lerobot.utils.constants import ACTION, OBS_ENV_STATE, OBS_IMAGES, OBS_STATE

from lerobot_torque.constants import OBS_EFFORT
from lerobot_torque.policies.act_torque.configuration_act_torque import ACTTorqueConfig
from lerobot_torque.policies.torque.effort_inputs import OBS_EFFORT_IS_PAD
from lerobot_torque.policies.torque.modeling_torque import make_effort_encoder
from lerobot_torque.policies.torque.policy_mixin import TorquePolicyMixin


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
        self.future_effort: Tensor | None = None  # (B, chunk, D) of the last forward, for the loss

    def forward(self, batch: dict) -> tuple[Tensor, tuple[Tensor, Tensor] | tuple[None, None]]:
        """ACT's forward with effort tokens; also sets `self.future_effort` when predicting it."""
        batch_size = batch[OBS_IMAGES][0].shape[0] if OBS_IMAGES in batch else batch[OBS_ENV_STATE].shape[0]
        mu, log_sigma_x2, latent = self._latent(batch, batch_size)

        tokens = [self.encoder_latent_input_proj(latent)]  # each (B, D)
        pos_embeds = list(self.encoder_1d_feature_pos_embed.weight.unsqueeze(1))  # each (1, D)
        if self.config.robot_state_feature:
            tokens.append(self.encoder_robot_state_input_proj(batch[OBS_STATE]))
        if self.config.env_state_feature:
            tokens.append(self.encoder_env_state_input_proj(batch[OBS_ENV_STATE]))
        if self.uses_effort_input:
            effort_tokens, _ = self.effort_encoder(batch[OBS_EFFORT], batch[OBS_EFFORT_IS_PAD])  # (B, K, D)
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
        self.future_effort = self.effort_head(decoder_out) if self.effort_head is not None else None
        return self.action_head(decoder_out), (mu, log_sigma_x2)

    def _latent(self, batch: dict, batch_size: int) -> tuple[Tensor | None, Tensor | None, Tensor]:
        """ACT's VAE encoder over [cls, state, (effort), actions] in training; zeros otherwise."""
        if not (self.config.use_vae and ACTION in batch and self.training):
            latent = torch.zeros([batch_size, self.config.latent_dim], dtype=torch.float32)
            return None, None, latent.to(batch[OBS_STATE].device)

        inputs = [einops.repeat(self.vae_encoder_cls_embed.weight, "1 d -> b 1 d", b=batch_size)]
        if self.config.robot_state_feature:
            inputs.append(self.vae_encoder_robot_state_input_proj(batch[OBS_STATE]).unsqueeze(1))
        pos_embed = self.vae_encoder_pos_enc
        if self.vae_uses_effort:
            inputs.append(self.vae_effort_encoder(batch[OBS_EFFORT], batch[OBS_EFFORT_IS_PAD])[0])
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
    """ACT policy reading joint effort; `select_action` keeps the effort history between calls."""

    config_class = ACTTorqueConfig
    name = "act_torque"

    def __init__(self, config: ACTTorqueConfig, dataset_meta=None, **kwargs):
        if dataset_meta is not None:
            config.torque.bind_dataset(dataset_meta.features, dataset_meta.fps)
        super().__init__(config, **kwargs)
        self.model = ACTTorque(config)

    def reset(self) -> None:
        super().reset()
        self.reset_effort_history()

    @torch.no_grad()
    def select_action(self, batch: dict[str, Tensor]) -> Tensor:
        return super().select_action(self.live_batch(batch))

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict[str, Tensor]) -> Tensor:
        return super().predict_action_chunk(self.live_batch(batch))

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict]:
        """ACT's loss (L1 + β_KL·KL) plus β·L1 of the future effort over frames inside the episode."""
        model_batch, effort = self.training_inputs(batch)
        loss, loss_dict = super().forward(model_batch)
        if effort is not None and self.model.future_effort is not None:
            errors = (self.model.future_effort - effort.future).abs()
            effort_loss = self.future_effort_loss(errors, effort)
            loss = loss + self.config.torque.future_loss_weight * effort_loss
            loss_dict["effort_l1_loss"] = effort_loss.item()
        return loss, loss_dict
