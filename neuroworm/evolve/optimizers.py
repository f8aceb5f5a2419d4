"""First-order optimizers that follow an estimated search gradient (ascent).

Evolution strategies produce a gradient estimate :math:`g_t` of the expected
fitness; these optimizers turn it into a parameter step.  Both take a
per-parameter learning rate vector, so each genome group can have its own
rate (Schmidgall et al. 2023, A.3.2).  Each is a small picklable object
whose arrays are its whole state.

References
----------
.. [1] D. P. Kingma, J. Ba (2015). Adam: a method for stochastic
   optimization. ICLR.  (Used by Salimans et al. 2017.)
.. [2] B. T. Polyak (1964). Some methods of speeding up the convergence of
   iteration methods.  (Momentum 0.9 in Bertens & Lee 2019, §4.1.)
"""

import numpy as np

from ..errors import ConfigError

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

    def step(self, parameters, gradient, learning_rate):
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


class Adam:
    r"""Adam, as an ascent step.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
        \theta_{t+1} = \theta_t + \alpha_t \odot
        \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}

    Parameters
    ----------
    size : int
        Number of parameters.
    beta1, beta2, epsilon : float
        Kingma & Ba's defaults 0.9, 0.999, 1e-8.
    """

    def __init__(self, size, beta1=0.9, beta2=0.999, epsilon=1e-8):
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1 and epsilon > 0):
            raise ConfigError(f"Adam needs beta1, beta2 in [0, 1) and epsilon > 0, got {beta1}, {beta2}, {epsilon}")
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), float(epsilon)
        self.first_moment = np.zeros(size)
        self.second_moment = np.zeros(size)
        self.steps = 0

    def step(self, parameters, gradient, learning_rate):
        """Return the updated parameters (a new array).

        Parameters
        ----------
        parameters, gradient : numpy.ndarray, shape (n,)
        learning_rate : float or numpy.ndarray, shape (n,)
        """
        self.steps += 1
        self.first_moment = self.beta1 * self.first_moment + (1 - self.beta1) * gradient
        self.second_moment = self.beta2 * self.second_moment + (1 - self.beta2) * gradient**2
        first = self.first_moment / (1 - self.beta1**self.steps)
        second = self.second_moment / (1 - self.beta2**self.steps)
        return parameters + learning_rate * first / (np.sqrt(second) + self.epsilon)

    def config(self):
        """JSON-able hyperparameters."""
        return {"optimizer": "adam", "beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}

    def state(self):
        """Mutable state for a checkpoint: (fields, arrays)."""
        return {"steps": self.steps}, {"first_moment": self.first_moment, "second_moment": self.second_moment}

    def load_state(self, section):
        """Restore :meth:`state` from a checkpoint section (validated)."""
        shape = self.first_moment.shape
        self.steps = section.integer("steps", minimum=0)
        self.first_moment = section.array("first_moment", shape=shape, finite=True).astype(np.float64)
        second = section.array("second_moment", shape=shape, finite=True)
        if np.any(second < 0):
            section.invalid("second_moment", "non-negative", "negative values")
        self.second_moment = second.astype(np.float64)


def make_optimizer(name, size, *, momentum=0.9):
    """Build an optimizer by name: ``"adam"`` or ``"sgd"`` (with momentum).

    Raises
    ------
    ConfigError
        For any other name.
    """
    if name == "adam":
        return Adam(size)
    if name == "sgd":
        return MomentumSGD(size, momentum=momentum)
    raise ConfigError(f"optimizer must be 'adam' or 'sgd', got {name!r}")
