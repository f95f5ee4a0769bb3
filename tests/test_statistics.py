"""Wilson intervals against published values."""

import pytest

from lerobot_torque.evaluation.statistics import SuccessRate, wilson_interval


@pytest.mark.parametrize(
    "k, n, low, high",
    [
        (18, 20, 0.699, 0.972),  # the paper's π0+obs+obj cell
        (5, 20, 0.112, 0.469),  # the paper's π0 cell
        (0, 50, 0.0, 0.0714),  # Brown, Cai & DasGupta (2001): no success still has an upper bound
        (50, 50, 0.9286, 1.0),
    ],
)
def test_wilson_interval_matches_reference_values(k, n, low, high):
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=1e-3)


def test_separation_needs_non_overlapping_intervals():
    assert SuccessRate("a", 45, 50).separated_above(SuccessRate("b", 10, 50))
    assert not SuccessRate("a", 12, 20).separated_above(SuccessRate("b", 8, 20))


def test_a_rate_without_episodes_is_refused():
    with pytest.raises(ValueError, match="at least one episode"):
        wilson_interval(0, 0)
