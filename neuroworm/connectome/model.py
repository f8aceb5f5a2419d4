"""The :class:`Connectome` data model: neurons, chemical and electrical synapses.

A connectome is three tables and a citation:

``neurons``
    indexed by cell name, with at least ``cell_class`` (one of
    :data:`CELL_CLASSES`), ``neurotransmitter`` (string or missing) and
    ``sign`` (+1 excitatory, -1 inhibitory, 0 unknown).
``chemical``
    directed synapses, columns ``pre``, ``post``, ``weight`` and optionally
    ``sign`` when the source gives a sign per edge rather than per neuron.
``electrical``
    gap junctions, columns ``a``, ``b``, ``weight``; each undirected pair is
    stored once, with ``a < b``.

The chemical endpoint columns ``pre`` and ``post`` are pandas categoricals
whose categories are the cell names in neuron-table order
(:func:`endpoint_dtype`), whatever made the connectome: a reader, a null
model, :meth:`Connectome.subset` or the constructor, which converts the
text it is given.  Each synapse then costs one integer code per endpoint
instead of a string (a 12.5 M-edge list: 4 bytes per endpoint against about
16), values still read as the names (``chemical["pre"].iloc[0]`` is a
``str``), and the codes are the cells' positions in :attr:`Connectome.names`.
Two pandas habits of categoricals matter to code that uses the table:
sorting by ``pre`` or ``post`` sorts in neuron-table order, not
alphabetically, and ``value_counts`` also lists cells with no synapse
(count 0); ``<`` between endpoints is refused.  The gap-junction columns
``a`` and ``b`` stay text, as given: their documented ``a < b`` is an
order of names, and the tables are small.

What ``weight`` counts depends on the source (EM serial sections in Cook et
al. 2019, synapses in Witvliet et al. 2021, ...) and is recorded in
``metadata["weight_unit"]``.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse

from ..errors import ConnectomeError

__all__ = ["CELL_CLASSES", "Adjacency", "Connectome", "endpoint_dtype"]

CELL_CLASSES = ("sensory", "inter", "motor", "muscle", "other")
"""The values ``Connectome.neurons["cell_class"]`` may take."""

ADJACENCY_KINDS = ("chemical", "electrical", "combined", "signed")


class Adjacency(NamedTuple):
    """A sparse adjacency matrix and the cell names that index its rows and columns.

    ``matrix[i, j]`` is the weight from ``names[i]`` to ``names[j]``.
    """

    matrix: scipy.sparse.csr_array
    names: tuple


@dataclass(eq=False)
class Connectome:
    """A wiring diagram: cells, directed chemical synapses and gap junctions.

    Parameters
    ----------
    neurons : pandas.DataFrame
        Indexed by unique cell name; columns ``cell_class``,
        ``neurotransmitter``, ``sign`` and any others (``cell_type``, ...).
    chemical : pandas.DataFrame
        Columns ``pre``, ``post``, ``weight`` (> 0), optional ``sign``; one
        row per ordered pair. ``pre`` and ``post`` may be text or
        categoricals of any categories; they are stored as categoricals over
        the cell names (:func:`endpoint_dtype`).
    electrical : pandas.DataFrame
        Columns ``a``, ``b``, ``weight`` (> 0); one row per unordered pair.
    metadata : dict, optional
        Citation, DOI, organism, ``weight_unit`` and notes.
    name : str, optional
        Identifier, e.g. ``"cook2019_hermaphrodite"``.

    Raises
    ------
    ConnectomeError
        If a table lacks a column, an edge names an unknown cell, a weight is
        not a positive finite number, an edge is duplicated, or a cell class
        or sign is not one of the allowed values. The message names the table,
        the row and the column.

    Examples
    --------
    >>> from neuroworm import load_connectome
    >>> worm = load_connectome("cook2019_hermaphrodite")
    >>> motor = worm.by_class("motor")
    >>> matrix, names = worm.adjacency("chemical")
    """

    neurons: pd.DataFrame
    chemical: pd.DataFrame
    electrical: pd.DataFrame
    metadata: dict = field(default_factory=dict)
    name: str = "connectome"

    def __post_init__(self):
        self.neurons, self.chemical, self.electrical = _validated(
            self.neurons, self.chemical, self.electrical, self.name
        )

    @classmethod
    def _from_checked_edges(cls, neurons, pre, post, weight, electrical, metadata, name):
        """A Connectome whose chemical synapses a reader has already checked, given as cell codes.

        For the columnar readers of :mod:`neuroworm.connectome.columnar`,
        whose edge tables have millions of rows: the neuron table and the
        (small) electrical table are validated as by the public constructor;
        the chemical synapses arrive as integer arrays ``pre`` and ``post``
        of positions in the neuron table (the codes of the categorical
        columns, used as they are when already int32 for over 32,767 cells)
        and ``weight``, without the copies and string hashing of validation.
        The caller guarantees what validation would establish: every code a
        position in ``neurons``, every weight a positive finite float64, no
        pair twice. The readers' tests check that the result equals the
        validated one.
        """
        connectome = cls.__new__(cls)
        connectome.neurons = _validated_neurons(neurons, name)
        dtype = endpoint_dtype(connectome.neurons.index)
        connectome.chemical = pd.DataFrame(
            {"pre": pd.Categorical.from_codes(pre, dtype=dtype), "post": pd.Categorical.from_codes(post, dtype=dtype),
             "weight": np.asarray(weight, dtype=np.float64)}, copy=False)
        connectome.electrical = _validated_electrical(electrical, connectome.neurons.index, name)
        connectome.metadata, connectome.name = metadata, name
        return connectome

    def __repr__(self):
        return (
            f"<Connectome {self.name!r}: {len(self.neurons)} cells, "
            f"{len(self.chemical)} chemical edges, {len(self.electrical)} electrical pairs>"
        )

    # ------------------------------------------------------------------ views
    @property
    def names(self):
        """Cell names in table order (the order of every matrix neuroworm builds)."""
        return tuple(self.neurons.index)

    def edge_signs(self, unknown=0):
        """Sign of every chemical synapse, in the order of :attr:`chemical`.

        A per-edge ``sign`` column wins where it is non-zero; otherwise the
        presynaptic cell's sign is used (Dale's law).

        Parameters
        ----------
        unknown : {0, 1, -1}
            Sign given to edges whose sign is still unknown.

        Returns
        -------
        numpy.ndarray of int8
        """
        if unknown not in (-1, 0, 1):
            raise ConnectomeError(f"unknown must be -1, 0 or +1, got {unknown!r}")
        signs = self.neurons["sign"].reindex(self.chemical["pre"]).to_numpy(dtype=np.int8)
        if "sign" in self.chemical.columns:
            per_edge = self.chemical["sign"].to_numpy(dtype=np.int8)
            signs = np.where(per_edge != 0, per_edge, signs)
        return np.where(signs == 0, np.int8(unknown), signs).astype(np.int8)

    def subset(self, names, name=None):
        """The connectome restricted to ``names`` (their order is kept).

        Parameters
        ----------
        names : iterable of str
            Cells to keep; every one must exist.
        name : str, optional
            Name of the result (default: ``"<name>[subset]"``).

        Returns
        -------
        Connectome

        Raises
        ------
        ConnectomeError
            If a name is not a cell of this connectome.
        """
        names = list(dict.fromkeys(names))
        missing = [n for n in names if n not in self.neurons.index]
        if missing:
            raise ConnectomeError(
                f"{self.name}: cannot take a subset with unknown cells {missing[:10]}"
                + (" ..." if len(missing) > 10 else "")
            )
        keep = set(names)
        chemical = self.chemical[self.chemical["pre"].isin(keep) & self.chemical["post"].isin(keep)]
        electrical = self.electrical[self.electrical["a"].isin(keep) & self.electrical["b"].isin(keep)]
        return Connectome(
            self.neurons.loc[names].copy(),
            chemical.reset_index(drop=True),
            electrical.reset_index(drop=True),
            dict(self.metadata),
            name or f"{self.name}[subset]",
        )

    def by_class(self, *classes):
        """The sub-connectome of cells whose ``cell_class`` is one of ``classes``.

        Parameters
        ----------
        *classes : str
            Values of :data:`CELL_CLASSES`.

        Returns
        -------
        Connectome
        """
        unknown = [c for c in classes if c not in CELL_CLASSES]
        if unknown or not classes:
            raise ConnectomeError(f"cell classes must be among {CELL_CLASSES}, got {classes}")
        mask = self.neurons["cell_class"].isin(classes)
        return self.subset(self.neurons.index[mask], name=f"{self.name}[{','.join(classes)}]")

    def adjacency(self, kind="chemical", order=None):
        """Sparse weighted adjacency matrix.

        Parameters
        ----------
        kind : {"chemical", "electrical", "combined", "signed"}
            ``chemical``: directed synapse weights; ``electrical``: symmetric
            gap-junction weights; ``combined``: their sum; ``signed``: chemical
            weights times the synapse sign (:meth:`edge_signs`).
        order : sequence of str, optional
            Node order (default: :attr:`names`).

        Returns
        -------
        Adjacency
            ``(matrix, names)`` with ``matrix`` a ``scipy.sparse.csr_array``.
        """
        if kind not in ADJACENCY_KINDS:
            raise ConnectomeError(f"adjacency kind must be one of {ADJACENCY_KINDS}, got {kind!r}")
        names = tuple(order) if order is not None else self.names
        index = pd.Index(names)
        n = len(names)

        def chemical_matrix(values):
            rows = index.get_indexer(self.chemical["pre"])
            cols = index.get_indexer(self.chemical["post"])
            keep = (rows >= 0) & (cols >= 0)
            return scipy.sparse.csr_array((values[keep], (rows[keep], cols[keep])), shape=(n, n))

        def electrical_matrix():
            rows = index.get_indexer(self.electrical["a"])
            cols = index.get_indexer(self.electrical["b"])
            keep = (rows >= 0) & (cols >= 0)
            w = self.electrical["weight"].to_numpy(float)[keep]
            r, c = rows[keep], cols[keep]
            return scipy.sparse.csr_array(
                (np.concatenate([w, w]), (np.concatenate([r, c]), np.concatenate([c, r]))), shape=(n, n)
            )

        weights = self.chemical["weight"].to_numpy(float)
        if kind == "chemical":
            matrix = chemical_matrix(weights)
        elif kind == "signed":
            matrix = chemical_matrix(weights * self.edge_signs())
        elif kind == "electrical":
            matrix = electrical_matrix()
        else:
            matrix = chemical_matrix(weights) + electrical_matrix()
        matrix = scipy.sparse.csr_array(matrix)
        matrix.eliminate_zeros()
        return Adjacency(matrix, names)

    def to_networkx(self):
        """A :class:`networkx.MultiDiGraph` of the connectome.

        Nodes carry the neuron table's columns as attributes. Each chemical
        synapse is an edge with ``key="chemical"``, ``weight`` and ``sign``;
        each gap junction is a pair of edges ``a→b`` and ``b→a`` with
        ``key="electrical"``. The graph attribute ``name`` is the connectome's.

        Returns
        -------
        networkx.MultiDiGraph
        """
        import networkx as nx

        graph = nx.MultiDiGraph(name=self.name, metadata=dict(self.metadata))
        for cell, row in self.neurons.iterrows():
            graph.add_node(cell, **{k: (None if pd.isna(v) else v) for k, v in row.items()})
        signs = self.edge_signs()
        for (pre, post, weight), sign in zip(
            self.chemical[["pre", "post", "weight"]].itertuples(index=False), signs, strict=True
        ):
            graph.add_edge(pre, post, key="chemical", weight=float(weight), sign=int(sign))
        for a, b, weight in self.electrical[["a", "b", "weight"]].itertuples(index=False):
            graph.add_edge(a, b, key="electrical", weight=float(weight))
            graph.add_edge(b, a, key="electrical", weight=float(weight))
        return graph

    def stats(self, seed=0):
        """Graph statistics; see :func:`neuroworm.connectome.statistics.connectome_stats`."""
        from .statistics import connectome_stats

        return connectome_stats(self, seed=seed)


# ---------------------------------------------------------------- validation
def _require_columns(table, columns, table_name, connectome_name):
    if not isinstance(table, pd.DataFrame):
        raise ConnectomeError(f"{connectome_name}: {table_name} must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ConnectomeError(
            f"{connectome_name}: {table_name} table lacks column(s) {missing}; it has {list(table.columns)}"
        )


def _check_weights(table, table_name, connectome_name):
    weights = pd.to_numeric(table["weight"], errors="coerce")
    bad = ~np.isfinite(weights.to_numpy(float)) | (weights.to_numpy(float) <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ConnectomeError(
            f"{connectome_name}: {table_name} row {row}, column 'weight': expected a positive finite "
            f"number, got {table['weight'].iloc[row]!r}"
        )
    return weights.astype(float) if weights.dtype.kind not in "iuf" else weights


def endpoint_dtype(names):
    """The dtype of the chemical endpoint columns ``pre`` and ``post`` of a connectome whose cells are ``names``.

    Parameters
    ----------
    names : pandas.Index
        Cell names in neuron-table order (``Connectome.neurons.index``).

    Returns
    -------
    pandas.CategoricalDtype
        Unordered, with categories ``names``: an endpoint's code is its
        cell's position in the neuron table.
    """
    return pd.CategoricalDtype(pd.Index(names).rename(None), ordered=False)


def _endpoint_codes(table, columns, known, table_name, connectome_name):
    """Positions in ``known`` of each endpoint column's values; an unknown cell raises, naming its row."""
    codes = []
    for column in columns:
        # get_indexer hashes once (a categorical: its categories only); Series.isin on pyarrow-backed strings
        # converts every known name to a scalar
        positions = known.get_indexer(table[column])
        unknown = positions < 0
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            raise ConnectomeError(
                f"{connectome_name}: {table_name} row {row}, column {column!r}: "
                f"{table[column].iloc[row]!r} is not a cell of the neuron table"
            )
        codes.append(positions)
    return codes


