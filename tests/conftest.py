"""Shared fixtures: small circuits to simulate.

``small_circuit`` is a synthetic signed connectome (always available, quick);
``circuit`` is the C. elegans locomotion circuit of Schmidgall et al. (2023)
when the bundled Cook et al. (2019) data are present, else ``small_circuit``;
``make_circuit`` builds a circuit from explicit edge lists.
"""

import numpy as np
import pandas as pd
import pytest

from neuroworm.connectome.circuits import Circuit
from neuroworm.connectome.model import Connectome


def _circuit_from_edges(n_neurons, chemical, electrical=(), signs=None, inputs=None, outputs=None, name="test"):
    names = [f"N{i:03d}" for i in range(n_neurons)]
    signs = np.ones(n_neurons, dtype=int) if signs is None else np.asarray(signs)
    neurons = pd.DataFrame(
        {
            "cell_class": "inter",
            "neurotransmitter": np.where(signs < 0, "GABA", "ACh"),
            "sign": signs,
        },
        index=pd.Index(names, name="name"),
    )
    chemical = pd.DataFrame(
        {"pre": [names[i] for i, _ in chemical], "post": [names[j] for _, j in chemical],
         "weight": np.ones(len(chemical))},
        columns=["pre", "post", "weight"],
    )
    electrical = pd.DataFrame(
        {"a": [names[min(i, j)] for i, j in electrical], "b": [names[max(i, j)] for i, j in electrical],
         "weight": np.ones(len(electrical))},
        columns=["a", "b", "weight"],
    )
    connectome = Connectome(neurons, chemical, electrical, name=name)
    inputs = names if inputs is None else [names[i] for i in inputs]
    outputs = names if outputs is None else [names[i] for i in outputs]
    return Circuit(connectome, inputs=inputs, outputs=outputs, name=name)


@pytest.fixture(scope="session")
def make_circuit():
    """Factory: ``make_circuit(n_neurons, chemical_pairs, electrical_pairs=(), signs=None, inputs=None, outputs=None)``.

    Cells are named ``N000``, ``N001``, ...; pairs are index tuples; inputs and
    outputs default to every cell.
    """
    return _circuit_from_edges


@pytest.fixture(scope="session")
def small_circuit():
    """A random 60-cell signed circuit: ~6 % chemical connectivity, 20 % inhibitory cells,
    40 gap junctions, 20 input cells and 15 output cells (seed 2023)."""
    rng = np.random.default_rng(2023)
    n = 60
    adjacency = rng.random((n, n)) < 0.06
    np.fill_diagonal(adjacency, False)
    chemical = [tuple(pair) for pair in np.argwhere(adjacency)]
    pairs = set()
    while len(pairs) < 40:
        a, b = rng.choice(n, 2, replace=False)
        pairs.add((min(a, b), max(a, b)))
    signs = np.where(rng.random(n) < 0.2, -1, 1)
    return _circuit_from_edges(n, chemical, sorted(pairs), signs, inputs=range(20), outputs=range(45, 60),
                               name="synthetic60")


@pytest.fixture(scope="session")
def circuit(small_circuit):
    """The locomotion circuit (143 cells from Cook et al. 2019) when bundled, else ``small_circuit``."""
    from neuroworm.connectome import load_connectome, locomotion_circuit
    from neuroworm.errors import NeuroWormError

    try:
        return locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    except NeuroWormError:  # the bundled data are not (yet) there
        return small_circuit
