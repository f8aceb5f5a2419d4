r"""Masked dense layers wired as a directed acyclic graph, with forward and backward.

A :class:`LayeredNetwork` is a list of layers; layer :math:`l` reads the
concatenation of any earlier outputs (its *sources*: 0 is the network's
input, :math:`i \ge 1` the output of layer :math:`i`), so skip connections and
networks derived from a DAG are as easy as a plain stack. Each layer computes

.. math:: z_l = [h_{s_1}, \dots, h_{s_m}]\,(W_l \odot M_l) + b_l, \qquad h_l = f_l(z_l)

with a fixed 0/1 connectivity mask :math:`M_l` (all ones when absent). The
backward pass is the chain rule written out once:

.. math:: \frac{\partial L}{\partial z_l} = f_l'\!\left(\frac{\partial L}{\partial h_l}\right), \quad
          \frac{\partial L}{\partial W_l} = (x_l^\top \frac{\partial L}{\partial z_l}) \odot M_l, \quad
          \frac{\partial L}{\partial x_l} = \frac{\partial L}{\partial z_l} (W_l \odot M_l)^\top

and :math:`\partial L/\partial x_l` is split back onto the sources and summed
there. Masked weights start at zero and their gradients are always zero, so
every optimizer keeps them zero.
"""

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, TaskError
from ..seeding import make_rng
from .functional import Activation, get_activation, kaiming_uniform

__all__ = ["Layer", "LayeredNetwork", "MaskedDense", "mlp"]


def _dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ConfigError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


class MaskedDense:
    r"""An affine map with a fixed connectivity mask: :math:`z = x (W \odot M) + b`.

    Parameters
    ----------
    in_features, out_features : int
    mask : array_like of 0/1, shape (in_features, out_features), optional
        Which weights exist; ``None`` means all.
    bias : bool
        Whether to learn a bias :math:`b`.
    dtype : {"float64", "float32"}

    Attributes
    ----------
    weight, bias : numpy.ndarray
        The parameters (``bias`` is ``None`` without a bias). ``weight`` is
        stored already masked.
    grad_weight, grad_bias : numpy.ndarray
        Gradients of the last :meth:`backward`.
    """

    def __init__(self, in_features, out_features, *, mask=None, bias=True, dtype="float64"):
        self.dtype = _dtype(dtype)
        self.in_features, self.out_features = int(in_features), int(out_features)
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != (self.in_features, self.out_features):
                raise ConfigError(f"mask must have shape {(self.in_features, self.out_features)}, got {mask.shape}")
            if not np.isin(mask, (0, 1)).all():
                raise ConfigError("mask must hold only 0 and 1")
            mask = mask.astype(self.dtype)
        self.mask = mask
        self.weight = np.zeros((self.in_features, self.out_features), self.dtype)
        self.bias = np.zeros(self.out_features, self.dtype) if bias else None
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = None if self.bias is None else np.zeros_like(self.bias)
        self._inputs = None

    @property
    def fan_in(self):
        """Number of connected inputs of each output unit (array of ``out_features``)."""
        if self.mask is None:
            return np.full(self.out_features, self.in_features)
        return self.mask.sum(axis=0)

    @property
    def parameter_count(self):
        """Connected weights plus biases."""
        weights = self.weight.size if self.mask is None else int(self.mask.sum())
        return weights + (0 if self.bias is None else self.bias.size)

    def initialize(self, *, gain=2.0**0.5, seed=None):
        """Kaiming-uniform weights with each unit's real fan-in, zero bias (see :func:`kaiming_uniform`)."""
        self.weight[...] = kaiming_uniform(self.fan_in, self.weight.shape, gain=gain, dtype=self.dtype, seed=seed)
        self.apply_mask()
        if self.bias is not None:
            self.bias[...] = 0

    def apply_mask(self):
        """Zero the weights the mask removes (after setting weights from outside)."""
        if self.mask is not None:
            self.weight *= self.mask

    def forward(self, inputs):
        self._inputs = inputs
        out = inputs @ self.weight
        if self.bias is not None:
            out += self.bias
        return out

    def backward(self, grad_out):
        """Store the parameter gradients and return :math:`\\partial L/\\partial x`."""
        np.matmul(self._inputs.T, grad_out, out=self.grad_weight)
        if self.mask is not None:
            self.grad_weight *= self.mask
        if self.bias is not None:
            self.grad_bias[...] = grad_out.sum(axis=0)
        return grad_out @ self.weight.T


