"""ElegansNet's tensor network: structure against the DAG, per-unit equations, gradients, fast == reference, counts."""

import numpy as np
import pandas as pd
import pytest

from neuroworm import Connectome, load_connectome
from neuroworm.connectome import layered_dag
from neuroworm.errors import ConfigError
from neuroworm.nn import mean_squared_error, softmax_cross_entropy
from neuroworm.nn.functional import get_activation
from neuroworm.nn.tensor_network import MaskedTensorNetwork, TensorNetwork, dag_edges, unit_depths, unit_normalized


def toy_dag():
    cells = [("S1", "sensory"), ("S2", "sensory"), ("I1", "inter"), ("I2", "inter"), ("I3", "inter"),
             ("M1", "motor"), ("M2", "motor")]
    neurons = pd.DataFrame({"cell_class": [c for _, c in cells], "neurotransmitter": None, "sign": 0},
                           index=pd.Index([n for n, _ in cells], name="name"))
    chemical = pd.DataFrame(
        [("S1", "I1", 1), ("S2", "I1", 2), ("I1", "I2", 1), ("I2", "M1", 3), ("S2", "M2", 1),
         ("I1", "M2", 1), ("M1", "I1", 1)],  # the last one points backwards and is dropped
        columns=["pre", "post", "weight"])
    electrical = pd.DataFrame([("I2", "S1", 1.0), ("I3", "M2", 1.0)], columns=["a", "b", "weight"])
    return layered_dag(Connectome(neurons, chemical, electrical, name="toy"))


def perturb_biases(net, rng, scale):
    """Non-zero biases (the initial ones are zero, where ReLU and unit normalisation have kinks)."""
    for cells in net.cells_by_depth:
        for cell in cells:
            net.unit_bias(cell)[...] += scale * rng.standard_normal(net.channels)
    net.output_bias()[...] += scale * rng.standard_normal(net.output_size)


def per_unit_forward(net, inputs, activation):
    """The module docstring's equations, one unit at a time, in topological order."""
    hidden = {}
    for cells in net.cells_by_depth:
        for cell in cells:
            z = inputs @ net.encoder_weights(cell) + net.unit_bias(cell)
            for pre, post in net.edges:
                if post == cell:
                    z = z + hidden[pre] @ net.connection_weights(pre, cell)
            hidden[cell] = activation.forward(z)
    out = sum(hidden[c] @ net.decoder_weights(c) for c in net.output_cells) + net.output_bias()
    return get_activation("identity").forward(out)


@pytest.mark.parametrize("implementation", [TensorNetwork, MaskedTensorNetwork])
def test_structure_follows_the_dag(implementation):
    dag = toy_dag()
    edges = dag_edges(dag)
    assert edges == {("S1", "I1"), ("S2", "I1"), ("I1", "I2"), ("I2", "M1"), ("S2", "M2"), ("I1", "M2"),
                     ("S1", "I2"), ("I3", "M2")}
    assert dag_edges(dag, electrical=False) == edges - {("S1", "I2"), ("I3", "M2")}
    assert unit_depths(dag, edges) == {"S1": 0, "S2": 0, "I3": 0, "I1": 1, "I2": 2, "M2": 2, "M1": 3}
    net = implementation(dag, 6, 3, channels=2, dtype="float64", seed=0)
    assert net.input_cells == ["S1", "S2"] and net.output_cells == ["M1", "M2"]
    assert net.depth == 4
    assert net.parameter_breakdown == {
        "encoder": 6 * 2 * 2, "connectome": len(edges) * 2 * 2 + 7 * 2, "decoder": 2 * 2 * 3 + 3,
        "total": 24 + 46 + 15,
    }
    assert net.parameter_count == net.parameter_breakdown["total"]
    # I3 has no input at all: only its bias, so it is constant
    assert not net.encoder_weights("I3").any()
    assert net.connection_weights("M1", "I1").shape == (2, 2) and not net.connection_weights("M1", "I1").any()


