"""The elite genetic algorithm of Schmidgall et al. (2023), appendix A.3.1.

Each generation keeps the ``n_elites`` best individuals unchanged and fills
the rest of the population with asexual children: a child is a copy of an
elite, chosen uniformly at random, plus Gaussian noise whose standard
deviation (the *mutation rate*) depends on the genome group of each gene
and decays geometrically every generation.  There is no crossover.

Mutation acts on the raw genome.  For connectome networks the genome holds
log-weights and the network uses ``w = s * exp(genome)`` with Dale signs
``s`` (:mod:`neuroworm.genome`), so no mutation can flip a synapse's sign.

References
----------
.. [1] S. Schmidgall, C. Schuman, M. Parsa (2023). Biological connectomes as
   a representation for the architecture of artificial neural networks.
   Appendix A.3.1 (population 750, 8 elites, rates 0.01-0.02, decays
   0.997-0.998).
.. [2] F. P. Such et al. (2017). Deep neuroevolution: genetic algorithms are
   a competitive alternative for training deep neural networks for
   reinforcement learning. arXiv:1712.06567 (the truncation-selection GA
   with elites this follows).
"""

import numpy as np

from ..errors import ConfigError
from ..limits import require_memory
from ..validation import check_integer, check_real_array
from .groups import GenomeGroups, decayed
from .individual import Individual, population_fitness, population_genomes
from .strategy import Strategy, array_digest

__all__ = ["EliteGA", "gaussian_mutation", "select_elites"]


def gaussian_mutation(parents, sigma, *, seed=None):
    r"""Gaussian mutation with a per-gene standard deviation.

    .. math:: \text{child}_{ij} = \text{parent}_{ij} + \sigma_j\,\varepsilon_{ij},
              \qquad \varepsilon_{ij} \sim \mathcal{N}(0, 1)

    Parameters
    ----------
    parents : array_like, shape (n, D)
        Genomes to mutate (one child per row).
    sigma : float or array_like, shape (D,)
        Standard deviation per gene; 0 freezes a gene.
    seed : None, int or numpy.random.Generator
        Source of the noise.

    Returns
    -------
    numpy.ndarray, shape (n, D)
        The children (new array; ``parents`` is not modified).
    """
    from ..seeding import make_rng

    rng = make_rng(seed)
    parents = np.asarray(parents, dtype=np.float64)
    children = rng.standard_normal(parents.shape)
    children *= sigma
    children += parents
    return children


def select_elites(fitness, n_elites):
    """Indices of the ``n_elites`` best individuals, best first.

    Ties keep population order (a stable sort), so an elite that was not
    re-evaluated wins against a child of equal fitness.  ``NaN`` counts as
    the worst fitness.

    Parameters
    ----------
    fitness : array_like, shape (P,)
    n_elites : int

    Returns
    -------
    numpy.ndarray of int, shape (n_elites,)
    """
    fitness = np.array(fitness, dtype=np.float64)
    fitness[np.isnan(fitness)] = -np.inf
    order = np.argsort(-fitness, kind="stable")
    return order[:n_elites]


