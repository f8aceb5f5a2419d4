"""Evolvable Neural Units (Bertens & Lee 2019): gated units and networks of them.

An Evolvable Neural Unit (ENU) is a gated recurrent unit with an extra,
clipped output gate whose output is fed back to its own input (eq. 1).  In a
*network of ENUs* every neuron and every synapse is an ENU: the neurons share
one set of gate weights, the synapses another (two "chromosomes"), while each
unit keeps its own memory.  Evolution changes only the shared weights, so a
network can learn within an episode only by writing to the units' memories.

Everything here is batched over ``P`` offspring (each with its own weights)
and ``U`` units per offspring: the gates are batched matrix products over the
offspring, the paper's three-dimensional matrix product (§4.3).  No Python
loop runs over single offspring, units, environments or synapses.
:func:`enu_step` is eq. (1) as written (the reference); :class:`ENULayer`
computes the same step in place in float32, units last, as four batched
products (update, reset and cell gates, output gate ``(B, ·, K) @ (B, K, U)``)
per cache-sized block of ``B`` offspring, with the element-wise work between
them in a compiled, fused kernel (:mod:`~neuroworm.backends.enu_kernel`) or
NumPy's passes; it is what networks and the mimic tasks run.  The array
module is a parameter (``xp``, NumPy by default); any module with NumPy's
names (CuPy) works, with NumPy's passes.

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
from . import enu_kernel

__all__ = ["ENUGates", "ENULayer", "ENUNetwork", "ENUShape", "enu_step", "random_topology", "topology_from_adjacency"]


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


class ENULayer:
    r"""P offspring × U units of one kind of ENU, stepped in place (eq. 1, fast form).

    The units' gate input ``[h, o, x, 1]`` lives in one buffer of shape
    ``(P, K, U)``, units last, so that each offspring's block of every
    quantity is one contiguous run of memory: :attr:`output` (P, C, U) and
    :attr:`inputs` (P, n_inputs, U) are views into it (the memory
    :attr:`memory` (P, M, U) is kept contiguous beside it and copied in), and
    the caller writes :math:`x_t` into :attr:`inputs`; nothing is
    concatenated.  One step is four batched products,

    .. math::
        a_z, a_r &= (\tfrac12 W_z)^\top [h; o; x; 1],\ (\tfrac12 W_r)^\top [h; o; x; 1] \\
        \tilde h &= \tanh\big((W_c')^\top [(1 + \tanh a_r) \odot h; o; x; 1]\big) \\
        h &\leftarrow h + \tfrac12 (1 + \tanh a_z) \odot (\tilde h - h) \\
        o &= \operatorname{clip}(W_o^\top h + \xi, 0, 1)

    where :math:`W_c'` is the cell gate with the rows that read :math:`h`
    halved; :math:`\sigma(a) = \tfrac12(1 + \tanh(a/2))`, so this is eq. (1)
    exactly (:func:`enu_step` is the reference it is tested against).
    Element-wise work runs in place on preallocated arrays.

    The population is stepped in blocks of ``block`` offspring, each block
    as the same four batched products over its offspring followed by its
    element-wise work, so that a block's gate inputs, memories and gate
    values are still in the CPU cache when the element-wise work reads them
    (at P = 1,024 a T-maze synapse layer's arrays are ~120 MB each, and
    without blocking every pass streams them from main memory).  The number
    of blocks is a fixed function of P and the unit sizes, not a loop over
    offspring: by default a block holds about 4 MiB of state and weights
    (8 offspring of a T-maze synapse layer, 94 of an IAF mimic), and with a
    GPU array module it is the whole population.

    Parameters
    ----------
    shape : ENUShape
    n_individuals : int
        P; each offspring has its own gate weights.
    n_units : int
        U units per offspring, sharing that offspring's weights.
    dtype : numpy dtype
    xp : module
        Array module.
    block : int, optional
        Offspring per block (``n_individuals``: one block, four products per
        step over the whole population).  Default: about :attr:`BLOCK_BYTES`
        (:attr:`COMPILED_BLOCK_BYTES` with the compiled kernel) of arrays per
        block with NumPy, the whole population otherwise.
    kernel : {None, "auto", "compiled", "numpy"}
        Who does the element-wise work after the products.  ``"compiled"``:
        two fused passes per block through :mod:`~neuroworm.backends.enu_kernel`
        (float32 NumPy arrays only; built on first use), which equal the
        NumPy passes to float32 rounding, not bit for bit.  ``"numpy"``: about
        thirteen NumPy passes (any array module and dtype).  ``"auto"``: the
        compiled kernel where it applies and builds, else NumPy.  None:
        ``$NEUROWORM_ENU_KERNEL``, default ``"auto"``.

    Attributes
    ----------
    kernel : str
        The kernel this layer runs, ``"compiled"`` or ``"numpy"``.
    output_offset : array broadcastable to (P, C, U) or None
        :math:`\xi`, the fixed per-unit offsets of the output gate.
    block : int
        Offspring per block.
    """

    BLOCK_BYTES = 4 << 20
    """Default bytes of state, gate values and weights per block (NumPy's element-wise passes)."""

    COMPILED_BLOCK_BYTES = 8 << 20
    """The same with the compiled kernel (measured: the single ENU gains ~5 points of the matmul rate from 4 to
    8 MiB, the T-maze network is level within the timings' noise from 3 to 8 MiB)."""

    def __init__(self, shape, n_individuals, n_units, *, dtype=np.float32, xp=np, block=None, kernel=None):
        self.shape = shape
        self.n_individuals = check_positive_int("n_individuals", n_individuals)
        self.n_units = check_positive_int("n_units", n_units)
        self.dtype, self.xp = np.dtype(dtype), xp
        k, m, c, i = shape.gate_inputs, shape.memory_size, shape.n_outputs, shape.n_inputs
        p, u = self.n_individuals, self.n_units
        self.kernel = enu_kernel.resolve(kernel, self.dtype, xp)
        if block is None:
            per_offspring = self.dtype.itemsize * ((k + 4 * m) * u + shape.n_parameters)
            budget = self.COMPILED_BLOCK_BYTES if self.kernel == "compiled" else self.BLOCK_BYTES
            block = max(1, budget // per_offspring) if xp is np else p
        self.block = min(check_positive_int("block", block), p)
        self.buffer = xp.zeros((p, k, u), dtype=self.dtype)
        self.output = self.buffer[:, m:m + c]
        self.inputs = self.buffer[:, m + c:m + c + i]
        self.memory = xp.zeros((p, m, u), dtype=self.dtype)  # contiguous; copied into the buffer each step
        self._update_gate = xp.zeros((p, m, k), dtype=self.dtype)  # (P, M, K): gates transposed, units last
        self._reset_gate = xp.zeros((p, m, k), dtype=self.dtype)
        self._cell_gate = xp.zeros((p, m, k), dtype=self.dtype)
        self._output_gate = xp.zeros((p, c, m), dtype=self.dtype)
        # the gate values are scratch shared by all blocks, so they stay in the cache from one block to the next
        scratch = [xp.empty((self.block, m, u), dtype=self.dtype) for _ in range(3)]
        self._blocks = []
        for start in range(0, p, self.block):
            stop = min(start + self.block, p)
            part = slice(start, stop)
            self._blocks.append((part, self._update_gate[part], self._reset_gate[part], self._cell_gate[part],
                                 self._output_gate[part], self.buffer[part], self.buffer[part, :m],
                                 self.output[part], self.memory[part]) + tuple(a[:stop - start] for a in scratch))
        self._kernels = []
        if self.kernel == "compiled":
            module = enu_kernel.load()
            self._kernels = [module.Block(update, reset, candidate, memory, gate_memory, output)
                             for _, _, _, _, _, _, gate_memory, output, memory, update, reset, candidate
                             in self._blocks]
        self._loaded = False
        self.output_offset = None
        self.reset_state()

    def set_genomes(self, genomes):
        """Load P genomes, shape (P, shape.n_parameters), and reset the state."""
        gates = self.shape.unpack(genomes, dtype=self.dtype, xp=self.xp)
        if gates.cell.shape[0] != self.n_individuals:
            raise GenomeError(f"expected {self.n_individuals} genomes, got {gates.cell.shape[0]}")
        m = self.shape.memory_size
        # into the preallocated arrays, whose block views stay valid; sigmoid(a) from tanh(a/2)
        self._update_gate[...] = 0.5 * gates.update_reset[..., :m].transpose(0, 2, 1)
        self._reset_gate[...] = 0.5 * gates.update_reset[..., m:].transpose(0, 2, 1)
        self._cell_gate[...] = gates.cell.transpose(0, 2, 1)
        self._cell_gate[:, :, :m] *= 0.5  # it reads (1 + tanh) h = 2 r h
        self._output_gate[...] = gates.output.transpose(0, 2, 1)
        self._loaded = True
        self.reset_state()

    def reset_state(self):
        """Zero every memory, output and input (the bias entry stays 1)."""
        self.buffer[...] = 0
        self.memory[...] = 0
        if self.shape.bias:
            self.buffer[:, -1] = 1

    def step(self):
        """Advance every unit by one step on the :attr:`inputs` the caller wrote; returns :attr:`output`."""
        if not self._loaded:
            raise ConfigError("set_genomes() must be called before step()")
        if self._kernels:
            return self._step_compiled()
        xp = self.xp
        tanh, matmul, add, multiply, subtract, clip = xp.tanh, xp.matmul, xp.add, xp.multiply, xp.subtract, xp.clip
        offset = self.output_offset
        shared_offset = offset is None or offset.shape[0] == 1
        for part, w_update, w_reset, w_cell, w_output, gate_input, gate_memory, output, memory, update, reset, \
                candidate in self._blocks:
            # element-wise results go to contiguous arrays: reads and writes through strided views cost 3-5x
            tanh(matmul(w_update, gate_input, out=update), out=update)
            tanh(matmul(w_reset, gate_input, out=reset), out=reset)
            multiply(reset, memory, out=reset)
            add(reset, memory, out=reset)  # (1 + tanh) h = 2 r h; the cell gate's h rows carry the 1/2
            gate_memory[...] = reset  # the cell gate reads [r h, o, x, 1]
            tanh(matmul(w_cell, gate_input, out=candidate), out=candidate)
            subtract(candidate, memory, out=candidate)  # h~ - h
            multiply(update, candidate, out=update)
            add(update, candidate, out=update)  # (1 + tanh) (h~ - h) = 2 z (h~ - h)
            multiply(update, 0.5, out=update)
            add(memory, update, out=memory)
            gate_memory[...] = memory
            matmul(w_output, memory, out=output)
            if offset is not None:
                add(output, offset if shared_offset else offset[part], out=output)
            clip(output, 0.0, 1.0, out=output)
        return self.output

    def _step_compiled(self):
        # the same step with the element-wise work in two fused compiled passes per block (enu_kernel)
        matmul = np.matmul
        offset = self.output_offset
        shared_offset = True
        if offset is not None:
            offset = np.asarray(offset, dtype=self.dtype)
            rows = offset.shape[0] if offset.ndim == 3 else 1
            offset = np.ascontiguousarray(np.broadcast_to(offset, (rows,) + self.output.shape[1:]))
            shared_offset = rows == 1
        for kernel, (part, w_update, w_reset, w_cell, w_output, gate_input, _, output, memory, update, reset,
                     candidate) in zip(self._kernels, self._blocks):
            matmul(w_update, gate_input, out=update)
            matmul(w_reset, gate_input, out=reset)
            kernel.reset()  # the cell gate's input: (1 + tanh a_r) h
            matmul(w_cell, gate_input, out=candidate)
            kernel.update()  # h += (1 + tanh a_z)/2 (tanh a_c - h), into the memory and the gate input
            matmul(w_output, memory, out=output)
            kernel.output(None if offset is None else offset if shared_offset else offset[part])
        return self.output


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
    neurons at time t-1.  The B·N·S synapses of every offspring are one
    :class:`ENULayer` and its B·N neurons another: a step is four batched
    products per kind, whatever P, B, N and S, and no Python loop.

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
    block : int, optional
        Offspring per block of both layers (see :class:`ENULayer`).
    kernel : {None, "auto", "compiled", "numpy"}
        Element-wise kernel of both layers (see :class:`ENULayer`).

    Attributes
    ----------
    genome_size : int
        Synapse chromosome then neuron chromosome.
    synapses, neurons : ENULayer
        The two kinds of units (synapses ordered slot, neuron, environment;
        neurons ordered neuron, environment).
    outputs : array, shape (P, B, N, C)
        The neurons' latest outputs (a view, overwritten by the next step).
    """

    def __init__(self, presynaptic, n_inputs, *, n_individuals=1, n_environments=1, memory_size=32,
                 n_channels=16, output_noise=0.0, dtype=np.float32, seed=None, xp=np, block=None, kernel=None):
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
        # a padded slot reads the last source column, which stays zero
        # synapse units are ordered (slot, neuron, environment): the integration sums S contiguous slabs
        self._source = xp.asarray(np.where(presynaptic >= 0, presynaptic, n_sources).T.ravel())
        padded = presynaptic.T < 0
        self._mask = xp.asarray((~padded).astype(self.dtype)[:, :, None]) if padded.any() else None
        self.synapse_shape = ENUShape(2 * n_channels, memory_size, n_channels)
        self.neuron_shape = ENUShape(n_channels, memory_size, n_channels)
        self.genome_size = self.synapse_shape.n_parameters + self.neuron_shape.n_parameters
        p, b, c = self.n_individuals, self.n_environments, self.n_channels
        self.synapses = ENULayer(self.synapse_shape, p, self.n_synapse_units, dtype=self.dtype, xp=xp, block=block,
                                 kernel=kernel)
        self.neurons = ENULayer(self.neuron_shape, p, self.n_neuron_units, dtype=self.dtype, xp=xp, block=block,
                                kernel=kernel)
        self._sources = xp.zeros((p, c, n_sources + 1, b), dtype=self.dtype)
        self._synapse_inputs = self.synapses.inputs.reshape(p, 2 * c, self.synapses_per_neuron, self.n_neurons, b)
        self.rng = make_rng(seed)
        self._loaded = False
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
        self.synapses.set_genomes(genomes[:, :split])
        self.neurons.set_genomes(genomes[:, split:])
        self._loaded = True
        self.reset_state()

    def reset_state(self):
        """Zero every memory and output; draw new output-gate offsets."""
        xp, c = self.xp, self.n_channels
        self.synapses.reset_state()
        self.neurons.reset_state()
        self._sources[...] = 0
        if self.output_noise > 0:
            self.synapses.output_offset = xp.asarray(
                self.rng.normal(0.0, self.output_noise, (1, c, self.n_synapse_units)).astype(self.dtype))
            self.neurons.output_offset = xp.asarray(
                self.rng.normal(0.0, self.output_noise, (1, c, self.n_neuron_units)).astype(self.dtype))

    @property
    def outputs(self):
        """Neuron outputs, shape (P, B, N, C) (a view)."""
        return self.neurons.output.reshape(self.n_individuals, self.n_channels, self.n_neurons,
                                           self.n_environments).transpose(0, 3, 2, 1)

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
            The neurons' new outputs (a view, overwritten by the next step).
        """
        if not self._loaded:
            raise ConfigError("set_genomes() must be called before step()")
        xp, p, b, n, c = self.xp, self.n_individuals, self.n_environments, self.n_neurons, self.n_channels
        inputs = xp.asarray(input_channels, dtype=self.dtype)
        if inputs.shape[-3:] != (b, self.n_inputs, c) or inputs.ndim not in (3, 4):
            raise ConfigError(f"input_channels must end in shape ({b}, {self.n_inputs}, {c}), got {inputs.shape}")
        s = self.synapses_per_neuron
        sources = self._sources  # (P, C, inputs + neurons + 1 zero row, B)
        sources[:, :, :self.n_inputs] = xp.moveaxis(inputs, -1, -3).swapaxes(-1, -2)
        previous = self.neurons.output.reshape(p, c, n, b)
        sources[:, :, self.n_inputs:self.n_inputs + n] = previous
        synapse_inputs = self._synapse_inputs  # (P, 2C, S, N, B)
        synapse_inputs[:, :c] = xp.take(sources, self._source, axis=2).reshape(p, c, s, n, b)
        synapse_inputs[:, c:] = previous[:, :, None]
        released = self.synapses.step().reshape(p, c, s, n, b)
        if self._mask is not None:
            released = released * self._mask
        xp.sum(released, axis=2, out=self.neurons.inputs.reshape(p, c, n, b))
        self.neurons.step()
        return self.outputs
