"""neuroworm.nn: gradients against finite differences, optimizers in closed form, the trainer."""

import numpy as np
import pytest

from neuroworm.errors import ConfigError, TaskError
from neuroworm.nn import (
    SGD,
    Adam,
    LayeredNetwork,
    SignSGD,
    evaluate,
    fit,
    kaiming_uniform,
    make_optimizer,
    mean_squared_error,
    minibatches,
    mlp,
    softmax,
    softmax_cross_entropy,
)


def skip_network(hidden_activation, output_activation, seed=0):
    """Input -> A -> B, with the input and A skipping ahead to the output; masked layers."""
    rng = np.random.default_rng(seed)
    net = LayeredNetwork(5)
    a = net.add_layer(4, activation=hidden_activation, mask=rng.integers(0, 2, (5, 4)))
    b = net.add_layer(3, sources=[a], activation="tanh")
    net.add_layer(3, sources=[0, a, b], activation=output_activation, mask=rng.integers(0, 2, (12, 3)))
    net.initialize(seed=seed)
    for p in net.parameters():  # non-zero biases so they are checked too
        p += 0.1 * rng.standard_normal(p.shape) * (p != 0 if p.ndim == 2 else 1)
    return net


def numerical_gradient(function, array, epsilon=1e-6):
    gradient = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        old = array[index]
        array[index] = old + epsilon
        plus = function()
        array[index] = old - epsilon
        minus = function()
        array[index] = old
        gradient[index] = (plus - minus) / (2 * epsilon)
    return gradient


