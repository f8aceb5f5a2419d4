"""One place where seeds become random generators.

Every stochastic function in neuroworm takes a keyword ``seed`` and passes it
through :func:`make_rng`; nothing draws from global random state.
"""

import numpy as np

__all__ = ["make_rng", "spawn"]


def make_rng(seed=None):
    """Return a :class:`numpy.random.Generator` for ``seed``.

    Parameters
    ----------
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator
        ``None`` draws fresh entropy; an int or SeedSequence seeds a new
        PCG64 generator; a Generator is returned unchanged, so callers can
        thread one generator through several functions.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError("seed must be None, an int, a SeedSequence or a Generator, not a bool")
    return np.random.default_rng(seed)


def spawn(seed, n):
    """Return ``n`` independent generators derived from ``seed``.

    Parameters
    ----------
    seed : None, int, SeedSequence or Generator
        As for :func:`make_rng`.
    n : int
        Number of child generators.

    Returns
    -------
    list of numpy.random.Generator
    """
    return list(make_rng(seed).spawn(n))
