"""A small differentiable layered-network library in NumPy.

Masked dense layers with skip connections (:class:`LayeredNetwork`),
activations and losses with their gradients, SGD / SignSGD / Adam, and a
seeded minibatch trainer (:func:`fit`). Used by ElegansNet's tensor network
and by the MLP, SGD and SignSGD baselines of the other reproductions.
"""

from .functional import (
    ACTIVATIONS,
    Activation,
    get_activation,
    kaiming_uniform,
    mean_squared_error,
    softmax,
    softmax_cross_entropy,
)
from .network import Layer, LayeredNetwork, MaskedDense, mlp
from .optimizers import SGD, Adam, SignSGD, make_optimizer
from .tensor_network import TensorNetwork
from .training import LOSSES, History, evaluate, fit, minibatches

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "SGD",
    "Activation",
    "Adam",
    "History",
    "Layer",
    "LayeredNetwork",
    "MaskedDense",
    "SignSGD",
    "TensorNetwork",
    "evaluate",
    "fit",
    "get_activation",
    "kaiming_uniform",
    "make_optimizer",
    "mean_squared_error",
    "minibatches",
    "mlp",
    "softmax",
    "softmax_cross_entropy",
]
