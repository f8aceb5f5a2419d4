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

For speed the units are grouped by *depth*, the length of the longest DAG
path that ends at them: units of one depth have no edges among them, so
each depth is one masked dense layer of :class:`~neuroworm.nn.LayeredNetwork`
reading the earlier depths it has edges from (skip connections), with mask
:math:`A \otimes \mathbf 1_{k \times k}` (:math:`A` the 0/1 adjacency).
``norm="unit"`` normalises each unit's :math:`k` channels to zero mean and
unit variance per example before :math:`f` (layer normalisation of one unit,
Ba et al. 2016, without a learned gain); ``norm="none"`` leaves them.

References
----------
Bardozzo, F., Terlizzi, A., Liò, P. and Tagliaferri, R. (2023). ElegansNet:
a brief scientific report and initial experiments. arXiv:2304.13538.
Ba, J. L., Kiros, J. R. and Hinton, G. E. (2016). Layer normalization. arXiv:1607.06450.
"""

import numpy as np

from ..errors import ConfigError
from .functional import Activation, get_activation
from .network import LayeredNetwork

__all__ = ["NORMALIZATIONS", "TensorNetwork", "dag_edges", "unit_depths", "unit_normalized"]

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


class TensorNetwork(LayeredNetwork):
    """ElegansNet's tensor network built from a layered DAG (see the module docstring).

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
        The cells of each hidden layer (layer ``d + 1`` holds depth ``d``).
    input_cells, output_cells : list of str
    edges : set of (str, str)
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
        super().__init__(input_size, dtype=dtype)
        if norm not in NORMALIZATIONS:
            raise ConfigError(f"norm must be one of {NORMALIZATIONS}, got {norm!r}")
        if int(channels) < 1:
            raise ConfigError(f"channels must be >= 1, got {channels}")
        self.channels = k = int(channels)
        self.dag = dag
        layers = dag.layers
        self.input_cells = [c for c in dag.order.sort_values().index if layers[c] == layers.min()]
        self.output_cells = [c for c in dag.order.sort_values().index if layers[c] == layers.max()]
        if layers.min() == layers.max():
            raise ConfigError("the DAG has a single layer: no separate input and output cells")
        self.edges = dag_edges(dag, electrical=electrical)
        depth = unit_depths(dag, self.edges)
        self.cells_by_depth = [[] for _ in range(max(depth.values()) + 1)]
        for cell in dag.order.sort_values().index:
            self.cells_by_depth[depth[cell]].append(cell)
        unit_activation = unit_normalized(activation, k) if norm == "unit" else get_activation(activation)
        self.norm = norm

        where = {}  # cell -> (output index, unit position in that output)
        inputs = set(self.input_cells)
        predecessors = {}
        for pre, post in self.edges:
            predecessors.setdefault(post, set()).add(pre)
        for level, cells in enumerate(self.cells_by_depth):
            for position, cell in enumerate(cells):
                where[cell] = (level + 1, position)
            source_levels = sorted({where[p][0] for c in cells for p in predecessors.get(c, ())})
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
            self.add_layer(len(cells) * k, sources=sources, activation=unit_activation, mask=np.vstack(blocks))
        output_levels = sorted({where[c][0] for c in self.output_cells})
        outputs = set(self.output_cells)
        mask = np.vstack([
            np.repeat(np.array([c in outputs for c in self.cells_by_depth[level - 1]], float), k)[:, None]
            * np.ones((1, output_size)) for level in output_levels
        ])
        self.add_layer(output_size, sources=output_levels, activation=output_activation, mask=mask)
        self.initialize(seed)

    def initialize(self, seed=None):
        """Kaiming-uniform weights with each unit's real fan-in (gain √2 before ReLU), zero biases."""
        from ..seeding import make_rng

        rng = make_rng(seed)
        for layer in self.layers:
            relu = layer.activation.name.endswith("relu")
            layer.dense.initialize(gain=np.sqrt(2.0) if relu else 1.0, seed=rng)
        return self

    @property
    def parameter_breakdown(self):
        """Trainable parameters by part: ``encoder``, ``connectome``, ``decoder`` and ``total``."""
        encoder = connectome = 0
        sizes = self.sizes
        for layer in self.layers[:-1]:
            start = 0
            for source in layer.sources:
                block = layer.dense.mask[start:start + sizes[source]]
                start += sizes[source]
                if source == 0:
                    encoder += int(block.sum())
                else:
                    connectome += int(block.sum())
            connectome += layer.size  # unit biases
        decoder = self.layers[-1].dense.parameter_count
        return {"encoder": encoder, "connectome": connectome, "decoder": decoder,
                "total": encoder + connectome + decoder}

    def unit_columns(self, cell):
        """``(layer index, slice)``: where ``cell``'s k channels sit among the network's outputs."""
        for level, cells in enumerate(self.cells_by_depth):
            if cell in cells:
                start = cells.index(cell) * self.channels
                return level + 1, slice(start, start + self.channels)
        raise ConfigError(f"{cell!r} is not a cell of this tensor network")

    def _rows(self, layer, source):
        offset = 0
        for s in layer.sources:
            if s == source:
                return offset
            offset += self.sizes[s]
        return None

    def connection_weights(self, pre, post):
        """The k × k block :math:`W_{ij}` of the connection ``pre -> post`` (a view; zeros if absent)."""
        source, rows = self.unit_columns(pre)
        target, columns = self.unit_columns(post)
        layer = self.layers[target - 1]
        offset = self._rows(layer, source)
        if offset is None:
            return np.zeros((self.channels, self.channels), self.dtype)
        return layer.dense.weight[offset + rows.start:offset + rows.stop, columns]

    def encoder_weights(self, cell):
        """:math:`E_j` (input size × k) of an input cell (zeros for the others)."""
        target, columns = self.unit_columns(cell)
        layer = self.layers[target - 1]
        offset = self._rows(layer, 0)
        if offset is None:
            return np.zeros((self.input_size, self.channels), self.dtype)
        return layer.dense.weight[offset:offset + self.input_size, columns]

    def unit_bias(self, cell):
        """:math:`b_j` (k,) of a cell (a view)."""
        target, columns = self.unit_columns(cell)
        return self.layers[target - 1].dense.bias[columns]

    def decoder_weights(self, cell):
        """:math:`D_j` (k × output size) of an output cell (zeros for the others)."""
        source, rows = self.unit_columns(cell)
        decoder = self.layers[-1]
        offset = self._rows(decoder, source)
        if offset is None:
            return np.zeros((self.channels, self.output_size), self.dtype)
        return decoder.dense.weight[offset + rows.start:offset + rows.stop]

    @property
    def depth(self):
        """Number of unit layers (the longest path through the DAG, in units)."""
        return len(self.cells_by_depth)
