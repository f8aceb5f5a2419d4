"""The NumPy reference: batching, divergence handling, shapes and errors."""

import numpy as np
import pytest

from neuroworm.backends.reference import ReferenceNetwork
from neuroworm.errors import ConfigError, GenomeError, NeuroWormError
from neuroworm.genome import GenomeLayout
from neuroworm.neurons import model_names


def random_drive(circuit, T, P, high=0.6, seed=0):
    return np.random.default_rng(seed).uniform(0.0, high, (T, P, len(circuit.inputs)))


@pytest.mark.parametrize("model", model_names(spiking=True))
@pytest.mark.parametrize("stdp", [None, "stdp"])
def test_batched_equals_one_at_a_time(circuit, model, stdp):
    P, T = 4, 400
    genomes = GenomeLayout(circuit, model).random(P, seed=5, weight_noise=0.5)
    drive = random_drive(circuit, T, P)
    together, states = ReferenceNetwork(circuit, model, P, genomes, stdp=stdp).run(drive, record=("v",))
    assert 0.01 < together.mean() < 0.9
    for k in range(P):
        alone, alone_states = ReferenceNetwork(circuit, model, 1, genomes[k], stdp=stdp).run(drive[:, k:k + 1],
                                                                                           record=("v",))
        np.testing.assert_array_equal(alone[:, 0], together[:, k])
        np.testing.assert_array_equal(alone_states["v"][:, 0], states["v"][:, k])


def test_step_shapes_and_input_forms(small_circuit):
    P, N = 3, small_circuit.n_neurons
    network = ReferenceNetwork(small_circuit, "alif", P, seed=0)
    spikes = network.step(np.ones((P, len(small_circuit.inputs))))
    assert spikes.shape == (P, N) and spikes.dtype == bool
    assert network.state["v"].shape == (P, N)
    network.step(np.ones((P, N)))
    with pytest.raises(ConfigError, match="input current must have shape"):
        network.step(np.ones((P, 2)))
    assert network.weights.shape == (P, small_circuit.n_chemical)
    assert network.failed.shape == (P,) and not network.failed.any()


@pytest.mark.parametrize("model", ["alif", "izhikevich"])
def test_divergent_individual_is_marked_failed_and_others_unchanged(circuit, model):
    P, T = 3, 300
    layout = GenomeLayout(circuit, model)
    genomes = layout.random(P, seed=1, weight_noise=0.3)
    extreme = genomes.copy()
    extreme[1, layout.slices["chemical_log_weight"]] = 800.0  # e^800 overflows: inputs become inf/NaN
    drive = random_drive(circuit, T, P)
    healthy = ReferenceNetwork(circuit, model, P, genomes).run(drive)
    network = ReferenceNetwork(circuit, model, P, extreme)
    spikes = network.run(drive)
    assert network.failed.tolist() == [False, True, False]
    np.testing.assert_array_equal(spikes[:, [0, 2]], healthy[:, [0, 2]])
    first_failure = np.flatnonzero(spikes[:, 1].any(axis=1))[-1]
    assert not spikes[first_failure + 1:, 1].any()  # silenced afterwards
    assert np.isfinite(network.state["v"]).all()
    network.set_genomes(genomes)  # a new genome revives it
    assert not network.failed.any()


def test_bad_requests_raise_before_running(small_circuit):
    layout = GenomeLayout(small_circuit, "alif")
    with pytest.raises(GenomeError, match="size"):
        ReferenceNetwork(small_circuit, "alif", 2, np.zeros((2, layout.size - 1)))
    bad = layout.random(2, seed=0)
    bad[1, 3] = np.nan
    with pytest.raises(GenomeError, match=r"individual 1, position 3 \(chemical_log_weight\[3\]\)"):
        ReferenceNetwork(small_circuit, "alif", 2, bad)
    with pytest.raises(GenomeError, match="3 individuals"):
        ReferenceNetwork(small_circuit, "alif", 3, layout.random(2, seed=0))
    with pytest.raises(ConfigError, match="lif, alif, izhikevich"):
        ReferenceNetwork(small_circuit, "adex", 1)
    for dt in (0.0, -1.0, float("nan")):
        with pytest.raises(ConfigError, match="dt"):
            ReferenceNetwork(small_circuit, "alif", 1, dt=dt)
    with pytest.raises(ConfigError, match="n_individuals"):
        ReferenceNetwork(small_circuit, "alif", 0)
    with pytest.raises(ConfigError, match="plasticity"):
        ReferenceNetwork(small_circuit, "alif", 1, stdp="hebbian")
    with pytest.raises(NeuroWormError, match="no neurons"):
        ReferenceNetwork(None, "alif", 1)