@pytest.mark.parametrize("implementation", [TensorNetwork, MaskedTensorNetwork])
@pytest.mark.parametrize("norm", ["none", "unit"])
def test_forward_equals_the_per_unit_equations(norm, implementation):
    net = implementation(toy_dag(), 6, 3, channels=3, norm=norm, dtype="float64", seed=1)
    perturb_biases(net, np.random.default_rng(2), 1.0)
    inputs = np.random.default_rng(3).standard_normal((5, 6))
    activation = unit_normalized("relu", 3) if norm == "unit" else get_activation("relu")
    np.testing.assert_allclose(net.forward(inputs), per_unit_forward(net, inputs, activation), rtol=1e-12)


@pytest.mark.parametrize(("norm", "activation", "loss"),
                         [("unit", "tanh", "cross_entropy"), ("none", "tanh", "mse"), ("unit", "relu", "mse")])
def test_tensor_network_gradients_match_finite_differences(norm, activation, loss):
    """The fast path's gradients of every stored parameter against central differences."""
    net = TensorNetwork(toy_dag(), 4, 3, channels=3, norm=norm, activation=activation, dtype="float64", seed=4)
    rng = np.random.default_rng(5)
    perturb_biases(net, rng, 0.3)
    inputs = rng.standard_normal((6, 4))
    targets = rng.integers(0, 3, 6) if loss == "cross_entropy" else rng.standard_normal((6, 3))
    loss_function = softmax_cross_entropy if loss == "cross_entropy" else mean_squared_error
    net.backward(loss_function(net.forward(inputs), targets)[1])
    for parameter, grad in zip(net.parameters(), [g.copy() for g in net.gradients()], strict=True):
        numerical = np.zeros_like(parameter)
        for index in np.ndindex(parameter.shape):
            old = parameter[index]
            parameter[index] = old + 1e-6
            plus = loss_function(net.forward(inputs), targets)[0]
            parameter[index] = old - 1e-6
            minus = loss_function(net.forward(inputs), targets)[0]
            parameter[index] = old
            numerical[index] = (plus - minus) / 2e-6
        np.testing.assert_allclose(grad, numerical, rtol=1e-5, atol=1e-8)


def blocks(net, *, gradient=False):
    """Every parameter block of a tensor network by name, read through the shared accessors."""
    named = {("bias", c): net.unit_bias(c, gradient=gradient) for cells in net.cells_by_depth for c in cells}
    named.update({("encoder", c): net.encoder_weights(c, gradient=gradient) for c in net.input_cells})
    named.update({("decoder", c): net.decoder_weights(c, gradient=gradient) for c in net.output_cells})
    named.update({("edge", e): net.connection_weights(*e, gradient=gradient) for e in net.edges})
    named["output bias"] = net.output_bias(gradient=gradient)
    return named


@pytest.mark.parametrize(("graph", "norm", "loss"), [("toy", "unit", "mse"), ("worm", "none", "cross_entropy"),
                                                     ("worm", "unit", "cross_entropy")])
