"""Neural Net Evolution as an evolution strategy: allele frequencies under weak selection.

Gorantla et al. (Sec. 2, 3.1).  The search distribution is a vector of allele
frequencies :math:`p \\in [0, 1]^n`; a generation samples ``N`` genotypes
:math:`x \\in \\{0, 1\\}^n` with :math:`x(i) = 1` independently with
probability :math:`p(i)`, scores each (a fitness ``δ_x``, higher is better),
and moves every frequency by the population-genetics update for weak
selection, eq. (3):

.. math::

    p^{t+1}(i) = \\frac{p^t(i)\\,(1 + \\epsilon f^t(i))}
                      {1 + \\epsilon \\bar f^t(i) + \\epsilon p^t(i)\\,(f^t(i) - \\bar f^t(i))},

with the rewards of allele 1 and allele 0 of gene ``i`` estimated from the
population (Sec. 3.1):

.. math::

    f^t(i) = \\frac{\\sum_x \\delta_x x(i)}{\\sum_x x(i)}, \\qquad
    \\bar f^t(i) = \\frac{\\sum_x \\delta_x (1 - x(i))}{\\sum_x (1 - x(i))}.

By Lemma 1, :math:`f^t(i) - \\bar f^t(i) = -\\partial \\mathcal{L}/\\partial p(i)`
for the expected loss, so the update follows the gradient "in evolutionary
time".  :class:`NNE` has DEAP's ``generate``/``update`` shape, so
:func:`neuroworm.evolve.run` drives it (seeded, checkpointed, resumable).
"""

import numpy as np

from ..errors import ConfigError
from ..validation import check_integer, check_positive_int
from .individual import Individual, population_fitness, population_genomes
from .strategy import Strategy

__all__ = ["NNE", "allele_rewards", "weak_selection_epsilon", "weak_selection_update"]

#: Theorem 1's bound ε ≤ 1/(2U) keeps ε·f ≤ 1/2 for rewards ``f`` in [0, U]: the largest selection strength
#: this module calls weak.
WEAK_SELECTION_PRODUCT = 0.5


def weak_selection_epsilon(max_reward):
    """The largest ε that Theorem 1 allows for rewards in ``[0, max_reward]``: ``1 / (2 · max_reward)``.

    Theorem 1 asks for ε ≤ min{1/max{2U, 1}, 2/H, 1}; with ``U`` the largest
    reward (``α²`` for ``δ_x``) the first term keeps ``ε·f ≤ 1/2`` for every
    reward, so every genotype's relative advantage ``1 + ε f`` stays within
    a factor 1.5 -- weak selection.  The curvature bound ``2/H`` is not
    known for the MNIST network and is not applied.

    Parameters
    ----------
    max_reward : float
        ``U > 0``, e.g. ``α² = log(k)²`` for ``δ_x`` with ``k`` outputs.

    Returns
    -------
    float
        ``min(1, 1 / max(2U, 1))``.

    Examples
    --------
    >>> round(weak_selection_epsilon(np.log(10) ** 2), 4)
    0.0943
    """
    if not max_reward > 0:
        raise ConfigError(f"max_reward must be > 0, got {max_reward}")
    return min(1.0, 1.0 / max(2.0 * float(max_reward), 1.0))


def allele_rewards(genotypes, fitness):
    """The rewards ``f(i)`` and ``f̄(i)`` of the two alleles of every gene (Sec. 3.1).

    Parameters
    ----------
    genotypes : numpy.ndarray
        ``(N, n)`` of 0/1.
    fitness : numpy.ndarray
        ``(N,)``, e.g. ``δ_x`` of :func:`neuroworm.backends.nne.relative_performance`.

    Returns
    -------
    f, f_bar : numpy.ndarray
        ``(n,)`` each: mean fitness of the genotypes carrying allele 1 (0).
        Where no genotype carries an allele, its reward is set to the other
        allele's, so that gene's frequency does not move.
    """
    genotypes = np.asarray(genotypes, dtype=np.float64)
    fitness = np.asarray(fitness, dtype=np.float64)
    carriers = genotypes.sum(axis=0)
    others = len(genotypes) - carriers
    with_allele = fitness @ genotypes
    without_allele = fitness.sum() - with_allele
    with np.errstate(invalid="ignore", divide="ignore"):
        f = with_allele / carriers
        f_bar = without_allele / others
    f = np.where(carriers > 0, f, f_bar)
    f_bar = np.where(others > 0, f_bar, f)
    mean = fitness.mean()
    return np.where(np.isfinite(f), f, mean), np.where(np.isfinite(f_bar), f_bar, mean)


def weak_selection_update(frequencies, f, f_bar, epsilon):
    """Eq. (3): the allele frequencies of the next generation under weak selection.

    Parameters
    ----------
    frequencies : numpy.ndarray
        ``p^t``, ``(n,)`` in [0, 1].
    f, f_bar : numpy.ndarray
        Rewards of allele 1 and allele 0 (:func:`allele_rewards`).
    epsilon : float
        Selection strength ε > 0 ("the small degree to which the performance
        of this task confers an evolutionary advantage").  Rewards must keep
        ``1 + ε f > 0``.

    Returns
    -------
    numpy.ndarray
        ``p^{t+1}``; frequencies 0 and 1 are fixed points.
    """
    p = np.asarray(frequencies, dtype=np.float64)
    numerator = p * (1.0 + epsilon * f)
    return numerator / (numerator + (1.0 - p) * (1.0 + epsilon * f_bar))


