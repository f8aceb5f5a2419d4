"""OpenAI evolution strategy (Salimans et al. 2017), as used for pretraining.

A Gaussian search distribution :math:`\\mathcal{N}(\\theta, \\sigma^2 I)` is
moved along an estimate of the gradient of the expected fitness, obtained
from antithetic pairs of perturbations and rank-shaped fitness values.
Schmidgall et al. (2023, A.2, A.3.2) pretrain their connectome networks this
way for 1000 generations: population 200, :math:`\\sigma = 0.1`, learning
rate 0.1, both decayed by 0.999 per generation, separately for the
encoder/decoder and the (shared) connectome weights.

References
----------
.. [1] T. Salimans, J. Ho, X. Chen, S. Sidor, I. Sutskever (2017). Evolution
   strategies as a scalable alternative to reinforcement learning.
   arXiv:1703.03864, Algorithm 1 and §2.2 (antithetic sampling, fitness
   shaping, Adam, weight decay).
.. [2] S. Schmidgall, C. Schuman, M. Parsa (2023). Biological connectomes as
   a representation for the architecture of artificial neural networks.
   Appendix A.2-A.3.2.
.. [3] B. Bertens, S.-W. Lee (2019). Network of evolvable neural units:
   evolving to learn at a synaptic level. arXiv:1912.07589, §4.1 and
   "Experimental details" (rank^5 shaping, momentum 0.9).
"""

import numpy as np

from ..errors import ConfigError
from ..limits import require_memory
from ..validation import check_integer, check_real, check_real_array
from .expansion import as_expansion
from .groups import GenomeGroups, decayed
from .individual import Individual, population_fitness
from .optimizers import make_optimizer
from .shaping import SHAPINGS
from .strategy import Strategy, array_digest

__all__ = ["OpenAIES"]


