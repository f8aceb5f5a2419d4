"""Evolvable Neural Units (Bertens & Lee 2019): gated units and networks of them.

An Evolvable Neural Unit (ENU) is a gated recurrent unit with an extra,
clipped output gate whose output is fed back to its own input (eq. 1).  In a
*network of ENUs* every neuron and every synapse is an ENU: the neurons share
one set of gate weights, the synapses another (two "chromosomes"), while each
unit keeps its own memory.  Evolution changes only the shared weights, so a
network can learn within an episode only by writing to the units' memories.

Everything here is batched over ``P`` offspring (each with its own weights)
and ``U`` units per offspring: a gate is one ``(P, U, K) @ (P, K, M)``
product, the paper's three-dimensional matrix product (§4.3).  No Python loop
runs over offspring, units, environments or synapses.  The array module is a
parameter (``xp``, NumPy by default); any module with NumPy's names (CuPy)
works.

References
----------
.. [1] P. Bertens, S.-W. Lee (2019). Network of evolvable neural units:
   evolving to learn at a synaptic level. arXiv:1912.07589, §3.1-3.2, §4.2
   (eq. 1), §4.3 (Fig. 4).
.. [2] K. Cho et al. (2014). Learning phrase representations using RNN
   encoder-decoder for statistical machine translation. arXiv:1406.1078
   (the GRU that eq. 1 extends).
"""

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, GenomeError
from ..seeding import make_rng
from ..validation import check_positive_int

__all__ = ["ENUGates", "ENUNetwork", "ENUShape", "enu_step", "random_topology", "topology_from_adjacency"]


@dataclass(frozen=True)
class ENUShape:
    """Sizes of one kind of ENU and the layout of its flat genome.

    The gates read the concatenation ``[h_{t-1}, o_{t-1}, x_t, 1]`` of
    ``K = memory_size + n_outputs + n_inputs + bias`` values (the trailing 1
    is a bias, which eq. 1 leaves out; without it a unit with zero memory and
    zero input can never leave zero).  The genome holds, row-major,

    ``W_zr`` (K, 2·memory_size)  update and reset gates side by side,
    ``W_c``  (K, memory_size)    cell gate,
    ``W_o``  (memory_size, n_outputs)  output gate.

    Parameters
    ----------
    n_inputs : int
        Input channels ``x_t``.
    memory_size : int
        Size of the memory ``h`` (paper: 32).
    n_outputs : int
        Output channels ``o`` (paper: 16).
    bias : bool
        Append a constant 1 to the gates' input.
    """

    n_inputs: int
    memory_size: int = 32
    n_outputs: int = 16
    bias: bool = True

    def __post_init__(self):
        for name in ("n_inputs", "memory_size", "n_outputs"):
            check_positive_int(name, getattr(self, name))

    @property
    def gate_inputs(self):
        """``K``: length of the gates' input vector."""
        return self.memory_size + self.n_outputs + self.n_inputs + int(self.bias)

    @property
    def n_parameters(self):
        """Length of one genome: ``3·K·memory_size + memory_size·n_outputs``."""
        return 3 * self.gate_inputs * self.memory_size + self.memory_size * self.n_outputs

    def unpack(self, genomes, *, dtype=np.float32, xp=np):
        """Split genomes into gate weight matrices.

        Parameters
        ----------
        genomes : array_like, shape (P, n_parameters)
        dtype : numpy dtype
            Precision of the simulation (the paper used float32 on a GPU).
        xp : module
            Array module of the result.

        Returns
        -------
        ENUGates

        Raises
        ------
        GenomeError
            For a wrong length or non-finite values.
        """
        genomes = xp.asarray(genomes, dtype=dtype)
        if genomes.ndim != 2 or genomes.shape[1] != self.n_parameters:
            raise GenomeError(
                f"ENU genomes must have shape (P, {self.n_parameters}) for {self}, got {tuple(genomes.shape)}"
            )
        if not bool(xp.all(xp.isfinite(genomes))):
            raise GenomeError("ENU genomes contain NaN or infinite values")
        n, k, m, c = genomes.shape[0], self.gate_inputs, self.memory_size, self.n_outputs
        first, second = k * 2 * m, k * 3 * m
        return ENUGates(
            update_reset=xp.ascontiguousarray(genomes[:, :first].reshape(n, k, 2 * m)),
            cell=xp.ascontiguousarray(genomes[:, first:second].reshape(n, k, m)),
            output=xp.ascontiguousarray(genomes[:, second:].reshape(n, m, c)),
            shape=self,
        )

    def initial_genome(self, *, seed=None, gain=1.0):
        """A random genome with Glorot-scaled gates, shape (n_parameters,).

        Each weight is drawn from :math:`\\mathcal{N}(0, g^2/\\text{fan-in})`
        (fan-in ``K`` for the gates, ``memory_size`` for the output gate),
        so that gate pre-activations start of order ``g``.
        """
        rng = make_rng(seed)
        k, m, c = self.gate_inputs, self.memory_size, self.n_outputs
        gates = rng.standard_normal(3 * k * m) * gain / np.sqrt(k)
        output = rng.standard_normal(m * c) * gain / np.sqrt(m)
        return np.concatenate([gates, output])


