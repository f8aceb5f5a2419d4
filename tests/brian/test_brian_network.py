"""Brian2 networks against the NumPy reference: the exactness contract, batching, genomes, failures."""

import subprocess
import sys

import numpy as np
import pytest

from neuroworm.backends.reference import ReferenceNetwork
from neuroworm.errors import ConfigError, GenomeError, NeuroWormError
from neuroworm.genome import GenomeLayout
from neuroworm.neurons import model_names

brian2 = pytest.importorskip("brian2")

from neuroworm.brian import build_network

MODELS = list(model_names(spiking=True))  # every registered spiking model (tests/neurons/test_toy_model.py adds one)


def random_drive(circuit, T, P, seed=0):
    return np.random.default_rng(seed).uniform(0.0, 0.6, (T, P, len(circuit.inputs)))


def assert_same_run(circuit, model, P, T, codegen, stdp=None, gap_junctions=True, seed=0):
    """Brian2 and the reference, from the same genomes and drive: identical spikes and states."""
    genomes = GenomeLayout(circuit, model).random(P, seed=seed, weight_noise=0.5)
    drive = random_drive(circuit, T, P, seed=seed)
    reference = ReferenceNetwork(circuit, model, P, genomes, stdp=stdp, gap_junctions=gap_junctions)
    network = build_network(circuit, model, P, genomes, stdp=stdp, codegen=codegen, gap_junctions=gap_junctions)
    if stdp in ("neuromodulated", "gated_stdp"):
        modulator = np.linspace(0.0, 0.05, P) if stdp == "neuromodulated" else (np.arange(P) % 3) / 2.0
        reference.set_modulator(modulator)
        network.set_modulator(modulator)
    expected, expected_v = reference.run(drive, record=("v",))
    spikes, v = network.run(drive, record=("v",))
    assert 0.005 < expected.mean() < 0.95, "the drive should make the network spike, but not saturate"
    mismatches = np.argwhere(spikes != expected)
    assert len(mismatches) == 0, f"first spike mismatches (step, individual, neuron): {mismatches[:5].tolist()}"
    # bit for bit, not to a tolerance (README, "Exactness"; neuroworm.brian.network)
    np.testing.assert_array_equal(v["v"], expected_v["v"])
    for name in list(reference.model.state_variables) + ["I_chem", "I_gap"]:
        np.testing.assert_array_equal(network.state(name), reference.state[name])
    np.testing.assert_array_equal(network.weights, reference.weights)
    return expected


# ------------------------------------------------------------------ exactness
@pytest.mark.parametrize("P", [1, 8])
@pytest.mark.parametrize("model", MODELS)
def test_exact_numpy_5000_steps(circuit, model, P):
    assert_same_run(circuit, model, P, 5000, "numpy")


@pytest.mark.parametrize("stdp", ["stdp", "neuromodulated", "gated_stdp"])
def test_exact_numpy_with_plasticity(circuit, stdp):
    assert_same_run(circuit, "alif", 8, 5000, "numpy", stdp=stdp)


def test_exact_without_gap_junctions(circuit):
    assert_same_run(circuit, "lif", 2, 1000, "numpy", gap_junctions=False)


def test_exact_cython_representative(circuit):
    """One compiled case in the default run: Izhikevich (the most sensitive to rounding) with STDP, P = 8."""
    assert_same_run(circuit, "izhikevich", 8, 5000, "cython", stdp="stdp")


@pytest.mark.slow
@pytest.mark.parametrize("stdp", [None, "neuromodulated"])
@pytest.mark.parametrize("P", [1, 8])
@pytest.mark.parametrize("model", MODELS)
def test_exact_cython_5000_steps(circuit, model, P, stdp):
    assert_same_run(circuit, model, P, 5000, "cython", stdp=stdp)


# ------------------------------------------------------------------ batching
@pytest.mark.parametrize("model", ["alif", "izhikevich"])
def test_batched_equals_built_alone(circuit, model):
    P, T = 3, 500
    genomes = GenomeLayout(circuit, model).random(P, seed=11, weight_noise=0.5)
    drive = random_drive(circuit, T, P, seed=2)
    together = build_network(circuit, model, P, genomes, codegen="numpy").run(drive)
    for k in range(P):
        alone = build_network(circuit, model, 1, genomes[k], codegen="numpy").run(drive[:, k:k + 1])
        np.testing.assert_array_equal(alone[:, 0], together[:, k])


