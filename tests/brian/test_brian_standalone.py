"""Standalone devices: one compiled binary rerun with new genomes and drive, equal to the NumPy reference."""

import os
import shutil
import subprocess

import numpy as np
import pytest

from neuroworm.backends.reference import ReferenceNetwork
from neuroworm.errors import ConfigError
from neuroworm.genome import GenomeLayout

brian2 = pytest.importorskip("brian2")

from brian2.devices.device import runtime_device

from neuroworm.brian import StandaloneNetwork, build_network, cuda_available

P, T = 2, 200


def random_drive(circuit, steps, seed=0):
    return np.random.default_rng(seed).uniform(0.0, 0.6, (steps, P, len(circuit.inputs)))


def population(circuit, model, seed):
    return GenomeLayout(circuit, model).random(P, seed=seed, weight_noise=0.5)


def assert_equals_reference(circuit, model, genomes, drive, spikes, recorded=None, stdp=None, modulator=None,
                            network=None):
    reference = ReferenceNetwork(circuit, model, P, genomes, stdp=stdp)
    if modulator is not None:
        reference.set_modulator(modulator)
    expected, expected_v = reference.run(drive, record=("v",))
    assert 0.005 < expected.mean() < 0.95, "the drive should make the network spike, but not saturate"
    mismatches = np.argwhere(spikes != expected)
    assert len(mismatches) == 0, f"first spike mismatches (step, individual, neuron): {mismatches[:5].tolist()}"
    if recorded is not None:
        np.testing.assert_allclose(recorded["v"], expected_v["v"], rtol=1e-12, atol=1e-12)
    if network is not None:
        for name in list(reference.model.state_variables) + ["I_chem", "I_gap"]:
            np.testing.assert_allclose(network.state(name), reference.state[name], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(network.weights, reference.weights, rtol=1e-12, atol=1e-15)
    return expected


@pytest.fixture(scope="module")
def compiled_alif(circuit, tmp_path_factory):
    """An ALIF network (P = 2) compiled for 200 steps, with its first run done; ``device.build`` calls counted."""
    directory = tmp_path_factory.mktemp("cpp_standalone_alif")
    first = population(circuit, "alif", seed=1)
    network = build_network(circuit, "alif", P, first, device="cpp_standalone", directory=directory)
    builds = []
    build = network._device.build

    def counted_build(*args, **kwargs):
        builds.append(kwargs)
        return build(*args, **kwargs)

    network._device.build = counted_build
    drive = random_drive(circuit, T)
    spikes, recorded = network.run(drive, record=("v",))
    return network, builds, first, drive, spikes, recorded


# ------------------------------------------------------------------ exactness, one compilation
def test_one_binary_runs_two_populations_exactly(circuit, compiled_alif):
    network, builds, first, drive, first_spikes, first_v = compiled_alif
    assert isinstance(network, StandaloneNetwork)
    binary = network.directory / "main"
    assert binary.is_file() and len(builds) == 1 and network.n_compilations == 1
    stamp = (binary.stat().st_mtime_ns, (network.directory / "main.cpp").stat().st_mtime_ns)
    assert_equals_reference(circuit, "alif", first, drive, first_spikes, first_v, network=network)

    second = population(circuit, "alif", seed=2)
    second_drive = random_drive(circuit, T, seed=5)
    spikes, recorded = network.run(second_drive, record=("v",), genomes=second)
    assert len(builds) == 1 and network.n_compilations == 1
    assert (binary.stat().st_mtime_ns, (network.directory / "main.cpp").stat().st_mtime_ns) == stamp
    assert (spikes != first_spikes).any(), "new genomes and drive should change the spikes"
    assert_equals_reference(circuit, "alif", second, second_drive, spikes, recorded, network=network)
    np.testing.assert_array_equal(network.weights, GenomeLayout(circuit, "alif").effective_weights(second))
    assert not network.failed.any()
    # the arrays passed to each run are removed afterwards; the compiled-in ones stay
    assert not list((network.directory / "static_arrays").glob("init_*"))

    # the first population again: the same spikes as the first run
    np.testing.assert_array_equal(network.run(drive, genomes=first), first_spikes)
    assert brian2.get_device() is runtime_device


def test_divergence_is_detected_after_the_run(circuit, compiled_alif):
    network, builds, first, drive, first_spikes, _ = compiled_alif
    layout = GenomeLayout(circuit, "alif")
    extreme = first.copy()
    extreme[1, layout.slices["chemical_log_weight"]] = 800.0  # e^800 = inf
    spikes = network.run(drive, genomes=extreme)
    assert network.failed.tolist() == [False, True]
    np.testing.assert_array_equal(spikes[:, 0], first_spikes[:, 0])
    reference = ReferenceNetwork(circuit, "alif", P, extreme)
    reference.run(drive)
    assert reference.failed.tolist() == network.failed.tolist()
    network.set_genomes(first)
    assert not network.failed.any()
    assert len(builds) == 1


def test_runtime_networks_still_build_after_a_standalone_one(circuit, compiled_alif):
    """The standalone build leaves Brian2's runtime device active and its preferences as they were."""
    assert brian2.get_device() is runtime_device
    assert "-ffast-math" in brian2.prefs["codegen.cpp.extra_compile_args_gcc"]
    genomes = population(circuit, "lif", seed=3)
    drive = random_drive(circuit, 100, seed=3)
    spikes = build_network(circuit, "lif", P, genomes, codegen="numpy").run(drive)
    np.testing.assert_array_equal(spikes, ReferenceNetwork(circuit, "lif", P, genomes).run(drive))


def test_compiled_length_and_records_are_fixed(circuit, compiled_alif):
    network = compiled_alif[0]
    with pytest.raises(ConfigError, match="compiled for 200 steps"):
        network.run(random_drive(circuit, T + 1))
    with pytest.raises(ConfigError, match="not recorded"):
        network.run(random_drive(circuit, T), record=("v_adp",))
    with pytest.raises(ConfigError, match="already compiled"):
        network.compile(T)
    with pytest.raises(ConfigError, match="shape"):
        network.run(np.zeros((T, P + 1, len(circuit.inputs))))
    with pytest.raises(ConfigError, match="drive"):
        network.set_input_current(np.zeros((P, len(circuit.inputs))))


def test_standalone_requests_are_checked_before_compiling(small_circuit, tmp_path):
    with pytest.raises(ConfigError, match="directory"):
        build_network(small_circuit, "alif", directory=tmp_path)  # runtime device: no project
    network = build_network(small_circuit, "alif", P, device="cpp_standalone", directory=tmp_path, seed=0)
    assert brian2.get_device() is runtime_device
    assert not network.compiled and "not compiled yet" in repr(network)
    with pytest.raises(ConfigError, match="has not been run"):
        network.state("v")
    with pytest.raises(ConfigError, match="n_steps"):
        network.compile(0)
    with pytest.raises(ConfigError, match="cannot record"):
        network.compile(10, record=("no_such_variable",))
    full = np.zeros((5, P, small_circuit.n_neurons))
    full[:, :, -1] = 1.0  # a cell that is not an input cell of the synthetic circuit
    with pytest.raises(ConfigError, match="input cells only"):
        network.run(full)
    assert not network.compiled and not (tmp_path / "main").exists()
    network.delete_project()
    assert not tmp_path.exists()
    with pytest.raises(ConfigError, match="deleted"):
        network.run(np.zeros((5, P, len(small_circuit.inputs))))


# ------------------------------------------------------------------ other models (slow: one compilation each)
@pytest.mark.slow
@pytest.mark.parametrize("model, stdp", [("lif", None), ("izhikevich", None), ("alif", "stdp"),
                                         ("izhikevich", "neuromodulated")])
def test_other_models_equal_the_reference(circuit, model, stdp, tmp_path):
    first, second = population(circuit, model, seed=1), population(circuit, model, seed=2)
    drive = random_drive(circuit, T)
    network = build_network(circuit, model, P, first, stdp=stdp, device="cpp_standalone", directory=tmp_path)
    modulator = None
    if stdp == "neuromodulated":
        modulator = np.linspace(0.0, 0.05, P)
        network.set_modulator(modulator)
    spikes, recorded = network.run(drive, record=("v",))
    assert_equals_reference(circuit, model, first, drive, spikes, recorded, stdp=stdp, modulator=modulator,
                            network=network)
    network.set_genomes(second)
    if modulator is not None:
        network.set_modulator(modulator[::-1])
        modulator = modulator[::-1]
    spikes, recorded = network.run(drive, record=("v",))
    assert_equals_reference(circuit, model, second, drive, spikes, recorded, stdp=stdp, modulator=modulator,
                            network=network)
    # new genomes bring the modulator back to 0, as on the runtime device
    spikes = network.run(drive, genomes=first)
    assert_equals_reference(circuit, model, first, drive, spikes, stdp=stdp, network=network)
    assert network.n_compilations == 1


# ------------------------------------------------------------------ CUDA
def _gpu_present():
    if shutil.which("nvidia-smi") is None:
        return False
    return subprocess.run(["nvidia-smi", "-L"], check=False, capture_output=True).returncode == 0


@pytest.mark.slow
def test_cuda_standalone_builds_and_equals_the_reference(circuit, tmp_path):
    """Builds the CUDA project where brian2cuda and nvcc are present; runs and compares where a GPU is."""
    reason = cuda_available()
    if reason is not None:
        pytest.skip(f"cuda_standalone cannot build here: {reason}")
    gpu = _gpu_present()
    saved = {}
    if not gpu:  # compile without GPU detection, for a common architecture
        for name, value in (("devices.cuda_standalone.cuda_backend.detect_gpus", False),
                            ("devices.cuda_standalone.cuda_backend.compute_capability", 7.0)):
            saved[name] = brian2.prefs[name]
            brian2.prefs[name] = value
    try:
        genomes = population(circuit, "alif", seed=1)
        drive = random_drive(circuit, T)
        network = build_network(circuit, "alif", P, genomes, device="cuda_standalone", directory=tmp_path)
        network.compile(T, record=("v",))
        assert (tmp_path / "main").is_file()
        if not gpu:
            pytest.skip("the CUDA project compiled, but there is no GPU (nvidia-smi) to run it")
        spikes, recorded = network.run(drive, record=("v",))
        # Atomic additions on the GPU may sum I_chem in another order (last-bit differences), see
        # neuroworm.brian.standalone; the voltages agree to rounding and the spikes are expected to agree.
        assert_equals_reference(circuit, "alif", genomes, drive, spikes, recorded)
        second = population(circuit, "alif", seed=2)
        spikes = network.run(drive, genomes=second)
        assert_equals_reference(circuit, "alif", second, drive, spikes)
        assert network.n_compilations == 1
    finally:
        for name, value in saved.items():
            brian2.prefs[name] = value
    assert brian2.get_device() is runtime_device
    assert os.path.isdir(tmp_path)
