"""Individuals and their fitness, as picklable module-level classes.

DEAP's tutorials build these classes at run time with ``creator.create``,
which writes them into the ``deap.creator`` module's globals; such classes
cannot be unpickled in a fresh process (a Dask worker, a resumed checkpoint)
unless the same ``create`` calls ran there first.  Here they are ordinary
module-level classes, so a population pickles anywhere.

A genome is a flat vector of floats (for connectome networks: log-weights,
encoder and decoder parameters; see :mod:`neuroworm.genome`).  An
:class:`Individual` is such a vector with a :class:`FitnessMax` attached.
"""

import copy

import numpy as np
from deap import base

from ..errors import ConfigError
from ..validation import check_real_array

__all__ = [
    "FitnessMax",
    "Individual",
    "assign_fitness",
    "clean_fitness",
    "population_fitness",
    "population_genomes",
]


class FitnessMax(base.Fitness):
    """A single fitness value, higher is better (``weights = (1.0,)``).

    A failed evaluation is stored as ``-inf``, so it compares below every
    finite fitness (see :func:`clean_fitness`).
    """

    weights = (1.0,)


class Individual(np.ndarray):
    """A genome: a 1-D float64 array with a ``fitness`` attribute.

    Parameters
    ----------
    genome : array_like, shape (D,)
        The genome's values; they are copied.

    Notes
    -----
    Arrays derived from an individual (slices, arithmetic results) are also
    :class:`Individual` instances but carry a fresh, invalid fitness: a
    fitness belongs to the exact genome that was evaluated.  Pickling and
    ``copy.deepcopy`` keep the fitness.

    Examples
    --------
    >>> ind = Individual([0.0, 1.0])
    >>> ind.fitness.valid
    False
    >>> ind.fitness.values = (3.0,)
    >>> float(ind.fitness.values[0])
    3.0
    """

    def __new__(cls, genome):
        individual = np.array(genome, dtype=np.float64).view(cls)
        if individual.ndim != 1:
            raise ValueError(f"a genome must be one-dimensional, got shape {individual.shape}")
        return individual

    def __array_finalize__(self, source):
        self.fitness = FitnessMax()

    def __reduce__(self):
        reconstruct, arguments, array_state = super().__reduce__()
        return reconstruct, arguments, (array_state, self.fitness)

    def __setstate__(self, state):
        array_state, fitness = state
        super().__setstate__(array_state)
        self.fitness = fitness

    def __deepcopy__(self, memo):
        duplicate = Individual(self)
        duplicate.fitness = copy.deepcopy(self.fitness, memo)
        return duplicate

    def __copy__(self):
        return self.__deepcopy__({})


def population_genomes(population):
    """Stack a population into a genome matrix.

    Parameters
    ----------
    population : sequence of array_like, length P
        Individuals of equal length D.

    Returns
    -------
    numpy.ndarray, shape (P, D)
        A plain float64 array (not :class:`Individual`).
    """
    if len(population) == 0:
        raise ValueError("the population is empty")
    return np.stack([np.asarray(individual, dtype=np.float64) for individual in population]).view(np.ndarray)


def population_fitness(population):
    """Fitness values of a population, with ``-inf`` for invalid ones.

    Parameters
    ----------
    population : sequence of individuals with a ``fitness`` attribute

    Returns
    -------
    numpy.ndarray, shape (P,)
    """
    return np.array(
        [individual.fitness.values[0] if individual.fitness.valid else -np.inf for individual in population],
        dtype=np.float64,
    )


def clean_fitness(values):
    """Map failed evaluations (NaN, -inf) to ``-inf``; refuse +inf, which would become the best individual.

    Parameters
    ----------
    values : array_like, shape (P,)
        Raw fitness values returned by an evaluate function.

    Returns
    -------
    numpy.ndarray, shape (P,)
        Float64 copy where every NaN is ``-inf``: a failed individual ranks
        below every individual that was evaluated successfully.
    """
    cleaned = np.array(check_real_array("fitness", values), dtype=np.float64)
    if np.isposinf(cleaned).any():
        raise ConfigError(f"the evaluate function returned +inf fitness for individual "
                          f"{int(np.flatnonzero(np.isposinf(cleaned))[0])}; a fitness must be finite, or NaN/-inf "
                          "for a failed evaluation")
    cleaned[np.isnan(cleaned)] = -np.inf
    return cleaned


def assign_fitness(individuals, values):
    """Set ``individual.fitness.values = (value,)`` for each pair.

    Parameters
    ----------
    individuals : sequence of individuals, length n
    values : array_like, shape (n,)
        Raw fitness values; NaN becomes ``-inf`` (see :func:`clean_fitness`).
    """
    cleaned = clean_fitness(values)
    if cleaned.shape != (len(individuals),):
        raise ValueError(f"got {cleaned.shape} fitness values for {len(individuals)} individuals")
    for individual, value in zip(individuals, cleaned.tolist(), strict=True):
        individual.fitness.values = (value,)
