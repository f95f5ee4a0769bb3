"""The torque adapter and the masked loss, pinned against the paper's equations."""

import pytest
import torch
from torch.nn import functional as F  # noqa: N812

from lerobot_torque.policies.torque import Aggregator, HistoryMode, TorqueConfig
from lerobot_torque.policies.torque.modeling_torque import make_effort_encoder, zero_padded_mean

B, H, D, W = 3, 4, 2, 8


def encoder(**torque):
    torch.manual_seed(0)
    return make_effort_encoder(TorqueConfig(history_length=H, history_stride=1, **torque), D, W)


def inputs():
    generator = torch.Generator().manual_seed(1)
    history = torch.randn(B, H, D, generator=generator)
    is_pad = torch.zeros(B, H, dtype=torch.bool)
    is_pad[0, :2] = True
    return history, is_pad


def test_one_token_mlp_is_the_papers_adapter_on_the_flattened_history():
    adapter = encoder()
    history, is_pad = inputs()
    tokens, token_pad = adapter(history, is_pad)
    first, second = adapter.mlp[0], adapter.mlp[2]
    # Paper A.3/A.4: Linear(H·D → 2w) → swish → Linear(2w → w) on the flattened history.
    expected = F.linear(
        F.silu(F.linear(history.reshape(B, H * D), first.weight, first.bias)), second.weight, second.bias
    )
    assert first.weight.shape == (2 * W, H * D) and second.weight.shape == (W, 2 * W)
    torch.testing.assert_close(tokens, expected[:, None])
    assert tokens.shape == (B, 1, W) and not token_pad.any()


def test_per_frame_mode_applies_one_mlp_to_each_frame_and_keeps_padding_flags():
    adapter = encoder(history_mode=HistoryMode.PER_FRAME)
    history, is_pad = inputs()
    tokens, token_pad = adapter(history, is_pad)
    assert tokens.shape == (B, H, W)
    torch.testing.assert_close(tokens[:, 2], adapter.mlp(history[:, 2]))
    assert torch.equal(token_pad, is_pad)


def test_current_mode_reads_only_the_current_frame():
    torque = TorqueConfig(history_mode=HistoryMode.CURRENT, history_stride=1)
    adapter = make_effort_encoder(torque, D, W)
    history, is_pad = inputs()
    tokens, _ = adapter(history[:, -1:], is_pad[:, -1:])
    assert adapter.mlp[0].in_features == D and tokens.shape == (B, 1, W)


@pytest.mark.parametrize("aggregator", [Aggregator.GRU, Aggregator.ATTENTION])
def test_sequence_aggregators_give_one_token_that_depends_on_old_frames(aggregator):
    adapter = encoder(aggregator=aggregator)
    history, is_pad = inputs()
    tokens, _ = adapter(history, torch.zeros_like(is_pad))
    changed = history.clone()
    changed[:, 0] += 1.0
    assert tokens.shape == (B, 1, W)
    assert not torch.allclose(tokens, adapter(changed, torch.zeros_like(is_pad))[0])


def test_attention_ignores_frames_flagged_as_padding():
    adapter = encoder(aggregator=Aggregator.ATTENTION).eval()
    history, is_pad = inputs()
    changed = history.clone()
    changed[0, :2] = 100.0  # padded frames of sample 0
    torch.testing.assert_close(adapter(history, is_pad)[0], adapter(changed, is_pad)[0])


def test_zero_padded_mean_counts_padded_frames_as_zero():
    values = torch.tensor([[[1.0, 1.0], [5.0, 5.0]], [[3.0, 3.0], [100.0, 100.0]]])
    is_pad = torch.tensor([[False, False], [False, True]])
    assert zero_padded_mean(values, is_pad).item() == pytest.approx((1 + 5 + 3) * 2 / 8)
    assert zero_padded_mean(values, is_pad, per_sample=True).tolist() == [3.0, 1.5]


def test_zero_padded_mean_of_a_batch_is_the_mean_over_its_equal_shards():
    """What DDP optimises: the mean of the shards' losses (each shard here has its own padding)."""
    values = torch.rand(4, 5, 2, generator=torch.Generator().manual_seed(0))
    is_pad = torch.zeros(4, 5, dtype=torch.bool)
    is_pad[0, 1:] = True  # the first shard holds most of the padding
    shards = [zero_padded_mean(values[i : i + 2], is_pad[i : i + 2]) for i in (0, 2)]
    assert zero_padded_mean(values, is_pad).item() == pytest.approx(sum(shards).item() / 2, rel=1e-6)


def test_zero_padded_mean_of_an_all_padded_batch_is_zero_not_nan():
    values = torch.ones(1, 2, 3)
    assert zero_padded_mean(values, torch.ones(1, 2, dtype=torch.bool)).item() == 0.0