@dataclass(frozen=True)
class ENUGates:
    """Gate weights of P offspring, as stacked matrices (see :class:`ENUShape`)."""

    update_reset: object  # (P, K, 2M)
    cell: object  # (P, K, M)
    output: object  # (P, M, C)
    shape: ENUShape


def _sigmoid_in_place(values, xp):
    # 1/(1+e^-x) = (1 + tanh(x/2))/2: no overflow warnings in float32, no temporaries
    values *= 0.5
    xp.tanh(values, out=values)
    values += 1.0
    values *= 0.5
    return values


def enu_step(gates, memory, output, inputs, *, output_offset=None, xp=np):
    r"""One step of P·U Evolvable Neural Units (Bertens & Lee 2019, eq. 1).

    .. math::
        z_t &= \sigma(W_z [h_{t-1}, o_{t-1}, x_t]) \\
        r_t &= \sigma(W_r [h_{t-1}, o_{t-1}, x_t]) \\
        \tilde h_t &= \tanh(W_c [r_t \odot h_{t-1}, o_{t-1}, x_t]) \\
        h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t \\
        o_t &= \operatorname{clip}(W_o h_t + \xi, 0, 1)

    with a bias appended to the brackets when ``gates.shape.bias`` and
    :math:`\xi` the fixed per-unit offset of the output gate (the paper's
    "noise on the output gate", so units that share weights differ).

    Parameters
    ----------
    gates : ENUGates
        Weights of P offspring.
    memory : array, shape (P, U, memory_size)
        :math:`h_{t-1}`.
    output : array, shape (P, U, n_outputs)
        :math:`o_{t-1}`.
    inputs : array, shape (P, U, n_inputs)
        :math:`x_t`.
    output_offset : array broadcastable to (P, U, n_outputs), optional
        :math:`\xi`.
    xp : module
        Array module.

    Returns
    -------
    memory, output : arrays, shapes (P, U, memory_size) and (P, U, n_outputs)
        :math:`h_t` and :math:`o_t` (new arrays; the arguments are not changed).
    """
    shape = gates.shape
    m = shape.memory_size
    parts = [memory, output, inputs]
    if shape.bias:
        parts.append(xp.ones(memory.shape[:-1] + (1,), dtype=memory.dtype))
    concatenated = xp.concatenate(parts, axis=-1)
    update_reset = _sigmoid_in_place(xp.matmul(concatenated, gates.update_reset), xp)
    update, reset = update_reset[..., :m], update_reset[..., m:]
    concatenated[..., :m] *= reset
    candidate = xp.matmul(concatenated, gates.cell)
    xp.tanh(candidate, out=candidate)
    candidate -= memory  # h_t = h_{t-1} + z (h~ - h_{t-1}), in place
    candidate *= update
    candidate += memory
    memory = candidate
    drive = xp.matmul(memory, gates.output)
    if output_offset is not None:
        drive += output_offset
    return memory, xp.clip(drive, 0.0, 1.0, out=drive)


def random_topology(n_neurons, n_sources, synapses_per_neuron, *, seed=None):
    """Each neuron draws ``synapses_per_neuron`` distinct presynaptic sources.

    Parameters
    ----------
    n_neurons : int
    n_sources : int
        Input neurons plus ENU neurons (sources are numbered inputs first).
    synapses_per_neuron : int
        At most ``n_sources``.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray of int, shape (n_neurons, synapses_per_neuron)
    """
    n_neurons = check_positive_int("n_neurons", n_neurons)
    synapses_per_neuron = check_positive_int("synapses_per_neuron", synapses_per_neuron)
    if synapses_per_neuron > n_sources:
        raise ConfigError(f"synapses_per_neuron={synapses_per_neuron} exceeds the {n_sources} sources")
    rng = make_rng(seed)
    keys = rng.random((n_neurons, n_sources))
    return np.argsort(keys, axis=1)[:, :synapses_per_neuron]