def test_fast_path_equals_the_masked_reference(graph, norm, loss):
    """Outputs, input gradients and every parameter's gradient agree with the masked dense layers."""
    if graph == "toy":
        dag, inputs_size, outputs_size = toy_dag(), 6, 3
    else:
        worm = load_connectome("cook2019_hermaphrodite")
        dag = layered_dag(worm.subset(worm.neurons.index[worm.neurons["cell_class"].isin(["sensory", "inter",
                                                                                          "motor"])]))
        inputs_size, outputs_size = 50, 10
    fast = TensorNetwork(dag, inputs_size, outputs_size, channels=3, norm=norm, dtype="float64", seed=6)
    rng = np.random.default_rng(7)
    for p in fast.parameters():
        p += 0.1 * rng.standard_normal(p.shape)
    reference = fast.masked_reference()
    assert isinstance(reference, MaskedTensorNetwork) and reference.parameter_count == fast.parameter_count
    reference_blocks = blocks(reference)
    for name, block in blocks(fast).items():
        np.testing.assert_array_equal(reference_blocks[name], block, err_msg=str(name))
    inputs = rng.standard_normal((9, inputs_size))
    targets = rng.integers(0, outputs_size, 9) if loss == "cross_entropy" else rng.standard_normal((9, outputs_size))
    loss_function = softmax_cross_entropy if loss == "cross_entropy" else mean_squared_error
    outputs = fast.forward(inputs)
    np.testing.assert_allclose(outputs, reference.forward(inputs), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fast.backward(loss_function(outputs, targets)[1]),
                               reference.backward(loss_function(reference.forward(inputs), targets)[1]),
                               rtol=1e-10, atol=1e-12)
    reference_gradients = blocks(reference, gradient=True)
    assert any(np.abs(g).max() > 1e-3 for g in reference_gradients.values())
    for name, gradient in blocks(fast, gradient=True).items():
        np.testing.assert_allclose(gradient, reference_gradients[name], rtol=1e-9, atol=1e-12, err_msg=str(name))
    np.testing.assert_allclose(fast.unit_activity(fast.output_cells), reference.unit_activity(fast.output_cells),
                               rtol=1e-10, atol=1e-12)


def test_fast_path_trains_like_the_reference_in_float32():
    """A few Adam steps in float32 move both implementations alike (same losses to float32 precision)."""
    from neuroworm.nn import Adam

    fast = TensorNetwork(toy_dag(), 6, 3, channels=4, seed=8)
    reference = fast.masked_reference()
    rng = np.random.default_rng(9)
    inputs, labels = rng.standard_normal((32, 6)).astype(np.float32), rng.integers(0, 3, 32)
    losses = {}
    for name, net in (("fast", fast), ("reference", reference)):
        optimizer = Adam(1e-2)
        losses[name] = []
        for _ in range(20):
            value, gradient = softmax_cross_entropy(net.forward(inputs), labels)
            net.backward(gradient)
            optimizer.step(net.parameters(), net.gradients())
            losses[name].append(value)
    assert losses["fast"][-1] < losses["fast"][0] - 0.1
    np.testing.assert_allclose(losses["fast"], losses["reference"], rtol=1e-4)


def test_bad_parameters_are_named():
    dag = toy_dag()
    with pytest.raises(ConfigError, match="norm"):
        TensorNetwork(dag, 4, 2, norm="batch")
    with pytest.raises(ConfigError, match="channels"):
        TensorNetwork(dag, 4, 2, channels=0)
    with pytest.raises(ConfigError, match="at least 2 channels"):
        TensorNetwork(dag, 4, 2, channels=1, norm="unit")
    with pytest.raises(ConfigError, match="not a cell"):
        TensorNetwork(dag, 4, 2).unit_bias("nobody")
    with pytest.raises(ConfigError, match="not a cell"):
        MaskedTensorNetwork(dag, 4, 2).unit_columns("nobody")


def test_worm_tensor_network_counts():
    """Cook et al. 2019's 302 neurons: 83 sensory inputs, 128 motor outputs, pinned sizes."""
    worm = load_connectome("cook2019_hermaphrodite")
    neurons = worm.subset(worm.neurons.index[worm.neurons["cell_class"].isin(["sensory", "inter", "motor"])])
    dag = layered_dag(neurons)
    net = TensorNetwork(dag, 784, 10, channels=4, seed=0)
    edges = dag_edges(dag)
    assert (len(edges), net.depth) == (3098, 51)  # 2473 forward chemical + 1091 gap junctions, 466 pairs shared
    assert (len(net.input_cells), len(net.output_cells), len(neurons.neurons)) == (83, 128, 302)
    assert net.parameter_breakdown == {
        "encoder": 784 * 83 * 4, "connectome": len(edges) * 16 + 302 * 4, "decoder": 128 * 4 * 10 + 10,
        "total": 784 * 83 * 4 + len(edges) * 16 + 302 * 4 + 128 * 4 * 10 + 10,
    }
    assert net.forward(np.zeros((2, 784))).shape == (2, 10)
