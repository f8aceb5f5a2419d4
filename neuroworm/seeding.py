"""One place where seeds become random generators.

Every stochastic function in neuroworm takes a keyword ``seed`` and passes it
through :func:`make_rng`; nothing draws from global random state.

The environment reset seeds of closed-loop runs come from three disjoint
ranges, so that nothing is chosen on the seeds it is reported on:
training seeds in ``[0, TRAINING_SEED_LIMIT)``, validation seeds from
:data:`VALIDATION_SEED_BASE`, test (held-out) seeds from
:data:`TEST_SEED_BASE`. Pre-training (:mod:`neuroworm.pipelines.pretraining`)
and the evaluation of saved worms (:mod:`neuroworm.analysis.swim`) read them
from here.
"""

import numpy as np

__all__ = ["TEST_SEED_BASE", "TRAINING_SEED_LIMIT", "VALIDATION_SEED_BASE", "make_rng", "spawn"]

TRAINING_SEED_LIMIT = 2**30
"""Training episodes reset with seeds in ``[0, 2^30)``."""

VALIDATION_SEED_BASE = 2**30
"""Validation seeds (the logbook's ``heldout_*`` columns) are ``2^30 + i``."""

TEST_SEED_BASE = 2**30 + 2**20
"""Test seeds (the reported returns) are ``2^30 + 2^20 + i``; nothing is trained or chosen on them."""


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
