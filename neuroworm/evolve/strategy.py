"""The contract every evolution strategy of neuroworm fulfils.

A strategy has DEAP's ask/tell shape (``deap.algorithms.eaGenerateUpdate``):

* ``generate(ind_init)`` returns a list of individuals built with
  ``ind_init(genome)``.  Individuals whose fitness is already valid (an
  elite that is not re-evaluated) are not sent to the evaluate function.
* ``update(population)`` takes the same individuals with their fitness set
  and moves the strategy on by one generation.

On top of that, neuroworm's strategies expose what the driver
(:func:`neuroworm.evolve.run`) needs to checkpoint and log them:

* ``rng`` -- the only source of randomness, a ``numpy.random.Generator``;
* ``config()`` -- a JSON-able description of the constructor arguments,
  used as the fingerprint that a resumed run must match;
* ``log_values()`` -- strategy values for the logbook (sigma, rates, ...);
* ``state()`` / ``load_state(section)`` -- what changes from generation to
  generation (generator included), as JSON-able fields and numeric arrays,
  so that checkpoints never hold pickled objects
  (:mod:`neuroworm.evolve.checkpoint`).  Everything else follows from the
  constructor arguments, which the fingerprint (``config()``) pins.
"""

import hashlib

import numpy as np

from ..errors import CheckpointError
from ..seeding import make_rng
from .checkpoint import generator_state

__all__ = ["Strategy", "array_digest"]


def array_digest(array):
    """A short SHA-256 digest of an array's dtype, shape and bytes.

    Used in :meth:`Strategy.config` so that two runs started from different
    genomes have different fingerprints.
    """
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256()
    digest.update(str(array.dtype).encode())
    digest.update(str(array.shape).encode())
    digest.update(array.tobytes())
    return digest.hexdigest()[:16]


class Strategy:
    """Base class of neuroworm's strategies (see the module docstring).

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        Seed of the strategy's own generator.  :func:`neuroworm.evolve.run`
        replaces it with a generator derived from the run's seed, so the
        constructor's seed only matters when the strategy is driven by hand
        or by ``deap.algorithms.eaGenerateUpdate``.
    """

    #: Number of individuals ``generate`` returns.
    population_size: int
    #: Length of the genomes ``generate`` returns.
    genome_size: int

    def __init__(self, seed=None):
        self.rng = make_rng(seed)

    def generate(self, ind_init):  # pragma: no cover - interface
        """Return ``population_size`` individuals made with ``ind_init``."""
        raise NotImplementedError

    def update(self, population):  # pragma: no cover - interface
        """Move on one generation using the evaluated ``population``."""
        raise NotImplementedError

    def config(self):  # pragma: no cover - interface
        """JSON-able description of the constructor arguments."""
        raise NotImplementedError

    def log_values(self):
        """Strategy values to add to the logbook row of a generation."""
        return {}

    def state(self):
        """The strategy's mutable state, for a checkpoint.

        Returns
        -------
        fields : dict
            JSON-able values; here the generator's ``bit_generator.state``.
        arrays : dict of str to numpy.ndarray
            Numeric arrays.  Subclasses extend both.
        """
        if type(self).state is Strategy.state:  # only the generator would be saved: a silently wrong resume
            raise CheckpointError(
                f"strategy {self.name} defines no state()/load_state(), so its state cannot be checkpointed; "
                "implement both (see neuroworm.evolve.strategy) or run without a checkpoint"
            )
        return {"rng": generator_state(self.rng)}, {}

    def load_state(self, section):
        """Restore the state written by :meth:`state`, validating each value.

        Parameters
        ----------
        section : neuroworm.evolve.checkpoint.Checkpoint
            The strategy's section of a checkpoint; its accessors raise
            :class:`~neuroworm.errors.CheckpointError` naming a bad field.
        """
        self.rng = section.generator("rng")

    @property
    def name(self):
        """The strategy's class name, used for progress bars and fingerprints."""
        return type(self).__name__
