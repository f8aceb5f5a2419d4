"""The spiking open-loop path on Brian2: the runtime device and one compiled standalone binary
give the NumPy reference's scores, and the binary is compiled once for many evaluations."""

import numpy as np
import pytest

from neuroworm.openloop import OpenLoopEvaluator

pytestmark = pytest.mark.slow


@pytest.fixture
def tiny(make_circuit):
    rng = np.random.default_rng(11)
    circuit = make_circuit(6, [(0, 2), (1, 2), (2, 3), (3, 4), (2, 5), (4, 5), (5, 3)], electrical=[(0, 1)],
                           signs=[1, 1, 1, -1, 1, 1], inputs=[0, 1], outputs=[0, 2, 5])
    return circuit, rng.random((5, 9)), np.array([0, 1, 2, 0, 1])


def test_runtime_brian2_equals_the_reference(tiny):
    circuit, images, labels = tiny
    reference = OpenLoopEvaluator(circuit, "alif", images, labels, steps=12, input_gain=2.0)
    brian = OpenLoopEvaluator(circuit, "alif", images, labels, steps=12, input_gain=2.0, backend="brian2",
                              backend_options={"codegen": "numpy"})
    genomes = reference.layout.random(2, seed=0, weight_noise=0.3)
    expected = reference.scores(genomes, images)
    assert np.ptp(expected) > 0
    assert np.array_equal(brian.scores(genomes, images), expected)


def test_standalone_compiles_once_and_equals_the_reference(tiny, tmp_path):
    circuit, images, labels = tiny
    reference = OpenLoopEvaluator(circuit, "alif", images, labels, steps=12, input_gain=2.0)
    standalone = OpenLoopEvaluator(circuit, "alif", images, labels, steps=12, input_gain=2.0,
                                   backend="brian2_standalone", backend_options={"directory": tmp_path / "project"})
    for seed in (0, 1, 2):   # three evaluations, three genome sets, one binary
        genomes = reference.layout.random(2, seed=seed, weight_noise=0.3)
        assert np.array_equal(standalone.scores(genomes, images), reference.scores(genomes, images))
    populations = list(standalone._populations.values())
    assert len(populations) == 1 and populations[0].n_compilations == 1
