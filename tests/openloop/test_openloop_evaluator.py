"""Open-loop evaluation: closed-form scores, batched equals one-at-a-time, dense equals the backend,
the evolution driver runs it unchanged, malformed input is refused."""

import math
import pickle

import numpy as np
import pytest

from neuroworm.errors import ConfigError, TaskError
from neuroworm.openloop import OpenLoopEvaluator, accuracy, cross_entropy


@pytest.fixture(scope="module")
def digits():
    """24 random "images" of 16 pixels in [0, 1], labels 0..3 (six each, interleaved)."""
    rng = np.random.default_rng(5)
    return rng.random((24, 16)), np.tile(np.arange(4), 6)


def test_accuracy_and_cross_entropy_closed_forms():
    labels = np.array([0, 1, 2])
    equal = np.zeros((2, 3, 4))
    assert np.allclose(cross_entropy(equal, labels), math.log(4))      # uniform softmax
    assert np.allclose(accuracy(equal, labels), 1 / 3)                  # ties answer class 0
    perfect = np.full((1, 3, 4), -50.0)
    perfect[0, np.arange(3), labels] = 50.0
    assert accuracy(perfect, labels)[0] == 1.0
    assert cross_entropy(perfect, labels)[0] == pytest.approx(3 * math.exp(-100), abs=1e-30)
    scores = np.array([[[1.0, 2.0]]])
    assert cross_entropy(scores, np.array([0]))[0] == pytest.approx(math.log(1 + math.e))


@pytest.mark.parametrize("model", ["alif", "relu"])
def test_batched_equals_one_image_and_one_genome_at_a_time(small_circuit, digits, model):
    images, labels = digits
    evaluator = OpenLoopEvaluator(small_circuit, model, images, labels, chunk=7, input_gain=3.0)
    genomes = evaluator.layout.random(3, seed=1, weight_noise=0.5)
    together = evaluator.scores(genomes, images)
    assert together.shape == (3, 24, 4)
    assert np.isfinite(together).all() and np.ptp(together) > 0
    for p in (0, 2):
        for b in (0, 13):
            alone = evaluator.scores(genomes[p], images[b:b + 1])
            assert np.allclose(alone[0, 0], together[p, b], rtol=0, atol=1e-12)


def test_dense_relu_equals_the_relu_backend(small_circuit, digits):
    images, labels = digits
    dense = OpenLoopEvaluator(small_circuit, "relu", images, labels, input_gain=2.0)
    sparse = OpenLoopEvaluator(small_circuit, "relu", images, labels, input_gain=2.0, backend="relu")
    assert dense.backend == "dense"
    genomes = dense.layout.random(4, seed=2, weight_noise=1.0)
    a, b = dense.scores(genomes, images), sparse.scores(genomes, images)
    assert np.ptp(a) > 0
    assert np.allclose(a, b, rtol=1e-12, atol=1e-12)


def test_spiking_scores_are_spike_rates_times_the_decoder(small_circuit, digits):
    """With a zero decoder every score is 0; with a one-hot decoder a score is an output rate in [0, 1]."""
    images, labels = digits
    evaluator = OpenLoopEvaluator(small_circuit, "alif", images, labels, steps=10, input_gain=1.0)
    genomes = evaluator.layout.random(2, seed=3)
    decoder = evaluator.layout.slices["decoder"]
    genomes[:, decoder] = 0.0
    assert (evaluator.scores(genomes, images) == 0).all()
    one_hot = np.zeros(evaluator.layout.shapes["decoder"])
    one_hot[0, 0] = 1.0
    genomes[:, decoder] = one_hot.ravel()
    rates = evaluator.scores(genomes, images)[..., 0]
    assert ((rates >= 0) & (rates <= 1)).all()
    assert np.allclose(rates * 10, np.round(rates * 10))   # counts over T = 10 steps


def test_fitness_and_heldout_accuracy(small_circuit, digits):
    images, labels = digits
    evaluator = OpenLoopEvaluator(small_circuit, "relu", images[:16], labels[:16], fitness="cross_entropy")
    genomes = evaluator.layout.random(3, seed=4)
    fitness = evaluator(genomes)
    assert fitness.shape == (3,) and (fitness < 0).all()
    held_out = evaluator.accuracy(genomes, images[16:], labels[16:])
    expected = (evaluator.scores(genomes, images[16:]).argmax(-1) == labels[16:]).mean(1)
    assert np.array_equal(held_out, expected)


def test_seeded_minibatches_are_reproducible(small_circuit, digits):
    images, labels = digits
    evaluator = OpenLoopEvaluator(small_circuit, "relu", images, labels, minibatch=8)
    genomes = evaluator.layout.random(3, seed=4)
    first = evaluator(genomes, seeds=[1, 2, 3])
    assert np.array_equal(first, evaluator(genomes, seeds=[1, 2, 3]))
    assert np.all(np.isin(first * 8, np.arange(9)))
    with pytest.raises(ConfigError, match="one seed per genome"):
        evaluator(genomes)


def test_evolution_driver_runs_it_and_a_pickled_copy_scores_the_same(small_circuit, digits):
    from neuroworm import evolve

    images, labels = digits
    evaluator = OpenLoopEvaluator(small_circuit, "relu", images, labels, fitness="cross_entropy")
    start = evaluator.layout.random(1, seed=0)[0]
    runs = []
    for _ in range(2):
        ga = evolve.EliteGA(start, population_size=6, n_elites=2, groups=evaluator.layout.mutation_groups(),
                            mutation_rate=0.05, seed=0)
        runs.append(evolve.run(ga, evaluator, 3, seed=7, progress=False))
    a, b = (r.logbook_frame() for r in runs)
    assert a["max"].tolist() == b["max"].tolist()
    assert a["max"].iloc[-1] >= a["max"].iloc[0]   # elitism: the best never gets worse on a fixed set
    copy = pickle.loads(pickle.dumps(evaluator))
    genomes = evaluator.layout.random(2, seed=9)
    assert np.array_equal(copy(genomes), evaluator(genomes))


def test_malformed_input_is_refused(small_circuit, digits):
    images, labels = digits
    with pytest.raises(TaskError, match="labels must have shape"):
        OpenLoopEvaluator(small_circuit, "relu", images, labels[:-1])
    with pytest.raises(TaskError, match=r"\[0, 1\]"):
        OpenLoopEvaluator(small_circuit, "relu", images * 255, labels)
    with pytest.raises(TaskError, match="class indices 0..2"):
        OpenLoopEvaluator(small_circuit, "relu", images, labels, n_classes=3)
    with pytest.raises(ConfigError, match="fitness"):
        OpenLoopEvaluator(small_circuit, "relu", images, labels, fitness="loss")
    spiking_on_dense = OpenLoopEvaluator(small_circuit, "alif", images, labels, backend="dense")
    with pytest.raises(ConfigError, match="ReLU networks only"):
        spiking_on_dense(spiking_on_dense.layout.random(1, seed=0))
    with pytest.raises(ConfigError, match="unknown backend"):
        OpenLoopEvaluator(small_circuit, "relu", images, labels, backend="gpu")
    with pytest.raises(ConfigError, match="minibatch"):
        OpenLoopEvaluator(small_circuit, "relu", images, labels, minibatch=100)
    evaluator = OpenLoopEvaluator(small_circuit, "relu", images, labels)
    with pytest.raises(TaskError, match=r"shape \(B, 16\)"):
        evaluator.scores(evaluator.layout.random(1, seed=0), images[:, :5])
