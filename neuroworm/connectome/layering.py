"""Layering a connectome into a directed acyclic graph, as ElegansNet does.

ElegansNet (Bardozzo et al. 2023) turns the *C. elegans* connectome into a
feed-forward tensor network: sensory neurons are the input space,
interneurons the latent space and motor neurons the output space, and the
network "takes the form of a directed acyclic graph". The paper does not
say how recurrent connections are removed; :func:`layered_dag` states its
rule exactly so that the transformation is reproducible.
"""

import heapq
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConnectomeError
from .model import CELL_CLASSES, Connectome

__all__ = ["DEFAULT_LAYERS", "LayeredConnectome", "connection_pairs", "layered_dag", "match_connections"]

DEFAULT_LAYERS = {"sensory": 0, "inter": 1, "other": 1, "motor": 2, "muscle": 3}
"""Layer of each cell class: sensory → inter (and unclassified cells) → motor → muscle."""


@dataclass(eq=False)
class LayeredConnectome:
    """The result of :func:`layered_dag`.

    Attributes
    ----------
    connectome : Connectome
        Same neuron table; ``chemical`` holds only the forward chemical
        edges; ``electrical`` holds every gap junction (as pairs, ``a < b``).
    layers : pandas.Series
        Layer number of every cell (0 = sensory), indexed by cell name.
    order : pandas.Series
        Position of every cell in the topological order (0, 1, ...), indexed
        by cell name; every kept edge goes from a lower to a higher position.
    electrical_directed : pandas.DataFrame
        The gap junctions as directed edges ``pre -> post`` (from the lower
        to the higher position) with their ``weight``.
    dropped_chemical : pandas.DataFrame
        The chemical edges that pointed backwards and were removed.
    """

    connectome: Connectome
    layers: pd.Series
    order: pd.Series
    electrical_directed: pd.DataFrame
    dropped_chemical: pd.DataFrame

    def __iter__(self):  # ``dag, layers = layered_dag(worm)``
        return iter((self.connectome, self.layers))

    def to_networkx(self):
        """A :class:`networkx.DiGraph` of the DAG.

        Nodes carry ``layer`` and ``order``; edges carry ``chemical`` and
        ``electrical`` weights (0 when absent) and their sum ``weight``.

        Returns
        -------
        networkx.DiGraph
        """
        import networkx as nx

        graph = nx.DiGraph(name=self.connectome.name)
        for cell in self.connectome.names:
            graph.add_node(cell, layer=int(self.layers[cell]), order=int(self.order[cell]))
        for kind, table in (("chemical", self.connectome.chemical), ("electrical", self.electrical_directed)):
            for pre, post, weight in table[["pre", "post", "weight"]].itertuples(index=False):
                data = graph.get_edge_data(pre, post) or {"chemical": 0.0, "electrical": 0.0}
                data[kind] += float(weight)
                data["weight"] = data["chemical"] + data["electrical"]
                graph.add_edge(pre, post, **data)
        return graph


def _greedy_order(cells, pre, post, weight):
    """Order ``cells`` so that few (by weight) edges point backwards.

    The weighted greedy heuristic of Eades, Lin & Smyth (1993): repeatedly
    move every sink to the end and every source to the front; when neither
    is left, move to the front the cell with the largest out-weight minus
    in-weight. Ties go to the cell earliest in ``cells``, so the order is
    deterministic.
    """
    position = {cell: i for i, cell in enumerate(cells)}
    out_edges = {cell: {} for cell in cells}
    in_edges = {cell: {} for cell in cells}
    for a, b, w in zip(pre, post, weight, strict=True):
        if a != b:
            out_edges[a][b] = out_edges[a].get(b, 0.0) + w
            in_edges[b][a] = in_edges[b].get(a, 0.0) + w
    out_weight = {c: sum(out_edges[c].values()) for c in cells}
    in_weight = {c: sum(in_edges[c].values()) for c in cells}
    remaining = set(cells)
    front, back = [], []
    balance = [(-(out_weight[c] - in_weight[c]), position[c], c) for c in cells]
    sinks = [(-position[c], c) for c in cells if not out_edges[c]]
    sources = [(position[c], c) for c in cells if not in_edges[c]]
    for heap in (balance, sinks, sources):
        heapq.heapify(heap)

    def remove(cell):
        remaining.discard(cell)
        for other, w in out_edges.pop(cell).items():
            in_weight[other] -= w
            del in_edges[other][cell]
            heapq.heappush(balance, (-(out_weight[other] - in_weight[other]), position[other], other))
            if not in_edges[other]:
                heapq.heappush(sources, (position[other], other))
        for other, w in in_edges.pop(cell).items():
            out_weight[other] -= w
            del out_edges[other][cell]
            heapq.heappush(balance, (-(out_weight[other] - in_weight[other]), position[other], other))
            if not out_edges[other]:
                heapq.heappush(sinks, (-position[other], other))

    while remaining:
        while sinks and (sinks[0][1] not in remaining or out_edges[sinks[0][1]]):
            heapq.heappop(sinks)
        if sinks:
            cell = heapq.heappop(sinks)[1]
            back.append(cell)
            remove(cell)
            continue
        while sources and (sources[0][1] not in remaining or in_edges[sources[0][1]]):
            heapq.heappop(sources)
        if sources:
            cell = heapq.heappop(sources)[1]
            front.append(cell)
            remove(cell)
            continue
        while True:
            priority, _, cell = heapq.heappop(balance)
            if cell in remaining and -priority == out_weight[cell] - in_weight[cell]:
                break
        front.append(cell)
        remove(cell)
    return front + back[::-1]


