"""CMA-ES through DEAP, sampling from an explicit random generator.

``deap.cma.Strategy`` implements Hansen's (mu/mu_w, lambda)-CMA-ES but draws
its samples from the global ``numpy.random`` state, which would make runs
depend on whatever else touched that state.  :class:`CMAES` subclasses it
and replaces only the sampling step; the adaptation of the mean, the
evolution paths, the covariance matrix and the step size is DEAP's.

References
----------
.. [1] N. Hansen, A. Ostermeier (2001). Completely derandomized
   self-adaptation in evolution strategies. Evolutionary Computation 9(2).
.. [2] N. Hansen (2016). The CMA evolution strategy: a tutorial.
   arXiv:1604.00772.
"""

import numpy as np
from deap import cma

from ..errors import ConfigError
from ..limits import require_memory
from ..seeding import make_rng
from ..validation import check_integer, check_real, check_real_array
from .individual import Individual
from .strategy import Strategy, array_digest

__all__ = ["CMAES"]


class CMAES(cma.Strategy, Strategy):
    r"""DEAP's CMA-ES with seeded sampling.

    Offspring are :math:`x_k = m + \sigma B D z_k` with :math:`z_k \sim
    \mathcal{N}(0, I)` drawn from :attr:`rng` (Hansen 2016, eq. 38-40).

    Parameters
    ----------
    centroid : array_like, shape (D,)
        Initial mean :math:`m`.
    sigma : float
        Initial step size :math:`\sigma`.
    population_size : int, optional
        :math:`\lambda`; default DEAP's :math:`4 + \lfloor 3 \ln D \rfloor`.
    seed : None, int or numpy.random.Generator
        See :class:`~neuroworm.evolve.strategy.Strategy`.
    **parameters
        Further ``deap.cma.Strategy`` parameters (``mu``, ``weights``,
        ``cs``, ``damps``, ``ccum``, ``ccov1``, ``ccovmu``, ``cmatrix``).

    Notes
    -----
    The covariance matrix has :math:`D^2` entries and each update costs an
    :math:`O(D^3)` eigendecomposition: use CMA-ES for a few hundred
    parameters at most (e.g. shared-weight pretraining), not for
    full connectome genomes.
    """

    def __init__(self, centroid, sigma, *, population_size=None, seed=None, **parameters):
        centroid = np.array(check_real_array("centroid", centroid), dtype=np.float64)
        if centroid.ndim != 1 or centroid.size == 0 or not np.all(np.isfinite(centroid)):
            raise ConfigError(f"centroid must be a finite non-empty vector, got shape {centroid.shape}")
        sigma = check_real("sigma", sigma, above=0)  # nan and inf refused, not accepted by "not <= 0"
        if population_size is not None:
            parameters["lambda_"] = check_integer("population_size", population_size, minimum=2)
        offspring = parameters.get("lambda_", 4 + int(3 * np.log(centroid.size)))
        # the covariance, its eigenvectors and two more D x D matrices, and the offspring
        require_memory(8 * (4 * centroid.size**2 + 3 * offspring * centroid.size),
                       f"CMA-ES in {centroid.size} dimensions with {offspring} offspring")
        cma.Strategy.__init__(self, centroid, float(sigma), **parameters)
        self.rng = make_rng(seed)
        self._initial_digest = array_digest(centroid)
        self._initial_sigma = float(sigma)
        self._parameters = {
            key: (array_digest(value) if isinstance(value, np.ndarray) else value)
            for key, value in parameters.items()
        }

    @property
    def population_size(self):
        """Offspring per generation (:math:`\\lambda`)."""
        return self.lambda_

    @property
    def genome_size(self):
        """Dimension D of the search space."""
        return self.dim

    def generate(self, ind_init=Individual):
        """Sample :math:`\\lambda` offspring from :math:`\\mathcal{N}(m, \\sigma^2 C)`."""
        standard = self.rng.standard_normal((self.lambda_, self.dim))
        offspring = self.centroid + self.sigma * standard @ self.BD.T
        return [ind_init(genome) for genome in offspring]

    def update(self, population):
        """DEAP's CMA update (mean, paths, covariance, step size).

        ``population`` is not reordered (DEAP sorts a copy of the list).
        """
        if len(population) != self.lambda_:
            raise ConfigError(f"update expects {self.lambda_} individuals, got {len(population)}")
        cma.Strategy.update(self, list(population))

    def config(self):
        """Constructor arguments as a JSON-able dict (the run fingerprint)."""
        return {
            "strategy": self.name,
            "genome_size": self.dim,
            "population_size": self.lambda_,
            "sigma": self._initial_sigma,
            "initial": self._initial_digest,
            "parameters": self._parameters,
        }

    def state(self):
        """Generator, mean, step size, evolution paths and covariance (see :meth:`Strategy.state`)."""
        fields, arrays = super().state()
        fields.update(sigma=float(self.sigma), cond=float(self.cond), update_count=int(self.update_count))
        arrays.update(centroid=self.centroid, pc=self.pc, ps=self.ps, C=self.C, diagD=self.diagD, B=self.B,
                      BD=self.BD)
        return fields, arrays

    def load_state(self, section):
        """Restore :meth:`state`, validating shapes against the dimension D."""
        super().load_state(section)
        sigma = section.number("sigma", finite=True)
        if sigma <= 0:
            section.invalid("sigma", "a number > 0", sigma)
        self.sigma = sigma
        self.cond = section.number("cond")
        self.update_count = section.integer("update_count", minimum=0)
        vector, matrix = (self.dim,), (self.dim, self.dim)
        for name, shape in (("centroid", vector), ("pc", vector), ("ps", vector), ("C", matrix),
                            ("diagD", vector), ("B", matrix), ("BD", matrix)):
            setattr(self, name, section.array(name, shape=shape, finite=True).astype(np.float64))

    def log_values(self):
        """Step size and condition number of the covariance matrix."""
        return {"sigma": float(self.sigma), "condition": float(self.cond)}