@dataclass(eq=False)
class Layer:
    """One layer of a :class:`LayeredNetwork`: its sources, affine map and activation."""

    sources: tuple
    dense: MaskedDense
    activation: Activation
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def size(self):
        return self.dense.out_features


class LayeredNetwork:
    """A feed-forward network of masked dense layers with skip connections.

    Parameters
    ----------
    input_size : int
    dtype : {"float64", "float32"}
        Every parameter and activation uses it (float64 for gradient checks,
        float32 for speed).

    Examples
    --------
    >>> net = LayeredNetwork(784)
    >>> hidden = net.add_layer(64, activation="relu")                  # reads the input
    >>> out = net.add_layer(10, sources=[0, hidden], activation="identity")  # input skips ahead
    >>> net.initialize(seed=0)
    """

    def __init__(self, input_size, *, dtype="float64"):
        self.dtype = _dtype(dtype)
        self.input_size = int(input_size)
        self.layers = []

    @property
    def sizes(self):
        """Width of every output: ``sizes[0]`` is the input, ``sizes[i]`` layer ``i``."""
        return [self.input_size] + [layer.size for layer in self.layers]

    @property
    def output_size(self):
        return self.sizes[-1]

    def add_layer(self, size, *, sources=None, activation="relu", mask=None, bias=True):
        """Append a layer and return its index (the number later layers use as a source).

        Parameters
        ----------
        size : int
            Number of units.
        sources : sequence of int, optional
            Outputs it reads, concatenated in this order (0 = the network's
            input); default the previous layer's output.
        activation : str or Activation
            ``"relu"``, ``"tanh"``, ``"identity"`` or ``"softmax"``.
        mask : array_like, shape (sum of the sources' sizes, size), optional
            Fixed 0/1 connectivity.
        bias : bool

        Returns
        -------
        int

        Raises
        ------
        ConfigError
            For a source that is not an earlier output, or a mask of the wrong shape.
        """
        sizes = self.sizes
        sources = (len(sizes) - 1,) if sources is None else tuple(int(s) for s in sources)
        if not sources or any(not 0 <= s < len(sizes) for s in sources):
            raise ConfigError(f"layer {len(sizes)}: sources must be earlier outputs in [0, {len(sizes) - 1}], got {sources}")
        in_features = sum(sizes[s] for s in sources)
        dense = MaskedDense(in_features, size, mask=mask, bias=bias, dtype=self.dtype)
        self.layers.append(Layer(sources, dense, get_activation(activation)))
        return len(self.layers)

    def initialize(self, seed=None):
        """Kaiming-uniform initialisation of every layer (gain √2 before ReLU, 1 otherwise)."""
        rng = make_rng(seed)
        for layer in self.layers:
            gain = np.sqrt(2.0) if layer.activation.name == "relu" else 1.0
            layer.dense.initialize(gain=gain, seed=rng)
        return self

    def forward(self, inputs):
        """Outputs of the last layer for ``inputs`` of shape (batch, input_size); caches for :meth:`backward`."""
        inputs = np.asarray(inputs, dtype=self.dtype)
        if inputs.ndim != 2 or inputs.shape[1] != self.input_size:
            raise TaskError(f"network input must have shape (batch, {self.input_size}), got {inputs.shape}")
        outputs = [inputs]
        for layer in self.layers:
            parts = [outputs[s] for s in layer.sources]
            x = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
            z = layer.dense.forward(x)
            a = layer.activation.forward(z)
            layer.cache = {"z": z, "a": a}
            outputs.append(a)
        return outputs[-1]

    def backward(self, grad_output):
        """Back-propagate :math:`\\partial L/\\partial` output; fills every layer's gradients.

        Returns
        -------
        numpy.ndarray
            :math:`\\partial L/\\partial` input.
        """
        sizes = self.sizes
        grads = [None] * len(sizes)
        grads[-1] = np.asarray(grad_output, dtype=self.dtype)
        for index in range(len(self.layers), 0, -1):
            layer = self.layers[index - 1]
            grad_a = grads[index]
            if grad_a is None:  # an output nobody reads: no gradient flows
                grad_a = np.zeros_like(layer.cache["a"])
            grad_z = layer.activation.backward(grad_a, layer.cache["z"], layer.cache["a"])
            grad_x = layer.dense.backward(grad_z)
            start = 0
            for source in layer.sources:
                part = grad_x[:, start:start + sizes[source]]
                start += sizes[source]
                grads[source] = part.copy() if grads[source] is None else grads[source] + part
        return grads[0]

    def parameters(self):
        """Every parameter array, in a fixed order (weights and biases, layer by layer)."""
        return [p for layer in self.layers for p in (layer.dense.weight, layer.dense.bias) if p is not None]

    def gradients(self):
        """Gradients of the last :meth:`backward`, in the order of :meth:`parameters`."""
        return [g for layer in self.layers for g in (layer.dense.grad_weight, layer.dense.grad_bias) if g is not None]

    @property
    def parameter_count(self):
        """Trainable parameters: connected weights plus biases (masked weights excluded)."""
        return sum(layer.dense.parameter_count for layer in self.layers)

    def get_parameter_vector(self):
        """All parameters as one flat vector (masked weights included, as zeros)."""
        return np.concatenate([p.ravel() for p in self.parameters()])

    def set_parameter_vector(self, vector):
        """Set all parameters from a vector of :meth:`get_parameter_vector`'s layout; masked weights stay zero."""
        vector = np.asarray(vector)
        total = sum(p.size for p in self.parameters())
        if vector.shape != (total,):
            raise ConfigError(f"parameter vector must have shape ({total},), got {vector.shape}")
        start = 0
        for p in self.parameters():
            p[...] = vector[start:start + p.size].reshape(p.shape)
            start += p.size
        for layer in self.layers:
            layer.dense.apply_mask()

    def predict(self, inputs, *, batch_size=1024):
        """Outputs for many inputs, ``batch_size`` rows at a time (no gradients kept)."""
        inputs = np.asarray(inputs)
        if len(inputs) == 0:
            return np.zeros((0, self.output_size), self.dtype)
        return np.concatenate([self.forward(inputs[i:i + batch_size]) for i in range(0, len(inputs), batch_size)])


def mlp(sizes, *, activation="relu", output_activation="identity", dtype="float64", seed=None):
    """A fully connected multilayer perceptron as a :class:`LayeredNetwork`, initialised.

    Parameters
    ----------
    sizes : sequence of int
        ``[inputs, hidden..., outputs]``.
    activation, output_activation : str
    dtype : {"float64", "float32"}
    seed : None, int or numpy.random.Generator

    Returns
    -------
    LayeredNetwork

    Examples
    --------
    >>> net = mlp([784, 128, 10], seed=0)
    >>> net.parameter_count
    101770
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ConfigError(f"mlp sizes must be at least [inputs, outputs], all positive; got {sizes}")
    net = LayeredNetwork(sizes[0], dtype=dtype)
    for i, size in enumerate(sizes[1:]):
        net.add_layer(size, activation=output_activation if i == len(sizes) - 2 else activation)
    return net.initialize(seed)
