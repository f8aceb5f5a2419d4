"""Genomes: one float vector per individual, cut into named slices.

A layout says which part of an individual's vector is what; evolution
mutates the vector, the backends read the decoded arrays. Any network gets
one (:class:`VectorLayout`: named slices, checks, decoding, mutation
groups); two factories make the layouts of the papers' networks:

:class:`GenomeLayout` (a connectome circuit)
    the log-weight of every chemical synapse, the log-conductance of every
    gap junction, the encoder and decoder matrices and, optionally,
    per-neuron parameters of the neuron model. Dale's law: a synapse's
    weight is ``w = s·exp(w_log)`` with ``s`` the sign of the connectome
    (``Circuit.chemical_sign``), so mutations of ``w_log`` can change its
    magnitude but never its sign (Schmidgall et al. 2023, Methods).
:class:`LayeredLayout` (layered networks: MLPs, ReLU/ENU/NNE nets)
    one weight matrix and one bias vector per pair of consecutive layers,
    and the encoder and decoder.

The papers' initial values (log-weights, encoder/decoder range) are read
from the experiment files in ``models/`` (``[neurons.<model>]`` of
``models/schmidgall2023.toml``): one source of truth.
"""

import functools
import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError, GenomeError
from .limits import require_memory
from .resources import bundled_path
from .seeding import make_rng
from .validation import check_count, check_positive_int, check_real_array

__all__ = ["INITIAL_LOG_CONDUCTANCE", "INITIAL_LOG_WEIGHTS", "GenomeLayout", "LayeredLayout", "VectorLayout",
           "paper_initial_values"]

_INITIAL_VALUES_FILE = "schmidgall2023.toml"


@functools.cache
def _initial_values_table():
    """The ``[neurons.<name>]`` tables of ``models/schmidgall2023.toml``: name → their initial values."""
    path = bundled_path("models", _INITIAL_VALUES_FILE)
    try:
        neurons = tomllib.loads(path.read_text())["neurons"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as error:
        raise ConfigError(f"{path}: cannot read the [neurons] tables of initial values ({error!r})") from error
    table = {}
    for name, entry in neurons.items():
        values = {}
        try:
            if "initial_log_weight" in entry:
                weights = entry["initial_log_weight"]
                values["log_weights"] = (float(weights["excitatory"]), float(weights["inhibitory"]))
            if "encoder_decoder_init" in entry:
                low, high = entry["encoder_decoder_init"]
                values["encoder_decoder_range"] = (float(low), float(high))
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"{path}: [neurons.{name}] needs initial_log_weight = {{excitatory, inhibitory}} "
                              f"and encoder_decoder_init = [low, high] ({error!r})") from error
        table[name] = values
    return table


def paper_initial_values(model_name):
    """The initial values of a neuron model: its class's, overridden by ``models/schmidgall2023.toml``.

    A registered model (:func:`neuroworm.neurons.register_model`) declares
    ``initial_log_weights`` and ``encoder_decoder_range``; where the
    experiment file has a ``[neurons.<table>]`` table for it (``table``:
    the model's ``initial_values_table``, by default its name; LIF reads
    ALIF's), the file's ``initial_log_weight`` and ``encoder_decoder_init``
    replace them. The paper's models have such tables: the file stays the
    one source of the paper's values.

    Parameters
    ----------
    model_name : str or NeuronModel
        A registered model name or alias: ``"alif"``, ``"lif"`` (ALIF's
        values), ``"izhikevich"``, ``"relu"`` or ``"artificial"`` (ReLU's
        values), or a model of one's own.

    Returns
    -------
    dict
        ``log_weights``: ``(excitatory, inhibitory)`` initial log-weights;
        ``encoder_decoder_range``: ``(low, high)`` of the uniform encoder
        and decoder initialisation (A.3.3).

    Raises
    ------
    ConfigError
        If the model is not registered (the message lists those that are).
    """
    from .neurons import model_class

    model = model_class(model_name)
    values = {"log_weights": tuple(float(x) for x in model.initial_log_weights),
              "encoder_decoder_range": tuple(float(x) for x in model.encoder_decoder_range)}
    values.update(_initial_values_table().get(model.initial_values_table or model.name, {}))
    return values