def topology_from_adjacency(adjacency, n_inputs=0):
    """Presynaptic source lists from a neuron-to-neuron adjacency matrix.

    Parameters
    ----------
    adjacency : array_like or scipy.sparse matrix, shape (N, N)
        Nonzero ``adjacency[i, j]`` means a synapse from neuron ``i`` to
        neuron ``j`` (the orientation of :meth:`Connectome.adjacency`).
    n_inputs : int
        Input (sensory, non-ENU) sources numbered before the neurons; they
        get no synapses here.

    Returns
    -------
    numpy.ndarray of int, shape (N, S)
        Row ``j`` lists neuron ``j``'s presynaptic sources (offset by
        ``n_inputs``), padded with -1 to the largest in-degree ``S``.
    """
    dense = np.asarray(adjacency.toarray() if hasattr(adjacency, "toarray") else adjacency)
    if dense.ndim != 2 or dense.shape[0] != dense.shape[1]:
        raise ConfigError(f"adjacency must be square, got shape {dense.shape}")
    connected = dense.T != 0  # (post, pre)
    in_degree = connected.sum(axis=1)
    width = max(int(in_degree.max(initial=0)), 1)
    order = np.argsort(~connected, axis=1, kind="stable")[:, :width]
    valid = np.arange(width)[None, :] < in_degree[:, None]
    return np.where(valid, order + n_inputs, -1)


