"""The code examples of README.md run as printed.

Each example is kept here verbatim as a string, written to a script in a
temporary working folder and run there, so the README and this test cannot
drift apart: paste the string, not a paraphrase.
"""

import runpy

import pytest

RASTER_EXAMPLE = '''\
import brian2
import numpy as np
from neuroworm import GenomeLayout, build_network, load_connectome, locomotion_circuit
from neuroworm.plot import raster, save

circuit = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
net = build_network(circuit, model="alif", n_individuals=1,
                    genomes=GenomeLayout(circuit, "alif").random(1, seed=0))
monitor = brian2.SpikeMonitor(net.neurons)
net.network.add(monitor)
net.set_input_current(np.full((1, len(circuit.inputs)), 0.3))  # drive the input cells
net.network.run(500 * brian2.ms)
print(monitor.num_spikes, "spikes")
save(raster(monitor.t, monitor.i, names=net.neuron_names), "raster.png")
'''


def test_raster_example(tmp_path, monkeypatch):
    pytest.importorskip("brian2")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "raster_example.py"
    script.write_text(RASTER_EXAMPLE)
    namespace = runpy.run_path(str(script))
    monitor, net = namespace["monitor"], namespace["net"]
    assert monitor.num_spikes > 0
    assert float(monitor.t[-1] / namespace["brian2"].ms) > 400, "spikes should continue through the run"
    assert set(monitor.i[:]) <= set(range(len(net.neuron_names)))
    figure = tmp_path / "raster.png"
    assert figure.is_file() and figure.stat().st_size > 1000
