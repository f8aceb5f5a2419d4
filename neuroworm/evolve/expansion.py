"""Expansions: map a low-dimensional search vector to a full genome.

Schmidgall et al. (2023, A.2 and A.3.2) pretrain with an evolution strategy
in which the connectome weights are *shared*: all weights of one sign take
one common value, while the encoder and decoder parameters are searched
individually.  The strategy then searches a vector :math:`x` of a few
hundred entries, and every offspring is expanded to a full genome
:math:`\\theta = E(x)` before it is evaluated -- the evaluate function always
sees full genomes.

An expansion is any callable mapping an array of shape (n, d) to shape
(n, D).  :class:`SharedWeights` builds the paper's weight sharing from
index sets; :class:`LinearExpansion` wraps an explicit (D, d) matrix.
"""

from collections.abc import Mapping

import numpy as np

from ..errors import ConfigError
from .groups import GenomeGroups
from .strategy import array_digest

__all__ = ["LinearExpansion", "SharedWeights", "as_expansion"]


class SharedWeights:
    r"""Genome expansion in which some index sets share one value each.

    The search vector is ``[free genes..., one value per shared set]``:
    genes in no shared set ("free", e.g. encoder and decoder parameters)
    keep their own entry, in increasing gene order; every gene of shared set
    :math:`k` takes the value :math:`x_{n_\text{free} + k}`.

    Parameters
    ----------
    genome_size : int
        Length D of the full genome.
    shared : mapping of str to slice or index array
        Disjoint sets of genes that share a value, e.g.
        ``{"excitatory": exc_weights, "inhibitory": inh_weights}`` for the
        log-weights of the connectome's excitatory and inhibitory synapses.

    Examples
    --------
    >>> expansion = SharedWeights(5, {"connectome": [2, 3, 4]})
    >>> expansion.search_size
    3
    >>> expansion([[0.1, 0.2, -1.0]]).tolist()
    [[0.1, 0.2, -1.0, -1.0, -1.0]]
    >>> expansion.reduce([0.1, 0.2, -1.0, -0.5, -1.5]).tolist()
    [0.1, 0.2, -1.0]
    """

    def __init__(self, genome_size, shared):
        if not isinstance(shared, Mapping) or not shared:
            raise ConfigError("shared must be a non-empty mapping {name: slice or index array}")
        sets = GenomeGroups(genome_size, shared)
        self.genome_size = sets.genome_size
        self.shared = sets.indices
        self.free = sets.frozen
        self.search_size = self.free.size + len(self.shared)

    def __call__(self, search):
        """Expand search vectors of shape (n, d) (or (d,)) to genomes (n, D)."""
        search = np.asarray(search, dtype=np.float64)
        single = search.ndim == 1
        search = np.atleast_2d(search)
        if search.shape[1] != self.search_size:
            raise ConfigError(f"search vectors have {search.shape[1]} entries, expected {self.search_size}")
        genomes = np.empty((search.shape[0], self.genome_size))
        genomes[:, self.free] = search[:, : self.free.size]
        for k, indices in enumerate(self.shared.values()):
            genomes[:, indices] = search[:, self.free.size + k, None]
        return genomes[0] if single else genomes

    def reduce(self, genome):
        """Search vector of a genome: free genes, then each shared set's mean."""
        genome = np.asarray(genome, dtype=np.float64)
        if genome.shape != (self.genome_size,):
            raise ConfigError(f"genome has shape {genome.shape}, expected ({self.genome_size},)")
        shared_means = [genome[indices].mean() for indices in self.shared.values()]
        return np.concatenate([genome[self.free], shared_means])

    def search_groups(self, genome_groups):
        """Translate genome groups into groups of search-vector indices.

        A free gene keeps its group; a shared set belongs to the group that
        holds all its genes.

        Parameters
        ----------
        genome_groups : mapping of str to slice or index array
            Groups in genome coordinates, e.g. ``{"encoder_decoder": ...,
            "connectome": ...}``.

        Returns
        -------
        dict of str to numpy.ndarray
            The same names with search-vector indices (groups left empty are
            dropped).

        Raises
        ------
        ConfigError
            If a shared set straddles two groups.
        """
        groups = GenomeGroups(self.genome_size, genome_groups)
        owner = np.full(self.genome_size, -1)
        for number, indices in enumerate(groups.indices.values()):
            owner[indices] = number
        search_owner = list(owner[self.free])
        for name, indices in self.shared.items():
            owners = np.unique(owner[indices])
            if owners.size != 1:
                raise ConfigError(f"shared set {name!r} straddles several genome groups")
            search_owner.append(owners[0])
        search_owner = np.asarray(search_owner)
        result = {}
        for number, name in enumerate(groups.names):
            indices = np.flatnonzero(search_owner == number)
            if indices.size:
                result[name] = indices
        return result

    def describe(self):
        """JSON-able summary for run fingerprints."""
        digest = array_digest(np.concatenate([self.free] + list(self.shared.values())))
        return {"expansion": "SharedWeights", "genome_size": self.genome_size, "search_size": self.search_size,
                "shared": {name: int(indices.size) for name, indices in self.shared.items()}, "digest": digest}


