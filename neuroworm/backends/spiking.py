"""What a population-batched spiking network is made of, before any backend builds it.

:func:`network_spec` checks a request (circuit, model, plasticity, genomes,
dt) and resolves it into a :class:`SpikingSpec`: the model, its constants,
per-neuron parameters and the flattened, block-diagonal index arrays of P
copies of the circuit. The NumPy reference (:mod:`neuroworm.backends.reference`)
and the Brian2 builder (:mod:`neuroworm.brian.network`) both start from it, so
they check the same things and compute with the same numbers.

Flat indexing: neuron ``j`` of individual ``k`` is ``k·N + j``; chemical
synapse ``m`` of individual ``k`` is ``k·S + m``; gap junction pair ``e`` of
individual ``k`` gives the two directed synapses ``k·2E + e`` (a → b) and
``k·2E + E + e`` (b → a).
"""

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, GenomeError
from ..genome import GenomeLayout
from ..neurons import NeuronModel, get_model, get_plasticity
from ..validation import check_positive_int

__all__ = ["SpikingSpec", "dt_in_ms", "get_plasticity", "network_spec"]


def dt_in_ms(dt):
    """The time step in milliseconds, from a float (ms) or a Brian2 quantity.

    Raises
    ------
    ConfigError
        If ``dt`` is not a finite positive time.
    """
    if hasattr(dt, "dim"):  # a Brian2 Quantity (read without importing Brian2: backends stay independent of it)
        if str(dt.dim) != "s":
            raise ConfigError(f"dt must be a time, got {dt!r}")
        dt = float(dt) / 0.001  # what Brian2's dt / ms computes: the SI value divided by float(ms)
    try:
        value = float(dt)
    except (TypeError, ValueError):
        raise ConfigError(f"dt must be a time step in ms (float) or a Brian2 time, got {dt!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"dt must be > 0 ms and finite, got {dt!r}")
    return value


@dataclass(eq=False)
class SpikingSpec:
    """A checked request for P copies of a circuit with one neuron model.

    Attributes
    ----------
    circuit, model, plasticity, layout
        As given (resolved to objects).
    n_individuals, n_neurons : int
        P and N.
    dt_ms : float
        Time step in ms.
    gap_junctions : bool
        Whether electrical coupling is simulated (False also when the circuit
        has no gap junctions).
    constants : dict
        Scalar constants of the update code (model and plasticity).
    """

    circuit: object
    model: NeuronModel
    plasticity: object
    layout: GenomeLayout
    n_individuals: int
    dt_ms: float
    gap_junctions: bool
    constants: dict

    @property
    def n_neurons(self):
        return self.circuit.n_neurons

    @property
    def state_variables(self):
        """Variables that become NaN/inf when an individual diverges."""
        return self.model.state_variables

    @property
    def checked_variables(self):
        """Variables checked for NaN/inf after each step: the model's state and the synaptic inputs.

        The inputs are included because the Izhikevich reset (``v ← c``) would
        otherwise hide an infinite input that makes ``v`` cross the threshold
        every step.
        """
        return tuple(self.model.state_variables) + ("I_chem", "I_gap")

    @property
    def per_neuron(self):
        """Model parameters held per neuron (from the genome) instead of as constants."""
        return self.layout.per_neuron

    # ---------------------------------------------------------- flat indices
    def flat_neurons(self, local):
        """Flat indices (P, n) of per-individual neuron positions ``local`` (n,)."""
        local = np.asarray(local, dtype=np.int64)
        return np.arange(self.n_individuals)[:, None] * self.n_neurons + local[None, :]

    def chemical_flat(self):
        """Flat ``(pre, post)`` neuron indices of the P·S chemical synapses (individual-major)."""
        c = self.circuit
        return self.flat_neurons(c.chemical_pre).ravel(), self.flat_neurons(c.chemical_post).ravel()

    def electrical_flat(self):
        """Flat ``(pre, post)`` indices of the P·2E directed gap-junction synapses."""
        c = self.circuit
        pre = np.concatenate([c.electrical_a, c.electrical_b])
        post = np.concatenate([c.electrical_b, c.electrical_a])
        return self.flat_neurons(pre).ravel(), self.flat_neurons(post).ravel()

    # ---------------------------------------------------------------- genomes
    def genome_arrays(self, genomes, *, validated=False):
        """Decode a (P, D) population into the arrays the networks load.

        Returns
        -------
        dict
            ``w`` (P·S,) signed weights, ``sign`` (P·S,), ``g`` (P·2E,)
            conductances (each pair twice: a→b then b→a), and one (P·N,)
            array per per-neuron parameter.
        """
        genomes = np.asarray(genomes, dtype=float) if validated else self.layout.validate(genomes)
        if genomes.ndim == 1:
            genomes = genomes[None, :]
        if genomes.shape[0] != self.n_individuals:
            raise GenomeError(f"expected genomes for {self.n_individuals} individuals, got {genomes.shape[0]}")
        decoded = self.layout.decode(genomes, validated=True)
        arrays = {
            "w": self.layout.effective_weights(genomes, validated=True).ravel(),
            "sign": np.tile(self.circuit.chemical_sign.astype(float), self.n_individuals),
        }
        g = self.layout.conductances(genomes, validated=True)
        arrays["g"] = np.concatenate([g, g], axis=1).ravel()
        for name in self.per_neuron:
            arrays[name] = np.array(decoded[name], dtype=float).ravel()
        return arrays

    def expand_input(self, current):
        """An input array (P, n_inputs) or (P, N) as a (P, N) current."""
        current = np.asarray(current, dtype=float)
        P, N = self.n_individuals, self.n_neurons
        n_inputs = len(self.circuit.input_index)
        if current.shape == (P, N):
            return current
        if current.shape == (P, n_inputs):
            full = np.zeros((P, N))
            full[:, self.circuit.input_index] = current
            return full
        raise ConfigError(
            f"input current must have shape (P, n_inputs) = ({P}, {n_inputs}) or (P, N) = ({P}, {N}); "
            f"got {current.shape}"
        )


def network_spec(circuit, model="alif", n_individuals=1, genomes=None, dt=1.0, stdp=None,
                 gap_junctions=True, layout=None, seed=None):
    """Check a network request and resolve it into a :class:`SpikingSpec` and (P, D) genomes.

    Parameters
    ----------
    circuit : Circuit
    model : str or NeuronModel
        A registered spiking model (``"lif"``, ``"alif"``, ``"izhikevich"``, ...).
    n_individuals : int
        Population size P.
    genomes : array_like (P, D) or (D,), optional
        Genomes of ``layout``; a single vector is used for every individual.
        Default: ``layout.random(P, seed=seed)``.
    dt : float or Brian2 quantity
        Time step (ms when a float).
    stdp : None, a name of :data:`neuroworm.neurons.PLASTICITY_RULES` or an STDP instance
    gap_junctions : bool
    layout : GenomeLayout, optional
        Default ``GenomeLayout(circuit, model)``.
    seed : None, int or Generator
        For the default genomes.

    Returns
    -------
    spec : SpikingSpec
    genomes : numpy.ndarray, shape (P, D)

    Raises
    ------
    ConfigError, GenomeError
        For an unknown model or plasticity, dt ≤ 0, P < 1, an empty circuit,
        a layout for another circuit, or a malformed genome.
    """
    if circuit is None or getattr(circuit, "n_neurons", 0) == 0:
        raise ConfigError(f"the circuit has no neurons: {circuit!r}")
    n_individuals = check_positive_int("n_individuals", n_individuals)
    model = get_model(model)
    if not model.spiking:
        raise ConfigError(f"model {model.name!r} is not a spiking model (it has no Brian2 strings and NumPy "
                          f"update); run it on its backend {model.default_backend!r}")
    dt_ms = dt_in_ms(dt)
    plasticity = get_plasticity(stdp)
    if layout is None:
        layout = GenomeLayout(circuit, model)
    else:
        if layout.circuit is not circuit:
            raise ConfigError("layout was made for another circuit object")
        if layout.model_name != model.name:
            raise ConfigError(f"layout is for model {layout.model_name!r}, network for {model.name!r}")
    constants = dict(model.constants(dt_ms))
    if plasticity is not None:
        constants.update(plasticity.constants(dt_ms))
    for name in layout.per_neuron:
        constants.pop(name, None)
    spec = SpikingSpec(
        circuit=circuit, model=model, plasticity=plasticity, layout=layout, n_individuals=n_individuals,
        dt_ms=dt_ms, gap_junctions=bool(gap_junctions) and circuit.n_electrical > 0, constants=constants,
    )
    if genomes is None:
        genomes = layout.random(n_individuals, seed=seed)
    genomes = layout.validate(genomes)
    if genomes.ndim == 1:
        genomes = np.tile(genomes, (n_individuals, 1))
    spec.genome_arrays(genomes, validated=True)  # raises on a wrong population size
    return spec, genomes
