"""Evolvable Neural Units: eq. (1) against a unit-by-unit reading, batching, closed forms."""

import numpy as np
import pytest

from neuroworm.backends.enu import (
    ENULayer,
    ENUNetwork,
    ENUShape,
    enu_step,
    random_topology,
    topology_from_adjacency,
)
from neuroworm.control.enu_tmaze import tmaze_topology
from neuroworm.errors import ConfigError, GenomeError


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _one_unit(genome, shape, memory, output, inputs):
    """Eq. (1) for one unit, written out with the genome's own slices (float64)."""
    k, m, c = shape.gate_inputs, shape.memory_size, shape.n_outputs
    w_zr = genome[: k * 2 * m].reshape(k, 2 * m)
    w_c = genome[k * 2 * m: k * 3 * m].reshape(k, m)
    w_o = genome[k * 3 * m:].reshape(m, c)
    bias = [1.0] if shape.bias else []
    x = np.concatenate([memory, output, inputs, bias])
    z = _sigmoid(x @ w_zr[:, :m])
    r = _sigmoid(x @ w_zr[:, m:])
    candidate = np.tanh(np.concatenate([r * memory, output, inputs, bias]) @ w_c)
    memory = (1 - z) * memory + z * candidate
    return memory, np.clip(memory @ w_o, 0, 1)


