"""ElegansNet layering: sensory -> inter -> motor -> muscle as a directed acyclic graph."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from neuroworm import Connectome, ConnectomeError
from neuroworm.connectome import DEFAULT_LAYERS, LayeredConnectome, layered_dag


def make(cells, chemical, electrical=()):
    neurons = pd.DataFrame(
        {"cell_class": [c for _, c in cells], "neurotransmitter": None, "sign": 0},
        index=pd.Index([n for n, _ in cells], name="name"),
    )
    chemical = pd.DataFrame(list(chemical), columns=["pre", "post", "weight"])
    electrical = pd.DataFrame(list(electrical), columns=["a", "b", "weight"])
    return Connectome(neurons, chemical, electrical, name="toy")


@pytest.fixture
def loop():
    """A sensory cell, a two-interneuron loop, a motor cell and a muscle, with feedback."""
    return make(
        [("S", "sensory"), ("I1", "inter"), ("I2", "inter"), ("M", "motor"), ("MU", "muscle")],
        [
            ("S", "I1", 3), ("I1", "I2", 5), ("I2", "I1", 2),  # within-layer cycle: the lighter edge goes
            ("I2", "M", 4), ("M", "MU", 6),
            ("M", "I1", 1), ("MU", "S", 1), ("I1", "I1", 1),  # backwards and autapse: dropped
        ],
        [("I1", "S", 2), ("M", "I2", 1)],
    )


def random_worm(seed=0, cells=120, edges=900):
    rng = np.random.default_rng(seed)
    classes = rng.choice(["sensory", "inter", "motor", "muscle", "other"], size=cells, p=[0.2, 0.4, 0.25, 0.1, 0.05])
    names = [f"C{i}" for i in range(cells)]
    pairs = rng.choice(np.flatnonzero(~np.eye(cells, dtype=bool)), size=edges, replace=False)
    gap = rng.choice(np.flatnonzero(np.triu(np.ones((cells, cells), dtype=bool), 1)), size=100, replace=False)
    return make(
        list(zip(names, classes, strict=True)),
        [(names[c // cells], names[c % cells], float(rng.integers(1, 9))) for c in pairs],
        [(names[c // cells], names[c % cells], 1.0) for c in gap],
    )


def test_layers_order_and_dropped_edges(loop):
    result = layered_dag(loop)
    assert isinstance(result, LayeredConnectome)
    assert result.layers.to_dict() == {"S": 0, "I1": 1, "I2": 1, "M": 2, "MU": 3}
    assert list(result.order.sort_values().index) == ["S", "I1", "I2", "M", "MU"]
    kept = set(zip(result.connectome.chemical["pre"], result.connectome.chemical["post"], strict=True))
    assert kept == {("S", "I1"), ("I1", "I2"), ("I2", "M"), ("M", "MU")}
    dropped = set(zip(result.dropped_chemical["pre"], result.dropped_chemical["post"], strict=True))
    assert dropped == {("I2", "I1"), ("M", "I1"), ("MU", "S"), ("I1", "I1")}
    assert result.connectome.metadata["layering"]["dropped_chemical_weight"] == 5
    directed = set(zip(result.electrical_directed["pre"], result.electrical_directed["post"], strict=True))
    assert directed == {("S", "I1"), ("I2", "M")}  # gap junctions point forward, none lost
    assert len(result.connectome.electrical) == 2


def test_unpacks_as_connectome_and_layers(loop):
    dag, layers = layered_dag(loop)
    assert isinstance(dag, Connectome) and isinstance(layers, pd.Series)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_result_is_acyclic_and_every_edge_goes_forward(seed):
    worm = random_worm(seed)
    result = layered_dag(worm)
    graph = result.to_networkx()
    assert nx.is_directed_acyclic_graph(graph)
    for pre, post in graph.edges:
        assert result.order[pre] < result.order[post]
        assert result.layers[pre] <= result.layers[post]
    assert len(result.connectome.chemical) + len(result.dropped_chemical) == len(worm.chemical)
    assert graph.number_of_edges() == len(
        set(zip(result.connectome.chemical["pre"], result.connectome.chemical["post"], strict=True))
        | set(zip(result.electrical_directed["pre"], result.electrical_directed["post"], strict=True))
    )
    # every edge between different layers that points forward is kept
    layer_pre = result.layers.reindex(worm.chemical["pre"]).to_numpy()
    layer_post = result.layers.reindex(worm.chemical["post"]).to_numpy()
    assert len(result.connectome.chemical) >= int((layer_pre < layer_post).sum())
    # the within-layer order keeps at least half the within-layer weight (greedy FAS guarantee)
    inside = worm.chemical[(layer_pre == layer_post) & (worm.chemical["pre"] != worm.chemical["post"]).to_numpy()]
    kept_inside = result.connectome.chemical.merge(inside, on=["pre", "post", "weight"])
    assert kept_inside["weight"].sum() >= inside["weight"].sum() / 2


def test_layering_is_deterministic():
    worm = random_worm(5)
    first, second = layered_dag(worm), layered_dag(worm)
    pd.testing.assert_series_equal(first.order, second.order)
    pd.testing.assert_frame_equal(first.connectome.chemical, second.connectome.chemical)


def test_custom_layers_and_missing_class(loop):
    merged = layered_dag(loop, layers={**DEFAULT_LAYERS, "muscle": 2})
    assert merged.layers["MU"] == merged.layers["M"] == 2
    with pytest.raises(ConnectomeError, match="muscle"):
        layered_dag(loop, layers={"sensory": 0, "inter": 1, "motor": 2})


def test_cook2019_layering_if_present():
    from neuroworm.connectome import list_connectomes, load_connectome

    if "cook2019_hermaphrodite" not in set(list_connectomes().index):
        pytest.skip("connectome_data/cook2019_hermaphrodite is not built yet")
    worm = load_connectome("cook2019_hermaphrodite")
    result = layered_dag(worm)
    assert nx.is_directed_acyclic_graph(result.to_networkx())
    assert result.layers[worm.neurons["cell_class"] == "sensory"].eq(0).all()
    assert len(result.connectome.electrical) == len(worm.electrical)
    assert len(result.connectome.chemical) > len(worm.chemical) / 2


@pytest.mark.parametrize("change", [-40, 0, 35])
def test_match_connections_sets_the_count_and_keeps_a_dag(change):
    from neuroworm.connectome.layering import connection_pairs, match_connections

    result = layered_dag(random_worm(3))
    before = connection_pairs(result)
    matched = match_connections(result, len(before) + change, seed=1)
    after = connection_pairs(matched)
    assert len(after) == len(before) + change
    assert (after <= before) if change <= 0 else (after >= before)  # only removed, or only added
    graph = matched.to_networkx()
    assert nx.is_directed_acyclic_graph(graph) and graph.number_of_nodes() == len(result.order)
    assert all(matched.order[pre] < matched.order[post] for pre, post in after)
    pd.testing.assert_series_equal(matched.layers, result.layers)
    # a removed pair loses its gap junction too: the stored pairs and the directed ones agree
    assert len(matched.connectome.electrical) == len(matched.electrical_directed)
    again = connection_pairs(match_connections(result, len(before) + change, seed=1))
    assert again == after  # seeded


def test_worm_controls_match_the_worm_after_layering():
    """Every random-graph family and a rewired worm: 302 cells and the worm's 3,098 connections once layered."""
    from neuroworm.connectome import degree_preserving_rewire
    from neuroworm.connectome.layering import connection_pairs, match_connections
    from neuroworm.pipelines.elegansnet_runs import control_graph, worm_neurons

    worm = worm_neurons()
    target = len(connection_pairs(layered_dag(worm)))
    assert target == 3098
    graphs = [control_graph(worm, family, seed=2) for family in ("Watts-Strogatz", "Erdos-Renyi", "Barabasi-Albert")]
    for graph in graphs + [degree_preserving_rewire(worm, 0.5, seed=2)]:
        layered = layered_dag(graph)
        assert len(connection_pairs(layered)) != target  # unmatched, layering leaves them off by tens
        matched = match_connections(layered, target, seed=3)
        assert len(connection_pairs(matched)) == target and len(matched.order) == 302
    with pytest.raises(ConnectomeError, match="connections must be"):
        match_connections(layered_dag(worm), -1)
