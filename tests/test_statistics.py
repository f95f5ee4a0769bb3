"""Wilson intervals against published values; Fisher's exact test against its definition."""

import math

import pytest

from lerobot_torque.evaluation.statistics import SuccessRate, fisher_exact_p, pooled, wilson_interval


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


def fisher_two_sided_reference(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Fisher's exact test from its definition: the hypergeometric probability of every 2×2 table with
    the observed margins that is no more likely than the observed one (Agresti 2002, §3.5.1)."""
    (k1, n1), (k2, n2) = a, b
    total, successes = n1 + n2, k1 + k2

    def probability(k: int) -> float:
        return math.comb(n1, k) * math.comb(n2, successes - k) / math.comb(total, successes)

    observed = probability(k1)
    tables = range(max(0, successes - n2), min(n1, successes) + 1)
    return min(1.0, sum(probability(k) for k in tables if probability(k) <= observed * (1 + 1e-7)))


@pytest.mark.parametrize(
    "a, b",
    [
        ((5, 20), (18, 20)),  # the paper's π0 vs π0+obs+obj: p ≈ 1e-4
        ((16, 20), (7, 20)),  # Dec-1 vs Dec-H: p ≈ 0.01
        ((10, 20), (12, 20)),  # DePost vs DePre (Charger Plugging): not significant
        ((45, 50), (126, 150)),  # unequal n, as a single-seed arm against a pooled final model
        ((0, 50), (0, 50)),
    ],
)
def test_fisher_exact_p_is_the_two_sided_test_of_its_definition(a, b):
    p = fisher_exact_p(SuccessRate("a", *a), SuccessRate("b", *b))
    assert p == pytest.approx(fisher_two_sided_reference(a, b), rel=1e-9)
    assert p == pytest.approx(fisher_exact_p(SuccessRate("b", *b), SuccessRate("a", *a)), rel=1e-12)


def test_the_papers_solid_comparisons_are_significant_and_the_others_not():
    assert fisher_exact_p(SuccessRate("π0", 5, 20), SuccessRate("final", 18, 20)) < 1e-4
    assert fisher_exact_p(SuccessRate("Dec-1", 16, 20), SuccessRate("Dec-H", 7, 20)) < 0.01
    assert fisher_exact_p(SuccessRate("β=0.1", 18, 20), SuccessRate("β=1", 12, 20)) > 0.05


def test_pooling_adds_successes_and_episodes_of_every_seed():
    rate = pooled("final", [SuccessRate("s1", 40, 50), SuccessRate("s2", 42, 50), SuccessRate("s3", 44, 50)])
    assert (rate.name, rate.successes, rate.episodes) == ("final", 126, 150)