class _InitialLogWeights(Mapping):
    """``{model: (excitatory, inhibitory)}`` of every registered model and alias (:func:`paper_initial_values`)."""

    def __getitem__(self, name):
        from .neurons import model_names

        if name not in model_names(aliases=True):
            raise KeyError(name)
        return paper_initial_values(name)["log_weights"]

    def __iter__(self):
        from .neurons import model_names

        return iter(model_names(aliases=True))

    def __len__(self):
        from .neurons import model_names

        return len(model_names(aliases=True))

    def __repr__(self):
        return repr(dict(self))


INITIAL_LOG_WEIGHTS = _InitialLogWeights()
"""Initial ``(excitatory, inhibitory)`` log-weights per model (Schmidgall et al. 2023, A.3.3).

Read from ``[neurons.<model>] initial_log_weight`` of
``models/schmidgall2023.toml`` where it has the model, else from the model
class. The paper gives them for ALIF, Izhikevich and the artificial (ReLU)
neuron; LIF, which the paper does not train, uses the ALIF values.
"""

INITIAL_LOG_CONDUCTANCE = -4.0
"""Initial gap-junction log-conductance, ``g = e^-4 ≈ 0.018`` (not from the paper, which has no gap junctions)."""


@dataclass(frozen=True, eq=False)
class _Slice:
    name: str
    start: int
    stop: int
    shape: tuple


class VectorLayout:
    """Named slices of one genome vector, for any network.

    Parameters
    ----------
    shapes : sequence of (str, tuple)
        The slices in order: name and shape of each decoded array.
    n_inputs, n_outputs : int
        Units the encoder drives and the decoder reads (0 for none).
    n_observations, n_actions : int
        Sizes of the encoder's input and the decoder's output.
    encoder_decoder_range : (float, float)
        Uniform range of the initial ``encoder`` and ``decoder`` slices.
    name : str
        What the layout is for (shown in messages).

    Raises
    ------
    ConfigError
        For a negative or non-integer size, or a repeated slice name.

    Examples
    --------
    >>> layout = VectorLayout([("w", (3, 2)), ("b", (2,))], n_inputs=3, n_outputs=2)
    >>> layout.decode(np.arange(8.0))["b"]
    array([6., 7.])
    """

    def __init__(self, shapes, n_inputs=0, n_outputs=0, n_observations=0, n_actions=0,
                 encoder_decoder_range=(-0.3, 0.3), name="network"):
        self.name = name
        self.n_inputs = check_count("n_inputs", n_inputs)
        self.n_outputs = check_count("n_outputs", n_outputs)
        self.n_observations = check_count("n_observations", n_observations)
        self.n_actions = check_count("n_actions", n_actions)
        self.encoder_decoder_range = tuple(float(x) for x in encoder_decoder_range)
        self._slices = {}
        start = 0
        for slice_name, shape in shapes:
            if slice_name in self._slices:
                raise ConfigError(f"genome slice {slice_name!r} is given twice")
            shape = tuple(check_count(f"size of slice {slice_name!r}", int(n)) for n in shape)
            stop = start + int(np.prod(shape))
            self._slices[slice_name] = _Slice(slice_name, start, stop, shape)
            start = stop
        self.size = start

    def __repr__(self):
        parts = ", ".join(f"{s.name}={s.stop - s.start}" for s in self._slices.values())
        return f"<{type(self).__name__} {self.name}: size {self.size} ({parts})>"

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
        array = check_real_array("a genome", genomes, error=GenomeError)  # a complex genome is refused, not cut
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
    def decode(self, genomes, *, validated=False):
        """Split genome(s) into named arrays.

        Parameters
        ----------
        genomes : array_like, shape (D,) or (P, D)

        validated : bool
            The caller has just checked ``genomes`` with :meth:`validate`
            (at its public entry): skip the check. Checks happen once, where
            genomes enter.

        Returns
        -------
        dict of str to numpy.ndarray
            One entry per slice, shaped as :attr:`shapes`, with a leading P
            axis for a population. Views into ``genomes`` where possible.
        """
        array = np.asarray(genomes, dtype=float) if validated else self.validate(genomes)
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

    def _random_encoder_decoder(self, genomes, rng):
        low, high = self.encoder_decoder_range
        s = self.slices
        for name in ("encoder", "decoder"):
            width = s[name].stop - s[name].start
            genomes[:, s[name]] = rng.uniform(low, high, (genomes.shape[0], width))


