"""The code examples of README.md run as printed.

Each ```python block of the README is read from the file itself, written to a
script in a temporary working folder and run there, so the README and its
tests cannot drift apart. The closed-loop example is run with a smaller
population and shorter episodes (the only substitution made).
"""

import re
import runpy
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example(heading):
    """The first ```python block after the README heading ``heading``."""
    text = README.read_text()
    start = text.index(f"## {heading}")
    match = re.compile(r"```python\n(.*?)```", re.DOTALL).search(text, start)
    assert match, f"no python example under '## {heading}'"
    return match.group(1)


def run_example(source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "example.py"
    script.write_text(source)
    return runpy.run_path(str(script))


def test_loading_example(tmp_path, monkeypatch):
    namespace = run_example(readme_example("Loading and inspecting a connectome"), tmp_path, monkeypatch)
    assert len(namespace["names"]) == 473
    assert namespace["circuit"].n_neurons == 143
    assert len(namespace["control"].chemical) == namespace["circuit"].n_chemical


def test_raster_example(tmp_path, monkeypatch):
    pytest.importorskip("brian2")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    namespace = run_example(readme_example("Spiking networks in Brian2"), tmp_path, monkeypatch)
    monitor, net = namespace["monitor"], namespace["net"]
    assert monitor.num_spikes > 0
    assert float(monitor.t[-1] / namespace["brian2"].ms) > 400, "spikes should continue through the run"
    assert set(monitor.i[:]) <= set(range(len(net.neuron_names)))
    figure = tmp_path / "raster.png"
    assert figure.is_file() and figure.stat().st_size > 1000


@pytest.mark.mujoco
def test_closed_loop_example(tmp_path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    source = readme_example("Closed loop")
    smaller = source.replace("episode_steps=1000", "episode_steps=40").replace("64", "4")
    assert smaller != source
    namespace = run_example(smaller, tmp_path, monkeypatch)
    assert namespace["returns"].shape == (1,) and np.isfinite(namespace["returns"]).all()
    assert namespace["record"].actions.shape[0] == 40
