r"""Gradient-descent optimizers for :mod:`neuroworm.nn` (minimisation).

Each optimizer is a small object with ``step(parameters, gradients)``,
updating the parameter arrays in place; its state (moments, step count) is
created on the first step and keyed by position, so one optimizer serves one
network. :math:`\alpha` is the learning rate and :math:`g_t` the gradient.
"""

import numpy as np

from ..errors import ConfigError

__all__ = ["SGD", "Adam", "SignSGD", "make_optimizer"]


def _positive(name, value):
    if not value > 0:
        raise ConfigError(f"{name} must be > 0, got {value}")
    return float(value)


class SGD:
    r"""Stochastic gradient descent, optionally with heavy-ball momentum.

    .. math:: v_t = \mu v_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \alpha v_t
    """

    def __init__(self, learning_rate=0.01, momentum=0.0):
        self.learning_rate = _positive("learning_rate", learning_rate)
        if not 0 <= momentum < 1:
            raise ConfigError(f"momentum must be in [0, 1), got {momentum}")
        self.momentum = float(momentum)
        self.velocity = None

    def step(self, parameters, gradients):
        if self.momentum == 0:
            for p, g in zip(parameters, gradients, strict=True):
                p -= self.learning_rate * g
            return
        if self.velocity is None:
            self.velocity = [np.zeros_like(p) for p in parameters]
        for p, g, v in zip(parameters, gradients, self.velocity, strict=True):
            v *= self.momentum
            v += g
            p -= self.learning_rate * v


class SignSGD:
    r"""SignSGD (Bernstein et al. 2018): :math:`\theta_t = \theta_{t-1} - \alpha\,\operatorname{sign}(g_t)`.

    References
    ----------
    Bernstein, J., Wang, Y.-X., Azizzadenesheli, K. and Anandkumar, A.
    (2018). signSGD: compressed optimisation for non-convex problems. ICML.
    """

    def __init__(self, learning_rate=1e-3):
        self.learning_rate = _positive("learning_rate", learning_rate)

    def step(self, parameters, gradients):
        for p, g in zip(parameters, gradients, strict=True):
            p -= self.learning_rate * np.sign(g)


class Adam:
    r"""Adam (Kingma & Ba 2015, Algorithm 1).

    .. math:: m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
              v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
              \theta_t = \theta_{t-1} - \alpha \frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    References
    ----------
    Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic
    optimization. ICLR.
    """

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.learning_rate = _positive("learning_rate", learning_rate)
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= beta < 1:
                raise ConfigError(f"{name} must be in [0, 1), got {beta}")
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), _positive("epsilon", epsilon)
        self.steps = 0
        self.first = self.second = None

    def step(self, parameters, gradients):
        if self.first is None:
            self.first = [np.zeros_like(p) for p in parameters]
            self.second = [np.zeros_like(p) for p in parameters]
            self._buffer = [np.empty_like(p) for p in parameters]
        self.steps += 1
        scale = self.learning_rate * np.sqrt(1 - self.beta2**self.steps) / (1 - self.beta1**self.steps)
        epsilon = self.epsilon * np.sqrt(1 - self.beta2**self.steps)  # same as eps added to the corrected sqrt(v)
        for p, g, m, v, buffer in zip(parameters, gradients, self.first, self.second, self._buffer, strict=True):
            # in place, one scratch array per parameter: large masked layers make temporaries costly
            np.multiply(g, 1 - self.beta1, out=buffer)
            m *= self.beta1
            m += buffer
            np.multiply(g, g, out=buffer)
            buffer *= 1 - self.beta2
            v *= self.beta2
            v += buffer
            np.sqrt(v, out=buffer)
            buffer += epsilon
            np.divide(m, buffer, out=buffer)
            buffer *= scale
            p -= buffer


OPTIMIZERS = {"sgd": SGD, "signsgd": SignSGD, "adam": Adam}


def make_optimizer(name, **options):
    """An optimizer by name: ``"adam"``, ``"sgd"`` or ``"signsgd"`` (options go to its constructor)."""
    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[key](**options)
