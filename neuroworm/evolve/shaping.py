"""Fitness shaping: turn raw fitness values into weights for a gradient estimate.

Evolution strategies estimate a search gradient as a weighted sum of the
perturbations that produced each offspring.  Using ranks instead of raw
fitness values makes the estimate invariant to monotone transformations of
the fitness and robust to outliers (Salimans et al. 2017, §2.2; Wierstra et
al. 2014).  Failed evaluations (NaN or ``-inf``) rank below everything.

References
----------
.. [1] T. Salimans, J. Ho, X. Chen, S. Sidor, I. Sutskever (2017). Evolution
   strategies as a scalable alternative to reinforcement learning.
   arXiv:1703.03864.
.. [2] D. Wierstra et al. (2014). Natural evolution strategies. JMLR 15.
.. [3] B. Bertens, S.-W. Lee (2019). Network of evolvable neural units:
   evolving to learn at a synaptic level. arXiv:1912.07589, §4.1.
"""

import numpy as np

__all__ = ["SHAPINGS", "centered_ranks", "rank_power_weights", "ranks"]


def ranks(fitness):
    """Ranks 0 (worst) to P-1 (best); ties keep population order.

    Parameters
    ----------
    fitness : array_like, shape (P,)
        NaN counts as the worst value.

    Returns
    -------
    numpy.ndarray of float64, shape (P,)
    """
    fitness = np.array(fitness, dtype=np.float64)
    fitness[np.isnan(fitness)] = -np.inf
    order = np.argsort(fitness, kind="stable")
    result = np.empty(fitness.size, dtype=np.float64)
    result[order] = np.arange(fitness.size)
    return result


def centered_ranks(fitness):
    r"""Centered-rank utilities of Salimans et al. (2017).

    .. math:: u_i = \frac{\operatorname{rank}(F_i)}{P - 1} - \frac12
              \in [-\tfrac12, \tfrac12], \qquad \sum_i u_i = 0

    Parameters
    ----------
    fitness : array_like, shape (P,), P >= 2

    Returns
    -------
    numpy.ndarray, shape (P,)
    """
    rank = ranks(fitness)
    return rank / (rank.size - 1) - 0.5


def rank_power_weights(fitness, power=5.0):
    r"""Rank-power utilities of Bertens & Lee (2019), §4.1.

    .. math:: u_i = \frac{r_i^{\,k}}{\sum_j r_j^{\,k}}, \qquad
              r_i = \frac{\operatorname{rank}(F_i)}{P - 1} \in [0, 1]

    with :math:`k = 5` in the paper, so that roughly the best 20 % of the
    offspring carry 80 % of the weight (exactly :math:`1 - 0.8^{6} \approx
    74\,\%` for a large population).  The weights are positive and sum to 1.

    Parameters
    ----------
    fitness : array_like, shape (P,), P >= 2
    power : float
        The exponent :math:`k`.

    Returns
    -------
    numpy.ndarray, shape (P,)
    """
    rank = ranks(fitness) / (len(fitness) - 1)
    weights = rank**power
    return weights / weights.sum()


#: Shaping functions by name (the ``shaping`` argument of
#: :class:`~neuroworm.evolve.openai_es.OpenAIES`).
SHAPINGS = {"centered_rank": centered_ranks, "rank_power": rank_power_weights}
