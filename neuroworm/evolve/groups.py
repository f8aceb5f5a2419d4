"""Genome groups: named parts of a genome with their own mutation schedule.

Schmidgall et al. (2023, appendix A.3) mutate the encoder/decoder
parameters and the connectome weights with separate rates and separate
per-generation decays, e.g. rate 0.01 and decay 0.997 for both groups in
the "varying biophysical realism" experiments, rate 0.02 for the connectome
weights in the "architectural statistics" ones.  :class:`GenomeGroups`
turns a mapping ``{group name: slice or index array}`` plus per-group
scalars into per-gene vectors, so strategies can work on whole genome
matrices without knowing what the groups mean.

References
----------
.. [1] S. Schmidgall, C. Schuman, M. Parsa (2023). Biological connectomes as
   a representation for the architecture of artificial neural networks.
   Appendix A.3.
"""

from collections.abc import Mapping

import numpy as np

from ..errors import ConfigError
from ..validation import check_real

__all__ = ["WHOLE_GENOME", "GenomeGroups"]

#: Name of the single group used when no groups are given.
WHOLE_GENOME = "genome"


class GenomeGroups:
    """Named, disjoint sets of gene indices of a genome of size D.

    Parameters
    ----------
    genome_size : int
        Length D of the genome (or of the search vector, for strategies that
        search a low-dimensional space, see :mod:`neuroworm.evolve.expansion`).
    groups : mapping of str to slice or array_like of int, optional
        Disjoint index sets, e.g. ``{"encoder_decoder": slice(0, 120),
        "connectome": slice(120, 3000)}``.  Genes in no group are frozen:
        strategies leave them unchanged.  ``None`` makes one group named
        ``"genome"`` holding every gene.

    Raises
    ------
    ConfigError
        If a group is empty, indexes outside ``[0, D)``, repeats an index or
        overlaps another group.

    Examples
    --------
    >>> groups = GenomeGroups(5, {"encoder": slice(0, 2), "connectome": [2, 3, 4]})
    >>> groups.per_gene({"encoder": 0.1, "connectome": 0.2}, "rate").tolist()
    [0.1, 0.1, 0.2, 0.2, 0.2]
    """

    def __init__(self, genome_size, groups=None):
        genome_size = int(genome_size)
        if genome_size < 1:
            raise ConfigError(f"genome_size must be at least 1, got {genome_size}")
        self.genome_size = genome_size
        if groups is None:
            groups = {WHOLE_GENOME: slice(0, genome_size)}
        if not isinstance(groups, Mapping) or len(groups) == 0:
            raise ConfigError("groups must be a non-empty mapping {group name: slice or index array}")
        owner = np.full(genome_size, -1, dtype=np.int64)
        self.indices = {}
        for number, (name, selection) in enumerate(groups.items()):
            indices = self._as_indices(name, selection)
            clash = owner[indices] >= 0
            if clash.any():
                other = list(self.indices)[owner[indices][clash][0]]
                raise ConfigError(
                    f"genome group {name!r} overlaps group {other!r} "
                    f"(gene {int(indices[clash][0])}); groups must be disjoint"
                )
            owner[indices] = number
            self.indices[str(name)] = indices
        self.names = tuple(self.indices)
        self.frozen = np.flatnonzero(owner < 0)

    def _as_indices(self, name, selection):
        if isinstance(selection, slice):
            indices = np.arange(self.genome_size)[selection]
        else:
            indices = np.asarray(selection)
            if indices.dtype == bool:
                if indices.shape != (self.genome_size,):
                    raise ConfigError(
                        f"boolean mask of genome group {name!r} has shape {indices.shape}, "
                        f"expected ({self.genome_size},)"
                    )
                indices = np.flatnonzero(indices)
            elif indices.size and not np.issubdtype(indices.dtype, np.integer):
                raise ConfigError(f"genome group {name!r} must be a slice, a boolean mask or integer indices")
            indices = indices.astype(np.int64).ravel()
        if indices.size == 0:
            raise ConfigError(f"genome group {name!r} is empty")
        if indices.min() < 0 or indices.max() >= self.genome_size:
            raise ConfigError(
                f"genome group {name!r} indexes genes outside [0, {self.genome_size}): "
                f"min {int(indices.min())}, max {int(indices.max())}"
            )
        if np.unique(indices).size != indices.size:
            raise ConfigError(f"genome group {name!r} repeats gene indices")
        return np.sort(indices)

    def scalars(self, value, parameter):
        """Expand a scalar or per-group mapping into ``{group: float}``.

        Parameters
        ----------
        value : float or mapping of str to float
            One value for every group, or one per group name.
        parameter : str
            Parameter name, used in error messages.

        Returns
        -------
        dict of str to float

        Raises
        ------
        ConfigError
            If the mapping misses a group or names an unknown one.
        """
        if isinstance(value, Mapping):
            unknown = sorted(set(value) - set(self.names))
            missing = [name for name in self.names if name not in value]
            if unknown or missing:
                raise ConfigError(
                    f"{parameter} must give one value per genome group {list(self.names)}; "
                    f"unknown: {unknown}, missing: {missing}"
                )
            return {name: check_real(f"{parameter}[{name!r}]", value[name]) for name in self.names}
        return {name: check_real(parameter, value) for name in self.names}

    def per_gene(self, values, parameter="value", frozen_value=0.0):
        """A vector of length D holding each gene's group value.

        Parameters
        ----------
        values : float or mapping of str to float
            As for :meth:`scalars`.
        parameter : str
            Parameter name, used in error messages.
        frozen_value : float
            Value of genes that belong to no group.

        Returns
        -------
        numpy.ndarray, shape (D,)
        """
        scalars = self.scalars(values, parameter)
        vector = np.full(self.genome_size, float(frozen_value))
        for name, indices in self.indices.items():
            vector[indices] = scalars[name]
        return vector

    def describe(self):
        """A JSON-able summary (group names, sizes and a digest of the indices)."""
        import hashlib

        digest = hashlib.sha256()
        for name in self.names:
            digest.update(name.encode())
            digest.update(self.indices[name].tobytes())
        return {
            "genome_size": self.genome_size,
            "groups": {name: int(self.indices[name].size) for name in self.names},
            "groups_digest": digest.hexdigest()[:16],
        }

    def log_names(self, parameter):
        """Logbook column names for a per-group parameter.

        ``parameter`` alone with a single group, else ``parameter_<group>``.
        """
        if len(self.names) == 1:
            return {self.names[0]: parameter}
        return {name: f"{parameter}_{name}" for name in self.names}


def decayed(initial, decay, generation):
    """Geometric decay: ``initial * decay ** generation`` per group.

    Parameters
    ----------
    initial, decay : dict of str to float
    generation : int

    Returns
    -------
    dict of str to float
    """
    return {name: initial[name] * decay[name] ** generation for name in initial}
