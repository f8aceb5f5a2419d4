"""DNN: the readings of the dopaminergic rule, frozen features, learning on MNIST."""

import numpy as np
import pytest

from neuroworm.backends.dnn import DopaminergicNetwork, dopaminergic_update, random_features, softmax
from neuroworm.errors import ConfigError
from neuroworm.tasks.mnist import split_mnist


@pytest.fixture(scope="module")
def digits():
    return split_mnist(train_per_class=60, test_per_class=40, seed=0)


def test_random_features_are_relu_of_the_product_in_blocks():
    rng = np.random.default_rng(0)
    images, weights = rng.random((7, 12)), rng.standard_normal((12, 5))
    np.testing.assert_allclose(random_features(images, weights, block=3), np.maximum(images @ weights, 0), rtol=1e-5)


def test_readings_by_hand():
    hidden = np.array([[1.0, 0.0, 2.0]])  # units 0 and 2 fired
    probabilities = np.array([[0.6, 0.3, 0.1]])
    label = np.array([0])  # loss = -log 0.6 = 0.51 <= eps0: "correct"
    text = dopaminergic_update(hidden, probabilities, label, reading="text")
    # errors: (0.4)^2=0.16, 0.09, 0.01, all <= 1/4 -> every output of a fired unit gains eps1
    np.testing.assert_array_equal(text, [[1, 1, 1], [0, 0, 0], [1, 1, 1]])
    assert not dopaminergic_update(hidden, probabilities, label, reading="formula").any()  # loss not above eps0
    signed = dopaminergic_update(hidden, probabilities, label, reading="signed", output_firing="winner")
    np.testing.assert_allclose(signed, [[0.25 - 0.16, 0, 0], [0, 0, 0], [0.25 - 0.16, 0, 0]])
    wrong = dopaminergic_update(hidden, probabilities, np.array([2]), reading="formula", epsilon1=0.5)
    # loss -log 0.1 > eps0; outputs 1 (0.09) and ... 0 has error 0.36 > 1/4; label 2 has error 0.81
    np.testing.assert_allclose(wrong, [[0, 0.5, 0], [0, 0, 0], [0, 0.5, 0]])


def test_formula_reading_with_every_output_only_lowers_the_correct_class():
    """Raising 9 wrong outputs by the same amount is, after the softmax, lowering the correct one."""
    rng = np.random.default_rng(1)
    hidden = rng.random((1, 6))
    logits = rng.normal(0, 0.1, (1, 10))
    probabilities = softmax(logits)
    label = np.array([3])
    change = dopaminergic_update(hidden, probabilities, label, reading="formula")
    before = probabilities[0, 3]
    after = softmax(hidden @ (np.zeros((6, 10)) + change) + logits)[0, 3]
    assert np.all(change[:, 3] == 0) and np.all(change[:, [0, 1, 2, 4]] == 1)
    assert after < before


def test_unknown_reading_is_refused():
    with pytest.raises(ConfigError, match="reading"):
        DopaminergicNetwork(10, reading="mystery")
    with pytest.raises(ConfigError, match="output_firing"):
        dopaminergic_update(np.ones((1, 1)), np.ones((1, 1)), np.zeros(1, int), output_firing="some")


def test_signed_winner_reading_learns_and_formula_does_not(digits):
    accuracies = {}
    for reading, firing in (("signed", "winner"), ("formula", "all"), ("text", "all")):
        network = DopaminergicNetwork(1000, reading=reading, output_firing=firing, seed=0)
        train, test = network.features(digits.train_images), network.features(digits.test_images)
        history = network.fit(train, digits.train_labels, epochs=15, seed=1, validation=(test, digits.test_labels),
                              record_every=15)
        accuracies[reading] = history[-1][2]
    assert accuracies["signed"] > 0.4  # 10 classes: chance is 0.1 (0.665 when written)
    assert accuracies["formula"] < 0.1  # pushes the correct class down
    text = DopaminergicNetwork(300, reading="text", seed=0)
    before = text.output_weights.copy()
    text.fit(text.features(digits.train_images), digits.train_labels, epochs=1, seed=1)
    np.testing.assert_array_equal(text.output_weights, before)  # the loss never starts at or below eps0


def test_same_seed_same_training(digits):
    runs = []
    for _ in range(2):
        network = DopaminergicNetwork(50, reading="signed", output_firing="winner", seed=3)
        network.fit(network.features(digits.train_images), digits.train_labels, epochs=2, seed=4)
        runs.append(network.output_weights)
    np.testing.assert_array_equal(*runs)


def test_text_signed_reading_rewards_good_and_punishes_the_rest():
    hidden = np.array([[1.0, 0.0], [1.0, 1.0]])
    probabilities = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
    labels = np.array([0, 2])
    change = dopaminergic_update(hidden, probabilities, labels, reading="text-signed", output_firing="winner")
    # example 0: winner 0 is right, loss 0.51 <= 0.75 and error 0.16 <= 1/4 -> +1 on (unit 0, output 0)
    # example 1: winner 1 is wrong, loss -log 0.3 = 1.2 > 0.75 -> -1 on (units 0 and 1, output 1); mean over 2
    np.testing.assert_allclose(change, [[0.5, -0.5, 0], [0, -0.5, 0]])


def test_minibatch_scope_gates_every_example_with_the_batch_mean():
    hidden = np.array([[1.0, 0.0], [0.0, 1.0]])
    probabilities = np.array([[0.9, 0.1], [0.6, 0.4]])
    labels = np.array([0, 1])
    # per example: loss 0.105 (<= 0.75) and 0.92 (> 0.75); the batch's mean loss 0.51 lets both fire
    per_example = dopaminergic_update(hidden, probabilities, labels, reading="text", output_firing="all")
    minibatch = dopaminergic_update(hidden, probabilities, labels, reading="text", output_firing="all",
                                    scope="minibatch")
    assert not per_example[1].any() and per_example[0].all()
    # batch mean errors: output 0 (0.01 + 0.36)/2 = 0.185, output 1 the same: both <= 1/4
    np.testing.assert_allclose(minibatch, [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ConfigError, match="scope"):
        dopaminergic_update(hidden, probabilities, labels, scope="epoch")


def test_initial_bounds_readings():
    kaiming = DopaminergicNetwork(400, init="kaiming", seed=0)
    pytorch = DopaminergicNetwork(400, init="pytorch", seed=0)
    assert np.abs(kaiming.input_weights).max() == pytest.approx(np.sqrt(6 / 784), rel=0.01)
    assert np.abs(kaiming.output_weights).max() == pytest.approx(np.sqrt(3 / 400), rel=0.05)
    assert np.abs(pytorch.input_weights).max() == pytest.approx(1 / np.sqrt(784), rel=0.01)
    assert np.abs(pytorch.output_weights).max() == pytest.approx(1 / np.sqrt(400), rel=0.05)
    with pytest.raises(ConfigError, match="init"):
        DopaminergicNetwork(10, init="xavier")
