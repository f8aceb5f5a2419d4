"""Genomes: one float vector per individual, cut into named slices.

A :class:`GenomeLayout` says which part of an individual's vector is what:
the log-weight of every chemical synapse, the log-conductance of every gap
junction, the encoder and decoder matrices and, optionally, per-neuron
parameters of the neuron model. Evolution mutates the vector; the backends
read the decoded arrays.

Dale's law: a synapse's weight is ``w = s·exp(w_log)`` with ``s`` the sign
of the connectome (``Circuit.chemical_sign``), so mutations of ``w_log`` can
change its magnitude but never its sign (Schmidgall et al. 2023, Methods).
"""

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError, GenomeError
from .seeding import make_rng

__all__ = ["INITIAL_LOG_CONDUCTANCE", "INITIAL_LOG_WEIGHTS", "GenomeLayout"]

INITIAL_LOG_WEIGHTS = {
    "alif": (-1.0, -1.5),
    "lif": (-1.0, -1.5),
    "izhikevich": (2.0, 1.0),
    "relu": (-2.5, -3.0),
    "artificial": (-2.5, -3.0),
}
"""Initial ``(excitatory, inhibitory)`` log-weights (Schmidgall et al. 2023, A.3.3).

The paper gives them for ALIF, Izhikevich and the artificial (ReLU) neuron;
LIF, which the paper does not train, uses the ALIF values.
"""

INITIAL_LOG_CONDUCTANCE = -4.0
"""Initial gap-junction log-conductance, ``g = e^-4 ≈ 0.018`` (not from the paper, which has no gap junctions)."""

ENCODER_DECODER_RANGE = 0.3
"""Encoder and decoder weights start as ``U(-0.3, 0.3)`` (A.3.3)."""


@dataclass(frozen=True, eq=False)
class _Slice:
    name: str
    start: int
    stop: int
    shape: tuple


