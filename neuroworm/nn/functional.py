r"""Activations, losses and initialisation for :mod:`neuroworm.nn`.

Each activation is an :class:`Activation`: a name, its forward map
:math:`a = f(z)` and its backward map, which turns
:math:`\partial L/\partial a` into :math:`\partial L/\partial z` given the
cached ``z`` and ``a``. Each loss returns ``(loss, gradient)`` so the trainer
never differentiates anything itself.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, TaskError
from ..seeding import make_rng

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "kaiming_uniform",
    "mean_squared_error",
    "softmax",
    "softmax_cross_entropy",
]


def softmax(z):
    r"""Row-wise softmax, :math:`\sigma(z)_i = e^{z_i - \max z} / \sum_j e^{z_j - \max z}`."""
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _softmax_backward(grad, z, a):
    # d a_i / d z_j = a_i (delta_ij - a_j)  =>  dz = a * (g - <g, a>)
    return a * (grad - (grad * a).sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class Activation:
    """A unit non-linearity: ``forward(z) -> a`` and ``backward(grad_a, z, a) -> grad_z``."""

    name: str
    forward: Callable
    backward: Callable


ACTIVATIONS = {
    "identity": Activation("identity", lambda z: z, lambda g, z, a: g),
    "relu": Activation("relu", lambda z: np.maximum(z, 0), lambda g, z, a: g * (z > 0)),
    "tanh": Activation("tanh", np.tanh, lambda g, z, a: g * (1 - a * a)),
    "sigmoid": Activation("sigmoid", lambda z: 0.5 * (1 + np.tanh(0.5 * z)), lambda g, z, a: g * a * (1 - a)),
    "softmax": Activation("softmax", softmax, _softmax_backward),
}
"""The activations by name: ``identity``, ``relu``, ``tanh``, ``sigmoid``, ``softmax`` (row-wise)."""


def get_activation(activation):
    """The :class:`Activation` named ``activation`` (an :class:`Activation` passes through).

    Raises
    ------
    ConfigError
        For an unknown name, listing the known ones.
    """
    if isinstance(activation, Activation):
        return activation
    if activation not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[activation]


def kaiming_uniform(fan_in, shape, *, gain=2.0**0.5, dtype=np.float64, seed=None):
    r"""Kaiming-uniform weights: :math:`W \sim U(-b, b)`, :math:`b = \text{gain}\sqrt{3/\text{fan}_\text{in}}`.

    This gives :math:`\operatorname{Var} W = \text{gain}^2/\text{fan}_\text{in}`
    (He et al. 2015, eq. 10 with gain :math:`\sqrt 2` for ReLU).

    Parameters
    ----------
    fan_in : int or numpy.ndarray
        Number of inputs of each output unit; an array of shape
        ``(shape[1],)`` gives each column its own fan-in (a masked layer's
        real in-degree). A fan-in of 0 is treated as 1.
    shape : tuple of int
        ``(inputs, outputs)``.
    gain : float
        :math:`\sqrt 2` for ReLU, 1 for tanh/identity.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray

    References
    ----------
    He, K., Zhang, X., Ren, S. and Sun, J. (2015). Delving deep into
    rectifiers. ICCV, 1026-1034.
    """
    rng = make_rng(seed)
    bound = gain * np.sqrt(3.0 / np.maximum(np.asarray(fan_in, dtype=float), 1.0))
    return (rng.uniform(-1.0, 1.0, size=shape) * bound).astype(dtype)


def _check_batch(prediction, target, name):
    if prediction.ndim != 2 or len(prediction) != len(target):
        raise TaskError(
            f"{name}: predictions must be (batch, outputs) with one target per row; "
            f"got predictions {prediction.shape} and targets {np.shape(target)}"
        )


def softmax_cross_entropy(logits, labels):
    r"""Mean softmax cross-entropy for integer labels, and its gradient.

    .. math:: L = -\frac1B \sum_b \log \sigma(z_b)_{y_b}, \qquad
              \frac{\partial L}{\partial z_b} = \frac{\sigma(z_b) - e_{y_b}}{B}

    Parameters
    ----------
    logits : numpy.ndarray, shape (batch, classes)
    labels : numpy.ndarray of int, shape (batch,)

    Returns
    -------
    loss : float
    gradient : numpy.ndarray, shape (batch, classes)

    Raises
    ------
    TaskError
        If the shapes disagree or a label is outside ``[0, classes)``.
    """
    labels = np.asarray(labels)
    _check_batch(logits, labels, "softmax_cross_entropy")
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise TaskError(f"softmax_cross_entropy: labels must be a 1-D integer array, got {labels.dtype} {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise TaskError(f"softmax_cross_entropy: labels must lie in [0, {logits.shape[1]}), got {labels.min()}..{labels.max()}")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    loss = -log_probabilities[rows, labels].mean()
    gradient = np.exp(log_probabilities)
    gradient[rows, labels] -= 1.0
    return float(loss), gradient / len(labels)


def mean_squared_error(prediction, target):
    r"""Mean squared error over every element, and its gradient.

    .. math:: L = \frac{1}{BD}\sum_{b,d} (p_{bd} - t_{bd})^2, \qquad
              \frac{\partial L}{\partial p} = \frac{2 (p - t)}{BD}

    Returns
    -------
    loss : float
    gradient : numpy.ndarray, same shape as ``prediction``

    Raises
    ------
    TaskError
        If the shapes differ.
    """
    target = np.asarray(target)
    if prediction.shape != target.shape:
        raise TaskError(f"mean_squared_error: prediction {prediction.shape} and target {target.shape} differ")
    difference = prediction - target
    return float(np.mean(difference * difference)), 2.0 * difference / difference.size
