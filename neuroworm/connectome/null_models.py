"""Null models: random connectomes that keep chosen properties of a real one.

Each function takes a :class:`~neuroworm.connectome.model.Connectome` and a
keyword ``seed`` (int or :class:`numpy.random.Generator`, see
:func:`neuroworm.seeding.make_rng`) and returns a new ``Connectome`` with the
same neuron table (names, classes, neurotransmitters and signs), so that the
same :class:`~neuroworm.connectome.circuits.Circuit` can be built on the real
wiring and on its controls. What each model preserves is stated in its
docstring and checked by ``tests/connectome/test_null_models.py``:

=========================== ==============================================================
model                       preserves
=========================== ==============================================================
statistics_matched          cells and signs; number of chemical edges and of excitatory /
                            inhibitory / unknown-sign edges; the weight multiset (per sign);
                            number of gap-junction pairs and their weight multiset
degree_preserving_rewire    everything above, plus every cell's in- and out-degree and
                            out-strength; gap junctions untouched
erdos_renyi_like            cells, number of chemical edges, weight multiset, gap-junction count
watts_strogatz_like         cells, (close to) the mean degree, weights drawn from the real ones
barabasi_albert_like        cells, (close to) the mean degree, weights drawn from the real ones
=========================== ==============================================================

The first is the "C. elegans statistics" network of Schmidgall et al. (2023);
the rewiring sweep and the three random-graph families are the controls of
Bardozzo et al. (2023, ElegansNet).

The random graphs are NetworkX's generators (:func:`networkx.gnm_random_graph`,
:func:`networkx.watts_strogatz_graph`, :func:`networkx.barabasi_albert_graph`),
seeded from the same generator; what is written here is only what is specific
to a connectome: which cell each node is, each edge's direction, its weight
(drawn from the real ones) and its sign. Two models keep their own sampler:
:func:`statistics_matched`, whose presynaptic cells come from the cells of each
edge's sign (no NetworkX generator draws from per-sign pools), and
:func:`degree_preserving_rewire`, whose sweep moves each edge at most once by
two-edge swaps (NetworkX's :func:`~networkx.directed_edge_swap` is a three-edge
swap that may move an edge again, so ``fraction`` would not say how many
edges moved).
"""

import networkx as nx
import numpy as np
import pandas as pd

from ..errors import ConfigError, ConnectomeError
from ..seeding import make_rng
from .model import Connectome
from .sampling import sample_pairs

__all__ = [
    "barabasi_albert_like",
    "degree_preserving_rewire",
    "erdos_renyi_like",
    "statistics_matched",
    "watts_strogatz_like",
]


# ------------------------------------------------------------------ sampling
def _draw_weights(weights, count, rng):
    """``count`` weights from ``weights``: a permutation if the counts match,
    else a sample without replacement, topped up with replacement when more
    are needed than there are."""
    weights = np.asarray(weights, dtype=float)
    if len(weights) == 0:
        return np.ones(count)
    if count <= len(weights):
        return rng.permutation(weights)[:count]
    extra = rng.choice(weights, size=count - len(weights), replace=True)
    return rng.permutation(np.concatenate([weights, extra]))


def _edge_arrays(graph):
    """(first, second) node arrays of a NetworkX graph's edges, in its edge order."""
    edges = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    return edges[:, 0], edges[:, 1]


def _random_electrical(connectome, rng):
    """Gap junctions re-drawn as an undirected G(n, m) graph (same count), shuffled weights."""
    names = np.asarray(connectome.names, dtype=object)
    first, second = _edge_arrays(nx.gnm_random_graph(len(names), len(connectome.electrical), seed=rng))
    return _undirected_table(names, first, second, _draw_weights(connectome.electrical["weight"], len(first), rng))


def _undirected_table(names, first, second, weights):
    a, b = names[first], names[second]
    swap = np.array([str(x) > str(y) for x, y in zip(a, b, strict=True)], dtype=bool)
    lo = np.where(swap, b, a)
    hi = np.where(swap, a, b)
    return pd.DataFrame({"a": lo, "b": hi, "weight": np.asarray(weights, dtype=float)})


def _chemical_table(names, pre, post, weights):
    return pd.DataFrame({"pre": names[pre], "post": names[post], "weight": np.asarray(weights, dtype=float)})


def _result(connectome, chemical, electrical, model, seed, **details):
    metadata = dict(connectome.metadata)
    metadata["null_model"] = {"model": model, "source": connectome.name, "seed": _seed_repr(seed), **details}
    return Connectome(connectome.neurons.copy(), chemical, electrical, metadata, f"{connectome.name}[{model}]")


def _seed_repr(seed):
    return seed if seed is None or isinstance(seed, int) else repr(seed)