class GenomeLayout:
    """Named slices of an individual's genome vector for a circuit and a neuron model.

    The slices, in order:

    ``chemical_log_weight`` (n_chemical,)
        ``w_log`` of each chemical synapse, in ``circuit.chemical_pre`` order.
    ``electrical_log_conductance`` (n_electrical,)
        ``log g`` of each gap-junction pair.
    ``encoder`` (n_observations, n_inputs)
        observation → input-cell current.
    ``decoder`` (n_outputs, n_actions)
        output-cell activity → action.
    one slice per name in ``per_neuron`` (n_neurons,)
        a parameter of the neuron model, per cell (its raw value).

    Parameters
    ----------
    circuit : Circuit
        Gives the synapses, gap junctions, inputs and outputs.
    model : str or NeuronModel
        ``"lif"``, ``"alif"``, ``"izhikevich"``, a model instance, or
        ``"relu"``/``"artificial"`` for the artificial neuron; it selects the
        initial log-weights.
    n_observations, n_actions : int
        Sizes of the encoder's input and the decoder's output (0 for none).
    per_neuron : sequence of str
        Neuron-model parameters evolved per cell, e.g. ``("v_threshold",)``.

    Raises
    ------
    ConfigError
        If the model is unknown, a size is negative, or a per-neuron name is
        not a parameter the model allows per neuron.

    Examples
    --------
    >>> layout = GenomeLayout(circuit, "alif", n_observations=8, n_actions=2)
    >>> genomes = layout.random(750, seed=0)
    >>> w = layout.effective_weights(genomes)      # (750, n_chemical), Dale signs kept
    """

    def __init__(self, circuit, model, n_observations=0, n_actions=0, per_neuron=()):
        from .neurons import NeuronModel, get_model

        self.circuit = circuit
        if isinstance(model, NeuronModel):
            self.model = model
            self.model_name = model.name
        else:
            key = str(model).lower()
            if key not in INITIAL_LOG_WEIGHTS:
                raise ConfigError(
                    f"unknown neuron model {model!r}; known models: {', '.join(INITIAL_LOG_WEIGHTS)}"
                )
            self.model_name = key
            self.model = get_model(key) if key in ("lif", "alif", "izhikevich") else None
        for label, value in (("n_observations", n_observations), ("n_actions", n_actions)):
            if int(value) != value or value < 0:
                raise ConfigError(f"{label} must be an integer >= 0, got {value!r}")
        self.n_observations = int(n_observations)
        self.n_actions = int(n_actions)
        self.per_neuron = tuple(per_neuron)
        allowed = self.model.per_neuron_parameters if self.model is not None else ()
        bad = [p for p in self.per_neuron if p not in allowed]
        if bad:
            raise ConfigError(
                f"per_neuron parameters {bad} are not per-neuron parameters of model {self.model_name!r}; "
                f"allowed: {list(allowed)}"
            )
        n_inputs, n_outputs = len(circuit.input_index), len(circuit.output_index)
        shapes = [
            ("chemical_log_weight", (circuit.n_chemical,)),
            ("electrical_log_conductance", (circuit.n_electrical,)),
            ("encoder", (self.n_observations, n_inputs)),
            ("decoder", (n_outputs, self.n_actions)),
        ] + [(p, (circuit.n_neurons,)) for p in self.per_neuron]
        self._slices = {}
        start = 0
        for name, shape in shapes:
            stop = start + int(np.prod(shape))
            self._slices[name] = _Slice(name, start, stop, shape)
            start = stop
        self.size = start

    def __repr__(self):
        parts = ", ".join(f"{s.name}={s.stop - s.start}" for s in self._slices.values())
        return f"<GenomeLayout {self.model_name} on {self.circuit.name!r}: size {self.size} ({parts})>"

    @property
    def slices(self):
        """``{name: slice}`` into the genome vector, in layout order."""
        return {name: slice(s.start, s.stop) for name, s in self._slices.items()}

    @property
    def shapes(self):
        """``{name: shape}`` of each decoded array (per individual)."""
        return {name: s.shape for name, s in self._slices.items()}

    # ----------------------------------------------------------------- checks
    def validate(self, genomes):
        """Return ``genomes`` as a float array of shape (D,) or (P, D), or raise.

        Raises
        ------
        GenomeError
            If the last axis is not :attr:`size` long, the array has more than
            two axes, or a value is NaN or infinite; the message names the
            individual, the slice and the position in it.
        """
        array = np.asarray(genomes, dtype=float)
        if array.ndim not in (1, 2):
            raise GenomeError(f"a genome must be a vector (D,) or a population (P, D); got shape {array.shape}")
        if array.shape[-1] != self.size:
            raise GenomeError(
                f"genome length {array.shape[-1]} does not match the layout's size {self.size} ({self!r})"
            )
        bad = ~np.isfinite(array)
        if bad.any():
            flat = np.flatnonzero(bad.reshape(-1, self.size).any(axis=0) if array.ndim == 2 else bad)[0]
            individual = ""
            if array.ndim == 2:
                row = int(np.flatnonzero(bad[:, flat])[0])
                individual = f"individual {row}, "
                value = array[row, flat]
            else:
                value = array[flat]
            name, position = self.locate(flat)
            raise GenomeError(
                f"genome {individual}position {flat} ({name}[{position}]) is {value!r}; genomes must be finite"
            )
        return array

    def locate(self, position):
        """``(slice name, index within the slice)`` of a position in the genome vector."""
        for name, s in self._slices.items():
            if s.start <= position < s.stop:
                return name, int(position - s.start)
        raise GenomeError(f"position {position} is outside the genome (size {self.size})")

    # --------------------------------------------------------------- decoding
    def decode(self, genomes):
        """Split genome(s) into named arrays.

        Parameters
        ----------
        genomes : array_like, shape (D,) or (P, D)

        Returns
        -------
        dict of str to numpy.ndarray
            One entry per slice, shaped as :attr:`shapes`, with a leading P
            axis for a population. Views into ``genomes`` where possible.
        """
        array = self.validate(genomes)
        lead = array.shape[:-1]
        return {name: array[..., s.start:s.stop].reshape(lead + s.shape) for name, s in self._slices.items()}

    def mutation_groups(self):
        """Gene indices of the two groups the papers mutate at separate rates.

        Schmidgall et al. (2023, A.3.1) give one mutation rate and decay for
        the encoder/decoder and another for the connectome weights. Here
        ``"encoder_decoder"`` holds the ``encoder`` and ``decoder`` slices and
        ``"connectome"`` everything else (chemical log-weights, gap-junction
        log-conductances and per-neuron parameters). A group with no genes
        (e.g. no encoder) is left out.

        Returns
        -------
        dict of str to numpy.ndarray of int
            For :class:`neuroworm.evolve.GenomeGroups` and the strategies' ``groups``.
        """
        groups = {"encoder_decoder": [], "connectome": []}
        for name, part in self.slices.items():
            group = "encoder_decoder" if name in ("encoder", "decoder") else "connectome"
            groups[group].append(np.arange(part.start, part.stop))
        return {name: np.concatenate(parts) for name, parts in groups.items() if parts and sum(map(len, parts))}

    def effective_weights(self, genomes):
        """Signed synaptic weights ``w = s·exp(w_log)`` (Dale's law).

        Returns
        -------
        numpy.ndarray, shape (n_chemical,) or (P, n_chemical)
            ``s·exp(w_log)``; ``exp`` may overflow to ``±inf`` or underflow to
            ``0`` for extreme genomes, but never changes sign.
        """
        log_weight = self.decode(genomes)["chemical_log_weight"]
        with np.errstate(over="ignore"):
            return self.circuit.chemical_sign.astype(float) * np.exp(log_weight)

    def conductances(self, genomes):
        """Gap-junction conductances ``g = exp(g_log)`` (≥ 0)."""
        with np.errstate(over="ignore"):
            return np.exp(self.decode(genomes)["electrical_log_conductance"])

    # ----------------------------------------------------------- initialising
    def random(self, n, seed=None, weight_noise=0.0):
        """Draw ``n`` genomes from the papers' initialisation (A.3.3).

        Chemical log-weights are **exactly** the paper's values (e.g. ALIF:
        ``-1.0`` for excitatory, ``-1.5`` for inhibitory synapses) unless
        ``weight_noise > 0`` adds ``N(0, weight_noise²)`` to them (the paper
        calls them an "initialization sample" without a spread). Encoder and
        decoder weights are ``U(-0.3, 0.3)``; gap-junction log-conductances
        are :data:`INITIAL_LOG_CONDUCTANCE`; per-neuron parameters start at
        the model's defaults.

        Parameters
        ----------
        n : int
            Number of individuals.
        seed : None, int or numpy.random.Generator
        weight_noise : float
            Standard deviation of noise on the initial log-weights and
            log-conductances.

        Returns
        -------
        numpy.ndarray, shape (n, size)
        """
        if int(n) != n or n < 1:
            raise ConfigError(f"n must be an integer >= 1, got {n!r}")
        rng = make_rng(seed)
        genomes = np.empty((int(n), self.size))
        excitatory, inhibitory = INITIAL_LOG_WEIGHTS[self.model_name]
        sign = self.circuit.chemical_sign
        s = self.slices
        genomes[:, s["chemical_log_weight"]] = np.where(sign > 0, excitatory, inhibitory)
        genomes[:, s["electrical_log_conductance"]] = INITIAL_LOG_CONDUCTANCE
        for name in ("encoder", "decoder"):
            width = s[name].stop - s[name].start
            genomes[:, s[name]] = rng.uniform(-ENCODER_DECODER_RANGE, ENCODER_DECODER_RANGE, (int(n), width))
        for name in self.per_neuron:
            genomes[:, s[name]] = getattr(self.model, name)
        if weight_noise:
            for name in ("chemical_log_weight", "electrical_log_conductance"):
                width = s[name].stop - s[name].start
                genomes[:, s[name]] += rng.normal(0.0, weight_noise, (int(n), width))
        return genomes