class GenomeLayout(VectorLayout):
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
        A registered model's name or alias (``"lif"``, ``"alif"``,
        ``"izhikevich"``, ``"relu"``/``"artificial"`` for the artificial
        neuron, ...) or a model instance; it selects the initial
        log-weights (:func:`paper_initial_values`).
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
        self.model = model if isinstance(model, NeuronModel) else get_model(model)  # ConfigError names the known
        self.model_name = self.model.name
        self._initial = paper_initial_values(self.model)
        self.per_neuron = tuple(per_neuron)
        allowed = self.model.per_neuron_parameters
        bad = [p for p in self.per_neuron if p not in allowed]
        if bad:
            raise ConfigError(
                f"per_neuron parameters {bad} are not per-neuron parameters of model {self.model_name!r}; "
                f"allowed: {list(allowed)}"
            )
        n_inputs, n_outputs = len(circuit.input_index), len(circuit.output_index)
        n_observations = check_count("n_observations", n_observations)
        n_actions = check_count("n_actions", n_actions)
        shapes = [
            ("chemical_log_weight", (circuit.n_chemical,)),
            ("electrical_log_conductance", (circuit.n_electrical,)),
            ("encoder", (n_observations, n_inputs)),
            ("decoder", (n_outputs, n_actions)),
        ] + [(p, (circuit.n_neurons,)) for p in self.per_neuron]
        super().__init__(shapes, n_inputs, n_outputs, n_observations, n_actions,
                         self._initial["encoder_decoder_range"], name=f"{self.model_name} on {circuit.name!r}")

    def __repr__(self):
        parts = ", ".join(f"{s.name}={s.stop - s.start}" for s in self._slices.values())
        return f"<GenomeLayout {self.model_name} on {self.circuit.name!r}: size {self.size} ({parts})>"

    def effective_weights(self, genomes, *, validated=False):
        """Signed synaptic weights ``w = s·exp(w_log)`` (Dale's law).

        Returns
        -------
        numpy.ndarray, shape (n_chemical,) or (P, n_chemical)
            ``s·exp(w_log)``; ``exp`` may overflow to ``±inf`` or underflow to
            ``0`` for extreme genomes, but never changes sign.
        """
        log_weight = self.decode(genomes, validated=validated)["chemical_log_weight"]
        with np.errstate(over="ignore"):
            return self.circuit.chemical_sign.astype(float) * np.exp(log_weight)

    def conductances(self, genomes, *, validated=False):
        """Gap-junction conductances ``g = exp(g_log)`` (≥ 0)."""
        with np.errstate(over="ignore"):
            return np.exp(self.decode(genomes, validated=validated)["electrical_log_conductance"])

    # ----------------------------------------------------------- initialising
    def random(self, n, seed=None, weight_noise=0.0):
        """Draw ``n`` genomes from the papers' initialisation (A.3.3).

        Chemical log-weights are **exactly** the paper's values (e.g. ALIF:
        ``-1.0`` for excitatory, ``-1.5`` for inhibitory synapses) unless
        ``weight_noise > 0`` adds ``N(0, weight_noise²)`` to them (the paper
        calls them an "initialization sample" without a spread). Encoder and
        decoder weights are ``U(-0.3, 0.3)`` (both from
        :func:`paper_initial_values`); gap-junction log-conductances
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
        n = check_positive_int("n", n)
        require_memory(2 * n * self.size * 8, f"{n} random genomes of {self.size} genes", advice="ask for fewer")
        rng = make_rng(seed)
        genomes = np.empty((n, self.size))
        excitatory, inhibitory = self._initial["log_weights"]
        sign = self.circuit.chemical_sign
        s = self.slices
        genomes[:, s["chemical_log_weight"]] = np.where(sign > 0, excitatory, inhibitory)
        genomes[:, s["electrical_log_conductance"]] = INITIAL_LOG_CONDUCTANCE
        self._random_encoder_decoder(genomes, rng)
        for name in self.per_neuron:
            genomes[:, s[name]] = getattr(self.model, name)
        if weight_noise:
            for name in ("chemical_log_weight", "electrical_log_conductance"):
                width = s[name].stop - s[name].start
                genomes[:, s[name]] += rng.normal(0.0, weight_noise, (int(n), width))
        return genomes


class LayeredLayout(VectorLayout):
    """Genome layout of a layered network (MLPs; ReLU, ENU and NNE nets).

    Slices, in order: ``weight_0`` (n_0, n_1), ``bias_0`` (n_1,), ...,
    ``weight_{L-2}`` (n_{L-2}, n_{L-1}), ``bias_{L-2}`` (n_{L-1},) for
    ``layer_sizes = (n_0, ..., n_{L-1})``; then ``encoder``
    (n_observations, n_0) and ``decoder`` (n_{L-1}, n_actions), empty when
    ``n_observations`` or ``n_actions`` is 0 (a network that reads the
    observation itself). The first layer is the input layer the encoder
    drives, the last the output layer the decoder reads.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, at least two layers of at least one unit.
    n_observations, n_actions : int
        Sizes of the encoder's input and the decoder's output.
    model : str
        Name of the unit model (``"relu"``, ``"enu"``, ...), for messages
        and for the backends; when it has a ``[neurons.<model>]`` table in
        ``models/schmidgall2023.toml`` its encoder/decoder range is used.
    weight_scale : float
        Initial weights are ``N(0, (weight_scale / sqrt(fan_in))²)``
        (``1/sqrt(fan_in)``: LeCun's initialisation at the default 1).
    extra : sequence of (str, tuple)
        Further slices after these (per-unit parameters, gates, ...).

    Examples
    --------
    >>> layout = LayeredLayout((17, 64, 64, 12), n_observations=8, n_actions=2)
    >>> [name for name in layout.slices]
    ['weight_0', 'bias_0', 'weight_1', 'bias_1', 'weight_2', 'bias_2', 'encoder', 'decoder']
    >>> layout.decode(layout.random(3, seed=0))["weight_1"].shape
    (3, 64, 64)
    """

    def __init__(self, layer_sizes, n_observations=0, n_actions=0, model="relu", weight_scale=1.0, extra=()):
        sizes = tuple(check_positive_int("layer size", n) for n in layer_sizes)
        if len(sizes) < 2:
            raise ConfigError(f"a layered network needs at least two layers, got layer_sizes={tuple(layer_sizes)}")
        self.layer_sizes = sizes
        self.model_name = str(model).lower()
        self.weight_scale = float(weight_scale)
        try:
            value_range = paper_initial_values(self.model_name)["encoder_decoder_range"]
        except ConfigError:
            value_range = (-0.3, 0.3)
        n_observations = check_count("n_observations", n_observations)
        n_actions = check_count("n_actions", n_actions)
        shapes = []
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
            shapes += [(f"weight_{i}", (fan_in, fan_out)), (f"bias_{i}", (fan_out,))]
        shapes += [("encoder", (n_observations, sizes[0])), ("decoder", (sizes[-1], n_actions))]
        shapes += [(name, tuple(shape)) for name, shape in extra]
        super().__init__(shapes, sizes[0], sizes[-1], n_observations, n_actions, value_range,
                         name=f"{self.model_name} layers {'-'.join(map(str, sizes))}")

    @property
    def n_layers(self):
        """Number of layers (weight matrices + 1)."""
        return len(self.layer_sizes)

    def weights(self, genomes):
        """The weight matrices ``[(P, n_i, n_{i+1}), ...]`` (or without the P axis for one genome)."""
        decoded = self.decode(genomes)
        return [decoded[f"weight_{i}"] for i in range(self.n_layers - 1)]

    def biases(self, genomes):
        """The bias vectors ``[(P, n_{i+1}), ...]``."""
        decoded = self.decode(genomes)
        return [decoded[f"bias_{i}"] for i in range(self.n_layers - 1)]

    def random(self, n, seed=None):
        """``n`` genomes: weights ``N(0, (weight_scale/sqrt(fan_in))²)``, biases 0, encoder/decoder uniform.

        Extra slices start at 0.
        """
        n = check_positive_int("n", n)
        require_memory(2 * n * self.size * 8, f"{n} random genomes of {self.size} genes", advice="ask for fewer")
        rng = make_rng(seed)
        genomes = np.zeros((n, self.size))
        s = self.slices
        for i, fan_in in enumerate(self.layer_sizes[:-1]):
            width = s[f"weight_{i}"].stop - s[f"weight_{i}"].start
            genomes[:, s[f"weight_{i}"]] = rng.normal(0.0, self.weight_scale / np.sqrt(fan_in), (n, width))
        self._random_encoder_decoder(genomes, rng)
        return genomes
