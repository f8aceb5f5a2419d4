"""Test objectives with known optima, in the batched evaluate convention.

Each objective maps a genome matrix of shape (B, D) to B fitness values
(higher is better) and is a module-level function or a picklable class, so
it works with every map of :func:`neuroworm.evolve.run`, including Dask
workers in other processes.  They serve the tests, the benchmarks and the
tutorials; the paper tasks live in :mod:`neuroworm.tasks`.
"""

import time

import numpy as np

from ..seeding import make_rng

__all__ = ["Delayed", "Noisy", "ShiftedQuadratic", "sphere"]


def sphere(genomes):
    r"""Negated sphere function :math:`F(x) = -\sum_j x_j^2`; optimum 0 at :math:`x = 0`.

    Parameters
    ----------
    genomes : array_like, shape (B, D)

    Returns
    -------
    numpy.ndarray, shape (B,)
    """
    genomes = np.asarray(genomes, dtype=np.float64)
    return -np.einsum("ij,ij->i", genomes, genomes)


class ShiftedQuadratic:
    r"""Negated, scaled quadratic :math:`F(x) = -\sum_j a_j (x_j - c_j)^2`.

    The optimum is :math:`F = 0` at :math:`x = c`.

    Parameters
    ----------
    optimum : array_like, shape (D,)
        The maximiser :math:`c`.
    scales : array_like, shape (D,), optional
        Positive curvatures :math:`a_j` (default 1).
    """

    def __init__(self, optimum, scales=None):
        self.optimum = np.asarray(optimum, dtype=np.float64)
        self.scales = np.ones_like(self.optimum) if scales is None else np.asarray(scales, dtype=np.float64)

    def __call__(self, genomes):
        difference = np.asarray(genomes, dtype=np.float64) - self.optimum
        return -np.einsum("ij,j,ij->i", difference, self.scales, difference)


class Delayed:
    """Wrap an objective so that every batch takes at least ``seconds``.

    Stands in for a slow simulation in tests of checkpoints and Dask.

    Parameters
    ----------
    objective : callable
    seconds : float
        Sleep per batch.
    """

    def __init__(self, objective, seconds):
        self.objective = objective
        self.seconds = float(seconds)

    def __call__(self, genomes):
        time.sleep(self.seconds)
        return self.objective(genomes)


class Noisy:
    """Add Gaussian noise to an objective, drawn from per-genome seeds.

    Parameters
    ----------
    objective : callable
    noise : float
        Standard deviation of the noise.

    Notes
    -----
    ``__call__`` takes ``seeds``, so :func:`neuroworm.evolve.run` passes one
    seed per genome: the same genome evaluated with the same seed gets the
    same fitness, whatever the batch or the worker.
    """

    def __init__(self, objective, noise):
        self.objective = objective
        self.noise = float(noise)

    def __call__(self, genomes, seeds):
        noise = np.array([make_rng(int(seed)).standard_normal() for seed in seeds])
        return self.objective(genomes) + self.noise * noise
