"""NNE strategy: allele rewards, eq. (3), Lemma 1, driver runs and resumes."""

import itertools

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.evolve import read_checkpoint, run
from neuroworm.evolve.nne import NNE, allele_rewards, weak_selection_update


def test_allele_rewards_by_hand():
    genotypes = np.array([[1, 0, 1], [1, 1, 1], [0, 0, 1]])
    fitness = np.array([3.0, 6.0, 9.0])
    f, f_bar = allele_rewards(genotypes, fitness)
    np.testing.assert_allclose(f, [4.5, 6.0, 6.0])
    # gene 2 is carried by everyone: allele 0 is absent and gets allele 1's reward
    np.testing.assert_allclose(f_bar, [9.0, 6.0, 6.0])


def test_weak_selection_update_is_equation_3():
    rng = np.random.default_rng(0)
    p, f, f_bar = rng.random(50), rng.random(50), rng.random(50)
    epsilon = 0.3
    paper = p * (1 + epsilon * f) / (1 + epsilon * f_bar + epsilon * p * (f - f_bar))
    np.testing.assert_allclose(weak_selection_update(p, f, f_bar, epsilon), paper)
    np.testing.assert_array_equal(weak_selection_update(np.array([0.0, 1.0]), f[:2], f_bar[:2], epsilon), [0, 1])
    np.testing.assert_allclose(weak_selection_update(p, f, f, epsilon), p)


def test_lemma_1_reward_difference_is_minus_the_gradient():
    """f(i) - f̄(i) = -dL/dp(i) for the exact expectation over all genotypes (Lemma 1)."""
    rng = np.random.default_rng(1)
    n = 4
    table = rng.random(2**n)  # an arbitrary loss for each of the 16 genotypes
    genotypes = np.array(list(itertools.product([0, 1], repeat=n)))

    def expected_loss(p):
        weights = np.prod(np.where(genotypes == 1, p, 1 - p), axis=1)
        return weights @ table

    p = rng.uniform(0.2, 0.8, n)
    weights = np.prod(np.where(genotypes == 1, p, 1 - p), axis=1)
    for i in range(n):
        carriers = genotypes[:, i] == 1
        f = -(weights[carriers] @ table[carriers]) / weights[carriers].sum()
        f_bar = -(weights[~carriers] @ table[~carriers]) / weights[~carriers].sum()
        step = np.zeros(n)
        step[i] = 1e-6
        gradient = (expected_loss(p + step) - expected_loss(p - step)) / 2e-6
        assert f - f_bar == pytest.approx(-gradient, rel=1e-6)


def test_nne_learns_a_bit_pattern_through_the_driver():
    target = np.arange(20) % 2
    result = run(NNE(20, population_size=100, epsilon=3.0), lambda g: (g == target).mean(axis=1),
                 generations=300, seed=0, progress=False)
    np.testing.assert_array_equal(np.round(result.strategy.frequencies), target)
    assert set(np.unique(np.stack(result.population))) <= {0.0, 1.0}
    assert result.logbook_frame()["near_fixed"].iloc[-1] > 0.9


def test_resumed_nne_equals_uninterrupted(tmp_path):
    fitness = lambda genomes: genomes[:, :5].sum(axis=1)
    path = tmp_path / "nne.ckpt"
    straight = run(NNE(30, population_size=16, epsilon=0.5), fitness, generations=8, seed=4, progress=False)
    run(NNE(30, population_size=16, epsilon=0.5), fitness, generations=3, seed=4, checkpoint=path, progress=False)
    assert read_checkpoint(path).fields["generation"] == 3
    resumed = run(NNE(30, population_size=16, epsilon=0.5), fitness, generations=8, seed=4, checkpoint=path,
                  resume=True, progress=False)
    np.testing.assert_array_equal(resumed.strategy.frequencies, straight.strategy.frequencies)
    np.testing.assert_array_equal(np.stack(resumed.population), np.stack(straight.population))


def test_nne_refuses_what_eq_3_cannot_take():
    with pytest.raises(ConfigError):
        NNE(10, epsilon=0)
    with pytest.raises(ConfigError):
        NNE(3, initial_frequencies=[0.5, 1.5, 0.2])
    with pytest.raises(ConfigError, match="1 \\+ epsilon"):
        run(NNE(5, population_size=4, epsilon=1.0), lambda g: -10 * np.ones(len(g)), generations=1, seed=0,
            progress=False)


def test_weak_selection_bound_and_logged_selection_strength():
    from neuroworm.evolve.individual import assign_fitness, population_genomes
    from neuroworm.evolve.nne import weak_selection_epsilon

    assert weak_selection_epsilon(np.log(10) ** 2) == pytest.approx(1 / (2 * np.log(10) ** 2))
    assert weak_selection_epsilon(0.2) == 1.0  # Theorem 1: min(1/max(2U, 1), 1)
    with pytest.raises(ConfigError):
        weak_selection_epsilon(0)
    strategy = NNE(10, population_size=20, epsilon=weak_selection_epsilon(4.0), seed=0)
    population = strategy.generate()
    assign_fitness(population, population_genomes(population).sum(axis=1) * 0.4)  # rewards in [0, 4]
    strategy.update(population)
    values = strategy.log_values()
    assert 0 < values["selection"] <= 0.5