@pytest.mark.parametrize(
    ("hidden", "output", "loss"),
    [("relu", "identity", "cross_entropy"), ("tanh", "identity", "mse"), ("tanh", "softmax", "mse"),
     ("identity", "tanh", "mse"), ("relu", "relu", "mse")],
)
def test_every_gradient_matches_finite_differences(hidden, output, loss):
    rng = np.random.default_rng(1)
    net = skip_network(hidden, output)
    inputs = rng.standard_normal((7, 5))
    targets = rng.integers(0, 3, 7) if loss == "cross_entropy" else rng.standard_normal((7, 3))
    loss_function = softmax_cross_entropy if loss == "cross_entropy" else mean_squared_error

    def value():
        return loss_function(net.forward(inputs), targets)[0]

    _, gradient = loss_function(net.forward(inputs), targets)
    grad_inputs = net.backward(gradient)
    analytic = [g.copy() for g in net.gradients()]
    masks = [m for layer in net.layers for m in (layer.dense.mask, None)]
    for parameter, grad, mask in zip(net.parameters(), analytic, masks, strict=True):
        numerical = numerical_gradient(value, parameter)
        if mask is not None:  # a masked weight is not a parameter: its gradient is defined as 0
            numerical *= mask
        np.testing.assert_allclose(grad, numerical, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(grad_inputs, numerical_gradient(value, inputs), rtol=1e-5, atol=1e-8)


def test_masked_weights_have_zero_gradient_and_stay_zero_under_every_optimizer():
    rng = np.random.default_rng(2)
    for optimizer in (Adam(0.05), SGD(0.1, momentum=0.9), SignSGD(0.01)):
        net = skip_network("relu", "identity")
        inputs, labels = rng.standard_normal((40, 5)), rng.integers(0, 3, 40)
        fit(net, inputs, labels, optimizer=optimizer, epochs=3, batch_size=8, seed=0)
        for layer in net.layers:
            if layer.dense.mask is not None:
                assert np.all(layer.dense.weight[layer.dense.mask == 0] == 0)
                assert np.all(layer.dense.grad_weight[layer.dense.mask == 0] == 0)


def test_softmax_cross_entropy_closed_form():
    logits = np.array([[0.0, 0.0], [np.log(3.0), 0.0]])
    loss, gradient = softmax_cross_entropy(logits, np.array([0, 0]))
    assert loss == pytest.approx((np.log(2) + np.log(4 / 3)) / 2)
    np.testing.assert_allclose(gradient, np.array([[-0.5, 0.5], [-0.25, 0.25]]) / 2)
    np.testing.assert_allclose(softmax(np.array([[1000.0, 1000.0]])), [[0.5, 0.5]])  # no overflow


def test_losses_reject_malformed_targets():
    with pytest.raises(TaskError, match="labels must lie in"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(TaskError, match="integer"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(TaskError, match="differ"):
        mean_squared_error(np.zeros((2, 3)), np.zeros((2, 4)))


def test_optimizers_first_steps_in_closed_form():
    gradient = np.array([0.5, -2.0, 0.0])
    for optimizer, expected in (
        (SGD(0.1), [-0.05, 0.2, 0.0]),
        (SignSGD(0.1), [-0.1, 0.1, 0.0]),
        (Adam(0.1), [-0.1, 0.1, 0.0]),  # Adam's first step is lr * sign(g) (up to epsilon)
    ):
        parameter = np.zeros(3)
        optimizer.step([parameter], [gradient])
        np.testing.assert_allclose(parameter, expected, atol=1e-6)
    momentum = SGD(1.0, momentum=0.5)
    parameter = np.zeros(1)
    for _ in range(2):
        momentum.step([parameter], [np.ones(1)])
    assert parameter[0] == pytest.approx(-(1 + 1.5))
    assert isinstance(make_optimizer("SignSGD", learning_rate=0.2), SignSGD)
    with pytest.raises(ConfigError, match="unknown optimizer"):
        make_optimizer("rmsprop")
    with pytest.raises(ConfigError, match="learning_rate"):
        Adam(learning_rate=0)


def test_adam_minimises_a_quadratic():
    target = np.array([3.0, -1.0])
    parameter = np.zeros(2)
    optimizer = Adam(0.1)
    for _ in range(500):
        optimizer.step([parameter], [2 * (parameter - target)])
    np.testing.assert_allclose(parameter, target, atol=1e-2)


def test_kaiming_uniform_variance_and_masked_fan_in():
    weights = kaiming_uniform(50, (50, 4000), seed=0)
    assert weights.var() == pytest.approx(2 / 50, rel=0.03)
    assert np.abs(weights).max() <= np.sqrt(2) * np.sqrt(3 / 50)
    mask = np.zeros((100, 2))
    mask[:4, 0] = 1
    mask[:, 1] = 1
    net = LayeredNetwork(100)
    net.add_layer(2, mask=mask)
    net.initialize(seed=0)
    assert np.abs(net.layers[0].dense.weight[:, 0]).max() > np.sqrt(6 / 100)  # bound uses fan-in 4, not 100


def test_mlp_parameter_count_and_shapes():
    net = mlp([784, 128, 10], seed=0)
    assert net.parameter_count == 784 * 128 + 128 + 128 * 10 + 10
    assert net.predict(np.zeros((3, 784))).shape == (3, 10)
    masked = skip_network("relu", "identity")
    counted = sum(int(layer.dense.mask.sum()) if layer.dense.mask is not None else layer.dense.weight.size
                  for layer in masked.layers) + sum(layer.size for layer in masked.layers)
    assert masked.parameter_count == counted


def test_float32_network_stays_float32():
    net = mlp([4, 8, 3], dtype="float32", seed=0)
    out = net.forward(np.ones((2, 4)))
    net.backward(softmax_cross_entropy(out, np.array([0, 1]))[1])
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in net.gradients())
    with pytest.raises(ConfigError, match="float32 or float64"):
        LayeredNetwork(3, dtype="int32")


def test_parameter_vector_round_trip_keeps_masks():
    net = skip_network("relu", "identity")
    vector = net.get_parameter_vector()
    other = skip_network("relu", "identity", seed=0)
    other.set_parameter_vector(np.ones_like(vector))
    for layer in other.layers:
        if layer.dense.mask is not None:
            assert np.all(layer.dense.weight == layer.dense.mask)
    other.set_parameter_vector(vector)
    np.testing.assert_array_equal(other.get_parameter_vector(), vector)
    with pytest.raises(ConfigError, match="parameter vector"):
        other.set_parameter_vector(vector[:-1])


def test_malformed_configuration_and_input_are_named():
    net = LayeredNetwork(3)
    with pytest.raises(ConfigError, match="sources"):
        net.add_layer(2, sources=[1])
    with pytest.raises(ConfigError, match="mask must have shape"):
        net.add_layer(2, mask=np.ones((2, 2)))
    with pytest.raises(ConfigError, match="unknown activation"):
        net.add_layer(2, activation="gelu")
    net.add_layer(2)
    with pytest.raises(TaskError, match=r"\(batch, 3\)"):
        net.forward(np.zeros((4, 5)))
    with pytest.raises(TaskError, match="inputs but"):
        fit(net, np.zeros((4, 3)), np.zeros(3, int))


def test_minibatches_cover_every_row_once():
    batches = minibatches(23, 5, seed=0)
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(23))


def two_blobs(count, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, count)
    inputs = rng.standard_normal((count, 2)) + np.where(labels[:, None] == 1, 2.0, -2.0)
    return inputs, labels


def test_fit_learns_held_out_blobs_and_is_seeded():
    train, validation = two_blobs(400, 0), two_blobs(200, 1)
    histories = []
    for _ in range(2):
        net = mlp([2, 16, 2], seed=3)
        histories.append(fit(net, *train, epochs=5, batch_size=32, seed=4, validation=validation))
    assert histories[0].to_frame().equals(histories[1].to_frame())
    history = histories[0]
    assert np.isnan(history.train_loss[0]) and len(history.epoch) == 6
    assert history.validation_accuracy[-1] > 0.95
    assert history.validation_loss[-1] < history.validation_loss[0]
    loss, accuracy = evaluate(net, *validation)
    assert accuracy == history.validation_accuracy[-1] and loss == pytest.approx(history.validation_loss[-1])
    assert list(history.to_frame().columns) == ["epoch", "train_loss", "validation_loss", "validation_accuracy"]


def test_fit_regression_with_mse_and_a_progress_bar():
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1, 1, (256, 3))
    targets = inputs @ np.array([[1.0], [-2.0], [0.5]])
    net = mlp([3, 1], seed=0)
    history = fit(net, inputs, targets, loss="mse", optimizer=SGD(0.1), epochs=40, batch_size=32, seed=0,
                  validation=(inputs[:64], targets[:64]), progress=True)
    assert history.validation_loss[-1] < 1e-4
    assert np.isnan(history.validation_accuracy[-1])


