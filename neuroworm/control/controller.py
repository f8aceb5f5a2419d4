"""Controllers: how observations become input currents and spikes become actions.

A closed loop couples P copies of a circuit to P environments. Once per
environment step, the :class:`Controller` of the population

1. **encodes** each individual's observation ``o`` (n_observations,) into the
   external current of its input cells (the ventral-cord motor neurons of the
   locomotion circuit, as in Schmidgall et al. 2023, A.2)::

       I = input_gain · tanh(o · W_enc)                 W_enc: (n_observations, n_inputs)

   The current is held for the K neural steps of the environment step;
2. after those K steps, **decodes** the spikes of the output cells (the
   body-wall muscles) into an action inside the action bounds ``[low, high]``::

       r = c / K                                        c: spike counts of the window, (n_outputs,)
       a = centre + half_range · tanh(r · W_dec)        W_dec: (n_outputs, n_actions)

   with ``centre = (low + high) / 2`` and ``half_range = (high - low) / 2``
   (for the MuJoCo bodies, ``[-1, 1]``: ``a = tanh(r · W_dec)``).

``W_enc`` and ``W_dec`` are the genome's ``encoder`` and ``decoder`` slices
(:class:`neuroworm.genome.GenomeLayout`), one pair per individual. Reading
rates (counts / K) rather than counts keeps a decoder's meaning when K
changes. The tanh of the encoder bounds the current to ``±input_gain``; at
the default gain 1 and the models' ``input_scale``, a fully driven LIF/ALIF
cell reaches its threshold (1.0) in one step and an Izhikevich cell gets
20 mV/ms, so the encoder's weights alone decide how strongly each cell is
driven.

Both products are batched over the population as a stack of row-vector
times matrix products (``numpy.matmul`` of ``(P, 1, n)`` by ``(P, n, m)``),
which computes each individual's product on its own, with the same kernel
whatever the population size, so evaluating P genomes together gives bit for
bit what evaluating each alone gives (a test checks it). It is about 1.5–4×
faster than the equivalent ``numpy.einsum`` at P = 750.

The controller knows nothing about the simulator: the Brian2 closed loop and
every backend's loop (:mod:`neuroworm.control.rollout`) call the same
:meth:`Controller.encode` and :meth:`Controller.decode`.

References
----------
Schmidgall, S., Schuman, C. & Parsa, M. (2023). Biological connectomes as a
representation for the architecture of artificial neural networks.
Appendix A.2 (the locomotion task: motor neurons in, muscles out).
"""

import math

import numpy as np

from ..errors import ConfigError, GenomeError, TaskError
from ..neurons.models import ModelTable, model_class
from ..validation import check_positive_int

__all__ = ["DEFAULT_NEURAL_STEPS_PER_ENV_STEP", "Controller", "check_neural_steps", "default_neural_steps"]

DEFAULT_NEURAL_STEPS_PER_ENV_STEP = ModelTable("neural_steps_per_env_step", spiking=True)
"""Neural steps K per environment step, by spiking neuron model (this package's choice).

A read-only view of each registered model's ``neural_steps_per_env_step``
(:mod:`neuroworm.neurons.models`). At the papers' ``dt = 1 ms``, K = 4
gives (LIF, ALIF) a window of 4 steps in which an output cell can fire up
to 4 times, so the decoder reads rates in {0, 1/4, ..., 1}; the Izhikevich
cell needs a few milliseconds to depolarise from rest to its peak, hence a
longer window of 10 steps. The paper does not give K; the MuJoCo Swimmer's
environment step is 40 ms of simulated physics.
"""


def default_neural_steps(model):
    """The default K of a neuron model (its ``neural_steps_per_env_step``).

    Parameters
    ----------
    model : str or NeuronModel
        A registered model: spiking ones have the K of
        :data:`DEFAULT_NEURAL_STEPS_PER_ENV_STEP`; a rate network such as
        ``"relu"``, read once per environment step, has K = 1.

    Returns
    -------
    int

    Raises
    ------
    ConfigError
        For a name no model is registered under.
    """
    return model_class(model).neural_steps_per_env_step


MAX_NEURAL_STEPS = 10_000
"""Largest K accepted: the papers use 4-10; 10,000 neural steps per environment step is already a 4 µs step."""


def check_neural_steps(neural_steps_per_env_step):
    """``neural_steps_per_env_step`` as an int in [1, :data:`MAX_NEURAL_STEPS`], or raise :class:`ConfigError`.

    The upper bound turns a mistyped K (``2**40``) into an error instead of
    a run that would not end.
    """
    steps = check_positive_int("neural_steps_per_env_step", neural_steps_per_env_step)
    if steps > MAX_NEURAL_STEPS:
        raise ConfigError(f"neural_steps_per_env_step must be at most {MAX_NEURAL_STEPS:,} (the papers use 4-10), "
                          f"got {steps:,}")
    return steps