def _as_categories(table, columns, codes, dtype):
    for column, positions in zip(columns, codes, strict=True):
        table[column] = pd.Categorical.from_codes(positions, dtype=dtype)


def _validated_neurons(neurons, name):
    _require_columns(neurons, ["cell_class", "neurotransmitter", "sign"], "neurons", name)
    if len(neurons) == 0:
        raise ConnectomeError(f"{name}: the neuron table is empty")
    if neurons.index.hasnans:
        row = int(np.flatnonzero(neurons.index.isna())[0])
        raise ConnectomeError(f"{name}: neurons row {row}: a cell without a name (the index is missing)")
    if neurons.index.has_duplicates:
        duplicate = neurons.index[neurons.index.duplicated()][0]
        raise ConnectomeError(f"{name}: cell {duplicate!r} appears more than once in the neuron table")
    bad_class = ~neurons["cell_class"].isin(CELL_CLASSES)
    if bad_class.any():
        cell = neurons.index[bad_class.to_numpy()][0]
        raise ConnectomeError(
            f"{name}: neurons row {cell!r}, column 'cell_class': expected one of {CELL_CLASSES}, "
            f"got {neurons.loc[cell, 'cell_class']!r}"
        )
    signs = pd.to_numeric(neurons["sign"], errors="coerce")
    bad_sign = ~signs.isin([-1, 0, 1])
    if bad_sign.any():
        cell = neurons.index[bad_sign.to_numpy()][0]
        raise ConnectomeError(
            f"{name}: neurons row {cell!r}, column 'sign': expected -1, 0 or +1, got {neurons.loc[cell, 'sign']!r}"
        )
    neurons = neurons.copy()
    neurons["sign"] = signs.astype(np.int8)
    return neurons


