"""A seeded minibatch trainer for :class:`~neuroworm.nn.LayeredNetwork`.

:func:`fit` shuffles the training set with its own generator every epoch,
steps the optimizer once per minibatch and records, after every epoch, the
training loss (mean over the epoch's minibatches) and the loss and accuracy
on a validation set that no step trains on. The same seed, data and network
initialisation give the same history.
"""

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError, TaskError
from ..seeding import make_rng
from .functional import mean_squared_error, softmax_cross_entropy
from .optimizers import Adam

__all__ = ["LOSSES", "History", "evaluate", "fit", "minibatches"]

LOSSES = {"cross_entropy": softmax_cross_entropy, "mse": mean_squared_error}
"""Losses by name; each returns ``(loss, gradient)``."""


def _loss(loss):
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ConfigError(f"unknown loss {loss!r}; known: {', '.join(LOSSES)} or a callable returning (loss, gradient)")
    return LOSSES[loss]


@dataclass
class History:
    """Per-epoch record of :func:`fit` (epoch 0 is before any training step).

    Attributes
    ----------
    epoch, train_loss, validation_loss, validation_accuracy : list
        ``train_loss[0]`` is NaN (no step yet); the validation entries are
        NaN without a validation set, and ``validation_accuracy`` is NaN for
        targets that are not integer labels.
    """

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    validation_loss: list = field(default_factory=list)
    validation_accuracy: list = field(default_factory=list)

    def to_frame(self):
        """The history as a :class:`pandas.DataFrame`, one row per epoch."""
        import pandas as pd

        return pd.DataFrame(self.__dict__)


def minibatches(count, batch_size, *, seed=None):
    """Index arrays covering ``range(count)`` in a seeded random order, ``batch_size`` at a time."""
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    order = make_rng(seed).permutation(count)
    return [order[i:i + batch_size] for i in range(0, count, batch_size)]


def _is_labels(targets):
    return targets.ndim == 1 and np.issubdtype(targets.dtype, np.integer)


def evaluate(network, inputs, targets, *, loss="cross_entropy", batch_size=1024):
    """Loss and accuracy of ``network`` on a data set (no training).

    Returns
    -------
    loss : float
        Mean over all rows.
    accuracy : float
        Fraction of rows whose arg-max output is the label (NaN unless
        ``targets`` are integer labels).
    """
    loss_function = _loss(loss)
    targets = np.asarray(targets)
    outputs = network.predict(inputs, batch_size=batch_size)
    value, _ = loss_function(outputs, targets)
    accuracy = float(np.mean(outputs.argmax(axis=1) == targets)) if _is_labels(targets) else float("nan")
    return value, accuracy


def fit(network, inputs, targets, *, loss="cross_entropy", optimizer=None, epochs=10, batch_size=64,
        seed=None, validation=None, progress=False, callback=None, blas_threads=1):
    """Train ``network`` by minibatch gradient descent.

    Parameters
    ----------
    network : LayeredNetwork
    inputs : numpy.ndarray, shape (samples, input_size)
    targets : numpy.ndarray
        Integer labels (``loss="cross_entropy"``) or arrays shaped like the
        output (``loss="mse"``).
    loss : {"cross_entropy", "mse"} or callable
        A callable takes ``(outputs, targets)`` and returns ``(loss, gradient)``.
    optimizer : optional
        An object with ``step(parameters, gradients)``; default
        ``Adam(learning_rate=1e-3)``.
    epochs, batch_size : int
    seed : None, int or numpy.random.Generator
        Shuffles the minibatches.
    validation : tuple (inputs, targets), optional
        Held-out data evaluated after every epoch (and before the first).
    progress : bool
        Show a tqdm progress bar over epochs.
    callback : callable, optional
        Called as ``callback(epoch, history)`` after every epoch.
    blas_threads : int or None
        BLAS threads while training (through threadpoolctl); ``None`` keeps
        the library's default. One is the default because these matrices are
        small: on a loaded 2-core machine OpenBLAS with 2 threads was 100x
        slower than with 1 for a 64 x 784 x 64 product.

    Returns
    -------
    History

    Raises
    ------
    TaskError
        If inputs and targets have different lengths.
    """
    inputs = np.asarray(inputs)
    targets = np.asarray(targets)
    if len(inputs) != len(targets):
        raise TaskError(f"fit: {len(inputs)} inputs but {len(targets)} targets")
    if blas_threads is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(int(blas_threads)):
            return fit(network, inputs, targets, loss=loss, optimizer=optimizer, epochs=epochs, batch_size=batch_size,
                       seed=seed, validation=validation, progress=progress, callback=callback, blas_threads=None)
    loss_function = _loss(loss)
    optimizer = Adam() if optimizer is None else optimizer
    rng = make_rng(seed)
    history = History()

    def record(epoch, train_loss):
        history.epoch.append(epoch)
        history.train_loss.append(train_loss)
        if validation is None:
            history.validation_loss.append(float("nan"))
            history.validation_accuracy.append(float("nan"))
        else:
            value, accuracy = evaluate(network, *validation, loss=loss_function)
            history.validation_loss.append(value)
            history.validation_accuracy.append(accuracy)
        if callback is not None:
            callback(epoch, history)

    record(0, float("nan"))
    epochs_iter = range(1, epochs + 1)
    if progress:
        from tqdm.auto import tqdm

        epochs_iter = tqdm(epochs_iter, desc="epochs", leave=False)
    for epoch in epochs_iter:
        losses = []
        for batch in minibatches(len(inputs), batch_size, seed=rng):
            outputs = network.forward(inputs[batch])
            value, gradient = loss_function(outputs, targets[batch])
            if not np.isfinite(value):
                raise TaskError(f"fit: the loss became {value} at epoch {epoch}; lower the learning rate")
            network.backward(gradient)
            optimizer.step(network.parameters(), network.gradients())
            losses.append(value * len(batch))
        record(epoch, float(np.sum(losses) / len(inputs)))
        if progress:
            epochs_iter.set_postfix(loss=history.train_loss[-1], val_acc=history.validation_accuracy[-1])
    return history