class OpenAIES(Strategy):
    r"""OpenAI-ES with antithetic sampling, rank shaping and Adam or momentum.

    Generation :math:`t` samples :math:`\varepsilon_1, \dots,
    \varepsilon_{P/2} \sim \mathcal{N}(0, I)` and evaluates the genomes
    :math:`E(\theta_t \pm \sigma_t \odot \varepsilon_i)`, where :math:`E` is
    the optional expansion from the search space to full genomes.  With
    utilities :math:`u_i` from the fitness values, the gradient estimate is

    .. math::
        g_t = \frac{1}{P \sigma_t} \sum_{i=1}^{P} u_i \varepsilon_i
        \quad\text{(centered ranks, Salimans et al. 2017, Alg. 1)}, \qquad
        g_t = \sum_{i=1}^{P} u_i \varepsilon_i
        \quad\text{(rank}^5\text{, Bertens \& Lee 2019, Alg. 1)},

    (per gene, :math:`\sigma_t` element-wise), optionally minus an L2 term
    :math:`\lambda \theta_t`, and the optimizer (Adam or momentum SGD) takes
    an ascent step with learning rate :math:`\alpha_t`.  Per genome group
    :math:`g`: :math:`\sigma_t = \sigma_g \, \delta_{\sigma,g}^{\,t}` and
    :math:`\alpha_t = \alpha_g \, \delta_{\alpha,g}^{\,t}`.

    Parameters
    ----------
    center : array_like, shape (d,)
        Initial mean :math:`\theta_0` of the search distribution, in search
        coordinates (the genome itself when ``expand`` is None).
    population_size : int
        Offspring per generation, even when ``antithetic`` (paper: 200).
    sigma : float or mapping of str to float
        Initial perturbation standard deviation per group (paper: 0.1).
    learning_rate : float or mapping of str to float
        Initial learning rate per group (paper: 0.1).
    sigma_decay, learning_rate_decay : float or mapping of str to float
        Per-generation factors (paper: 0.999).
    groups : mapping of str to slice or index array, optional
        Groups of *search-vector* indices with their own schedules; genes in
        no group are frozen.  With :class:`~neuroworm.evolve.expansion.
        SharedWeights`, translate genome groups with its
        ``search_groups`` method.
    optimizer : {"adam", "sgd"}
        Adam (Salimans et al.) or SGD with ``momentum`` (Bertens & Lee).
    momentum : float
        Momentum of the ``"sgd"`` optimizer.
    weight_decay : float
        Coefficient :math:`\lambda` of the L2 penalty (Salimans et al. use
        0.005 for Atari); 0 disables it.
    shaping : {"centered_rank", "rank_power"}
        Fitness shaping, see :mod:`neuroworm.evolve.shaping`.
    rank_power : float
        Exponent of ``"rank_power"`` shaping (Bertens & Lee: 5).
    antithetic : bool
        Mirrored sampling :math:`\pm\varepsilon_i` (default True).
    expand : None, callable or (D, d) matrix, optional
        Maps search vectors to full genomes (weight sharing during
        pretraining); see :func:`~neuroworm.evolve.expansion.as_expansion`.
        Individuals, the hall of fame and the evaluate function always hold
        full genomes.
    seed : None, int or numpy.random.Generator
        See :class:`~neuroworm.evolve.strategy.Strategy`.

    Examples
    --------
    >>> import numpy as np
    >>> from neuroworm.evolve import OpenAIES, Individual
    >>> es = OpenAIES(np.zeros(3), population_size=20, learning_rate=0.05, seed=0)
    >>> for generation in range(50):
    ...     population = es.generate(Individual)
    ...     for individual in population:
    ...         individual.fitness.values = (-float(np.sum((individual - 1.0) ** 2)),)
    ...     es.update(population)
    >>> bool(np.all(np.abs(es.center - 1.0) < 0.2))
    True
    """

    def __init__(
        self,
        center,
        *,
        population_size=200,
        sigma=0.1,
        learning_rate=0.1,
        sigma_decay=0.999,
        learning_rate_decay=0.999,
        groups=None,
        optimizer="adam",
        momentum=0.9,
        weight_decay=0.0,
        shaping="centered_rank",
        rank_power=5.0,
        antithetic=True,
        expand=None,
        seed=None,
    ):
        super().__init__(seed)
        center = np.array(check_real_array("center", center), dtype=np.float64)
        if center.ndim != 1 or center.size == 0:
            raise ConfigError(f"center must be a non-empty vector, got shape {center.shape}")
        if not np.all(np.isfinite(center)):
            raise ConfigError("center contains NaN or infinite values")
        self.population_size = check_integer("population_size", population_size)
        self.antithetic = bool(antithetic)
        if self.population_size < 2 or (self.antithetic and self.population_size % 2):
            raise ConfigError(
                f"population_size must be >= 2 and even with antithetic sampling, got {population_size}"
            )
        if shaping not in SHAPINGS:
            raise ConfigError(f"shaping must be one of {sorted(SHAPINGS)}, got {shaping!r}")
        self.shaping = shaping
        self.rank_power = check_real("rank_power", rank_power, above=0)
        self.weight_decay = check_real("weight_decay", weight_decay, minimum=0)
        self.search_size = center.size
        self.expansion = as_expansion(expand, self.search_size)
        self.genome_size = self.expansion.genome_size
        # noise and population genomes (search and expanded), with their fitness: the same estimate as evolve's
        require_memory(self.population_size * 8 * (2 * self.search_size + 2 * self.genome_size),
                       f"a population of {self.population_size}")
        self.groups = GenomeGroups(self.search_size, groups)
        self.sigma = self.groups.scalars(sigma, "sigma")
        self.learning_rate = self.groups.scalars(learning_rate, "learning_rate")
        self.sigma_decay = self.groups.scalars(sigma_decay, "sigma_decay")
        self.learning_rate_decay = self.groups.scalars(learning_rate_decay, "learning_rate_decay")
        for name in self.groups.names:
            if self.sigma[name] <= 0 or self.learning_rate[name] < 0:
                raise ConfigError(f"genome group {name!r}: sigma must be > 0 and learning_rate >= 0")
        self.optimizer = make_optimizer(optimizer, self.search_size, momentum=momentum)
        self._initial_digest = array_digest(center)
        #: Mean of the search distribution (search coordinates).
        self.center = center
        #: Number of completed generations.
        self.generation = 0
        self._noise = None

    @property
    def center_genome(self):
        """The current center expanded to a full genome, shape (D,)."""
        return self.expansion(self.center[None, :])[0]

    def current_sigma(self):
        """Perturbation standard deviation of each group in this generation."""
        return decayed(self.sigma, self.sigma_decay, self.generation)

    def current_learning_rate(self):
        """Learning rate of each group in this generation."""
        return decayed(self.learning_rate, self.learning_rate_decay, self.generation)

    def generate(self, ind_init=Individual):
        """Sample the offspring :math:`E(\\theta \\pm \\sigma \\odot \\varepsilon_i)`.

        Returns
        -------
        list of individuals, length ``population_size``
            Full genomes; with antithetic sampling offspring ``i`` and
            ``i + P/2`` are mirror images.
        """
        if self.antithetic:
            half = self.rng.standard_normal((self.population_size // 2, self.search_size))
            noise = np.concatenate([half, -half])
        else:
            noise = self.rng.standard_normal((self.population_size, self.search_size))
        self._noise = noise
        sigma = self.groups.per_gene(self.current_sigma())
        genomes = self.expansion(self.center + sigma * noise)
        return [ind_init(genome) for genome in genomes]

    def gradient(self, fitness):
        """The search-gradient estimate :math:`g_t` for the last offspring.

        Parameters
        ----------
        fitness : array_like, shape (P,)
            Fitness of the individuals returned by the last :meth:`generate`.

        Returns
        -------
        numpy.ndarray, shape (d,)
        """
        if self._noise is None:
            raise ConfigError("gradient() needs the offspring of a preceding generate()")
        if self.shaping == "rank_power":
            utilities = SHAPINGS["rank_power"](fitness, self.rank_power)
            return utilities @ self._noise
        utilities = SHAPINGS["centered_rank"](fitness)
        sigma = self.groups.per_gene(self.current_sigma())
        scale = np.divide(1.0, self.population_size * sigma, out=np.zeros_like(sigma), where=sigma > 0)
        return (utilities @ self._noise) * scale

    def update(self, population):
        """Take one optimizer step along the gradient estimate.

        Parameters
        ----------
        population : list of individuals, length ``population_size``
            The offspring of the last :meth:`generate`, in the same order,
            with valid fitness (``-inf`` marks a failed evaluation).
        """
        if len(population) != self.population_size:
            raise ConfigError(f"update expects {self.population_size} individuals, got {len(population)}")
        gradient = self.gradient(population_fitness(population))
        if self.weight_decay:
            gradient = gradient - self.weight_decay * self.center
        learning_rate = self.groups.per_gene(self.current_learning_rate())
        self.center = self.optimizer.update(self.center, gradient, learning_rate)
        self._noise = None
        self.generation += 1

    def config(self):
        """Constructor arguments as a JSON-able dict (the run fingerprint)."""
        return {
            "strategy": self.name,
            "population_size": self.population_size,
            "sigma": self.sigma,
            "learning_rate": self.learning_rate,
            "sigma_decay": self.sigma_decay,
            "learning_rate_decay": self.learning_rate_decay,
            "weight_decay": self.weight_decay,
            "shaping": self.shaping,
            "rank_power": self.rank_power,
            "antithetic": self.antithetic,
            "initial": self._initial_digest,
            **self.optimizer.config(),
            **self.groups.describe(),
            "search_size": self.search_size,
            "genome_size": self.genome_size,
            "expand": self.expansion.describe(),
        }

    def state(self):
        """Generator, center, generation, optimizer state and pending noise (see :meth:`Strategy.state`)."""
        fields, arrays = super().state()
        optimizer_fields, optimizer_arrays = self.optimizer.state()
        fields.update(generation=self.generation, has_noise=self._noise is not None, optimizer=optimizer_fields)
        arrays["center"] = self.center
        arrays.update({f"optimizer.{name}": array for name, array in optimizer_arrays.items()})
        if self._noise is not None:
            arrays["noise"] = self._noise
        return fields, arrays

    def load_state(self, section):
        """Restore :meth:`state`, validating shapes against this strategy's sizes."""
        super().load_state(section)
        self.generation = section.integer("generation", minimum=0)
        self.center = section.array("center", shape=(self.search_size,), finite=True).astype(np.float64)
        self.optimizer.load_state(section.section("optimizer"))
        self._noise = None
        if section.boolean("has_noise"):
            shape = (self.population_size, self.search_size)
            self._noise = section.array("noise", shape=shape, finite=True).astype(np.float64)

    def log_values(self):
        """The current sigma and learning rate per group."""
        sigma_names = self.groups.log_names("sigma")
        rate_names = self.groups.log_names("learning_rate")
        values = {sigma_names[group]: value for group, value in self.current_sigma().items()}
        values.update({rate_names[group]: value for group, value in self.current_learning_rate().items()})
        return values