class ENUNetwork:
    r"""P offspring × B environments of one network of neuron and synapse ENUs.

    Sources are the ``n_inputs`` input neurons (sensors, not ENUs; the caller
    sets their channel values) followed by the ``N`` ENU neurons.  Neuron
    ``j`` has synapses from the sources ``presynaptic[j, :]`` (``-1`` pads
    unused slots).  One step (Bertens & Lee 2019, Fig. 4):

    1. broadcast: each synapse reads its presynaptic source's channels
       :math:`o^{pre}_{t}` and, back-propagated, its postsynaptic neuron's
       previous output :math:`o^{post}_{t-1}`: input ``[o_pre, o_post]``
       (2C channels);
    2. every synapse ENU steps (eq. 1, synapse gates);
    3. integration: :math:`x^{j}_t = \sum_{s} o^{syn}_{j,s,t}` per channel;
    4. every neuron ENU steps on :math:`x^{j}_t` (eq. 1, neuron gates).

    Sources read in step 1 are the input neurons at time t and the ENU
    neurons at time t-1.

    Parameters
    ----------
    presynaptic : array_like of int, shape (N, S)
        Source index of each synapse (see :func:`random_topology`,
        :func:`topology_from_adjacency`).
    n_inputs : int
        Number of input neurons.
    n_individuals : int
        Offspring P (each with its own genome).
    n_environments : int
        Copies B of the network per offspring (the mini-batch of
        environments), each with its own state.
    memory_size, n_channels : int
        ENU memory size and channels (paper: 32 and 16), for both kinds.
    output_noise : float
        Standard deviation of the per-unit output-gate offsets, drawn anew
        at every :meth:`reset_state` (common to all offspring).
    dtype : numpy dtype
    seed : None, int or numpy.random.Generator
        For the output-gate offsets.
    xp : module
        Array module (NumPy, or CuPy for a GPU).

    Attributes
    ----------
    genome_size : int
        Synapse chromosome then neuron chromosome.
    outputs : array, shape (P, B, N, C)
        The neurons' latest outputs.
    """

    def __init__(self, presynaptic, n_inputs, *, n_individuals=1, n_environments=1, memory_size=32,
                 n_channels=16, output_noise=0.0, dtype=np.float32, seed=None, xp=np):
        presynaptic = np.asarray(presynaptic)
        if presynaptic.ndim != 2 or not np.issubdtype(presynaptic.dtype, np.integer):
            raise ConfigError(f"presynaptic must be an (N, S) integer array, got {presynaptic.dtype} "
                              f"{presynaptic.shape}")
        self.n_inputs = int(n_inputs)
        self.n_neurons, self.synapses_per_neuron = presynaptic.shape
        n_sources = self.n_inputs + self.n_neurons
        if presynaptic.size and (presynaptic.min() < -1 or presynaptic.max() >= n_sources):
            raise ConfigError(f"presynaptic indices must be in [-1, {n_sources - 1}] "
                              f"({self.n_inputs} inputs + {self.n_neurons} neurons)")
        self.n_individuals = check_positive_int("n_individuals", n_individuals)
        self.n_environments = check_positive_int("n_environments", n_environments)
        self.n_channels = check_positive_int("n_channels", n_channels)
        if output_noise < 0:
            raise ConfigError(f"output_noise must be >= 0, got {output_noise}")
        self.output_noise = float(output_noise)
        self.dtype, self.xp = np.dtype(dtype), xp
        self.presynaptic = presynaptic
        self._source = xp.asarray(np.maximum(presynaptic, 0))
        self._mask = xp.asarray((presynaptic >= 0)[..., None].astype(self.dtype))
        self.synapse_shape = ENUShape(2 * n_channels, memory_size, n_channels)
        self.neuron_shape = ENUShape(n_channels, memory_size, n_channels)
        self.genome_size = self.synapse_shape.n_parameters + self.neuron_shape.n_parameters
        self.rng = make_rng(seed)
        self._synapse_gates = self._neuron_gates = None
        self.reset_state()

    @property
    def n_synapse_units(self):
        """Synapse ENUs per offspring: B·N·S."""
        return self.n_environments * self.n_neurons * self.synapses_per_neuron

    @property
    def n_neuron_units(self):
        """Neuron ENUs per offspring: B·N."""
        return self.n_environments * self.n_neurons

    def initial_genome(self, *, seed=None, gain=1.0):
        """A random genome: synapse chromosome then neuron chromosome."""
        rng = make_rng(seed)
        return np.concatenate([self.synapse_shape.initial_genome(seed=rng, gain=gain),
                               self.neuron_shape.initial_genome(seed=rng, gain=gain)])

    def set_genomes(self, genomes):
        """Load P genomes (shape (P, genome_size)) and reset every unit's state."""
        genomes = np.asarray(genomes)
        if genomes.ndim != 2 or genomes.shape != (self.n_individuals, self.genome_size):
            raise GenomeError(f"genomes must have shape ({self.n_individuals}, {self.genome_size}), "
                              f"got {genomes.shape}")
        split = self.synapse_shape.n_parameters
        self._synapse_gates = self.synapse_shape.unpack(genomes[:, :split], dtype=self.dtype, xp=self.xp)
        self._neuron_gates = self.neuron_shape.unpack(genomes[:, split:], dtype=self.dtype, xp=self.xp)
        self.reset_state()

    def reset_state(self):
        """Zero every memory and output; draw new output-gate offsets."""
        xp, p, c, m = self.xp, self.n_individuals, self.n_channels, self.synapse_shape.memory_size
        self.synapse_memory = xp.zeros((p, self.n_synapse_units, m), dtype=self.dtype)
        self.synapse_output = xp.zeros((p, self.n_synapse_units, c), dtype=self.dtype)
        self.neuron_memory = xp.zeros((p, self.n_neuron_units, m), dtype=self.dtype)
        self.neuron_output = xp.zeros((p, self.n_neuron_units, c), dtype=self.dtype)
        if self.output_noise > 0:
            self._synapse_offset = xp.asarray(
                self.rng.normal(0.0, self.output_noise, (1, self.n_synapse_units, c)).astype(self.dtype))
            self._neuron_offset = xp.asarray(
                self.rng.normal(0.0, self.output_noise, (1, self.n_neuron_units, c)).astype(self.dtype))
        else:
            self._synapse_offset = self._neuron_offset = None

    @property
    def outputs(self):
        """Neuron outputs, shape (P, B, N, C)."""
        return self.neuron_output.reshape(self.n_individuals, self.n_environments, self.n_neurons,
                                          self.n_channels)

    def step(self, input_channels):
        """Advance every synapse and neuron by one step.

        Parameters
        ----------
        input_channels : array, shape (P, B, n_inputs, C) or (B, n_inputs, C)
            Channel values of the input neurons at this step (shared by all
            offspring when 3-dimensional).

        Returns
        -------
        array, shape (P, B, N, C)
            The neurons' new outputs.
        """
        if self._synapse_gates is None:
            raise ConfigError("set_genomes() must be called before step()")
        xp, p, b, n, c = self.xp, self.n_individuals, self.n_environments, self.n_neurons, self.n_channels
        inputs = xp.asarray(input_channels, dtype=self.dtype)
        if inputs.shape[-3:] != (b, self.n_inputs, c):
            raise ConfigError(f"input_channels must end in shape ({b}, {self.n_inputs}, {c}), got {inputs.shape}")
        inputs = xp.broadcast_to(inputs, (p, b, self.n_inputs, c))
        previous = self.outputs
        sources = xp.concatenate([inputs, previous], axis=2)  # (P, B, n_inputs + N, C)
        presynaptic = sources[:, :, self._source] * self._mask  # (P, B, N, S, C)
        postsynaptic = xp.broadcast_to(previous[:, :, :, None, :], presynaptic.shape)
        synapse_inputs = xp.concatenate([presynaptic, postsynaptic], axis=-1).reshape(
            p, self.n_synapse_units, 2 * c)
        self.synapse_memory, self.synapse_output = enu_step(
            self._synapse_gates, self.synapse_memory, self.synapse_output, synapse_inputs,
            output_offset=self._synapse_offset, xp=xp)
        integrated = (self.synapse_output.reshape(p, b, n, self.synapses_per_neuron, c) * self._mask).sum(axis=3)
        self.neuron_memory, self.neuron_output = enu_step(
            self._neuron_gates, self.neuron_memory, self.neuron_output, integrated.reshape(p, b * n, c),
            output_offset=self._neuron_offset, xp=xp)
        return self.outputs