# ------------------------------------------------------- statistics matched
def statistics_matched(connectome, seed=None):
    """The "C. elegans statistics" network: the real statistics, random wiring.

    Every chemical synapse is re-drawn between uniformly random distinct
    cells, keeping the counts that Schmidgall et al. (2023, "Architectural
    statistics conserve benefits of inductive priors") keep: the same cells,
    the same number of synapses and the same excitatory/inhibitory ratio.

    What it preserves:

    * the neuron table (names, classes, neurotransmitters, signs);
    * the number of chemical edges, and the number of excitatory (+1),
      inhibitory (-1) and unknown-sign (0) edges, as given by
      :meth:`Connectome.edge_signs`;
    * the multiset of chemical weights, and within it the multiset of each
      sign group's weights (weights are shuffled within a sign group);
    * the number of gap-junction pairs and the multiset of their weights.

    Wiring is uniform: no self loops, no duplicated edges.

    Parameters
    ----------
    connectome : Connectome
    seed : None, int or numpy.random.Generator

    Returns
    -------
    Connectome
        ``metadata["null_model"]`` records the model, source and seed.

    Notes
    -----
    An edge of sign ``s`` gets its presynaptic cell from the cells whose own
    sign is ``s`` (Dale's law holds in the result whenever it held in the
    input). Only when no cell has sign ``s`` (signs given per edge, not per
    cell) or those cells cannot host that many edges is the presynaptic cell
    drawn from all cells; a per-edge ``sign`` column is then written, as it
    is whenever the input had one. The postsynaptic cell is uniform.

    References
    ----------
    Schmidgall, S., Achterberg, J., Miconi, T., Kirsch, L., Ziaei, R.,
    Hajiseyedrazi, S. P. and Eshraghian, J. (2023). Brain-inspired learning
    in artificial neural networks: connectomes as architecture priors.
    """
    rng = make_rng(seed)
    names = np.asarray(connectome.names, dtype=object)
    n = len(names)
    cell_signs = connectome.neurons["sign"].to_numpy()
    edge_signs = connectome.edge_signs()
    weights = connectome.chemical["weight"].to_numpy(float)
    per_edge_sign = "sign" in connectome.chemical.columns
    pieces, taken = [], np.zeros(0, dtype=np.int64)
    for sign in (1, -1, 0):
        in_group = edge_signs == sign
        count = int(in_group.sum())
        if count == 0:
            continue
        pool = np.flatnonzero(cell_signs == sign)
        if len(pool) * (n - 1) < count and sign != 0:
            pool, per_edge_sign = np.arange(n), True
        codes = sample_pairs(n, count, rng, directed=True, pre_pool=pool, taken=taken)
        taken = np.concatenate([taken, codes])
        table = _chemical_table(names, codes // n, codes % n, rng.permutation(weights[in_group]))
        table["sign"] = np.int8(sign)
        pieces.append(table)
    chemical = pd.concat(pieces, ignore_index=True) if pieces else connectome.chemical.iloc[:0][["pre", "post", "weight"]]
    if not per_edge_sign:
        chemical = chemical.drop(columns="sign", errors="ignore")
    return _result(connectome, chemical, _random_electrical(connectome, rng), "statistics_matched", seed)


# -------------------------------------------------- degree-preserving rewire
def degree_preserving_rewire(connectome, fraction, seed=None, max_attempts_per_swap=100):
    """Rewire a fraction of the chemical synapses by double-edge swaps.

    A swap takes two edges ``a -> b`` (weight ``w1``) and ``c -> d`` (``w2``)
    and replaces them by ``a -> d`` (``w1``) and ``c -> b`` (``w2``); it is
    accepted only if ``a != c``, ``b != d``, neither new edge is a self loop
    and neither already exists. This is the rewiring sweep of ElegansNet
    (Bardozzo et al. 2023): as ``fraction`` goes from 0 to 1 the wiring goes
    from the real one to a degree-matched random one.

    What it preserves:

    * every cell's chemical in-degree and out-degree, exactly;
    * every cell's out-strength (weights travel with the presynaptic cell),
      hence the weight multiset and, with signs given per cell, every edge's
      sign and the excitatory/inhibitory counts; a per-edge ``sign`` travels
      with the edge's presynaptic side too;
    * the neuron table and the gap junctions (untouched).

    In-strength is not preserved.

    Parameters
    ----------
    connectome : Connectome
    fraction : float in [0, 1]
        Fraction of the chemical edges to move. ``round(fraction * m / 2)``
        swaps are made, each on two edges not moved before, so at most
        ``fraction * m`` edges (rounded to even) end up rewired; fewer when
        the graph is so constrained that no valid swap is found (then
        ``metadata["null_model"]["swaps"]`` says how many were made).
        ``0`` returns the same wiring.
    seed : None, int or numpy.random.Generator
    max_attempts_per_swap : int
        Give up after ``max_attempts_per_swap * swaps_requested`` attempts
        in total.

    Returns
    -------
    Connectome

    Raises
    ------
    ConfigError
        If ``fraction`` is not in [0, 1].
    """
    if not (isinstance(fraction, (int, float, np.integer, np.floating)) and 0.0 <= float(fraction) <= 1.0):
        raise ConfigError(f"degree_preserving_rewire: fraction must be a number in [0, 1], got {fraction!r}")
    rng = make_rng(seed)
    chemical = connectome.chemical.copy()
    m = len(chemical)
    requested = round(float(fraction) * m / 2)
    index = pd.Index(connectome.names)
    pre = index.get_indexer(chemical["pre"]).astype(np.int64)
    post = index.get_indexer(chemical["post"]).astype(np.int64)
    n = len(index)
    existing = set((pre * n + post).tolist())
    unmoved = np.ones(m, dtype=bool)
    unmoved_list = list(range(m))
    swaps, attempts = 0, 0
    while swaps < requested and attempts < max_attempts_per_swap * max(requested, 1) and len(unmoved_list) >= 2:
        attempts += 1
        i, j = (int(x) for x in rng.integers(0, len(unmoved_list), size=2))
        if i == j:
            continue
        e, f = unmoved_list[i], unmoved_list[j]
        a, b, c, d = pre[e], post[e], pre[f], post[f]
        if a == c or b == d or a == d or c == b:
            continue
        new_e, new_f = a * n + d, c * n + b
        if new_e in existing or new_f in existing:
            continue
        existing.difference_update((a * n + b, c * n + d))
        existing.update((new_e, new_f))
        post[e], post[f] = d, b
        unmoved[e] = unmoved[f] = False
        for k in sorted((i, j), reverse=True):  # O(1) removal: move the last entry into the hole
            unmoved_list[k] = unmoved_list[-1]
            unmoved_list.pop()
        swaps += 1
    chemical["post"] = np.asarray(connectome.names, dtype=object)[post]
    return _result(
        connectome, chemical, connectome.electrical.copy(), "degree_preserving_rewire", seed,
        fraction=float(fraction), swaps=swaps, swaps_requested=requested,
    )


# ------------------------------------------------------- random graph families
def _directed_random(connectome, first, second, rng, model, seed, **details):
    """Give each undirected edge a random direction and a real weight."""
    names = np.asarray(connectome.names, dtype=object)
    flip = rng.random(len(first)) < 0.5
    pre, post = np.where(flip, second, first), np.where(flip, first, second)
    chemical = _chemical_table(names, pre, post, _draw_weights(connectome.chemical["weight"], len(pre), rng))
    return _result(connectome, chemical, _random_electrical(connectome, rng), model, seed, **details)


def _require_cells(connectome, minimum, model):
    if len(connectome.neurons) < minimum:
        raise ConnectomeError(f"{model}: needs at least {minimum} cells, {connectome.name} has {len(connectome.neurons)}")


def erdos_renyi_like(connectome, seed=None):
    """An Erdős–Rényi G(n, m) control with the connectome's cells and edge count.

    The ``m`` chemical edges are a directed G(n, m) graph,
    :func:`networkx.gnm_random_graph` (``m`` distinct ordered pairs of
    distinct cells, uniformly); the chemical weights are the real ones in
    random order; each edge's sign is its presynaptic cell's (no per-edge
    signs). Gap junctions are an undirected G(n, ``len(electrical)``) graph
    with the real weights shuffled.

    What it preserves:

    the neuron table, the number of chemical edges (so the mean degree
    exactly), the chemical weight multiset, the number of gap-junction pairs
    and their weight multiset.

    Parameters
    ----------
    connectome : Connectome
    seed : None, int or numpy.random.Generator

    Returns
    -------
    Connectome

    References
    ----------
    Erdős, P. and Rényi, A. (1960). On the evolution of random graphs.
    Bardozzo, F. et al. (2023). ElegansNet (random-graph control G2).
    """
    _require_cells(connectome, 2, "erdos_renyi_like")
    rng = make_rng(seed)
    names = np.asarray(connectome.names, dtype=object)
    pre, post = _edge_arrays(nx.gnm_random_graph(len(names), len(connectome.chemical), seed=rng, directed=True))
    chemical = _chemical_table(names, pre, post, rng.permutation(connectome.chemical["weight"].to_numpy(float)))
    return _result(connectome, chemical, _random_electrical(connectome, rng), "erdos_renyi_like", seed)


def watts_strogatz_like(connectome, seed=None, rewiring_probability=0.1):
    """A Watts–Strogatz small-world control with the connectome's cells.

    The graph is :func:`networkx.watts_strogatz_graph` (Watts & Strogatz
    1998): a ring lattice where each node is joined to its ``k / 2`` nearest
    neighbours on each side, each edge's far end then moved with probability
    ``rewiring_probability`` to a uniformly chosen node (no self loops or
    duplicates); ``k`` is the even number closest to the mean total degree
    ``2 m / n`` (``m`` chemical edges, ``n`` cells; at least 2, at most
    ``n - 1``). Only the connectome-specific steps are added here: the cells
    are placed on the ring in a random order, and each undirected edge becomes one chemical synapse whose
    direction is a fair coin flip; weights are drawn from the real chemical
    weights (a permutation when the edge counts match, otherwise a sample);
    signs are the presynaptic cells'. Gap junctions: as in
    :func:`erdos_renyi_like`.

    What it preserves:

    the neuron table and, close to, the mean degree: the result has
    ``n k / 2`` chemical edges against the real ``m``.

    Parameters
    ----------
    connectome : Connectome
    seed : None, int or numpy.random.Generator
    rewiring_probability : float in [0, 1]
        Watts–Strogatz ``p``; 0 keeps the ring lattice, 1 gives a random graph.

    Returns
    -------
    Connectome

    References
    ----------
    Watts, D. J. and Strogatz, S. H. (1998). Collective dynamics of
    'small-world' networks. Nature 393, 440-442.
    Bardozzo, F. et al. (2023). ElegansNet (random-graph control G1).
    """
    _require_cells(connectome, 3, "watts_strogatz_like")
    if not 0.0 <= float(rewiring_probability) <= 1.0:
        raise ConfigError(f"watts_strogatz_like: rewiring_probability must be in [0, 1], got {rewiring_probability!r}")
    rng = make_rng(seed)
    n, m = len(connectome.neurons), len(connectome.chemical)
    k = int(min(max(2, 2 * round(m / n)), n - 1 - ((n - 1) % 2)))
    ring = rng.permutation(n)
    lattice = nx.watts_strogatz_graph(n, k, float(rewiring_probability), seed=rng)
    edges = np.array(sorted(lattice.edges()), dtype=np.int64).reshape(-1, 2)
    first, second = edges[:, 0], edges[:, 1]
    return _directed_random(
        connectome, ring[first], ring[second], rng, "watts_strogatz_like", seed,
        k=k, rewiring_probability=float(rewiring_probability),
    )


def barabasi_albert_like(connectome, seed=None):
    """A Barabási–Albert preferential-attachment control with the connectome's cells.

    The graph is :func:`networkx.barabasi_albert_graph` (Barabási & Albert
    1999): each cell after the first ``q`` links to ``q`` distinct earlier
    cells chosen with probability proportional to their degree, ``q (n - q)``
    edges in all; ``q`` is the largest number of links (at least 1, at most
    ``n // 2``) with ``q (n - q) <= m``. The few edges still missing to reach
    the real count ``m`` are added between uniformly random unlinked pairs.
    Only the connectome-specific steps are added here: the cells take the
    graph's nodes in a random order (the hubs are random cells), each
    undirected edge becomes one chemical synapse whose direction is a fair
    coin flip, weights are drawn from the real chemical weights (a
    permutation when the counts match), signs are the presynaptic cells'.
    Gap junctions: as in :func:`erdos_renyi_like`.

    What it preserves:

    the neuron table and the mean degree: the number of chemical edges is
    ``m`` whenever ``n - 1 <= m <= n (n - 1) / 2`` (with fewer than ``n - 1``
    edges it is ``n - 1``, the sparsest preferential-attachment graph; with
    more than ``n (n - 1) / 2`` it is the complete graph's).

    Parameters
    ----------
    connectome : Connectome
    seed : None, int or numpy.random.Generator

    Returns
    -------
    Connectome
        ``metadata["null_model"]["links_per_cell"]`` is ``q``.

    References
    ----------
    Barabási, A.-L. and Albert, R. (1999). Emergence of scaling in random
    networks. Science 286, 509-512.
    Bardozzo, F. et al. (2023). ElegansNet (random-graph control G3).
    """
    _require_cells(connectome, 3, "barabasi_albert_like")
    rng = make_rng(seed)
    n, m = len(connectome.neurons), len(connectome.chemical)
    q = 1
    while q < n // 2 and (q + 1) * (n - q - 1) <= m:
        q += 1
    first, second = _edge_arrays(nx.barabasi_albert_graph(n, q, seed=rng))
    missing = min(m, n * (n - 1) // 2) - len(first)
    if missing > 0:
        taken = np.minimum(first, second) * n + np.maximum(first, second)
        codes = sample_pairs(n, missing, rng, directed=False, taken=taken)
        first, second = np.concatenate([first, codes // n]), np.concatenate([second, codes % n])
    ring = rng.permutation(n)
    return _directed_random(
        connectome, ring[first], ring[second], rng, "barabasi_albert_like", seed, links_per_cell=q,
    )
