"""The control architectures of Schmidgall et al. (2023, Fig. 4), as circuits any backend can run.

Every network of the architectural-statistics experiment is a
:class:`~neuroworm.connectome.Circuit` of ReLU cells
(:class:`neuroworm.backends.relu.ReLUNetwork`), so it is evolved with the
same genome layout (log-weights with fixed signs), the same encoder and
decoder and the same closed loop as the connectome itself:

:func:`statistics_network`
    "The C. elegans statistics network ... has the same number of neurons
    and synapses as the original C. elegans connectome, where the excitatory
    and inhibitory neuron ratios are preserved but the precise circuitry is
    not" (:func:`neuroworm.statistics_matched`); same input and output cells.
:func:`two_layer_mlp`
    "A two-hidden-layer neural network with the same number of neurons as
    the C. elegans network": the encoder drives a first hidden layer with as
    many cells as the circuit has input cells (69 motor neurons), which
    projects onto a second hidden layer with as many cells as it has output
    cells (74 muscles), read by the decoder — 143 cells in all. Fully
    connected (``density=1``), or sparse with the density and the fraction
    of excitatory synapses "randomly sampled from a uniform distribution"
    (:func:`sparse_mlp`).

Signs. The genome keeps every synapse's sign (Dale's law through
log-weights, paper "Connectome Representation"), so an MLP's synapses need
signs too. They are drawn per synapse: excitatory with probability
``excitatory_fraction`` (for the fully connected MLP, the locomotion
circuit's own fraction of excitatory synapses, so that only the wiring
differs). The paper does not say how its MLPs' signs were handled.
"""

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..seeding import make_rng
from ..validation import check_positive_int

__all__ = ["excitatory_fraction", "sparse_mlp", "statistics_network", "two_layer_mlp"]


def excitatory_fraction(circuit):
    """Fraction of the circuit's chemical synapses that are excitatory."""
    return float(np.mean(np.asarray(circuit.chemical_sign) > 0))


def statistics_network(circuit, seed=None):
    """The circuit rewired at random with its cells, synapse count and E/I ratio kept.

    Parameters
    ----------
    circuit : Circuit
    seed : None, int or Generator

    Returns
    -------
    Circuit
        Same cells, inputs and outputs; ``name`` ``"<name> statistics"``.
    """
    from ..connectome import Circuit, statistics_matched

    rewired = statistics_matched(circuit.connectome, seed=seed)
    return Circuit(rewired, inputs=circuit.inputs, outputs=circuit.outputs, name=f"{circuit.name} statistics",
                   unknown_sign=circuit.unknown_sign)


def two_layer_mlp(n_first, n_second, density=1.0, excitatory=0.5, seed=None, name=None):
    """A feed-forward circuit: ``n_first`` input cells → ``n_second`` output cells.

    Parameters
    ----------
    n_first, n_second : int
        Sizes of the two hidden layers (encoder → first, second → decoder).
    density : float in (0, 1]
        Fraction of the ``n_first·n_second`` possible synapses present
        (chosen uniformly without replacement; at least one).
    excitatory : float in [0, 1]
        Probability that a synapse is excitatory (else inhibitory).
    seed : None, int or Generator
    name : str, optional

    Returns
    -------
    Circuit
        Cells ``H1_000…`` (inputs) and ``H2_000…`` (outputs); signs per
        synapse in the chemical table's ``sign`` column; no gap junctions.

    Raises
    ------
    ConfigError
        Layer sizes below 1, density outside (0, 1], excitatory fraction outside [0, 1].
    """
    from ..connectome import Circuit, Connectome

    n_first = check_positive_int("n_first", n_first)
    n_second = check_positive_int("n_second", n_second)
    if not 0.0 < density <= 1.0:
        raise ConfigError(f"density must be in (0, 1], got {density!r}")
    if not 0.0 <= excitatory <= 1.0:
        raise ConfigError(f"excitatory must be in [0, 1], got {excitatory!r}")
    rng = make_rng(seed)
    first = [f"H1_{i:03d}" for i in range(int(n_first))]
    second = [f"H2_{i:03d}" for i in range(int(n_second))]
    possible = int(n_first) * int(n_second)
    count = max(1, round(density * possible))
    chosen = np.sort(rng.choice(possible, size=count, replace=False))
    pre, post = np.divmod(chosen, int(n_second))
    signs = np.where(rng.random(count) < excitatory, 1, -1).astype(np.int8)
    neurons = pd.DataFrame(
        {"cell_class": ["inter"] * len(first) + ["motor"] * len(second), "neurotransmitter": "",
         "sign": np.zeros(len(first) + len(second), dtype=np.int8)},
        index=pd.Index(first + second, name="name"),
    )
    chemical = pd.DataFrame({"pre": np.asarray(first)[pre], "post": np.asarray(second)[post],
                             "weight": np.ones(count), "sign": signs})
    electrical = pd.DataFrame({"a": [], "b": [], "weight": []}).astype({"a": str, "b": str, "weight": float})
    label = name or f"mlp {n_first}-{n_second} density {density:.2f}"
    connectome = Connectome(neurons, chemical, electrical, name=label)
    return Circuit(connectome, inputs=first, outputs=second, name=label)


def sparse_mlp(n_first, n_second, seed=None):
    """The sparse MLP of Fig. 4: density and excitatory fraction each drawn from U(0, 1).

    Returns
    -------
    circuit : Circuit
    drawn : dict
        ``{"density": ..., "excitatory_fraction": ...}`` as drawn.
    """
    rng = make_rng(seed)
    density = float(rng.uniform(0.0, 1.0))
    excitatory = float(rng.uniform(0.0, 1.0))
    circuit = two_layer_mlp(n_first, n_second, density=max(density, 1.0 / (n_first * n_second)),
                            excitatory=excitatory, seed=rng, name=f"sparse mlp (density {density:.2f}, "
                            f"{excitatory:.0%} excitatory)")
    return circuit, {"density": density, "excitatory_fraction": excitatory}
