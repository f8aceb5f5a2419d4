"""Mimic tasks for a single ENU: an integrate-and-fire neuron and gated STDP.

Bertens & Lee (2019, §4.4) first evolve one Evolvable Neural Unit to copy
two textbook models from their input-output behaviour alone:

* **integrate-and-fire** (eq. 2): random uniform graded input, a spike when
  the summed input reaches a threshold; the fitness compares inter-spike
  intervals (ISIs) and pulls spike heights to 1 (:func:`iaf_fitness`);
* **neuromodulated STDP** (eq. 3): four input channels (graded potential,
  presynaptic spike, neuromodulator, back-propagating postsynaptic spike)
  and one output, the graded input times a weight that follows STDP only
  while the neuromodulator is present (:func:`gated_stdp`); the fitness is
  minus the mean squared error.

Each task draws a mini-batch of B random environments of T steps as arrays,
and its target as arrays; nothing loops over environments.  Time is in steps
(dt = 1).

References
----------
.. [1] P. Bertens, S.-W. Lee (2019). Network of evolvable neural units:
   evolving to learn at a synaptic level. arXiv:1912.07589, eqs. (2)-(3),
   Figs. 5-7.
.. [2] L. F. Abbott (1999). Lapicque's introduction of the integrate-and-fire
   model neuron (1907). Brain Res. Bull. 50:303.
.. [3] V. Pawlak, J. R. Wickens, A. Kirkwood, J. N. D. Kerr (2010). Timing is
   not everything: neuromodulation opens the STDP gate. Front. Synaptic
   Neurosci. 2:146.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..seeding import make_rng
from ..validation import check_positive_int

__all__ = [
    "IAFEpisodes",
    "STDPEpisodes",
    "gated_stdp",
    "iaf_episodes",
    "iaf_fitness",
    "integrate_and_fire",
    "padded_spike_times",
    "spike_match_score",
    "stdp_curve",
    "stdp_episodes",
    "stdp_fitness",
]


def integrate_and_fire(inputs, threshold=1.0):
    r"""Spikes of the simplest integrate-and-fire neuron (Bertens & Lee 2019, eq. 2).

    .. math::
        h_t = h_{t-1} + x_t; \qquad
        s_t = [h_t \ge \theta]; \qquad
        h_t \leftarrow 0 \text{ if } s_t

    starting from :math:`h_0 = 0`.

    Parameters
    ----------
    inputs : array_like, shape (..., T)
        Graded input potentials :math:`x_t`.
    threshold : float
        :math:`\theta > 0`.

    Returns
    -------
    spikes : numpy.ndarray of float64, shape (..., T)
        1 at spike steps, else 0.
    potential : numpy.ndarray, shape (..., T)
        Membrane potential after each step (after the reset).
    """
    if not threshold > 0:
        raise ConfigError(f"threshold must be > 0, got {threshold}")
    inputs = np.asarray(inputs, dtype=np.float64)
    spikes = np.zeros_like(inputs)
    potential = np.zeros_like(inputs)
    h = np.zeros(inputs.shape[:-1])
    for t in range(inputs.shape[-1]):
        h = h + inputs[..., t]
        fired = h >= threshold
        spikes[..., t] = fired
        h = np.where(fired, 0.0, h)
        potential[..., t] = h
    return spikes, potential


@dataclass(frozen=True)
class IAFEpisodes:
    """A mini-batch of integrate-and-fire episodes.

    Attributes
    ----------
    inputs : numpy.ndarray, shape (B, T, 1)
        The ENU's input channel: the graded potential.
    target : numpy.ndarray, shape (B, T)
        The IAF neuron's spikes (0/1).
    rate : numpy.ndarray, shape (B,)
        Each episode's input scale (faster or slower spiking).
    """

    inputs: np.ndarray
    target: np.ndarray
    rate: np.ndarray


def iaf_episodes(n_environments, steps=100, *, threshold=1.0, rate_range=(0.1, 0.5), seed=None):
    r"""Random graded input and the IAF neuron's response (Fig. 5, left).

    Episode ``b`` draws a scale :math:`a_b \sim U(\text{rate\_range})` and
    inputs :math:`x_{b,t} = a_b u_{b,t}`, :math:`u \sim U(0, 1)`: with
    threshold 1 the neuron fires every :math:`\approx 2/a_b` steps (4 to 20).

    Returns
    -------
    IAFEpisodes
    """
    n_environments = check_positive_int("n_environments", n_environments)
    steps = check_positive_int("steps", steps)
    low, high = rate_range
    if not 0 <= low <= high:
        raise ConfigError(f"rate_range must be (low, high) with 0 <= low <= high, got {rate_range}")
    rng = make_rng(seed)
    rate = rng.uniform(low, high, n_environments)
    inputs = rate[:, None] * rng.random((n_environments, steps))
    target, _ = integrate_and_fire(inputs, threshold)
    return IAFEpisodes(inputs=inputs[..., None], target=target, rate=rate)


def padded_spike_times(spikes):
    """Spike steps of each row, in order, padded with T.

    Parameters
    ----------
    spikes : array_like of bool, shape (..., T)

    Returns
    -------
    numpy.ndarray of int, shape (..., T)
    """
    spikes = np.asarray(spikes, dtype=bool)
    steps = spikes.shape[-1]
    return np.sort(np.where(spikes, np.arange(steps), steps), axis=-1)


def iaf_fitness(output, target, *, spike_level=0.5, height_weight=1.0):
    r"""Fitness of an ENU output against IAF spikes: ISIs and spike heights.

    Spikes of the ENU are the steps with output :math:`o_t \ge` ``spike_level``.
    With :math:`t_1 < t_2 < \dots` the spike steps padded with :math:`T`, and
    intervals :math:`\Delta_k = t_k - t_{k-1}` (:math:`t_0 = 0`), the ISI
    error is

    .. math:: E_\text{ISI} = \frac{1}{T} \sum_k |\Delta^\text{ENU}_k - \Delta^\text{IAF}_k|

    (the paper optimises ISIs rather than a squared error, so that moving a
    spike closer improves the fitness gradually), and the height error
    (the paper's "term that requires each spike to be as close as 1 as
    possible"; the second part, quiet between spikes, is ours)

    .. math:: E_h = \overline{(1 - o_t)^2}_{\text{ENU spikes}}
                    + \overline{o_t^2}_{\text{other steps}}.

    Fitness is :math:`-(E_\text{ISI} + w_h E_h)`, one value per episode.

    Parameters
    ----------
    output : array_like, shape (..., T)
        ENU output channel.
    target : array_like, shape (..., T)
        IAF spikes (0/1).
    spike_level : float
        Output level counted as a spike.
    height_weight : float
        :math:`w_h`.

    Returns
    -------
    numpy.ndarray, shape (...)
    """
    output = np.asarray(output, dtype=np.float64)
    target = np.asarray(target)
    if output.shape != target.shape:
        raise ConfigError(f"output and target must have the same shape, got {output.shape} and {target.shape}")
    steps = output.shape[-1]
    fired = output >= spike_level
    times_enu = padded_spike_times(fired)
    times_iaf = padded_spike_times(target > 0.5)
    intervals_enu = np.diff(times_enu, axis=-1, prepend=0)
    intervals_iaf = np.diff(times_iaf, axis=-1, prepend=0)
    isi_error = np.abs(intervals_enu - intervals_iaf).sum(axis=-1) / steps
    n_fired = fired.sum(axis=-1)
    n_quiet = steps - n_fired
    peak = np.where(fired, (1.0 - output) ** 2, 0.0).sum(axis=-1) / np.maximum(n_fired, 1)
    quiet = np.where(fired, 0.0, output**2).sum(axis=-1) / np.maximum(n_quiet, 1)
    return -(isi_error + height_weight * (peak + quiet))


def spike_match_score(output, target, *, spike_level=0.5, tolerance=1):
    """F1 score of ENU spikes against IAF spikes, within ``tolerance`` steps.

    A target spike counts as found if the ENU spikes within ``tolerance``
    steps of it; an ENU spike counts as correct if a target spike lies
    within ``tolerance`` steps.  Returns ``2·P·R/(P + R)`` per episode (1 when
    neither spikes).

    Returns
    -------
    numpy.ndarray, shape (...)
    """
    fired = np.asarray(output) >= spike_level
    target = np.asarray(target) > 0.5

    def widen(spikes):
        wide = spikes.copy()
        for shift in range(1, tolerance + 1):
            wide[..., shift:] |= spikes[..., :-shift]
            wide[..., :-shift] |= spikes[..., shift:]
        return wide

    n_fired, n_target = fired.sum(axis=-1), target.sum(axis=-1)
    precision = np.where(n_fired > 0, (fired & widen(target)).sum(axis=-1) / np.maximum(n_fired, 1), 1.0)
    recall = np.where(n_target > 0, (target & widen(fired)).sum(axis=-1) / np.maximum(n_target, 1), 1.0)
    return np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)


def gated_stdp(pre, post, gate, *, amplitude_plus=0.4, amplitude_minus=0.4, tau_plus=10.0, tau_minus=10.0,
               w_initial=0.5, w_min=0.0, w_max=1.0):
    r"""Weight of a synapse under STDP gated by a neuromodulator (eq. 3, Fig. 5 right).

    Pair-based, all-to-all STDP with one trace per side, in the order of
    :class:`neuroworm.neurons.STDP`, each step :math:`t`:

    .. math::
        x^\pm &\leftarrow e^{-1/\tau_\pm} x^\pm \\
        w &\leftarrow \operatorname{clip}(w - g_t A_- x^-\, s^\text{pre}_t, w_\min, w_\max) \\
        w &\leftarrow \operatorname{clip}(w + g_t A_+ x^+\, s^\text{post}_t, w_\min, w_\max) \\
        x^+ &\leftarrow x^+ + s^\text{pre}_t, \qquad x^- \leftarrow x^- + s^\text{post}_t

    with :math:`g_t \in [0, 1]` the neuromodulator ("gate"): the weight moves
    only while the modulator is present (Pawlak et al. 2010; Bertens & Lee
    2019, §4.4).  For one pair with :math:`\Delta t = t_\text{post} -
    t_\text{pre}` and the gate open this gives eq. (3),
    :math:`\Delta w = A_+ e^{-\Delta t/\tau_+}` for :math:`\Delta t > 0` and
    :math:`-A_- e^{\Delta t/\tau_-}` for :math:`\Delta t < 0` (see
    :func:`stdp_curve`); pairs in the same step do not interact.

    This is the one definition of gated STDP in neuroworm: the pathway
    updates and the decays are those of
    :class:`neuroworm.neurons.GatedSTDP` (``stdp="gated_stdp"`` in the
    spiking networks), applied here to spike trains; this is the mimic
    task's target.

    Parameters
    ----------
    pre, post : array_like, shape (..., T)
        Pre- and postsynaptic spikes (0/1).
    gate : array_like, broadcastable to (..., T)
        Neuromodulator present (1) or not (0); values in between scale the
        update.
    amplitude_plus, amplitude_minus : float
        :math:`A_\pm \ge 0`.
    tau_plus, tau_minus : float
        Time constants in steps.
    w_initial, w_min, w_max : float
        Starting weight and bounds.

    Returns
    -------
    numpy.ndarray, shape (..., T)
        The weight after each step's update.
    """
    from ..neurons.plasticity import GatedSTDP

    if not (tau_plus > 0 and tau_minus > 0):
        raise ConfigError(f"gated_stdp needs time constants > 0, got {tau_plus}, {tau_minus}")
    if not w_min <= w_initial <= w_max:
        raise ConfigError(f"need w_min <= w_initial <= w_max, got {w_min}, {w_initial}, {w_max}")
    rule = GatedSTDP(A_plus=amplitude_plus, A_minus=amplitude_minus, tau_plus_ms=tau_plus, tau_minus_ms=tau_minus,
                     w_min=w_min, w_max=w_max)
    constants = rule.constants(1.0)  # one step = 1 ms
    pre = np.asarray(pre, dtype=np.float64)
    post = np.asarray(post, dtype=np.float64)
    if pre.shape != post.shape:
        raise ConfigError(f"pre and post spikes must have the same shape, got {pre.shape} and {post.shape}")
    shape, steps = pre.shape, pre.shape[-1]
    gate = np.broadcast_to(np.asarray(gate, dtype=np.float64), shape).reshape(-1, steps)
    pre, post = pre.reshape(-1, steps), post.reshape(-1, steps)
    synapses = {"w": np.full(pre.shape[0], float(w_initial)), "sign": np.ones(pre.shape[0])}
    trace_plus, trace_minus = np.zeros(pre.shape[0]), np.zeros(pre.shape[0])
    weights = np.empty_like(pre)
    for t in range(steps):
        trace_plus *= constants["gamma_plus"]
        trace_minus *= constants["gamma_minus"]
        index = np.flatnonzero(pre[:, t])
        rule.numpy_on_pre(synapses, index, trace_minus[index] * pre[index, t], gate[index, t], constants)
        index = np.flatnonzero(post[:, t])
        rule.numpy_on_post(synapses, index, trace_plus[index] * post[index, t], gate[index, t], constants)
        trace_plus += pre[:, t]
        trace_minus += post[:, t]
        weights[:, t] = synapses["w"]
    return weights.reshape(shape)


def stdp_curve(delta_t, *, amplitude_plus=0.4, amplitude_minus=0.4, tau_plus=10.0, tau_minus=10.0):
    r"""The STDP window of eq. (3): :math:`A_+ e^{-\Delta t/\tau_+}` for
    :math:`\Delta t > 0`, :math:`-A_- e^{\Delta t/\tau_-}` for :math:`\Delta t < 0`, 0 at 0."""
    delta_t = np.asarray(delta_t, dtype=np.float64)
    return np.where(delta_t > 0, amplitude_plus * np.exp(-np.abs(delta_t) / tau_plus),
                    np.where(delta_t < 0, -amplitude_minus * np.exp(-np.abs(delta_t) / tau_minus), 0.0))


@dataclass(frozen=True)
class STDPEpisodes:
    """A mini-batch of gated-STDP episodes.

    Attributes
    ----------
    inputs : numpy.ndarray, shape (B, T, 4)
        Channels: graded potential, presynaptic spike, neuromodulator,
        back-propagating postsynaptic spike.
    target : numpy.ndarray, shape (B, T)
        Graded potential times the gated-STDP weight.
    weight : numpy.ndarray, shape (B, T)
        The target weight.
    delta_t : numpy.ndarray of int, shape (B,)
        :math:`t_\\text{post} - t_\\text{pre}`.
    modulated : numpy.ndarray of bool, shape (B,)
        Whether the neuromodulator is present in the episode.
    """

    inputs: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    delta_t: np.ndarray
    modulated: np.ndarray


def stdp_episodes(n_environments, steps=100, *, max_delay=25, modulated_fraction=0.5, seed=None, **rule):
    r"""Random episodes of one pre/post spike pair and their gated-STDP target.

    Each episode: graded input :math:`u_t \sim U(0, 1)`; a first spike at a
    step uniform in ``[10, steps/2)``; the other spike
    :math:`|\Delta t| \in [1, \text{max\_delay}]` steps later, pre or post
    first with equal chance; the neuromodulator present for the whole episode
    with probability ``modulated_fraction``.  Target :math:`y_t = w_t u_t`
    with :math:`w_t` from :func:`gated_stdp` (``**rule`` are its keywords).

    Returns
    -------
    STDPEpisodes
    """
    n_environments = check_positive_int("n_environments", n_environments)
    steps = check_positive_int("steps", steps)
    max_delay = check_positive_int("max_delay", max_delay)
    if steps < 2 * (10 + max_delay):
        raise ConfigError(f"steps={steps} is too short for max_delay={max_delay}; need >= {2 * (10 + max_delay)}")
    rng = make_rng(seed)
    rows = np.arange(n_environments)
    first = rng.integers(10, steps // 2, n_environments)
    delay = rng.integers(1, max_delay + 1, n_environments)
    pre_first = rng.random(n_environments) < 0.5
    t_pre = np.where(pre_first, first, first + delay)
    t_post = np.where(pre_first, first + delay, first)
    modulated = rng.random(n_environments) < modulated_fraction
    graded = rng.random((n_environments, steps))
    pre = np.zeros((n_environments, steps))
    post = np.zeros((n_environments, steps))
    pre[rows, t_pre] = 1.0
    post[rows, t_post] = 1.0
    gate = np.repeat(modulated[:, None].astype(np.float64), steps, axis=1)
    weight = gated_stdp(pre, post, gate, **rule)
    inputs = np.stack([graded, pre, gate, post], axis=-1)
    return STDPEpisodes(inputs=inputs, target=weight * graded, weight=weight, delta_t=t_post - t_pre,
                        modulated=modulated)


def stdp_fitness(output, target):
    """Minus the mean squared error over the episode, one value per episode."""
    output = np.asarray(output, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if output.shape != target.shape:
        raise ConfigError(f"output and target must have the same shape, got {output.shape} and {target.shape}")
    return -np.mean((output - target) ** 2, axis=-1)
