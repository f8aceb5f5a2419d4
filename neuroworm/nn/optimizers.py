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
    r"""Adam (Kingma & Ba 2015, Algorithm 1): descent by default, ascent with ``maximize=True``.

    .. math:: m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
              v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
              \theta_t = \theta_{t-1} \mp \alpha \frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    with ``-`` (descent on a loss's gradient) by default and ``+`` (ascent
    on a fitness gradient, as the evolution strategies use it) when
    ``maximize`` is True. The one Adam of neuroworm, used two ways:

    :meth:`step` (``parameters``, ``gradients``: lists of arrays)
        updates the arrays in place, the protocol of the optimizers of
        :mod:`neuroworm.nn` (:func:`neuroworm.nn.fit`);
    :meth:`update` (one vector, its gradient, a learning rate per element)
        returns the new vector, the protocol of the optimizers of
        :class:`neuroworm.evolve.OpenAIES` (:mod:`neuroworm.evolve.optimizers`),
        whose genome groups have their own learning rates; with
        :meth:`config`, :meth:`state` and :meth:`load_state` for checkpoints.

    Parameters
    ----------
    learning_rate : float
        α (> 0); :meth:`update` may give its own.
    beta1, beta2 : float
        Decay of the moment estimates, in [0, 1) (0.9, 0.999).
    epsilon : float
        ε > 0 (1e-8).
    maximize : bool
        Step up the gradient instead of down.
    size : int, optional
        Allocate the moments of one vector of this size now (for
        :meth:`update`, so that :meth:`load_state` can check shapes).

    Raises
    ------
    ConfigError
        For a learning rate or ε ≤ 0, or a β outside [0, 1).

    References
    ----------
    Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic
    optimization. ICLR.

    Examples
    --------
    >>> theta = np.zeros(2)
    >>> Adam(0.1).step([theta], [np.array([1.0, -1.0])])        # descent: theta is now about [-0.1, 0.1]
    >>> Adam(maximize=True, size=2).update(np.zeros(2), np.array([1.0, -1.0]), 0.1)
    array([ 0.1, -0.1])
    """

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, *, maximize=False, size=None):
        self.learning_rate = _positive("learning_rate", learning_rate)
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= beta < 1:
                raise ConfigError(f"{name} must be in [0, 1), got {beta}")
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), _positive("epsilon", epsilon)
        self.maximize = bool(maximize)
        self.steps = 0
        self.first = self.second = None
        if size is not None:
            self._allocate([np.zeros(int(size))])

    def _allocate(self, parameters):
        self.first = [np.zeros_like(p, dtype=np.result_type(p, np.float32)) for p in parameters]
        self.second = [np.zeros_like(m) for m in self.first]
        self._buffers = [(np.empty_like(m), np.empty_like(m)) for m in self.first]

    def _steps(self, gradients, learning_rates):
        """Advance the moments by one step; yield each parameter's change ``α·m̂/(sqrt(v̂) + ε)``.

        The arithmetic is Algorithm 1's, in its order, in place: one scratch
        pair per parameter (large masked layers make temporaries costly).
        """
        self.steps += 1
        first_correction = 1 - self.beta1**self.steps
        second_correction = 1 - self.beta2**self.steps
        for g, m, v, (change, scratch), rate in zip(gradients, self.first, self.second, self._buffers,
                                                     learning_rates, strict=True):
            np.multiply(g, 1 - self.beta1, out=change)
            m *= self.beta1
            m += change                                  # m_t = β1 m + (1 - β1) g
            np.multiply(g, g, out=change)
            change *= 1 - self.beta2
            v *= self.beta2
            v += change                                  # v_t = β2 v + (1 - β2) g²
            np.divide(v, second_correction, out=scratch)
            np.sqrt(scratch, out=scratch)
            scratch += self.epsilon                      # sqrt(v̂) + ε
            np.divide(m, first_correction, out=change)   # m̂
            np.multiply(rate, change, out=change)        # α m̂
            change /= scratch
            yield change

    def step(self, parameters, gradients):
        """One step of every parameter array, in place (descent, or ascent if ``maximize``).

        Parameters
        ----------
        parameters, gradients : sequence of numpy.ndarray
            The arrays and their gradients, the same shapes, in the same
            order at every step.
        """
        if self.first is None:
            self._allocate(parameters)
        rates = [self.learning_rate] * len(self.first)
        for p, change in zip(parameters, self._steps(gradients, rates), strict=True):
            if self.maximize:
                p += change
            else:
                p -= change

    def update(self, parameters, gradient, learning_rate=None):
        """One step of one parameter vector; return the new vector (the input is not changed).

        Parameters
        ----------
        parameters, gradient : numpy.ndarray, shape (n,)
        learning_rate : float or numpy.ndarray of shape (n,), optional
            α, per element if an array (default: the optimizer's).

        Returns
        -------
        numpy.ndarray, shape (n,)
            ``parameters ± α m̂/(sqrt(v̂) + ε)``.
        """
        parameters = np.asarray(parameters, dtype=np.float64)
        if self.first is None:
            self._allocate([parameters])
        rate = self.learning_rate if learning_rate is None else learning_rate
        (change,) = self._steps([np.asarray(gradient, dtype=np.float64)], [rate])
        return parameters + change if self.maximize else parameters - change

    def config(self):
        """JSON-able hyperparameters (part of an evolution run's fingerprint)."""
        return {"optimizer": "adam", "beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}

    def state(self):
        """Mutable state of a one-vector optimizer (:meth:`update`), for a checkpoint: (fields, arrays)."""
        return {"steps": self.steps}, {"first_moment": self.first[0].copy(), "second_moment": self.second[0].copy()}

    def load_state(self, section):
        """Restore :meth:`state` from a checkpoint section (validated against the vector's size)."""
        if self.first is None:
            raise ConfigError("Adam.load_state needs the moments' size: make the optimizer with size=")
        shape = self.first[0].shape
        self.steps = section.integer("steps", minimum=0)
        first = section.array("first_moment", shape=shape, finite=True).astype(np.float64)
        second = section.array("second_moment", shape=shape, finite=True)
        if np.any(second < 0):
            section.invalid("second_moment", "non-negative", "negative values")
        self._allocate([first])
        self.first[0][...] = first
        self.second[0][...] = second


OPTIMIZERS = {"sgd": SGD, "signsgd": SignSGD, "adam": Adam}


def make_optimizer(name, **options):
    """An optimizer by name: ``"adam"``, ``"sgd"`` or ``"signsgd"`` (options go to its constructor)."""
    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {name!r}; known: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[key](**options)
