r"""ElegansNet's tensor network: a layered connectome as a trainable feed-forward network.

Bardozzo et al. (2023) turn the *C. elegans* connectome into "a learnable
network of tensors": every neuron a tensor, every synapse a tensor
connection, sensory neurons the input space, interneurons the latent space,
motor neurons the output space, an encoder before and a decoder after
(their Fig. 1). The report gives no equations; this module fixes one exact
reading and documents each choice.

Given a :class:`~neuroworm.connectome.layering.LayeredConnectome` (every edge
pointing forward in one total order, see
:func:`~neuroworm.connectome.layering.layered_dag`), every cell :math:`j`
becomes a unit with :math:`k` channels :math:`h_j \in \mathbb R^k`:

.. math::

    z_j = [\,j \in \text{inputs}\,]\; x\,E_j \;+\; \sum_{i \to j} h_i W_{ij} \;+\; b_j, \qquad
    h_j = f(\operatorname{norm}(z_j)),

    y = \sum_{j \in \text{outputs}} h_j D_j + c,

where the sum runs over the DAG's edges (kept chemical synapses, and the gap
junctions directed forward when ``electrical=True``; a pair joined by both is
one connection), :math:`W_{ij} \in \mathbb R^{k \times k}` is the edge's
learnable connection, :math:`E_j` (input size × k) is the encoder into input
unit :math:`j` and :math:`D_j` (k × outputs) the decoder from output unit
:math:`j`. Input units are the cells of the lowest layer (sensory), output
units those of the highest (motor, for the 302 neurons). Synapse counts
(weights) are not used: the connectome fixes only which connections exist.

The units are grouped by *depth*, the length of the longest DAG path that
ends at them: units of one depth have no edges among them, so a depth is
computed at once from the earlier ones. :class:`TensorNetwork` (the one to
train) stores the parameters compactly and computes each depth as one sparse
product holding only the existing k × k blocks, so no multiply-add touches
a connection that does not exist; the encoder of every input unit is one
dense product. :class:`MaskedTensorNetwork` computes the same function as
masked dense layers of :class:`~neuroworm.nn.LayeredNetwork` (mask
:math:`A \otimes \mathbf 1_{k \times k}`, skip connections to the earlier
depths): the plain reading, kept as the reference the fast path is tested
against (equal outputs and gradients). For the worm at k = 4 the masked
layers hold 948,586 weights for 316,194 parameters, and the fast path
trains 2.4-2.7× faster (``benchmarks/bench_elegansnet.py``).
``norm="unit"`` normalises each unit's :math:`k` channels to zero mean and
unit variance per example before :math:`f` (layer normalisation of one unit,
Ba et al. 2016, without a learned gain); ``norm="none"`` leaves them.

References
----------
Bardozzo, F., Terlizzi, A., Liò, P. and Tagliaferri, R. (2023). ElegansNet:
a brief scientific report and initial experiments. arXiv:2304.13538.
Ba, J. L., Kiros, J. R. and Hinton, G. E. (2016). Layer normalization. arXiv:1607.06450.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, TaskError
from ..limits import require_memory
from .functional import Activation, get_activation, kaiming_uniform
from .network import LayeredNetwork

__all__ = ["NORMALIZATIONS", "MaskedTensorNetwork", "TensorNetwork", "dag_edges", "unit_depths", "unit_normalized"]

NORMALIZATIONS = ("none", "unit")
"""``none``: :math:`h = f(z)`; ``unit``: per-unit channel normalisation before :math:`f`."""


def unit_normalized(activation, channels, epsilon=1e-5):
    r"""An :class:`Activation` that normalises every unit's channels, then applies ``activation``.

    .. math:: \hat z = \frac{z - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
              \frac{\partial L}{\partial z} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
              \Big(g - \bar g - \hat z\, \overline{g \hat z}\Big)

    with :math:`\mu, \sigma^2` and the bars taken over the ``channels``
    consecutive columns of one unit, and :math:`g = \partial L/\partial \hat z`.

    Parameters
    ----------
    activation : str or Activation
    channels : int
        Columns per unit (the layer's width must be a multiple).
    epsilon : float
    """
    base = get_activation(activation)
    if channels < 2:
        raise ConfigError(f"unit normalisation needs at least 2 channels per unit, got {channels}")

    def normalise(z):
        grouped = z.reshape(len(z), -1, channels)
        centred = grouped - grouped.mean(axis=2, keepdims=True)
        inverse_std = 1.0 / np.sqrt((centred * centred).mean(axis=2, keepdims=True) + epsilon)
        return centred * inverse_std, inverse_std

    def forward(z):
        normalised, _ = normalise(z)
        return base.forward(normalised.reshape(z.shape))

    def backward(grad, z, a):
        normalised, inverse_std = normalise(z)
        g = base.backward(grad, normalised.reshape(z.shape), a).reshape(normalised.shape)
        g = inverse_std * (g - g.mean(axis=2, keepdims=True) - normalised * (g * normalised).mean(axis=2, keepdims=True))
        return g.reshape(z.shape)

    return Activation(f"unit_norm+{base.name}", forward, backward)


def dag_edges(dag, *, electrical=True):
    """The DAG's distinct directed connections as a set of ``(pre, post)`` cell names.

    Parameters
    ----------
    dag : LayeredConnectome
    electrical : bool
        Include the gap junctions, directed forward as ``layered_dag`` directs them.
    """
    tables = [dag.connectome.chemical] + ([dag.electrical_directed] if electrical else [])
    return {(pre, post) for table in tables for pre, post in zip(table["pre"], table["post"], strict=True)}


def unit_depths(dag, edges):
    """Depth of every cell: 0 without predecessors, else 1 + the deepest predecessor.

    Computed along ``dag.order`` (a topological order of ``edges``).
    """
    predecessors = {}
    for pre, post in edges:
        predecessors.setdefault(post, []).append(pre)
    depth = {}
    for cell in dag.order.sort_values().index:
        depth[cell] = 1 + max((depth[p] for p in predecessors.get(cell, ())), default=-1)
    return depth


class _DagUnits:
    """What both implementations share: the DAG's units, their depths, inputs and outputs, and validation."""

    def _build_structure(self, dag, input_size, output_size, channels, activation, norm, output_activation,
                         electrical):
        if norm not in NORMALIZATIONS:
            raise ConfigError(f"norm must be one of {NORMALIZATIONS}, got {norm!r}")
        if int(channels) < 1:
            raise ConfigError(f"channels must be >= 1, got {channels}")
        self.channels = int(channels)
        self.dag = dag
        self.norm = norm
        self.unit_activation = (unit_normalized(activation, self.channels) if norm == "unit"
                                else get_activation(activation))
        self.output_activation = get_activation(output_activation)
        layers = dag.layers
        ordered = list(dag.order.sort_values().index)
        if layers.min() == layers.max():
            raise ConfigError("the DAG has a single layer: no separate input and output cells")
        self.input_cells = [c for c in ordered if layers[c] == layers.min()]
        self.output_cells = [c for c in ordered if layers[c] == layers.max()]
        self.edges = dag_edges(dag, electrical=electrical)
        depth = unit_depths(dag, self.edges)
        self.cells_by_depth = [[] for _ in range(max(depth.values()) + 1)]
        for cell in ordered:
            self.cells_by_depth[depth[cell]].append(cell)
        self.predecessors = {}
        for pre, post in sorted(self.edges):
            self.predecessors.setdefault(post, []).append(pre)
        self._output_size = int(output_size)

    @property
    def depth(self):
        """Number of unit layers (the longest path through the DAG, in units)."""
        return len(self.cells_by_depth)

    def _fan_in(self, cell):
        """Inputs of each of ``cell``'s channels: the encoder's (input cells) plus k per predecessor."""
        return (self.input_size if cell in self._input_set else 0) + self.channels * len(self.predecessors.get(cell, ()))

    @property
    def parameter_breakdown(self):
        """Trainable parameters by part: ``encoder``, ``connectome`` (edge blocks and unit biases), ``decoder``, ``total``."""
        k = self.channels
        encoder = self.input_size * k * len(self.input_cells)
        connectome = len(self.edges) * k * k + k * sum(len(cells) for cells in self.cells_by_depth)
        decoder = len(self.output_cells) * k * self._output_size + self._output_size
        return {"encoder": encoder, "connectome": connectome, "decoder": decoder,
                "total": encoder + connectome + decoder}


class TensorNetwork(_DagUnits):
    r"""ElegansNet's tensor network built from a layered DAG (see the module docstring); the fast path.

    The parameters are stored compactly: the encoder :math:`E` (input size ×
    k·inputs), one k × k block per edge (``connection``, shape (edges, k, k)),
    the unit biases (units, k), the decoder :math:`D` (k·outputs × output
    size) and its bias. A forward pass computes the encoder for every input
    unit in one product, then, depth by depth, one sparse product (the
    depth's blocks, scipy CSR) of the channel-major state; the backward pass
    sends the gradients back through the transposed blocks depth by depth and
    forms every block's gradient in one batched product at the end. No
    multiply-add touches a connection that does not exist.
    :class:`MaskedTensorNetwork` computes the same function with masked dense
    layers (the reference, kept for tests).

    Parameters
    ----------
    dag : LayeredConnectome
        From :func:`~neuroworm.connectome.layering.layered_dag`.
    input_size, output_size : int
        Sizes of the encoder's input and the decoder's output.
    channels : int
        :math:`k`, channels per unit.
    activation : str
        The units' non-linearity :math:`f` (default ReLU).
    norm : {"none", "unit"}
        Normalisation before :math:`f`.
    output_activation : str
        Applied to the decoder's output (``identity`` for logits,
        ``sigmoid`` for reconstructions in [0, 1]).
    electrical : bool
        Use the gap junctions as forward connections.
    dtype : {"float32", "float64"}
    seed : None, int or numpy.random.Generator
        Kaiming-uniform initialisation.

    Attributes
    ----------
    cells_by_depth : list of list of str
        The cells of each depth.
    input_cells, output_cells : list of str
    edges : set of (str, str)
    encoder, connection, bias, decoder, decoder_bias : numpy.ndarray
        The parameters (see above); ``grad_*`` hold the last backward's gradients.
    parameter_breakdown : dict
        Trainable parameters of the encoder, the connectome (edge blocks and
        unit biases) and the decoder.

    Raises
    ------
    ConfigError
        For an unknown normalisation, fewer than one channel, or a DAG
        whose input or output layer is empty.
    """

    def __init__(self, dag, input_size, output_size, *, channels=4, activation="relu", norm="none",
                 output_activation="identity", electrical=True, dtype="float32", seed=None):
        from .network import _dtype

        self.dtype = _dtype(dtype)
        self.input_size = int(input_size)
        self._build_structure(dag, input_size, output_size, channels, activation, norm, output_activation,
                              electrical)
        self._options = {"channels": channels, "activation": activation, "norm": norm,
                         "output_activation": output_activation, "electrical": electrical}
        k = self.channels
        parameters = (self.input_size * len(self.input_cells) * k + len(self.edges) * k * k
                      + sum(len(cells) for cells in self.cells_by_depth) * k
                      + len(self.output_cells) * k * self._output_size)
        require_memory(3 * parameters * np.dtype(self.dtype).itemsize,  # parameters, gradients, level structures
                       f"a tensor network of {k} channels", advice="use fewer channels")
        self.units = [cell for cells in self.cells_by_depth for cell in cells]
        self.position = {cell: index for index, cell in enumerate(self.units)}
        self._input_set = set(self.input_cells)
        self._input_rows = np.array([self.position[c] for c in self.input_cells], dtype=np.intp)
        self._output_rows = np.array([self.position[c] for c in self.output_cells], dtype=np.intp)
        pairs = sorted(self.edges, key=lambda edge: (self.position[edge[1]], self.position[edge[0]]))
        self._edge_source = np.array([self.position[pre] for pre, _ in pairs], dtype=np.intp)
        self._edge_target = np.array([self.position[post] for _, post in pairs], dtype=np.intp)
        self.edge_index = {edge: index for index, edge in enumerate(pairs)}
        self._levels = []
        start = edge_start = 0
        for cells in self.cells_by_depth:
            stop = start + len(cells)
            edge_stop = int(np.searchsorted(self._edge_target, stop))
            self._levels.append(_Level.build(slice(start, stop), slice(edge_start, edge_stop), self._edge_source,
                                             self._edge_target, len(self.units), k, self.dtype))
            start, edge_start = stop, edge_stop
        n_in, n_out = len(self.input_cells), len(self.output_cells)
        self.encoder = np.zeros((self.input_size, n_in * k), self.dtype)
        self.connection = np.zeros((len(pairs), k, k), self.dtype)
        self.bias = np.zeros((len(self.units), k), self.dtype)
        self.decoder = np.zeros((n_out * k, self._output_size), self.dtype)
        self.decoder_bias = np.zeros(self._output_size, self.dtype)
        self.grad_encoder, self.grad_connection, self.grad_bias, self.grad_decoder, self.grad_decoder_bias = (
            np.zeros_like(p) for p in self.parameters())
        self._cache = None
        self.initialize(seed)

    @property
    def output_size(self):
        return self._output_size

    def initialize(self, seed=None):
        """Kaiming-uniform weights with each unit's real fan-in (gain √2 before ReLU), zero biases.

        A unit's fan-in is the encoder's input size (input units) plus k per
        predecessor; the decoder's is k per output unit.
        """
        from ..seeding import make_rng

        rng = make_rng(seed)
        k = self.channels
        gain = np.sqrt(2.0) if self.unit_activation.name.endswith("relu") else 1.0
        fan_in = np.array([self._fan_in(cell) for cell in self.units])
        self.encoder[...] = kaiming_uniform(np.repeat(fan_in[self._input_rows], k), self.encoder.shape, gain=gain,
                                            dtype=self.dtype, seed=rng)
        self.connection[...] = kaiming_uniform(fan_in[self._edge_target][:, None, None], self.connection.shape,
                                               gain=gain, dtype=self.dtype, seed=rng)
        output_gain = np.sqrt(2.0) if self.output_activation.name == "relu" else 1.0
        self.decoder[...] = kaiming_uniform(self.decoder.shape[0], self.decoder.shape, gain=output_gain,
                                            dtype=self.dtype, seed=rng)
        self.bias[...] = 0
        self.decoder_bias[...] = 0
        return self

    def forward(self, inputs):
        """Outputs for ``inputs`` of shape (batch, input_size); keeps what :meth:`backward` needs."""
        inputs = np.asarray(inputs, dtype=self.dtype)
        if inputs.ndim != 2 or inputs.shape[1] != self.input_size:
            raise TaskError(f"network input must have shape (batch, {self.input_size}), got {inputs.shape}")
        batch, k, units = len(inputs), self.channels, len(self.units)
        for level in self._levels:  # the sparse products read the current blocks
            level.load(self.connection)
        # channel-major state: pre[j, c, b] is z_j's channel c for example b (h likewise in post)
        pre = np.empty((units, k, batch), self.dtype)
        pre[...] = self.bias[:, :, None]
        if len(self._input_rows):
            pre[self._input_rows] += (self.encoder.T @ inputs.T).reshape(-1, k, batch)
        post = np.empty_like(pre)
        flat_post = post.reshape(units * k, batch)
        for level in self._levels:
            if level.forward is not None:
                pre[level.units] += (level.forward @ flat_post).reshape(-1, k, batch)
            post[level.units] = self._activate(pre[level.units])
        read = post[self._output_rows].reshape(-1, batch)
        logits = read.T @ self.decoder + self.decoder_bias
        outputs = self.output_activation.forward(logits)
        self._cache = {"inputs": inputs, "pre": pre, "post": post, "read": read, "logits": logits,
                       "outputs": outputs}
        return outputs

    def backward(self, grad_output):
        """Back-propagate :math:`\\partial L/\\partial` output; fills every ``grad_*`` array.

        Returns
        -------
        numpy.ndarray
            :math:`\\partial L/\\partial` input.
        """
        cache = self._cache
        if cache is None:
            raise TaskError("TensorNetwork.backward needs a forward pass first")
        pre, post, batch, k = cache["pre"], cache["post"], len(cache["inputs"]), self.channels
        grad_logits = self.output_activation.backward(np.asarray(grad_output, self.dtype), cache["logits"],
                                                      cache["outputs"])
        np.matmul(cache["read"], grad_logits, out=self.grad_decoder)
        self.grad_decoder_bias[...] = grad_logits.sum(axis=0)
        grad_post = np.zeros_like(post)
        grad_post[self._output_rows] = (self.decoder @ grad_logits.T).reshape(-1, k, batch)
        grad_pre = np.empty_like(pre)
        for level in self._levels[::-1]:
            grad_pre[level.units] = self._activate(grad_post[level.units], pre[level.units], post[level.units])
            if level.backward is not None:
                flat = grad_pre[level.units].reshape(-1, batch)
                grad_post[level.unique_sources] += (level.backward @ flat).reshape(-1, k, batch)
        # dL/dW_ij = h_i dL/dz_j^T over the batch, for every edge at once
        np.matmul(post[self._edge_source], grad_pre[self._edge_target].transpose(0, 2, 1), out=self.grad_connection)
        self.grad_bias[...] = grad_pre.sum(axis=2)
        grad_encoded = grad_pre[self._input_rows].reshape(-1, batch)
        np.matmul(cache["inputs"].T, grad_encoded.T, out=self.grad_encoder)
        return grad_encoded.T @ self.encoder.T

    def _activate(self, *arrays):
        """The unit activation's forward (one array) or backward (grad, z, a) on channel-major blocks."""
        function = self.unit_activation.forward if len(arrays) == 1 else self.unit_activation.backward
        if self.norm == "none":  # elementwise: the layout does not matter
            return function(*arrays)
        return function(*(a.transpose(0, 2, 1) for a in arrays)).transpose(0, 2, 1)

    def parameters(self):
        """The parameter arrays: encoder, connection blocks, unit biases, decoder, decoder bias."""
        return [self.encoder, self.connection, self.bias, self.decoder, self.decoder_bias]

    def gradients(self):
        """Gradients of the last :meth:`backward`, in the order of :meth:`parameters`."""
        return [self.grad_encoder, self.grad_connection, self.grad_bias, self.grad_decoder, self.grad_decoder_bias]

    @property
    def parameter_count(self):
        """Trainable parameters (every stored number is one)."""
        return sum(p.size for p in self.parameters())

    def get_parameter_vector(self):
        """All parameters as one flat vector."""
        return np.concatenate([p.ravel() for p in self.parameters()])

    def set_parameter_vector(self, vector):
        """Set all parameters from a vector of :meth:`get_parameter_vector`'s layout."""
        vector = np.asarray(vector)
        if vector.shape != (self.parameter_count,):
            raise ConfigError(f"parameter vector must have shape ({self.parameter_count},), got {vector.shape}")
        start = 0
        for p in self.parameters():
            p[...] = vector[start:start + p.size].reshape(p.shape)
            start += p.size

    predict = LayeredNetwork.predict

    def unit_activity(self, cells):
        """The channels :math:`h_j` of ``cells`` in the last forward pass, shape (batch, k · len(cells))."""
        if self._cache is None:
            raise TaskError("unit_activity needs a forward pass first")
        rows = [self._row(cell) for cell in cells]
        return self._cache["post"][rows].transpose(2, 0, 1).reshape(len(self._cache["inputs"]), -1)

    def _row(self, cell):
        if cell not in self.position:
            raise ConfigError(f"{cell!r} is not a cell of this tensor network")
        return self.position[cell]

    def connection_weights(self, pre, post, *, gradient=False):
        """The k × k block :math:`W_{ij}` of ``pre -> post`` (a view; zeros if absent), or its gradient."""
        self._row(pre), self._row(post)
        index = self.edge_index.get((pre, post))
        if index is None:
            return np.zeros((self.channels, self.channels), self.dtype)
        return (self.grad_connection if gradient else self.connection)[index]

    def encoder_weights(self, cell, *, gradient=False):
        """:math:`E_j` (input size × k) of an input cell (zeros for the others), or its gradient."""
        self._row(cell)
        if cell not in self._input_set:
            return np.zeros((self.input_size, self.channels), self.dtype)
        column = self.input_cells.index(cell) * self.channels
        return (self.grad_encoder if gradient else self.encoder)[:, column:column + self.channels]

    def unit_bias(self, cell, *, gradient=False):
        """:math:`b_j` (k,) of a cell (a view), or its gradient."""
        return (self.grad_bias if gradient else self.bias)[self._row(cell)]

    def decoder_weights(self, cell, *, gradient=False):
        """:math:`D_j` (k × output size) of an output cell (zeros for the others), or its gradient."""
        self._row(cell)
        if cell not in self.output_cells:
            return np.zeros((self.channels, self.output_size), self.dtype)
        row = self.output_cells.index(cell) * self.channels
        return (self.grad_decoder if gradient else self.decoder)[row:row + self.channels]

    def output_bias(self, *, gradient=False):
        """:math:`c`, the decoder's bias (a view), or its gradient."""
        return self.grad_decoder_bias if gradient else self.decoder_bias

    def masked_reference(self):
        """The same network, with the same parameters, as masked dense layers (:class:`MaskedTensorNetwork`).

        The reference implementation the fast path is tested against.
        """
        reference = MaskedTensorNetwork(self.dag, self.input_size, self.output_size, dtype=self.dtype,
                                        **self._options)
        _copy_parameters(self, reference)
        return reference


@dataclass(eq=False)
class _Level:
    """One depth of :class:`TensorNetwork`: its units and the edges into them as two sparse matrices.

    ``forward`` (k·units of the depth × k·all units, CSR) holds :math:`W_{ij}^\\top`
    at the rows of :math:`j` and the columns of :math:`i`, so that
    ``forward @ h`` is :math:`\\sum_{i \\to j} W_{ij}^\\top h_i` for every unit of the
    depth (h channel-major); ``backward`` (k·unique sources × k·units of the
    depth) holds :math:`W_{ij}` to send :math:`\\partial L/\\partial z_j` back to the
    sources. Only existing connections are stored; ``load`` copies the
    current blocks into both.
    """

    units: slice
    unique_sources: np.ndarray
    forward: object = None
    backward: object = None
    forward_order: np.ndarray = None  # positions in connection.ravel() of forward.data
    backward_order: np.ndarray = None

    @classmethod
    def build(cls, units, edges, edge_source, edge_target, unit_count, k, dtype):
        from scipy.sparse import csr_matrix

        sources, targets = edge_source[edges], edge_target[edges]
        unique_sources, source_index = np.unique(sources, return_inverse=True)
        level = cls(units, unique_sources)
        if not len(sources):
            return level
        edge, c, l = (axis.ravel() for axis in np.meshgrid(np.arange(len(sources)), np.arange(k), np.arange(k),
                                                           indexing="ij"))
        flat = (edges.start + edge) * k * k + c * k + l  # position of W_e[c, l] in connection.ravel()
        target_rows = (targets[edge] - units.start) * k + l
        for name, rows, columns, shape in (
                ("forward", target_rows, sources[edge] * k + c, (len(range(units.start, units.stop)) * k,
                                                                 unit_count * k)),
                ("backward", source_index[edge] * k + c, target_rows, (len(unique_sources) * k,
                                                                       len(range(units.start, units.stop)) * k))):
            matrix = csr_matrix((np.arange(len(flat), dtype=float) + 1, (rows, columns)), shape=shape)
            matrix.sort_indices()
            setattr(level, f"{name}_order", flat[matrix.data.astype(np.intp) - 1])
            matrix.data = np.zeros(len(flat), dtype)
            setattr(level, name, matrix)
        return level

    def load(self, connection):
        if self.forward is not None:
            flat = connection.reshape(-1)
            np.take(flat, self.forward_order, out=self.forward.data)
            np.take(flat, self.backward_order, out=self.backward.data)


def _copy_parameters(source, target):
    """Copy every block of one tensor network into another of the same DAG (either implementation)."""
    for cells in source.cells_by_depth:
        for cell in cells:
            target.unit_bias(cell)[...] = source.unit_bias(cell)
    for cell in source.input_cells:
        target.encoder_weights(cell)[...] = source.encoder_weights(cell)
    for cell in source.output_cells:
        target.decoder_weights(cell)[...] = source.decoder_weights(cell)
    for pre, post in source.edges:
        target.connection_weights(pre, post)[...] = source.connection_weights(pre, post)
    target.output_bias()[...] = source.output_bias()


class MaskedTensorNetwork(_DagUnits, LayeredNetwork):
    """The reference implementation of :class:`TensorNetwork`: one masked dense layer per depth.

    Units of one depth have no edges among them, so each depth is one
    masked dense layer of :class:`~neuroworm.nn.LayeredNetwork` reading the
    earlier depths it has edges from (skip connections), with mask
    :math:`A \\otimes \\mathbf 1_{k \\times k}` (:math:`A` the 0/1 adjacency);
    the encoder is a masked block of every layer that holds input units. Its
    products also multiply the masked-out zeros (947,368 weights for the
    worm's 316,194 parameters at k = 4), which is why :class:`TensorNetwork`
    is the one to train; this one is kept as the plain reading the fast path
    is tested against. Parameters as for :class:`TensorNetwork`.
    """

    def __init__(self, dag, input_size, output_size, *, channels=4, activation="relu", norm="none",
                 output_activation="identity", electrical=True, dtype="float32", seed=None):
        LayeredNetwork.__init__(self, input_size, dtype=dtype)
        self._build_structure(dag, input_size, output_size, channels, activation, norm, output_activation,
                              electrical)
        k = self.channels
        self._input_set = inputs = set(self.input_cells)
        where = {}  # cell -> (output index, unit position in that output)
        for level, cells in enumerate(self.cells_by_depth):
            for position, cell in enumerate(cells):
                where[cell] = (level + 1, position)
            source_levels = sorted({where[p][0] for c in cells for p in self.predecessors.get(c, ())})
            has_input = any(c in inputs for c in cells)
            sources = ([0] if has_input else []) + source_levels
            if not sources:  # units without inputs (constant, bias only): read the input through a zero mask
                sources = [0]
            blocks = []
            for source in sources:
                if source == 0:
                    columns = np.array([c in inputs for c in cells], dtype=float)
                    blocks.append(np.ones((input_size, 1)) * np.repeat(columns, k)[None, :])
                    continue
                source_cells = self.cells_by_depth[source - 1]
                adjacency = np.array([[(pre, post) in self.edges for post in cells] for pre in source_cells], float)
                blocks.append(np.kron(adjacency, np.ones((k, k))))
            self.add_layer(len(cells) * k, sources=sources, activation=self.unit_activation, mask=np.vstack(blocks))
        output_levels = sorted({where[c][0] for c in self.output_cells})
        outputs = set(self.output_cells)
        mask = np.vstack([
            np.repeat(np.array([c in outputs for c in self.cells_by_depth[level - 1]], float), k)[:, None]
            * np.ones((1, output_size)) for level in output_levels
        ])
        self.add_layer(output_size, sources=output_levels, activation=self.output_activation, mask=mask)
        self.initialize(seed)

    def initialize(self, seed=None):
        """Kaiming-uniform weights with each unit's real fan-in (gain √2 before ReLU), zero biases."""
        from ..seeding import make_rng

        rng = make_rng(seed)
        for layer in self.layers:
            relu = layer.activation.name.endswith("relu")
            layer.dense.initialize(gain=np.sqrt(2.0) if relu else 1.0, seed=rng)
        return self

    def unit_columns(self, cell):
        """``(layer index, slice)``: where ``cell``'s k channels sit among the network's outputs."""
        for level, cells in enumerate(self.cells_by_depth):
            if cell in cells:
                start = cells.index(cell) * self.channels
                return level + 1, slice(start, start + self.channels)
        raise ConfigError(f"{cell!r} is not a cell of this tensor network")

    def unit_activity(self, cells):
        """The channels :math:`h_j` of ``cells`` in the last forward pass, shape (batch, k · len(cells))."""
        parts = []
        for cell in cells:
            layer, columns = self.unit_columns(cell)
            parts.append(self.layers[layer - 1].cache["a"][:, columns])
        return np.concatenate(parts, axis=1)

    def _rows(self, layer, source):
        offset = 0
        for s in layer.sources:
            if s == source:
                return offset
            offset += self.sizes[s]
        return None

    @staticmethod
    def _array(layer, gradient, name="weight"):
        return getattr(layer.dense, ("grad_" if gradient else "") + name)

    def connection_weights(self, pre, post, *, gradient=False):
        """The k × k block :math:`W_{ij}` of ``pre -> post`` (a view; zeros if absent), or its gradient."""
        source, rows = self.unit_columns(pre)
        target, columns = self.unit_columns(post)
        layer = self.layers[target - 1]
        offset = self._rows(layer, source)
        if offset is None:
            return np.zeros((self.channels, self.channels), self.dtype)
        return self._array(layer, gradient)[offset + rows.start:offset + rows.stop, columns]

    def encoder_weights(self, cell, *, gradient=False):
        """:math:`E_j` (input size × k) of an input cell (zeros for the others), or its gradient."""
        target, columns = self.unit_columns(cell)
        layer = self.layers[target - 1]
        offset = self._rows(layer, 0)
        if offset is None or cell not in self._input_set:
            return np.zeros((self.input_size, self.channels), self.dtype)
        return self._array(layer, gradient)[offset:offset + self.input_size, columns]

    def unit_bias(self, cell, *, gradient=False):
        """:math:`b_j` (k,) of a cell (a view), or its gradient."""
        target, columns = self.unit_columns(cell)
        return self._array(self.layers[target - 1], gradient, "bias")[columns]

    def decoder_weights(self, cell, *, gradient=False):
        """:math:`D_j` (k × output size) of an output cell (zeros for the others), or its gradient."""
        source, rows = self.unit_columns(cell)
        decoder = self.layers[-1]
        offset = self._rows(decoder, source)
        if offset is None or cell not in self.output_cells:
            return np.zeros((self.channels, self.output_size), self.dtype)
        return self._array(decoder, gradient)[offset + rows.start:offset + rows.stop]

    def output_bias(self, *, gradient=False):
        """:math:`c`, the decoder's bias (a view), or its gradient."""
        return self._array(self.layers[-1], gradient, "bias")
