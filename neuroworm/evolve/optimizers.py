"""First-order optimizers that follow an estimated search gradient (ascent).

Evolution strategies produce a gradient estimate :math:`g_t` of the expected
fitness; these optimizers turn it into a parameter step,
``new = optimizer.update(parameters, gradient, learning_rate)``.  Both take
a per-parameter learning rate vector, so each genome group can have its own
rate (Schmidgall et al. 2023, A.3.2).  Each is a small picklable object
whose arrays are its whole state.

Adam is neuroworm's one Adam, :class:`neuroworm.nn.optimizers.Adam`, made
with ``maximize=True`` (the networks of :mod:`neuroworm.nn` use it for
descent); :func:`make_optimizer` makes it so.

References
----------
.. [1] D. P. Kingma, J. Ba (2015). Adam: a method for stochastic
   optimization. ICLR.  (Used by Salimans et al. 2017.)
.. [2] B. T. Polyak (1964). Some methods of speeding up the convergence of
   iteration methods.  (Momentum 0.9 in Bertens & Lee 2019, §4.1.)
"""

import numpy as np

from ..errors import ConfigError
from ..nn.optimizers import Adam

__all__ = ["Adam", "MomentumSGD", "make_optimizer"]


class MomentumSGD:
    r"""Gradient ascent with heavy-ball momentum.

    .. math:: v_t = \mu\, v_{t-1} + g_t, \qquad
              \theta_{t+1} = \theta_t + \alpha_t \odot v_t

    Parameters
    ----------
    size : int
        Number of parameters.
    momentum : float
        :math:`\mu \in [0, 1)`; 0 gives plain SGD (Bertens & Lee: 0.9).
    """

    def __init__(self, size, momentum=0.9):
        if not 0 <= momentum < 1:
            raise ConfigError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = float(momentum)
        self.velocity = np.zeros(size)

    def update(self, parameters, gradient, learning_rate):
        """Return the updated parameters (a new array).

        Parameters
        ----------
        parameters, gradient : numpy.ndarray, shape (n,)
        learning_rate : float or numpy.ndarray, shape (n,)
        """
        self.velocity = self.momentum * self.velocity + gradient
        return parameters + learning_rate * self.velocity

    def config(self):
        """JSON-able hyperparameters."""
        return {"optimizer": "sgd", "momentum": self.momentum}

    def state(self):
        """Mutable state for a checkpoint: (fields, arrays)."""
        return {}, {"velocity": self.velocity}

    def load_state(self, section):
        """Restore :meth:`state` from a checkpoint section (validated)."""
        self.velocity = section.array("velocity", shape=self.velocity.shape, finite=True).astype(np.float64)


def make_optimizer(name, size, *, momentum=0.9):
    """Build an optimizer by name: ``"adam"`` or ``"sgd"`` (with momentum).

    Raises
    ------
    ConfigError
        For any other name.
    """
    if name == "adam":
        return Adam(maximize=True, size=size)
    if name == "sgd":
        return MomentumSGD(size, momentum=momentum)
    raise ConfigError(f"optimizer must be 'adam' or 'sgd', got {name!r}")