def test_one_adam_descends_by_default_and_ascends_with_maximize():
    """The one Adam (nn and evolution strategies): maximize mirrors the step exactly; update leaves its input."""
    from neuroworm.evolve.optimizers import make_optimizer as make_es_optimizer

    rng = np.random.default_rng(0)
    gradients = [rng.normal(size=4) for _ in range(5)]
    down, up = Adam(0.1), Adam(0.1, maximize=True)
    low, high = np.zeros(4), np.zeros(4)
    for g in gradients:
        down.step([low], [g])
        up.step([high], [g])
    np.testing.assert_array_equal(high, -low)
    es = make_es_optimizer("adam", 4)
    assert type(es) is Adam and es.maximize and es.config() == {"optimizer": "adam", "beta1": 0.9,
                                                                "beta2": 0.999, "epsilon": 1e-8}
    start = np.zeros(4)
    after = es.update(start, gradients[0], np.full(4, 0.1))
    assert not start.any(), "update returns a new vector"
    np.testing.assert_allclose(after, 0.1 * np.sign(gradients[0]), rtol=1e-6)
    rates = np.array([0.1, 0.1, 0.01, 0.0])  # a learning rate per element (genome groups)
    vector = np.zeros(4)
    climber = Adam(maximize=True, size=4)
    for _ in range(300):
        vector = climber.update(vector, -2 * (vector - 1.0), rates)  # ascend -(x - 1)²
    np.testing.assert_allclose(vector[:2], 1.0, atol=1e-2)
    assert 0 < vector[2] < vector[0] and vector[3] == 0.0


def test_adam_state_round_trips_for_a_checkpoint():
    class Section:  # the two readers of neuroworm.evolve.checkpoint that load_state uses
        def __init__(self, fields, arrays):
            self.fields, self.arrays = fields, arrays

        def integer(self, name, minimum=None):
            return int(self.fields[name])

        def array(self, name, shape=None, finite=False):
            assert self.arrays[name].shape == shape
            return self.arrays[name]

    rng = np.random.default_rng(1)
    original, copy = Adam(maximize=True, size=3), Adam(maximize=True, size=3)
    vector = np.zeros(3)
    for _ in range(4):
        vector = original.update(vector, rng.normal(size=3), 0.05)
    copy.load_state(Section(*original.state()))
    gradient = rng.normal(size=3)
    np.testing.assert_array_equal(original.update(vector, gradient, 0.05), copy.update(vector, gradient, 0.05))
    with pytest.raises(ConfigError, match="size="):
        Adam().load_state(Section(*original.state()))