class Controller:
    """Encoder and decoder of a population, for one environment's spaces.

    Parameters
    ----------
    layout : GenomeLayout
        Gives the ``encoder`` (n_observations, n_inputs) and ``decoder``
        (n_outputs, n_actions) slices of a genome.
    action_low, action_high : array_like, shape (n_actions,)
        Bounds of one environment's actions (``single_action_space``).
    neural_steps_per_env_step : int
        K, the length of the decoder's window in neural steps.
    input_gain : float
        Factor on the encoder's tanh (default 1).

    Raises
    ------
    TaskError
        If the layout's encoder or decoder does not fit the bounds given (the
        environment's action space), a bound is not finite, or ``low >= high``.
    ConfigError
        If K is not an integer ≥ 1 or the gain is not finite.

    Examples
    --------
    >>> layout = GenomeLayout(circuit, "alif", n_observations=8, n_actions=2)
    >>> controller = Controller(layout, [-1, -1], [1, 1], neural_steps_per_env_step=4)
    >>> controller.load(layout.random(3, seed=0))
    >>> currents = controller.encode(observations)      # (3, n_inputs)
    >>> actions = controller.decode(spike_counts)       # (3, 2) in [-1, 1]
    """

    def __init__(self, layout, action_low, action_high, neural_steps_per_env_step, input_gain=1.0):
        self.layout = layout
        self.neural_steps_per_env_step = check_neural_steps(neural_steps_per_env_step)
        if not (isinstance(input_gain, (int, float, np.floating)) and math.isfinite(input_gain)):
            raise ConfigError(f"input_gain must be a finite number, got {input_gain!r}")
        self.input_gain = float(input_gain)
        low = np.asarray(action_low, dtype=np.float64).ravel()
        high = np.asarray(action_high, dtype=np.float64).ravel()
        if low.shape != (layout.n_actions,) or high.shape != (layout.n_actions,):
            raise TaskError(
                f"the genome's decoder gives {layout.n_actions} actions, but the action space has "
                f"{low.size} (decoder slice: n_outputs x n_actions = "
                f"{layout.n_outputs} x {layout.n_actions})"
            )
        if not (np.isfinite(low).all() and np.isfinite(high).all()):
            raise TaskError(f"action bounds must be finite for a tanh decoder; got low={low}, high={high}")
        if not (low < high).all():
            raise TaskError(f"action bounds must satisfy low < high; got low={low}, high={high}")
        if layout.n_observations == 0 or layout.n_inputs == 0:
            raise TaskError("the encoder is empty: the layout has no observations or the circuit no input cells")
        if layout.n_outputs == 0:
            raise TaskError("the circuit has no output cells for the decoder to read")
        self.action_low, self.action_high = low, high
        self._centre = (low + high) / 2.0
        self._half_range = (high - low) / 2.0
        self._encoder = None
        self._decoder = None

    def __repr__(self):
        return (f"<Controller {self.layout.n_observations} observations -> {self.layout.n_inputs} inputs, "
                f"{self.layout.n_outputs} outputs -> {self.layout.n_actions} actions, "
                f"K={self.neural_steps_per_env_step}>")

    @property
    def n_individuals(self):
        """Population size P of the genomes loaded (0 before :meth:`load`)."""
        return 0 if self._encoder is None else self._encoder.shape[0]

    def load(self, genomes, *, validated=False):
        """Take the encoder and decoder of each individual from its genome.

        Parameters
        ----------
        genomes : array_like, shape (P, D) or (D,)
        validated : bool
            The caller checked ``genomes`` already (:meth:`GenomeLayout.validate`).

        Raises
        ------
        GenomeError
            If a genome has the wrong length or a NaN/infinite value.
        """
        genomes = np.asarray(genomes, dtype=np.float64) if validated else self.layout.validate(genomes)
        if genomes.ndim == 1:
            genomes = genomes[None, :]
        decoded = self.layout.decode(genomes, validated=True)
        self._encoder = np.ascontiguousarray(decoded["encoder"], dtype=np.float64)
        self._decoder = np.ascontiguousarray(decoded["decoder"], dtype=np.float64)

    def _check_rows(self, array, width, what):
        array = np.asarray(array, dtype=np.float64)
        if self._encoder is None:
            raise GenomeError("no genomes loaded: call Controller.load(genomes) first")
        expected = (self.n_individuals, width)
        if array.shape != expected:
            raise TaskError(f"{what} must have shape {expected} (P, {width}), got {array.shape}")
        return array

    def encode(self, observations):
        """Input currents of the input cells: ``input_gain · tanh(o · W_enc)``.

        Parameters
        ----------
        observations : array_like, shape (P, n_observations)

        Returns
        -------
        numpy.ndarray, shape (P, n_inputs)
            NaN where an observation is NaN (the caller fails that individual).
        """
        observations = self._check_rows(observations, self.layout.n_observations, "observations")
        with np.errstate(over="ignore", invalid="ignore"):
            drive = np.matmul(observations[:, None, :], self._encoder)[:, 0, :]
            return self.input_gain * np.tanh(drive)

    def decode(self, spike_counts):
        """Actions from the output cells' spike counts over the last K neural steps.

        Parameters
        ----------
        spike_counts : array_like, shape (P, n_outputs)
            Spikes of each output cell in the window (0..K).

        Returns
        -------
        numpy.ndarray of float64, shape (P, n_actions)
            ``centre + half_range · tanh((c / K) · W_dec)``, inside the
            bounds. With finite weights every product is finite (rates are
            at most 1) and a sum that overflows is ``±inf``, which the tanh
            maps onto a bound: actions are always finite.
        """
        counts = self._check_rows(spike_counts, self.layout.n_outputs, "spike_counts")
        rates = counts / self.neural_steps_per_env_step
        with np.errstate(over="ignore", invalid="ignore"):
            drive = np.matmul(rates[:, None, :], self._decoder)[:, 0, :]
            return self._centre + self._half_range * np.tanh(drive)