def layered_dag(connectome, layers=None):
    """Layer a connectome sensory → inter → motor → muscle into a DAG (ElegansNet).

    The rule, in full:

    1. Every cell gets the layer of its ``cell_class`` from ``layers``
       (default :data:`DEFAULT_LAYERS`: sensory 0, inter and other 1,
       motor 2, muscle 3).
    2. Within each layer the cells are ordered by the weighted greedy
       feedback-arc-set heuristic of Eades, Lin & Smyth (1993) applied to
       the chemical edges inside that layer (sources first, sinks last, then
       the largest out-minus-in weight), ties broken by the neuron table's
       order. The order is deterministic: no seed is needed.
    3. The topological order is: layer 0 in that order, then layer 1, and
       so on. Every chemical edge from an earlier to a later position is
       kept; every chemical edge to the same or an earlier position — edges
       to an earlier layer, within-layer edges against the order, and
       autapses — is dropped (see ``dropped_chemical``).
    4. Every gap junction is kept and directed from its cell with the
       earlier position to the one with the later position
       (``electrical_directed``); the returned connectome still stores
       gap junctions as undirected pairs.

    The kept edges therefore all point forward in one total order, so the
    result is acyclic.

    Parameters
    ----------
    connectome : Connectome
    layers : dict, optional
        Layer number of each cell class; every class present must be a key.

    Returns
    -------
    LayeredConnectome
        Unpacks as ``(dag, layers)``; also holds the order, the directed gap
        junctions and the dropped edges.

    Raises
    ------
    ConnectomeError
        If a cell class present has no layer.

    References
    ----------
    Bardozzo, F., Terlizzi, A., Simoncini, C., Liò, P. and Tagliaferri, R.
    (2023). ElegansNet: a brief scientific report and initial experiments.
    Eades, P., Lin, X. and Smyth, W. F. (1993). A fast and effective
    heuristic for the feedback arc set problem. Information Processing
    Letters 47(6), 319-323.

    Examples
    --------
    >>> from neuroworm import load_connectome
    >>> dag, layers = layered_dag(load_connectome("cook2019_hermaphrodite"))
    """
    layer_of = dict(DEFAULT_LAYERS if layers is None else layers)
    classes = connectome.neurons["cell_class"]
    missing = sorted(set(classes) - set(layer_of))
    if missing:
        raise ConnectomeError(
            f"layered_dag: no layer given for cell class(es) {missing}; layers must map each of {CELL_CLASSES}"
        )
    layer = classes.map(layer_of).astype(int).rename("layer")
    chemical = connectome.chemical
    pre_layer = layer.reindex(chemical["pre"]).to_numpy()
    post_layer = layer.reindex(chemical["post"]).to_numpy()
    ordered = []
    for value in sorted(set(layer)):
        cells = list(layer.index[layer.to_numpy() == value])
        inside = (pre_layer == value) & (post_layer == value)
        ordered += _greedy_order(
            cells,
            chemical["pre"].to_numpy()[inside],
            chemical["post"].to_numpy()[inside],
            chemical["weight"].to_numpy(float)[inside],
        )
    order = pd.Series(np.arange(len(ordered)), index=pd.Index(ordered, name=connectome.neurons.index.name), name="order")
    order = order.reindex(connectome.neurons.index)

    forward = order.reindex(chemical["pre"]).to_numpy() < order.reindex(chemical["post"]).to_numpy()
    kept = chemical[forward].reset_index(drop=True)
    dropped = chemical[~forward].reset_index(drop=True)

    electrical = connectome.electrical
    a_first = order.reindex(electrical["a"]).to_numpy() < order.reindex(electrical["b"]).to_numpy()
    electrical_directed = pd.DataFrame(
        {
            "pre": np.where(a_first, electrical["a"].to_numpy(object), electrical["b"].to_numpy(object)),
            "post": np.where(a_first, electrical["b"].to_numpy(object), electrical["a"].to_numpy(object)),
            "weight": electrical["weight"].to_numpy(float),
        }
    )
    metadata = dict(connectome.metadata)
    metadata["layering"] = {
        "source": connectome.name,
        "layers": layer_of,
        "dropped_chemical_edges": len(dropped),
        "dropped_chemical_weight": float(dropped["weight"].sum()),
    }
    dag = Connectome(connectome.neurons.copy(), kept, electrical.copy(), metadata, f"{connectome.name}[dag]")
    return LayeredConnectome(dag, layer, order, electrical_directed, dropped)