class LinearExpansion:
    r"""Genome expansion by a fixed matrix: :math:`\theta = M x + b`.

    Parameters
    ----------
    matrix : array_like or scipy.sparse matrix, shape (D, d)
    offset : array_like, shape (D,), optional
        Added to every genome (default 0).
    """

    def __init__(self, matrix, offset=None):
        if not hasattr(matrix, "toarray"):  # dense input; sparse matrices are kept as they are
            matrix = np.asarray(matrix, dtype=np.float64)
        if len(matrix.shape) != 2:
            raise ConfigError(f"an expansion matrix must be 2-D (D, d), got shape {matrix.shape}")
        self.matrix = matrix
        self.genome_size, self.search_size = (int(n) for n in matrix.shape)
        self.offset = None if offset is None else np.asarray(offset, dtype=np.float64)
        if self.offset is not None and self.offset.shape != (self.genome_size,):
            raise ConfigError(f"offset has shape {self.offset.shape}, expected ({self.genome_size},)")

    def __call__(self, search):
        """Expand search vectors of shape (n, d) (or (d,)) to genomes (n, D)."""
        search = np.asarray(search, dtype=np.float64)
        single = search.ndim == 1
        search = np.atleast_2d(search)
        genomes = np.asarray((self.matrix @ search.T).T)
        if self.offset is not None:
            genomes = genomes + self.offset
        return genomes[0] if single else genomes

    def describe(self):
        """JSON-able summary for run fingerprints."""
        dense = self.matrix.toarray() if hasattr(self.matrix, "toarray") else self.matrix
        offset = np.zeros(0) if self.offset is None else self.offset
        return {"expansion": "LinearExpansion", "genome_size": self.genome_size, "search_size": self.search_size,
                "digest": array_digest(np.concatenate([np.ravel(dense), offset]))}


class _IdentityExpansion:
    """The search vector is the genome."""

    def __init__(self, size):
        self.genome_size = self.search_size = int(size)

    def __call__(self, search):
        return np.array(search, dtype=np.float64)

    def describe(self):
        return {"expansion": None}


def as_expansion(expand, search_size):
    """Normalise the ``expand`` argument of a strategy.

    Parameters
    ----------
    expand : None, callable, array_like or scipy.sparse matrix
        ``None``: identity.  A matrix of shape (D, d): :class:`LinearExpansion`.
        A callable: used as is; it must map (n, d) to (n, D) and may define
        ``genome_size`` and ``describe()`` (else they are found by expanding
        a zero vector, and the fingerprint names the callable).
    search_size : int
        Length d of the search vector.

    Returns
    -------
    callable with ``genome_size`` and ``describe()``
    """
    if expand is None:
        return _IdentityExpansion(search_size)
    if not callable(expand):
        expand = LinearExpansion(expand)
    if getattr(expand, "search_size", search_size) != search_size:
        raise ConfigError(f"the expansion takes {expand.search_size} search values, the strategy has {search_size}")
    if not hasattr(expand, "genome_size") or not hasattr(expand, "describe"):
        genome_size = np.asarray(expand(np.zeros((1, search_size)))).shape[-1]
        return _CallableExpansion(expand, genome_size)
    return expand


class _CallableExpansion:
    """A user's expansion function, with the attributes strategies need."""

    def __init__(self, function, genome_size):
        self.function = function
        self.genome_size = int(genome_size)

    def __call__(self, search):
        return np.asarray(self.function(np.atleast_2d(search)), dtype=np.float64)

    def describe(self):
        name = getattr(self.function, "__qualname__", type(self.function).__qualname__)
        return {"expansion": f"{getattr(self.function, '__module__', '?')}.{name}", "genome_size": self.genome_size}
