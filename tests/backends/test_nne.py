"""NNE networks: weight generation, batched against one-at-a-time, δ_x closed forms."""

import math

import numpy as np
import pytest

from neuroworm.backends.nne import (
    RANDOM_GUESS_LOSS,
    NNENetwork,
    cross_entropy,
    random_guess_loss,
    relative_performance,
    sign_weight_generation,
    uniform_weight_generation,
)
from neuroworm.errors import ConfigError, GenomeError


def test_uniform_weight_generation_density_and_range():
    matrix = uniform_weight_generation(400, 500, 0.02, seed=0)
    assert matrix.shape == (400, 500)
    assert abs(matrix.nnz - 0.02 * 400 * 500) < 4 * math.sqrt(0.02 * 400 * 500)
    assert np.all(np.abs(matrix.data) <= 1) and matrix.data.min() < -0.9 and matrix.data.max() > 0.9
    again = uniform_weight_generation(400, 500, 0.02, seed=0)
    assert (matrix != again).nnz == 0


def test_sign_weight_generation_values_and_column_norm():
    m, d = 50, 5
    matrix = sign_weight_generation(m, 4000, d, seed=1)
    assert np.allclose(np.abs(matrix.data), math.sqrt(m / d))
    # each column's expected squared norm is m (Theorem 2's scaling)
    assert abs(matrix.multiply(matrix).sum() / 4000 - m) < 0.05 * m
    with pytest.raises(ConfigError):
        sign_weight_generation(m, 10, 0)


def test_batched_logits_equal_one_genotype_at_a_time():
    # chunks of 7 units (the last one shorter), blocks of 3 genotypes on 2 threads
    net = NNENetwork(n_genes=300, n_hidden=40, n_outputs=5, block=3, chunk=7, threads=2, seed=2)
    rng = np.random.default_rng(0)
    genotypes = rng.integers(0, 2, (7, 300))
    images = rng.random((11, 784)).astype(np.float32)
    batched = net.logits(genotypes, images)
    for genotype, logits in zip(genotypes, batched):
        weights = net.weight_generation.toarray() @ genotype
        first = np.zeros((784, 40))
        first[net.input_edges] = weights[: net.n_input_links]
        second = weights[net.n_input_links :].reshape(40, 5)
        expected = np.maximum(images @ first, 0) @ second
        np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)


def test_input_graph_density_and_link_count():
    net = NNENetwork(n_genes=10, n_hidden=500, connection_probability=0.1, seed=3)
    assert abs(net.n_input_links - 0.1 * 784 * 500) < 4 * math.sqrt(0.1 * 0.9 * 784 * 500)
    assert net.n_links == net.n_input_links + 500 * 10


def test_cross_entropy_and_relative_performance_closed_forms():
    logits = np.zeros((3, 10))
    assert np.allclose(cross_entropy(logits, np.array([0, 4, 9])), math.log(10))
    # a random guess scores 0, a perfect network alpha^2
    assert relative_performance(np.full((1, 5), RANDOM_GUESS_LOSS))[0] == pytest.approx(0.0)
    assert relative_performance(np.zeros((1, 5)))[0] == pytest.approx(math.log(10) ** 2)
    assert relative_performance(np.array([[0.0, 10.0]]))[0] == pytest.approx(math.log(10) ** 2 / 2)
    huge = np.array([[1000.0, -1000.0]])
    assert np.isfinite(cross_entropy(huge, np.array([1])))[0]


def test_bad_genotypes_are_refused():
    net = NNENetwork(n_genes=20, n_hidden=5, seed=0)
    with pytest.raises(GenomeError, match="shape"):
        net.link_weights(np.zeros((2, 21)))
    with pytest.raises(GenomeError, match=r"\[0, 1\]"):
        net.link_weights(np.full((2, 20), 2.0))


def test_alpha_follows_the_number_of_outputs():
    assert random_guess_loss(10) == pytest.approx(RANDOM_GUESS_LOSS)
    assert random_guess_loss(5) == pytest.approx(math.log(5))
    net = NNENetwork(n_genes=50, n_hidden=10, n_outputs=5, seed=0)
    images = np.zeros((4, 784), np.float32)  # all-zero images: every logit 0, a uniform guess over 5
    # a uniform guess over the network's 5 outputs scores 0 with alpha = log 5 (log 10 would give it credit)
    assert net.fitness(np.ones((2, 50)), images, np.arange(4) % 5) == pytest.approx([0.0, 0.0], abs=1e-9)
    with pytest.raises(ConfigError, match="n_classes"):
        random_guess_loss(0)