def test_structure_and_indices(circuit):
    P, N = 4, circuit.n_neurons
    network = build_network(circuit, "alif", P, codegen="numpy", seed=0)
    assert isinstance(network.network, brian2.Network)
    assert len(network.neurons) == P * N
    assert network.neuron_names == tuple(circuit.names)
    np.testing.assert_array_equal(network.neurons.individual[:], np.repeat(np.arange(P), N))
    name = circuit.names[5]
    assert network.index(2, name) == 2 * N + 5
    assert network.inputs.shape == (P, len(circuit.inputs))
    assert network.outputs.shape == (P, len(circuit.outputs))
    assert network.inputs[3, 0] == 3 * N + circuit.input_index[0]
    # block-diagonal: every synapse stays inside its individual
    pre, post = network.chemical.i[:] // N, network.chemical.j[:] // N
    np.testing.assert_array_equal(pre, post)
    assert len(network.chemical) == P * circuit.n_chemical
    if circuit.n_electrical:
        assert len(network.electrical) == 2 * P * circuit.n_electrical
        np.testing.assert_array_equal(network.electrical.i[:] // N, network.electrical.j[:] // N)
    with pytest.raises(ConfigError, match="not a cell"):
        network.index(0, "no-such-cell")


def test_set_genomes_reloads_without_rebuilding(circuit):
    P, T = 2, 300
    layout = GenomeLayout(circuit, "izhikevich")
    first, second = layout.random(P, seed=1, weight_noise=0.5), layout.random(P, seed=2, weight_noise=0.5)
    drive = random_drive(circuit, T, P)
    network = build_network(circuit, "izhikevich", P, first, codegen="numpy")
    objects = set(network.network.objects)
    network.run(drive)
    network.set_genomes(second)
    assert set(network.network.objects) == objects
    spikes = network.run(drive)
    expected = ReferenceNetwork(circuit, "izhikevich", P, second).run(drive)
    np.testing.assert_array_equal(spikes, expected)
    np.testing.assert_array_equal(network.weights, layout.effective_weights(second))


def test_user_monitors_and_input_current(circuit):
    P = 2
    network = build_network(circuit, "lif", P, codegen="numpy", dt=1 * brian2.ms, seed=0)
    monitor = brian2.SpikeMonitor(network.neurons)
    network.network.add(monitor)
    network.set_input_current(np.full((P, len(circuit.inputs)), 0.3))
    network.network.run(50 * brian2.ms)
    assert monitor.num_spikes > 0
    assert set(np.unique(monitor.i[:])) <= set(range(P * circuit.n_neurons))
    assert network.state("I_ext")[0, circuit.input_index].tolist() == [0.3] * len(circuit.inputs)

    import matplotlib

    matplotlib.use("Agg")
    from neuroworm.plot import raster

    ax = raster(monitor.t, monitor.i, names=None)
    assert ax.get_xlabel() == "time (ms)"


def test_divergent_individual_is_failed_and_others_unchanged(circuit):
    P, T = 3, 300
    layout = GenomeLayout(circuit, "alif")
    genomes = layout.random(P, seed=1, weight_noise=0.3)
    extreme = genomes.copy()
    extreme[1, layout.slices["chemical_log_weight"]] = 800.0  # e^800 = inf
    drive = random_drive(circuit, T, P)
    healthy = build_network(circuit, "alif", P, genomes, codegen="numpy").run(drive)
    network = build_network(circuit, "alif", P, extreme, codegen="numpy")
    spikes = network.run(drive)
    assert network.failed.tolist() == [False, True, False]
    np.testing.assert_array_equal(spikes[:, [0, 2]], healthy[:, [0, 2]])
    last = np.flatnonzero(spikes[:, 1].any(axis=1))[-1]
    assert not spikes[last + 1:, 1].any()
    assert np.isfinite(network.state("v")).all()
    reference = ReferenceNetwork(circuit, "alif", P, extreme)
    np.testing.assert_array_equal(reference.run(drive), spikes)
    assert reference.failed.tolist() == network.failed.tolist()


# ------------------------------------------------------------------ errors
def test_bad_requests_raise_before_building(small_circuit):
    layout = GenomeLayout(small_circuit, "alif")
    with pytest.raises(GenomeError, match="size"):
        build_network(small_circuit, "alif", 1, np.zeros(layout.size + 2))
    bad = layout.random(1, seed=0)
    bad[0, -1] = np.inf
    with pytest.raises(GenomeError, match="electrical_log_conductance"):
        build_network(small_circuit, "alif", 1, bad)
    with pytest.raises(ConfigError, match="lif, alif, izhikevich"):
        build_network(small_circuit, "hodgkin_huxley")
    for dt in (0, -1.0, 0 * brian2.ms, -2 * brian2.ms):
        with pytest.raises(ConfigError, match="dt"):
            build_network(small_circuit, "alif", dt=dt)
    with pytest.raises(ConfigError, match="time"):
        build_network(small_circuit, "alif", dt=1 * brian2.mV)
    with pytest.raises(ConfigError, match="device"):
        build_network(small_circuit, "alif", device="gpu")
    with pytest.raises(ConfigError, match="directory"):
        build_network(small_circuit, "alif", device="runtime", directory="project")
    with pytest.raises(ConfigError, match="code generation"):
        build_network(small_circuit, "alif", codegen="fortran")
    with pytest.raises(NeuroWormError, match="no neurons"):
        build_network(None, "alif")


def test_empty_connectome_is_refused():
    import pandas as pd

    from neuroworm.connectome.model import Connectome

    with pytest.raises(NeuroWormError, match="empty"):
        Connectome(pd.DataFrame(columns=["cell_class", "neurotransmitter", "sign"]),
                   pd.DataFrame(columns=["pre", "post", "weight"]), pd.DataFrame(columns=["a", "b", "weight"]))


def test_importing_neuroworm_does_not_import_brian2():
    code = "import sys, neuroworm, neuroworm.brian, neuroworm.neurons, neuroworm.genome; print('brian2' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