def _validated(neurons, chemical, electrical, name):
    _require_columns(neurons, ["cell_class", "neurotransmitter", "sign"], "neurons", name)
    _require_columns(chemical, ["pre", "post", "weight"], "chemical", name)
    _require_columns(electrical, ["a", "b", "weight"], "electrical", name)
    neurons = _validated_neurons(neurons, name)
    known = neurons.index
    dtype = endpoint_dtype(known)

    chemical = chemical.copy()
    chemical["weight"] = _check_weights(chemical, "chemical", name)
    pre, post = _endpoint_codes(chemical, ["pre", "post"], known, "chemical", name)
    duplicated = pd.Series(pre.astype(np.int64) * len(known) + post, copy=False).duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise ConnectomeError(
            f"{name}: chemical row {row}: synapse {chemical['pre'].iloc[row]!r} -> "
            f"{chemical['post'].iloc[row]!r} appears twice; sum the weights into one row"
        )
    if "sign" in chemical.columns:
        edge_sign = pd.to_numeric(chemical["sign"], errors="coerce")
        bad = ~edge_sign.isin([-1, 0, 1])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ConnectomeError(
                f"{name}: chemical row {row}, column 'sign': expected -1, 0 or +1, got {chemical['sign'].iloc[row]!r}"
            )
        chemical["sign"] = edge_sign.astype(np.int8)
    _as_categories(chemical, ["pre", "post"], [pre, post], dtype)
    return neurons, chemical.reset_index(drop=True), _validated_electrical(electrical, known, name)


def _validated_electrical(electrical, known, name):
    _require_columns(electrical, ["a", "b", "weight"], "electrical", name)
    electrical = electrical.copy()
    electrical["weight"] = _check_weights(electrical, "electrical", name)
    a, b = _endpoint_codes(electrical, ["a", "b"], known, "electrical", name)
    duplicated = pd.Series(np.minimum(a, b).astype(np.int64) * len(known) + np.maximum(a, b), copy=False).duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        lo, hi = sorted(str(electrical[column].iloc[row]) for column in ("a", "b"))
        raise ConnectomeError(
            f"{name}: electrical row {row}: gap junction {lo!r} -- {hi!r} is stored twice; "
            "store each undirected pair once"
        )
    return electrical.reset_index(drop=True)
