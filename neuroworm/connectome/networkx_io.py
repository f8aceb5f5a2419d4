"""Connectomes from NetworkX graphs.

Split from :mod:`neuroworm.connectome.readers`: the same assembly and
validation, for graphs built in memory rather than read from files.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConnectomeError
from .flywire_format import CONTROL_CHARACTERS
from .strict import CLASS_WORDS, KIND_WORDS, SIGN_WORDS, assemble, numeric_sign

__all__ = ["from_networkx"]


def from_networkx(graph, weight="weight", name=None):
    """Make a Connectome from a NetworkX graph.

    Parameters
    ----------
    graph : networkx.DiGraph, Graph, MultiDiGraph or MultiGraph
        Nodes are cells (converted to ``str``); node attributes
        ``cell_class``, ``neurotransmitter``, ``sign`` are used when present
        (defaults ``other``, missing, 0) and other attributes are kept as
        columns. An edge is a gap junction when its multigraph ``key`` or its
        ``kind`` attribute is ``"electrical"``, otherwise a chemical synapse;
        in an undirected graph a chemical edge counts in both directions. An
        edge attribute ``sign`` becomes the per-edge sign.
    weight : str
        Edge attribute holding the weight; edges without it weigh 1.
    name : str, optional
        Default: the graph's ``name`` attribute, else ``"networkx"``.

    Returns
    -------
    Connectome
        Parallel chemical edges are summed; gap junctions are combined as
        in :func:`read_edge_list` (mean of the two directions when both are
        present), so ``from_networkx(c.to_networkx())`` gives ``c`` back.

    Raises
    ------
    ConnectomeError
        If ``graph`` is not a NetworkX graph, has no nodes or no edges (as the
        file readers refuse files without synapses), two nodes share
        a name once converted to ``str``, or an edge has a bad weight, kind,
        sign or cell attribute.
    """
    import networkx as nx

    if not isinstance(graph, nx.Graph):
        raise ConnectomeError(f"from_networkx expects a networkx graph, got {type(graph).__name__}")
    if graph.number_of_nodes() == 0:
        raise ConnectomeError("from_networkx: the graph has no nodes")
    label = name or graph.graph.get("name") or "networkx"
    # the file readers' name rules: text stripped, never empty, no control characters
    cell_name = {node: str(node).strip() for node in graph.nodes}
    for node, text in cell_name.items():
        if not text or CONTROL_CHARACTERS.search(text):
            raise ConnectomeError(f"{label}: node {node!r} is not a usable cell name (empty, or a control character); "
                                  "names must be printable text")
    names = list(cell_name.values())
    if len(set(names)) != len(names):
        raise ConnectomeError(f"{label}: two nodes have the same name once converted to str")
    rows = []
    for node, attributes in graph.nodes(data=True):
        row = {k: (None if _missing(v) else v) for k, v in attributes.items()}
        cell_class = row.get("cell_class") or "other"
        row["cell_class"] = CLASS_WORDS.get(str(cell_class).lower())
        if row["cell_class"] is None:
            raise ConnectomeError(f"{label}: node {node!r} has unknown cell_class {cell_class!r}")
        row["sign"] = _graph_sign(row.get("sign"), f"{label}: node {node!r}")
        row.setdefault("neurotransmitter", None)
        rows.append(row)
    neurons = pd.DataFrame(rows, index=pd.Index(names, name="name"))
    neurons["sign"] = neurons["sign"].astype(np.int8)

    edges = graph.edges(keys=True, data=True) if graph.is_multigraph() else (
        (u, v, None, d) for u, v, d in graph.edges(data=True))
    pre, post, weights, electrical, signs = [], [], [], [], []
    for u, v, key, data in edges:
        where = f"{label}: edge {u!r} -> {v!r}"
        value = data.get(weight, 1.0)
        try:
            value = float(value)
        except (TypeError, ValueError, OverflowError):
            value = float("nan")
        if not np.isfinite(value) or value < 0:
            raise ConnectomeError(f"{where}: {weight!r} must be a non-negative finite number, got {data.get(weight)!r}")
        kind = data.get("kind", key if key in ("chemical", "electrical") else "chemical")
        kind = KIND_WORDS.get(str(kind).strip().lower())
        if kind is None:
            raise ConnectomeError(f"{where}: unknown kind {data.get('kind')!r}; expected 'chemical' or 'electrical'")
        sign = _graph_sign(data.get("sign"), where)
        directions = [(u, v)] if graph.is_directed() or kind == "electrical" or u == v else [(u, v), (v, u)]
        for a, b in directions:
            pre.append(cell_name[a])
            post.append(cell_name[b])
            weights.append(value)
            electrical.append(kind == "electrical")
            signs.append(sign)
    if not any(value > 0 for value in weights):
        raise ConnectomeError(f"{label}: the graph has no edge with a positive weight; a connectome needs synapses")
    has_edge_signs = any(s != 0 for s in signs)
    arrays = [np.array(x, dtype=object) for x in (pre, post)]
    metadata = dict(graph.graph.get("metadata") or {})
    return assemble(Path("<networkx graph>"), arrays[0], arrays[1], np.array(weights, dtype=float),
                     np.array(electrical, dtype=bool), np.array(signs, dtype=np.int8) if has_edge_signs else None,
                     neurons, True, label, metadata)


def _missing(value):
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _graph_sign(value, where):
    if value is None or _missing(value):
        return 0
    word = str(value).strip().lower()
    sign = SIGN_WORDS.get(word, numeric_sign(word))
    if sign is None:
        raise ConnectomeError(f"{where}: unknown sign {value!r}; expected +1, -1, 0, 'excitatory' or 'inhibitory'")
    return sign