@pytest.mark.parametrize("bias", [True, False])
def test_enu_step_is_equation_1_unit_by_unit(bias):
    shape = ENUShape(3, memory_size=5, n_outputs=4, bias=bias)
    rng = np.random.default_rng(0)
    genomes = np.stack([shape.initial_genome(seed=i, gain=2.0) for i in range(3)])
    memory = rng.normal(size=(3, 2, 5))
    output = rng.random((3, 2, 4))
    inputs = rng.normal(size=(3, 2, 3))
    new_memory, new_output = enu_step(shape.unpack(genomes, dtype=np.float64), memory, output, inputs)
    for p in range(3):
        for u in range(2):
            expected_memory, expected_output = _one_unit(genomes[p], shape, memory[p, u], output[p, u], inputs[p, u])
            np.testing.assert_allclose(new_memory[p, u], expected_memory, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(new_output[p, u], expected_output, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
def test_the_fast_layer_is_equation_1_over_many_steps(bias):
    # the fused, in-place form (tanh for the sigmoids, the reset applied through the cell gate's memory rows)
    # against eq. (1) as written, unit by unit through enu_step, for 3 offspring x 5 units over 8 steps
    shape = ENUShape(3, memory_size=5, n_outputs=4, bias=bias)
    genomes = np.stack([shape.initial_genome(seed=i, gain=2.0) for i in range(3)])
    layer = ENULayer(shape, 3, 5, dtype=np.float64)
    layer.set_genomes(genomes)
    layer.output_offset = np.random.default_rng(7).normal(0, 0.1, (1, 4, 5))
    gates = shape.unpack(genomes, dtype=np.float64)
    memory, output = np.zeros((3, 5, 5)), np.zeros((3, 5, 4))
    rng = np.random.default_rng(8)
    for _ in range(8):
        inputs = rng.normal(size=(3, 5, 3))
        layer.inputs[...] = inputs.transpose(0, 2, 1)
        layer.step()
        memory, output = enu_step(gates, memory, output, inputs,
                                  output_offset=layer.output_offset.transpose(0, 2, 1))
        np.testing.assert_allclose(layer.memory.transpose(0, 2, 1), memory, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.output.transpose(0, 2, 1), output, rtol=1e-12, atol=1e-12)
    assert 0 < output.mean() < 1  # not trivially clipped


def test_the_float32_layer_batched_equals_one_offspring_at_a_time():
    shape = ENUShape(4, memory_size=32, n_outputs=16)
    genomes = np.stack([shape.initial_genome(seed=i) for i in range(6)])
    batched = ENULayer(shape, 6, 7)
    batched.set_genomes(genomes)
    singles = [ENULayer(shape, 1, 7) for _ in range(6)]
    for single, genome in zip(singles, genomes, strict=True):
        single.set_genomes(genome[None])
    rng = np.random.default_rng(9)
    for _ in range(20):
        inputs = rng.random((6, 4, 7), dtype=np.float32)
        batched.inputs[...] = inputs
        together = batched.step().copy()
        for p, single in enumerate(singles):
            single.inputs[...] = inputs[p]
            np.testing.assert_allclose(together[p], single.step()[0], rtol=1e-5, atol=1e-6)
    assert batched.output.dtype == np.float32 and batched.memory.flags.c_contiguous
    batched.reset_state()
    assert not batched.memory.any() and not batched.output.any()
    with pytest.raises(ConfigError, match="set_genomes"):
        ENULayer(shape, 2, 3).step()
    with pytest.raises(GenomeError, match="2 genomes"):
        ENULayer(shape, 2, 3).set_genomes(genomes)


@pytest.mark.parametrize("offset_rows", [1, 7])
def test_the_layer_stepped_in_blocks_equals_the_whole_population_at_once(offset_rows):
    # blocks of 3 offspring (the last one short) against one block of all 7, with a shared or per-offspring offset
    shape = ENUShape(2, memory_size=6, n_outputs=5)
    genomes = np.stack([shape.initial_genome(seed=i, gain=2.0) for i in range(7)])
    offset = np.random.default_rng(3).normal(0, 0.2, (offset_rows, 5, 4))
    layers = [ENULayer(shape, 7, 4, dtype=np.float64, block=block) for block in (3, 7)]
    assert [len(layer._blocks) for layer in layers] == [3, 1] and layers[0].block == 3
    for layer in layers:
        layer.set_genomes(genomes)
        layer.output_offset = offset
    rng = np.random.default_rng(4)
    for _ in range(10):
        inputs = rng.normal(size=(7, 2, 4))
        outputs = []
        for layer in layers:
            layer.inputs[...] = inputs
            outputs.append(layer.step().copy())
        np.testing.assert_array_equal(outputs[0], outputs[1])
        np.testing.assert_array_equal(layers[0].memory, layers[1].memory)
    assert 0 < outputs[0].mean() < 1
    assert ENULayer(shape, 1024, 384).block < 1024 == ENULayer(shape, 1024, 384, block=5000).block
    with pytest.raises(ConfigError, match="block"):
        ENULayer(shape, 4, 2, block=0)


def test_memory_decays_geometrically_with_a_fixed_update_gate():
    # W = 0 except the bias row of the update gate: z = sigmoid(b), cell = tanh(0) = 0, so h_t = (1 - z)^t h_0
    shape = ENUShape(1, memory_size=2, n_outputs=2)
    genome = np.zeros(shape.n_parameters)
    k, m = shape.gate_inputs, shape.memory_size
    w_zr = genome[: k * 2 * m].reshape(k, 2 * m)
    w_zr[-1, :m] = np.log(3.0)  # z = 3/4
    genome[k * 3 * m:] = np.eye(2).ravel()  # output = clip(h)
    gates = shape.unpack(genome[None], dtype=np.float64)
    memory, output = np.full((1, 1, 2), 0.8), np.zeros((1, 1, 2))
    for step in range(1, 6):
        memory, output = enu_step(gates, memory, output, np.zeros((1, 1, 1)))
        np.testing.assert_allclose(memory[0, 0], 0.8 * 0.25**step, rtol=1e-12)
        np.testing.assert_allclose(output[0, 0], 0.8 * 0.25**step, rtol=1e-12)


def test_output_is_clipped_to_the_unit_interval_and_offsets_shift_it():
    shape = ENUShape(2, memory_size=4, n_outputs=3)
    gates = shape.unpack(np.stack([shape.initial_genome(seed=s, gain=5.0) for s in range(4)]), dtype=np.float64)
    rng = np.random.default_rng(1)
    _, output = enu_step(gates, rng.normal(size=(4, 6, 4)), rng.random((4, 6, 3)), 10 * rng.normal(size=(4, 6, 2)))
    assert output.min() >= 0 and output.max() <= 1
    assert np.any(output == 0) and np.any(output == 1)
    zero = shape.unpack(np.zeros((4, shape.n_parameters)), dtype=np.float64)
    _, lifted = enu_step(zero, np.zeros((4, 6, 4)), np.zeros((4, 6, 3)), np.ones((4, 6, 2)),
                         output_offset=np.full((1, 6, 3), 0.25))
    np.testing.assert_allclose(lifted, 0.25)  # zero weights: h stays 0, W_o h = 0, the output is the offset


def test_genome_length_and_values_are_checked():
    shape = ENUShape(1, memory_size=4, n_outputs=2)
    assert shape.n_parameters == 3 * (4 + 2 + 1 + 1) * 4 + 4 * 2
    with pytest.raises(GenomeError, match=str(shape.n_parameters)):
        shape.unpack(np.zeros((2, shape.n_parameters + 1)))
    bad = np.zeros((1, shape.n_parameters))
    bad[0, 3] = np.nan
    with pytest.raises(GenomeError, match="NaN"):
        shape.unpack(bad)
    with pytest.raises(ConfigError, match="memory_size"):
        ENUShape(1, memory_size=0)


def _network(presynaptic, n_individuals, n_environments=2, **options):
    return ENUNetwork(presynaptic, n_inputs=2, n_individuals=n_individuals, n_environments=n_environments,
                      memory_size=6, n_channels=4, dtype=np.float64, **options)


def test_offspring_batched_network_equals_one_network_per_offspring():
    presynaptic = random_topology(3, 5, 3, seed=2)
    batched = _network(presynaptic, 3, output_noise=0.0)
    genomes = np.stack([batched.initial_genome(seed=s, gain=1.5) for s in range(3)])
    batched.set_genomes(genomes)
    singles = [_network(presynaptic, 1) for _ in range(3)]
    for single, genome in zip(singles, genomes, strict=True):
        single.set_genomes(genome[None])
    rng = np.random.default_rng(3)
    for _ in range(12):
        drive = rng.random((2, 2, 4))
        together = batched.step(drive)
        for p, single in enumerate(singles):
            np.testing.assert_allclose(together[p], single.step(drive)[0], rtol=1e-12, atol=1e-12)


def test_padded_synapses_contribute_nothing():
    genome_network = _network(np.array([[0, 2], [1, 3]]), 1)
    genome = genome_network.initial_genome(seed=4, gain=2.0)[None]
    padded, dense = _network(np.array([[0, -1, 2], [-1, 1, 3]]), 1), _network(np.array([[0, 2], [1, 3]]), 1)
    padded.set_genomes(genome)
    dense.set_genomes(genome)
    rng = np.random.default_rng(5)
    for _ in range(10):
        drive = rng.random((2, 2, 4))
        np.testing.assert_allclose(padded.step(drive), dense.step(drive), rtol=1e-12, atol=1e-12)


def test_network_inputs_reach_the_neurons_through_synapses():
    network = _network(np.array([[0], [2]]), 1, n_environments=1)  # neuron 0 hears input 0; neuron 1 hears neuron 0
    network.set_genomes(network.initial_genome(seed=6, gain=3.0)[None])
    quiet = [network.step(np.zeros((1, 2, 4))).copy() for _ in range(3)]
    network.reset_state()
    driven = [network.step(np.ones((1, 2, 4))).copy() for _ in range(3)]
    assert not np.allclose(quiet[0][0, 0, 0], driven[0][0, 0, 0])  # neuron 0 sees the input at once
    np.testing.assert_allclose(quiet[0][0, 0, 1], driven[0][0, 0, 1])  # neuron 1 only one step later
    assert not np.allclose(quiet[2][0, 0, 1], driven[2][0, 0, 1])


def test_topologies():
    adjacency = np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])  # 0->1, 0->2, 1->2
    np.testing.assert_array_equal(topology_from_adjacency(adjacency, n_inputs=1), [[-1, -1], [1, -1], [1, 2]])
    drawn = random_topology(4, 6, 3, seed=0)
    assert drawn.shape == (4, 3) and all(len(set(row)) == 3 for row in drawn)
    with pytest.raises(ConfigError, match="synapses_per_neuron"):
        random_topology(2, 3, 4)
    with pytest.raises(ConfigError, match=r"\[-1, 2\]"):
        _network(np.array([[5]]), 1)
    maze = tmaze_topology(seed=0)
    assert maze.shape == (6, 8)  # 6 neurons x (2 sensory, 2 hidden, 2 output, reward, self)
    for neuron, row in enumerate(maze):
        assert np.sum(row < 3) == 2 and np.sum(row == 3) == 1 and row[-1] == neuron + 4
        assert np.sum((row >= 4) & (row <= 6)) == 2 + (neuron < 3) and np.sum(row >= 7) == 2 + (neuron >= 3)


