"""The torque adapter (effort history → tokens) and the future-effort loss with padded frames as zero.

Shared by every torque policy; policies only decide where the tokens go.

- MLP (paper A.3/A.4): `Linear(H·D → 2w) → SiLU → Linear(2w → w)`, applied to the flattened history
  (one token) or to each frame (`per_frame`, H tokens). SiLU is the paper's "swish"
  (TA-VLA `models/pi0.py: _project_effort` uses `nnx.swish`).
- GRU and attention (paper A.10 names them "RNN" and "attention" without details; ours): a GRU of
  width w over the frames whose last state goes through `Linear(w → w)`; or one learned query
  attending over per-frame embeddings `Linear(D → w)` + a learned position, padded frames masked.

Input: history (B, H, D) and its padding flags (B, H). Output: tokens (B, K, w) and their
padding flags (B, K) (K = 1, or H for `per_frame`).
"""

import math

import torch
from torch import Tensor, nn

from lerobot_torque.policies.torque.configuration_torque import Aggregator, HistoryMode, TorqueConfig


def effort_mlp(in_dim: int, width: int) -> nn.Sequential:
    """`Linear(in → 2w) → SiLU → Linear(2w → w)` (paper A.3)."""
    return nn.Sequential(nn.Linear(in_dim, 2 * width), nn.SiLU(), nn.Linear(2 * width, width))


class FlattenedHistoryMLP(nn.Module):
    """The H frames flattened into one (B, H·D) vector → one token (paper A.4 "1 Token")."""

    def __init__(self, history_length: int, effort_dim: int, width: int):
        super().__init__()
        self.mlp = effort_mlp(history_length * effort_dim, width)

    def forward(self, history: Tensor, is_pad: Tensor) -> tuple[Tensor, Tensor]:
        token = self.mlp(history.flatten(1))[:, None]  # (B, 1, w)
        return token, torch.zeros_like(is_pad[:, :1])


class PerFrameMLP(nn.Module):
    """One token per frame, the same MLP on each (paper A.4 "H Tokens")."""

    def __init__(self, effort_dim: int, width: int):
        super().__init__()
        self.mlp = effort_mlp(effort_dim, width)

    def forward(self, history: Tensor, is_pad: Tensor) -> tuple[Tensor, Tensor]:
        return self.mlp(history), is_pad  # (B, H, w)


class GRUAggregator(nn.Module):
    """A GRU over the frames, oldest first; its last state → `Linear(w → w)` → one token."""

    def __init__(self, effort_dim: int, width: int):
        super().__init__()
        self.gru = nn.GRU(effort_dim, width, batch_first=True)
        self.out = nn.Linear(width, width)

    def forward(self, history: Tensor, is_pad: Tensor) -> tuple[Tensor, Tensor]:
        _, last = self.gru(history)  # (1, B, w)
        return self.out(last[0])[:, None], torch.zeros_like(is_pad[:, :1])


class AttentionAggregator(nn.Module):
    """A learned query attends over the frame embeddings; padded frames are masked out."""

    def __init__(self, history_length: int, effort_dim: int, width: int):
        super().__init__()
        self.frame_proj = nn.Linear(effort_dim, width)
        self.frame_pos = nn.Parameter(torch.randn(history_length, width) * 0.02)
        self.query = nn.Parameter(torch.randn(1, 1, width) * 0.02)
        self.attention = nn.MultiheadAttention(width, math.gcd(width, 8), batch_first=True)

    def forward(self, history: Tensor, is_pad: Tensor) -> tuple[Tensor, Tensor]:
        frames = self.frame_proj(history) + self.frame_pos  # (B, H, w)
        query = self.query.expand(history.shape[0], -1, -1)
        token, _ = self.attention(query, frames, frames, key_padding_mask=is_pad, need_weights=False)
        return token, torch.zeros_like(is_pad[:, :1])


def make_effort_encoder(torque: TorqueConfig, effort_dim: int, width: int) -> nn.Module:
    """The adapter `torque` asks for, mapping (B, H, D) effort to (B, K, width) tokens."""
    history_length = torque.history_window_length
    if torque.history_mode is HistoryMode.PER_FRAME:
        return PerFrameMLP(effort_dim, width)
    if torque.aggregator is Aggregator.GRU:
        return GRUAggregator(effort_dim, width)
    if torque.aggregator is Aggregator.ATTENTION:
        return AttentionAggregator(history_length, effort_dim, width)
    return FlattenedHistoryMLP(history_length, effort_dim, width)


def zero_padded_mean(values: Tensor, is_pad: Tensor | None, *, per_sample: bool = False) -> Tensor:
    """Mean of (B, T, D) values with the frames flagged as padding in (B, T) counted as zero.

    A scalar, or one mean per sample (B,) with `per_sample`. The divisor is the element count, not
    the count of valid frames: so the mean of a batch is the mean of the means of its equal-size
    shards, which is the loss DDP optimises when it averages the shards' gradients
    (tests/test_distributed_training.py), and π0's plain mean of its action errors
    (`lerobot/policies/pi0/modeling_pi0.py`) has the same property. Dividing by each shard's own
    valid count, as ACT's L1 does (`lerobot/policies/act/modeling_act.py`), weights the shards of a
    global batch unequally when their padding differs.
    """
    if is_pad is None:
        return values.mean((1, 2) if per_sample else None)
    valid = (~is_pad).unsqueeze(-1).to(values.dtype)
    return (values * valid).mean((1, 2) if per_sample else None)
