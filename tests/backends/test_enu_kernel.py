"""The compiled ENU kernel: its float32 functions against float64, its layer against NumPy's, its build."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neuroworm.backends import enu_kernel
from neuroworm.backends.enu import ENULayer, ENUNetwork, ENUShape
from neuroworm.control.enu_tmaze import tmaze_topology
from neuroworm.errors import ConfigError


@pytest.fixture(scope="module")
def kernel():
    return enu_kernel.load()


def _ulps(values, reference):
    # distance in float32 steps between values and the float32 rounding of a float64 reference
    rounded = reference.astype(np.float32)
    assert np.all(np.sign(values) * np.sign(rounded) >= 0)
    return np.abs(values.view(np.int32).astype(np.int64) - rounded.view(np.int32).astype(np.int64))


def _grid():
    edges = [0.0, -0.0, 1e-30, -1e-30, 1e-8, 0.125, np.nextafter(np.float32(0.125), 0), -0.125, 9.0, -9.0, 9.5,
             40.0, -40.0, 88.0, -88.0, 1e4, -1e4]
    tiny_to_large = np.geomspace(1e-30, 20, 100_001)
    return np.concatenate([np.linspace(-20, 20, 4_000_001), edges, tiny_to_large, -tiny_to_large]).astype(np.float32)


def test_the_kernels_tanh_is_within_2_ulp_of_float64_and_keeps_nan_and_infinity(kernel):
    x = _grid()
    out = np.empty_like(x)
    kernel.tanh(x, out)
    assert _ulps(out, np.tanh(x.astype(np.float64))).max() <= 2
    special = np.array([np.nan, np.inf, -np.inf], dtype=np.float32)
    kernel.tanh(special, result := np.empty_like(special))
    assert np.isnan(result[0]) and result[1] == 1 and result[2] == -1
    with pytest.raises(ValueError, match="float32"):
        kernel.tanh(x.astype(np.float64), out)


def test_the_gates_half_one_plus_tanh_is_the_sigmoid_of_2x_within_3_ulp(kernel):
    x = _grid()
    out = np.empty_like(x)
    kernel.half_one_plus_tanh(x, out)
    with np.errstate(over="ignore"):
        reference = 1.0 / (1.0 + np.exp(-2.0 * x.astype(np.float64)))
    inside = np.abs(x) <= 40  # the kernel clamps at |x| = 40, where the sigmoid is 1 or below 2e-35
    assert _ulps(out[inside], reference[inside]).max() <= 3
    assert np.all(out[x > 40] == 1) and np.all(out[x < -40] < 2e-35)


def _layer_pair(n_inputs, offspring, units, offset_rows, seed=0):
    shape = ENUShape(n_inputs, memory_size=32, n_outputs=16)
    genomes = np.stack([shape.initial_genome(seed=seed + i, gain=2.0) for i in range(offspring)])
    offset = None if offset_rows is None else np.random.default_rng(5).normal(0, 0.1, (offset_rows, 16, units))
    layers = [ENULayer(shape, offspring, units, kernel=kernel) for kernel in ("compiled", "numpy")]
    for layer in layers:
        layer.set_genomes(genomes)
        layer.output_offset = offset
    return layers


@pytest.mark.parametrize("n_inputs,offset_rows", [(1, None), (4, 1), (3, 5)])
def test_the_compiled_layer_equals_numpys_passes_to_float32_rounding(n_inputs, offset_rows):
    compiled, numpy_layer = _layer_pair(n_inputs, 5, 9, offset_rows)
    assert (compiled.kernel, numpy_layer.kernel) == ("compiled", "numpy")
    rng = np.random.default_rng(1)
    largest = 0.0
    for _ in range(60):
        inputs = rng.normal(0, 2, (5, n_inputs, 9)).astype(np.float32)
        outputs = []
        for layer in (compiled, numpy_layer):
            layer.inputs[...] = inputs
            outputs.append(layer.step().copy())
        largest = max(largest, np.abs(outputs[0] - outputs[1]).max(), np.abs(compiled.memory - numpy_layer.memory).max())
        np.testing.assert_array_equal(compiled.buffer[:, :32], compiled.memory)  # the gate input holds h
    assert largest < 1e-5
    assert 0.05 < outputs[0].mean() < 0.95 and np.abs(compiled.memory).max() > 0.1  # neither saturated nor still


def test_the_compiled_layer_batched_and_in_blocks_equals_one_offspring_at_a_time_bit_for_bit():
    shape = ENUShape(4, memory_size=32, n_outputs=16)
    genomes = np.stack([shape.initial_genome(seed=i) for i in range(7)])
    offset = np.random.default_rng(2).normal(0, 0.05, (7, 16, 5)).astype(np.float32)
    layers = [ENULayer(shape, 7, 5, kernel="compiled", block=block) for block in (7, 3)]
    singles = [ENULayer(shape, 1, 5, kernel="compiled") for _ in range(7)]
    for layer in layers:
        layer.set_genomes(genomes)
        layer.output_offset = offset
    for p, single in enumerate(singles):
        single.set_genomes(genomes[p:p + 1])
        single.output_offset = offset[p:p + 1]
    rng = np.random.default_rng(3)
    for _ in range(25):
        inputs = rng.random((7, 4, 5), dtype=np.float32)
        together = []
        for layer in layers:
            layer.inputs[...] = inputs
            together.append(layer.step().copy())
        np.testing.assert_array_equal(together[0], together[1])
        for p, single in enumerate(singles):
            single.inputs[...] = inputs[p]
            np.testing.assert_array_equal(together[0][p], single.step()[0])


def test_the_compiled_tmaze_network_follows_numpys():
    networks = [ENUNetwork(tmaze_topology(seed=0), 4, n_individuals=3, n_environments=2, output_noise=0.01, seed=4,
                           kernel=kernel) for kernel in ("compiled", "numpy")]
    # at gain 1 the two stay within 4e-7 over 60 steps; at gain 1.5 the network expands rounding differences
    # transiently to ~3e-5 before they shrink again
    genomes = np.stack([networks[0].initial_genome(seed=i) for i in range(3)])
    for network in networks:
        network.set_genomes(genomes)
    assert networks[0].synapses.kernel == networks[0].neurons.kernel == "compiled"
    np.testing.assert_array_equal(networks[0].synapses.output_offset, networks[1].synapses.output_offset)
    rng = np.random.default_rng(6)
    for _ in range(60):
        drive = rng.random((2, 4, 16), dtype=np.float32)
        outputs = [network.step(drive).copy() for network in networks]
        np.testing.assert_allclose(outputs[0], outputs[1], atol=5e-6)
    assert outputs[0].std() > 0.01


def test_kernel_choice_and_its_errors(monkeypatch):
    shape = ENUShape(1, memory_size=4, n_outputs=2)
    assert ENULayer(shape, 2, 3).kernel == "compiled"
    assert ENULayer(shape, 2, 3, dtype=np.float64).kernel == "numpy"  # auto: float32 only
    with pytest.raises(ConfigError, match="float32"):
        ENULayer(shape, 2, 3, dtype=np.float64, kernel="compiled")
    with pytest.raises(ConfigError, match="kernel='fast'"):
        ENULayer(shape, 2, 3, kernel="fast")
    monkeypatch.setenv("NEUROWORM_ENU_KERNEL", "numpy")
    assert ENULayer(shape, 2, 3).kernel == "numpy" and ENULayer(shape, 2, 3, kernel="auto").kernel == "compiled"
    monkeypatch.setenv("NEUROWORM_ENU_KERNEL", "gpu")
    with pytest.raises(ConfigError, match="NEUROWORM_ENU_KERNEL='gpu'"):
        ENULayer(shape, 2, 3)


def test_a_kernel_that_cannot_be_built_falls_back_to_numpy_with_one_warning(monkeypatch):
    monkeypatch.setattr(enu_kernel, "_state", {"error": "the compiled ENU kernel is unavailable (no compiler)"})
    shape = ENUShape(1, memory_size=4, n_outputs=2)
    with pytest.warns(RuntimeWarning, match="no compiler"):
        assert ENULayer(shape, 2, 3).kernel == "numpy"
    assert ENULayer(shape, 2, 3).kernel == "numpy"  # warned once
    with pytest.raises(ConfigError, match="no compiler"):
        ENULayer(shape, 2, 3, kernel="compiled")


def test_the_kernel_builds_into_a_fresh_cache_keyed_by_source_and_machine(tmp_path):
    # a separate process, so this process's loaded module does not answer; the build takes a few seconds.  It runs
    # from a folder whose name starts the cache's (Cython once copied the header to a path built from that prefix,
    # outside the scratch folder): the build must leave nothing but the keyed module and its lock anywhere
    cache, work = tmp_path / "work-cache", tmp_path / "work"
    work.mkdir()
    environment = dict(os.environ, NEUROWORM_CACHE_DIR=str(cache))
    code = ("from neuroworm.backends import enu_kernel; module = enu_kernel.load(); "
            "print(module.__file__); print(enu_kernel.cache_folder())")

    def build():
        return subprocess.run([sys.executable, "-c", code], env=environment, cwd=work, capture_output=True,
                              text=True, check=True).stdout.split()

    built, folder = lines = build()
    assert folder == str(cache / "enu_kernel") and Path(built).parent.parent == cache / "enu_kernel"
    key = Path(built).parent.name
    left = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert left == [f"work-cache/enu_kernel/{key}.lock", f"work-cache/enu_kernel/{key}/{Path(built).name}"]
    assert build() == lines  # the second process loads the cached build
    Path(built).unlink()  # a cache entry that lost its module is built again
    assert build() == lines and Path(built).is_file()


def test_an_unusable_cache_folder_means_numpys_passes_with_a_warning_or_an_error_naming_it(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = ("import warnings; warnings.simplefilter('error')\n"
            "from neuroworm.backends.enu import ENULayer, ENUShape\n"
            "from neuroworm.errors import ConfigError\n"
            "try:\n    ENULayer(ENUShape(1), 2, 3)\nexcept RuntimeWarning as w:\n    print('warned:', w)\n"
            "try:\n    ENULayer(ENUShape(1), 2, 3, kernel='compiled')\nexcept ConfigError as e:\n    print('error:', e)\n")
    result = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, NEUROWORM_CACHE_DIR=str(blocker)),
                            capture_output=True, text=True, check=True)
    warned, error = result.stdout.splitlines()
    assert warned.startswith("warned: the compiled ENU kernel is unavailable") and "NumPy" in warned
    assert error.startswith("error: the compiled ENU kernel is unavailable") and str(blocker) in error
    assert blocker.read_text() == "not a folder"


def test_another_array_module_gets_numpys_passes_in_one_block_as_cupy_would():
    # a stand-in module with NumPy's names that is not NumPy: the path a GPU module such as CuPy takes
    import types

    stand_in = types.ModuleType("stand_in_xp")
    stand_in.__getattr__ = lambda name: getattr(np, name)
    shape = ENUShape(2, memory_size=8, n_outputs=4)
    genomes = np.stack([shape.initial_genome(seed=i) for i in range(6)])
    other = ENULayer(shape, 6, 5, xp=stand_in)
    assert other.kernel == "numpy" and other.block == 6 and len(other._blocks) == 1
    reference = ENULayer(shape, 6, 5, kernel="numpy", block=6)
    for layer in (other, reference):
        layer.set_genomes(genomes)
    rng = np.random.default_rng(8)
    for _ in range(10):
        inputs = rng.random((6, 2, 5), dtype=np.float32)
        other.inputs[...] = inputs
        reference.inputs[...] = inputs
        np.testing.assert_array_equal(other.step(), reference.step())
    with pytest.raises(ConfigError, match="NumPy arrays only"):
        ENULayer(shape, 6, 5, xp=stand_in, kernel="compiled")