def test_network_refuses_bad_shapes():
    network = _network(np.array([[0]]), 2)
    with pytest.raises(ConfigError, match="set_genomes"):
        network.step(np.zeros((2, 2, 4)))
    with pytest.raises(GenomeError, match="shape"):
        network.set_genomes(np.zeros((3, network.genome_size)))
    network.set_genomes(np.zeros((2, network.genome_size)))
    with pytest.raises(ConfigError, match="input_channels"):
        network.step(np.zeros((2, 3, 4)))


def test_a_network_of_enus_on_a_bundled_connectome():
    from neuroworm import load_connectome

    worm = load_connectome("haspel_odonovan2011")
    adjacency, names = worm.adjacency("signed")
    presynaptic = topology_from_adjacency(adjacency, n_inputs=1)
    assert presynaptic.shape[0] == len(names) == 102
    assert np.sum(presynaptic >= 0) == len(worm.chemical) == 336  # one synapse ENU per chemical edge
    first = worm.chemical.iloc[0]
    assert names.index(first.pre) + 1 in presynaptic[names.index(first.post)]
    network = ENUNetwork(presynaptic, n_inputs=1, n_individuals=2, memory_size=4, n_channels=2)
    network.set_genomes(np.stack([network.initial_genome(seed=s) for s in range(2)]))
    outputs = network.step(np.ones((1, 1, 2)))
    assert outputs.shape == (2, 1, 102, 2) and np.all((outputs >= 0) & (outputs <= 1))