class NNE(Strategy):
    """Neural Net Evolution: sample genotypes from allele frequencies, update by eq. (3).

    Parameters
    ----------
    n_genes : int
        ``n``.
    population_size : int
        ``N`` genotypes per generation (1,000 in the paper).
    epsilon : float
        Selection strength ε of eq. (3).  The paper does not give its value;
        Theorem 1 asks for ε ≤ min(1/(2U), 2/H, 1) with ``U`` the largest
        loss, i.e. ε ≤ 1/(2α²) ≈ 0.094 for ``δ_x`` in [0, α²]
        (:func:`weak_selection_epsilon`).  The logbook's ``selection``
        column is ``ε·max(|f|, |f̄|)`` of each generation.
    initial_frequencies : None or array_like
        ``p^1``; default drawn uniformly from [0, 1]^n ("p^1 ... is sampled
        uniformly at random from [0, 1]^n"), from the strategy's generator
        at the first :meth:`generate` (so the run's seed decides it).
    seed : None, int or numpy.random.Generator

    Attributes
    ----------
    frequencies : numpy.ndarray or None
        Current allele frequencies ``p^t`` (None before the first generation
        when drawn at random).
    generation : int
        Completed generations.

    Examples
    --------
    >>> import numpy as np
    >>> from neuroworm.evolve import run
    >>> target = np.arange(20) % 2
    >>> fitness = lambda genomes: (genomes == target).mean(axis=1)  # fraction of genes right
    >>> result = run(NNE(20, population_size=100, epsilon=3.0), fitness, generations=300, seed=0, progress=False)
    >>> bool(np.all(np.round(result.strategy.frequencies) == target))
    True
    """

    def __init__(self, n_genes, population_size=1000, epsilon=0.05, initial_frequencies=None, seed=None):
        super().__init__(seed)
        n_genes = check_positive_int("n_genes", n_genes)
        population_size = check_integer("population_size", population_size, minimum=2)
        if not epsilon > 0:
            raise ConfigError(f"epsilon must be > 0, got {epsilon}")
        self.genome_size = int(n_genes)
        self.population_size = int(population_size)
        self.epsilon = float(epsilon)
        self._fixed_initial = initial_frequencies is not None
        if self._fixed_initial:
            initial = np.asarray(initial_frequencies, dtype=np.float64)
            if initial.shape != (self.genome_size,) or not np.all((initial >= 0) & (initial <= 1)):
                raise ConfigError(f"initial_frequencies must be {self.genome_size} values in [0, 1]")
            self.frequencies = initial.copy()
        else:
            self.frequencies = None
        self.generation = 0
        self.selection = float("nan")

    @property
    def center_genome(self):
        """The allele frequencies ``p`` (the mean genotype; ``W·p`` is the mean network)."""
        self._ensure_frequencies()
        return self.frequencies.copy()

    def _ensure_frequencies(self):
        if self.frequencies is None:
            self.frequencies = self.rng.random(self.genome_size)

    def generate(self, ind_init=Individual):
        """Sample ``population_size`` genotypes, ``x(i) = 1`` with probability ``p(i)``."""
        self._ensure_frequencies()
        bits = self.rng.random((self.population_size, self.genome_size)) < self.frequencies
        return [ind_init(row) for row in bits.astype(np.float64)]

    def update(self, population):
        """Eq. (3) with the rewards of Sec. 3.1 computed from the population's fitness."""
        if len(population) != self.population_size:
            raise ConfigError(f"update expects {self.population_size} individuals, got {len(population)}")
        fitness = population_fitness(population)
        if not np.all(np.isfinite(fitness)):
            raise ConfigError("NNE needs finite fitness for every genotype (δ_x is bounded)")
        f, f_bar = allele_rewards(population_genomes(population), fitness)
        if np.any(1.0 + self.epsilon * np.minimum(f, f_bar) <= 0):
            raise ConfigError(
                f"eq. (3) needs 1 + epsilon * f > 0; epsilon={self.epsilon} and a reward of {min(f.min(), f_bar.min())} "
                "break it (use a non-negative fitness such as δ_x, or a smaller epsilon)"
            )
        self.frequencies = weak_selection_update(self.frequencies, f, f_bar, self.epsilon)
        self.selection = self.epsilon * float(max(np.abs(f).max(), np.abs(f_bar).max()))
        self.generation += 1

    def config(self):
        """Constructor arguments as a JSON-able dict (the run fingerprint)."""
        return {
            "strategy": self.name,
            "n_genes": self.genome_size,
            "population_size": self.population_size,
            "epsilon": self.epsilon,
            "initial_frequencies": "given" if self._fixed_initial else "uniform",
        }

    def log_values(self):
        """Fraction of genes within 0.01 of fixation, the mean distance of ``p`` from 1/2, and ``ε·max|f|``."""
        if self.frequencies is None:
            return {"near_fixed": float("nan"), "polarisation": float("nan"), "selection": self.selection}
        distance = np.minimum(self.frequencies, 1.0 - self.frequencies)
        return {"near_fixed": float(np.mean(distance <= 0.01)), "polarisation": float(np.mean(0.5 - distance)),
                "selection": self.selection}

    def state(self):
        """Generator, generation and allele frequencies."""
        fields, arrays = super().state()
        fields.update(generation=self.generation, has_frequencies=self.frequencies is not None,
                      selection=self.selection)
        if self.frequencies is not None:
            arrays["frequencies"] = self.frequencies
        return fields, arrays

    def load_state(self, section):
        """Restore :meth:`state`, checking the frequencies' shape and range."""
        super().load_state(section)
        self.generation = section.integer("generation", minimum=0)
        self.selection = section.number("selection") if "selection" in section else float("nan")
        self.frequencies = None
        if section.boolean("has_frequencies"):
            frequencies = section.array("frequencies", shape=(self.genome_size,), finite=True).astype(np.float64)
            if np.any((frequencies < 0) | (frequencies > 1)):
                section.invalid("frequencies", "allele frequencies in [0, 1]", "values outside")
            self.frequencies = frequencies
