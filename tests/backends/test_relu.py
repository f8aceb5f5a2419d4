"""The ReLU backend: closed forms on tiny circuits, batched against one at a time, failures."""

import numpy as np
import pytest

from neuroworm.backends.relu import ReLUNetwork
from neuroworm.errors import ConfigError, GenomeError
from neuroworm.genome import GenomeLayout


def _genome(layout, log_weights, log_conductances=None):
    genome = layout.random(1, seed=0)[0]
    genome[layout.slices["chemical_log_weight"]] = log_weights
    if log_conductances is not None:
        genome[layout.slices["electrical_log_conductance"]] = log_conductances
    return genome


def test_chain_with_inhibition_has_the_closed_form(make_circuit):
    # 0 -> 1 -> 2 excitatory, 3 -| 2 inhibitory; input on 0 and 3, output 2.
    circuit = make_circuit(4, [(0, 1), (1, 2), (3, 2)], signs=[1, 1, 1, -1], inputs=[0, 3], outputs=[2])
    layout = GenomeLayout(circuit, "relu")
    w01, w12, w32 = 0.5, 2.0, 0.25
    net = ReLUNetwork(layout, 1, _genome(layout, np.log([w01, w12, w32])), gap_junctions=False)
    z = net.step(np.array([[1.0, 0.0]]))
    np.testing.assert_array_equal(z, [[1.0, 0.0, 0.0, 0.0]])
    z = net.step(np.array([[0.0, 3.0]]))
    np.testing.assert_allclose(z, [[0.0, w01, 0.0, 3.0]])
    z = net.step()                                   # z2 = ReLU(w12·0.5 - w32·3) = ReLU(1 - 0.75)
    np.testing.assert_allclose(z, [[0.0, 0.0, w12 * w01 - w32 * 3.0, 0.0]])
    net.reset_state()
    z = net.step(np.array([[0.0, 8.0]]))
    z = net.step()                                   # inhibition alone: clipped at zero
    np.testing.assert_array_equal(z[0, 2], 0.0)


def test_advance_sums_the_outputs_over_the_steps(make_circuit):
    circuit = make_circuit(2, [(0, 1)], inputs=[0], outputs=[1])
    layout = GenomeLayout(circuit, "relu")
    net = ReLUNetwork(layout, 1, _genome(layout, [np.log(0.5)]), gap_junctions=False)
    # z0 = 1 from step 1 on; z1 = 0.5 from step 2 on: the sum over 4 steps is 3 x 0.5
    np.testing.assert_allclose(net.advance(np.ones((1, 1)), steps=4), [[1.5]])


def test_gap_junction_current_is_g_times_the_difference(make_circuit):
    circuit = make_circuit(2, [], electrical=[(0, 1)], inputs=[0], outputs=[1])
    layout = GenomeLayout(circuit, "relu")
    g = 0.2
    net = ReLUNetwork(layout, 1, _genome(layout, [], [np.log(g)]))
    net.step(np.array([[2.0]]))                      # z = (2, 0)
    z = net.step()                                   # no self-term: z0 = ReLU(g(0 - 2)), z1 = ReLU(g(2 - 0))
    np.testing.assert_allclose(z, [[0.0, 2 * g]])
    z = net.step(np.array([[1.0]]))                  # z0 = ReLU(g(0.4 - 0) + 1), z1 = ReLU(g(0 - 0.4))
    np.testing.assert_allclose(z, [[1.0 + g * 2 * g, 0.0]])


def test_dale_signs_survive_any_log_weight(make_circuit):
    circuit = make_circuit(2, [(0, 1)], signs=[-1, 1], inputs=[0], outputs=[1])
    layout = GenomeLayout(circuit, "relu")
    for log_weight in (-5.0, 0.0, 3.0):
        net = ReLUNetwork(layout, 1, _genome(layout, [log_weight]), gap_junctions=False)
        net.step(np.ones((1, 1)))
        net.step(np.ones((1, 1)))
        assert net.activity[0, 1] == 0.0             # an inhibitory synapse never excites


def test_population_equals_each_individual_alone(circuit):
    layout = GenomeLayout(circuit, "relu", n_observations=3, n_actions=2)
    genomes = layout.random(5, seed=1, weight_noise=0.5)
    rng = np.random.default_rng(2)
    currents = rng.uniform(-1, 1, (30, 5, len(circuit.inputs)))
    together = ReLUNetwork(layout, 5, genomes)
    summed = np.stack([together.advance(currents[t], 3) for t in range(30)])
    for k in range(5):
        alone = ReLUNetwork(layout, 1, genomes[k:k + 1])
        own = np.stack([alone.advance(currents[t, k:k + 1], 3) for t in range(30)])
        np.testing.assert_array_equal(summed[:, k], own[:, 0])
        np.testing.assert_array_equal(together.activity[k], alone.activity[0])


def test_default_genomes_are_the_papers_initialisation(circuit):
    layout = GenomeLayout(circuit, "relu", n_observations=2, n_actions=2)
    net = ReLUNetwork(layout, 2, seed=0, gap_junctions=False)
    np.testing.assert_allclose(sorted(set(np.round(net._matrix.data, 15))),
                               [-round(np.exp(-3.0), 15), round(np.exp(-2.5), 15)])


def test_a_diverging_individual_is_failed_and_silenced(make_circuit):
    circuit = make_circuit(2, [(0, 1), (1, 0)], inputs=[0], outputs=[1])
    layout = GenomeLayout(circuit, "relu")
    genomes = np.stack([_genome(layout, [np.log(0.5)] * 2), _genome(layout, [300.0] * 2)])  # e^300 x e^300
    net = ReLUNetwork(layout, 2, genomes, gap_junctions=False)
    for _ in range(6):
        net.advance(np.ones((2, 1)), 1)
        net.check_divergence()
    assert net.failed.tolist() == [False, True]
    assert np.all(net.activity[1] == 0.0) and np.isfinite(net.activity).all()
    assert net.advance(np.ones((2, 1)), 2)[1, 0] == 0.0
    net.set_genomes(genomes)                          # revived
    assert not net.failed.any()


def test_bad_arguments_raise(circuit, make_circuit):
    with pytest.raises(ConfigError, match="relu"):
        ReLUNetwork(GenomeLayout(circuit, "alif"), 1)
    layout = GenomeLayout(circuit, "relu")
    with pytest.raises(ConfigError, match="n_individuals"):
        ReLUNetwork(layout, 0)
    net = ReLUNetwork(layout, 2, seed=0)
    with pytest.raises(GenomeError, match="2 individuals"):
        net.set_genomes(layout.random(3, seed=0))
    with pytest.raises(ConfigError, match="input_current"):
        net.advance(np.ones((2, 1)), 1)


@pytest.mark.mujoco
def test_closed_loop_on_the_relu_backend_is_batched_exactly(circuit):
    from neuroworm.control.evaluator import ClosedLoopEvaluator

    evaluator = ClosedLoopEvaluator(circuit, "relu", "Swimmer-v5", backend="relu", episode_steps=40)
    genomes = evaluator.layout.random(3, seed=0, weight_noise=0.3)
    together = evaluator(genomes, seeds=[5, 6, 7])
    alone = [evaluator(genomes[k:k + 1], seeds=[5 + k])[0] for k in range(3)]
    np.testing.assert_array_equal(together, alone)
    assert np.isfinite(together).all()