class EliteGA(Strategy):
    r"""Truncation-selection GA with elites and per-group Gaussian mutation.

    Generation :math:`t` consists of the current elites (the parents) and
    :math:`P - k` children :math:`x_c = e_{a_c} + \sigma(t) \odot
    \varepsilon_c`, where :math:`a_c` is drawn uniformly from the elites and
    :math:`\sigma_j(t) = r_g \, \delta_g^{\,t}` for gene :math:`j` of group
    :math:`g` with mutation rate :math:`r_g` and decay :math:`\delta_g`
    (Schmidgall et al. 2023, A.3.1).  After evaluation the best
    ``n_elites`` of the whole generation (elites included) become the next
    parents.

    Parameters
    ----------
    initial : array_like, shape (D,) or (k, D)
        Starting genome(s), e.g. an ES-pretrained genome.  The first
        generation is these ``k`` genomes plus ``population_size - k``
        mutated copies of them.  Give ``k = population_size`` random
        genomes for a classic random start.
    population_size : int
        Individuals per generation, elites included (paper: 750).
    n_elites : int
        Elites kept per generation (paper: 8).
    groups : mapping of str to slice or index array, optional
        Genome groups with separate mutation schedules (see
        :class:`~neuroworm.evolve.groups.GenomeGroups`); genes in no group
        are never mutated.  Default: one group, the whole genome.
    mutation_rate : float or mapping of str to float
        Initial standard deviation :math:`r_g` of the Gaussian mutation,
        per group (paper: 0.01 or 0.02).
    mutation_decay : float or mapping of str to float
        Per-generation factor :math:`\delta_g` (paper: 0.997 or 0.998).
    reevaluate_elites : bool
        If True (default) the elites are evaluated again every generation
        and compete with their fresh fitness.  Evaluations of closed-loop
        tasks are noisy (random initial states), and an elite kept with a
        lucky old fitness would block progress.  If False an elite keeps
        the fitness it was evaluated with, which saves ``n_elites``
        evaluations and makes the best fitness monotone for a deterministic
        evaluate function.
    seed : None, int or numpy.random.Generator
        See :class:`~neuroworm.evolve.strategy.Strategy`.

    Examples
    --------
    >>> import numpy as np
    >>> from neuroworm.evolve import EliteGA, Individual
    >>> ga = EliteGA(np.zeros(4), population_size=10, n_elites=2, seed=0)
    >>> population = ga.generate(Individual)
    >>> for individual in population:
    ...     individual.fitness.values = (-float(np.sum(individual**2)),)
    >>> ga.update(population)
    >>> ga.parents.shape
    (2, 4)
    """

    def __init__(
        self,
        initial,
        *,
        population_size=750,
        n_elites=8,
        groups=None,
        mutation_rate=0.01,
        mutation_decay=0.997,
        reevaluate_elites=True,
        seed=None,
    ):
        super().__init__(seed)
        initial = np.array(check_real_array("initial", initial), dtype=np.float64)
        if initial.ndim == 1:
            initial = initial[None, :]
        if initial.ndim != 2 or initial.shape[1] == 0:
            raise ConfigError(f"initial must have shape (D,) or (k, D), got {initial.shape}")
        if not np.all(np.isfinite(initial)):
            raise ConfigError("initial genomes contain NaN or infinite values")
        self.population_size = check_integer("population_size", population_size)
        self.n_elites = check_integer("n_elites", n_elites)
        if not 1 <= self.n_elites < self.population_size:
            raise ConfigError(
                f"n_elites must be in [1, population_size); got n_elites={n_elites}, "
                f"population_size={population_size}"
            )
        if initial.shape[0] > self.population_size:
            raise ConfigError(
                f"{initial.shape[0]} initial genomes do not fit a population of {self.population_size}"
            )
        self.genome_size = initial.shape[1]
        require_memory(self.population_size * 8 * 3 * self.genome_size, f"a population of {self.population_size}")
        self.groups = GenomeGroups(self.genome_size, groups)
        self.mutation_rate = self.groups.scalars(mutation_rate, "mutation_rate")
        self.mutation_decay = self.groups.scalars(mutation_decay, "mutation_decay")
        for name in self.groups.names:
            if self.mutation_rate[name] < 0 or not 0 < self.mutation_decay[name] <= 1:
                raise ConfigError(
                    f"genome group {name!r}: mutation_rate must be >= 0 and mutation_decay in (0, 1], "
                    f"got {self.mutation_rate[name]} and {self.mutation_decay[name]}"
                )
        self.reevaluate_elites = bool(reevaluate_elites)
        self._initial_digest = array_digest(initial)
        #: Current parents (elites), shape (k, D), best first.
        self.parents = initial
        #: Their fitness (NaN until evaluated).
        self.parent_fitness = np.full(initial.shape[0], np.nan)
        #: Number of completed generations.
        self.generation = 0

    def current_mutation_rate(self):
        """Mutation standard deviation of each group in this generation."""
        return decayed(self.mutation_rate, self.mutation_decay, self.generation)

    def generate(self, ind_init=Individual):
        """The elites followed by their mutated children.

        Parameters
        ----------
        ind_init : callable
            Builds an individual from a genome vector (default
            :class:`~neuroworm.evolve.individual.Individual`).

        Returns
        -------
        list of individuals, length ``population_size``
            Elites come first; when ``reevaluate_elites`` is False and an
            elite has been evaluated, its fitness is already valid.
        """
        population = []
        for genome, fitness in zip(self.parents, self.parent_fitness, strict=True):
            individual = ind_init(genome)
            if not self.reevaluate_elites and not np.isnan(fitness):
                individual.fitness.values = (float(fitness),)
            population.append(individual)
        n_children = self.population_size - len(population)
        chosen = self.rng.integers(len(self.parents), size=n_children)
        sigma = self.groups.per_gene(self.current_mutation_rate())
        children = gaussian_mutation(self.parents[chosen], sigma, seed=self.rng)
        population.extend(ind_init(child) for child in children)
        return population

    def update(self, population):
        """Keep the best ``n_elites`` individuals as the next parents.

        Parameters
        ----------
        population : list of individuals, length ``population_size``
            With valid fitness (``-inf`` marks a failed evaluation).
        """
        if len(population) != self.population_size:
            raise ConfigError(f"update expects {self.population_size} individuals, got {len(population)}")
        fitness = population_fitness(population)
        elites = select_elites(fitness, self.n_elites)
        self.parents = population_genomes([population[i] for i in elites])
        self.parent_fitness = fitness[elites]
        self.generation += 1

    def config(self):
        """Constructor arguments as a JSON-able dict (the run fingerprint)."""
        return {
            "strategy": self.name,
            "population_size": self.population_size,
            "n_elites": self.n_elites,
            "mutation_rate": self.mutation_rate,
            "mutation_decay": self.mutation_decay,
            "reevaluate_elites": self.reevaluate_elites,
            "initial": self._initial_digest,
            **self.groups.describe(),
        }

    def state(self):
        """Generator, generation count, parents and their fitness (see :meth:`Strategy.state`)."""
        fields, arrays = super().state()
        fields["generation"] = self.generation
        arrays.update(parents=self.parents, parent_fitness=self.parent_fitness)
        return fields, arrays

    def load_state(self, section):
        """Restore :meth:`state`; parents must be finite, shape (k, D) with 1 <= k <= population_size."""
        super().load_state(section)
        generation = section.integer("generation", minimum=0)
        parents = section.array("parents", shape=(None, self.genome_size), finite=True)
        if not 1 <= parents.shape[0] <= self.population_size:
            section.invalid("parents", f"between 1 and {self.population_size} genomes", f"{parents.shape[0]}")
        self.parent_fitness = section.array("parent_fitness", shape=(parents.shape[0],)).astype(np.float64)
        self.parents, self.generation = parents.astype(np.float64), generation

    def log_values(self):
        """The current mutation rate per group."""
        names = self.groups.log_names("mutation_rate")
        return {names[group]: rate for group, rate in self.current_mutation_rate().items()}