def connection_pairs(layered):
    """The DAG's distinct directed connections ``(pre, post)``: kept chemical edges and directed gap junctions.

    A pair joined by both a chemical synapse and a gap junction is one connection.

    Parameters
    ----------
    layered : LayeredConnectome

    Returns
    -------
    set of (str, str)
    """
    tables = (layered.connectome.chemical, layered.electrical_directed)
    return {(pre, post) for table in tables for pre, post in zip(table["pre"], table["post"], strict=True)}


def match_connections(layered, connections, *, seed=None):
    """The layered DAG with exactly ``connections`` distinct connections, for size-matched controls.

    A random graph layered by :func:`layered_dag` loses a different number
    of backward edges than the connectome it imitates, so after layering the
    two differ in size. This removes connections drawn uniformly at random
    (a removed connection loses its chemical edge and its gap junction) or
    adds forward chemical edges (weight 1) between cells drawn uniformly
    among the unconnected pairs whose order goes forward, until the count is
    ``connections``; cells, layers and order are unchanged, so the result
    is still a DAG with the same input and output cells.

    Parameters
    ----------
    layered : LayeredConnectome
    connections : int
        The target count of :func:`connection_pairs`.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    LayeredConnectome

    Raises
    ------
    ConnectomeError
        If ``connections`` is negative or more than the forward pairs the order allows.
    """
    from ..seeding import make_rng

    rng = make_rng(seed)
    pairs = connection_pairs(layered)
    cells = len(layered.order)
    if not 0 <= int(connections) <= cells * (cells - 1) // 2:
        raise ConnectomeError(f"match_connections: connections must be in [0, {cells * (cells - 1) // 2}] for "
                              f"{cells} cells, got {connections}")
    chemical, electrical, directed = (layered.connectome.chemical, layered.connectome.electrical,
                                      layered.electrical_directed)
    change = int(connections) - len(pairs)
    if change < 0:
        ordered = sorted(pairs)
        removed = {ordered[i] for i in rng.choice(len(ordered), size=-change, replace=False)}
        keep_chemical = [pair not in removed for pair in zip(chemical["pre"], chemical["post"], strict=True)]
        keep_electrical = np.array([pair not in removed for pair in zip(directed["pre"], directed["post"],
                                                                          strict=True)], dtype=bool)
        chemical = chemical[keep_chemical].reset_index(drop=True)
        electrical = electrical[keep_electrical].reset_index(drop=True)
        directed = directed[keep_electrical].reset_index(drop=True)
    elif change > 0:
        by_order = list(layered.order.sort_values().index)
        added = set()
        while len(added) < change:  # rejection sampling: the DAG is sparse, so few draws are refused
            first, second = rng.integers(0, cells, size=2)
            if first == second:
                continue
            pair = (by_order[min(first, second)], by_order[max(first, second)])
            if pair not in pairs and pair not in added:
                added.add(pair)
        extra = pd.DataFrame(sorted(added), columns=["pre", "post"])
        extra["weight"] = 1.0
        chemical = pd.concat([chemical, extra.astype(chemical.dtypes.to_dict())], ignore_index=True)
    metadata = dict(layered.connectome.metadata)
    metadata["matched_connections"] = {"target": int(connections), "before": len(pairs), "change": change}
    dag = Connectome(layered.connectome.neurons.copy(), chemical, electrical, metadata, layered.connectome.name)
    return LayeredConnectome(dag, layered.layers, layered.order, directed, layered.dropped_chemical)
