"""Graph statistics against hand-computed values on small graphs and against NetworkX."""

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from neuroworm import Connectome
from neuroworm.connectome import connectome_stats, list_connectomes, load_connectome
from neuroworm.connectome.statistics import average_clustering, mean_path_length

EXPECTED_KEYS = [
    "neurons", "chemical_edges", "electrical_edges", "chemical_synapses", "electrical_synapses", "density",
    "excitatory_edge_fraction", "inhibitory_edge_fraction", "unknown_sign_edge_fraction", "reciprocity",
    "clustering", "path_length", "small_world_sigma",
]


def make(names, chemical, electrical=(), signs=None):
    neurons = pd.DataFrame(
        {"cell_class": "inter", "neurotransmitter": None, "sign": signs if signs is not None else 0},
        index=pd.Index(names, name="name"),
    )
    return Connectome(
        neurons,
        pd.DataFrame(list(chemical), columns=["pre", "post", "weight"]),
        pd.DataFrame(list(electrical), columns=["a", "b", "weight"]),
        name="toy",
    )


def from_graph(graph):
    names = [f"n{v}" for v in graph.nodes]
    return make(names, [(f"n{u}", f"n{v}", 1.0) for u, v in graph.edges])


def test_triangle_with_a_gap_junction():
    triangle = make(
        ["A", "B", "C"], [("A", "B", 1), ("B", "C", 2), ("C", "A", 3)], [("A", "B", 2)], signs=[1, -1, 0]
    )
    stats = triangle.stats()
    assert list(stats.index) == EXPECTED_KEYS and stats.name == "toy"
    assert stats["neurons"] == 3 and stats["chemical_edges"] == 3 and stats["electrical_edges"] == 1
    assert stats["chemical_synapses"] == 6 and stats["electrical_synapses"] == 2
    assert stats["density"] == pytest.approx(3 / 6)
    assert stats["excitatory_edge_fraction"] == stats["inhibitory_edge_fraction"] == pytest.approx(1 / 3)
    assert stats["reciprocity"] == 0
    assert stats["clustering"] == 1 and stats["path_length"] == 1
    assert stats["small_world_sigma"] == pytest.approx(1.0)  # the only G(3, 3) is the triangle itself


def test_directed_four_cycle_and_a_reciprocal_pair():
    cycle = make(["A", "B", "C", "D"], [("A", "B", 1), ("B", "C", 1), ("C", "D", 1), ("D", "A", 1)])
    stats = connectome_stats(cycle)
    assert stats["density"] == pytest.approx(4 / 12)
    assert stats["reciprocity"] == 0 and stats["clustering"] == 0
    assert stats["path_length"] == pytest.approx((1 + 1 + 2) / 3)
    assert stats["unknown_sign_edge_fraction"] == 1
    assert stats["small_world_sigma"] == 0  # C = 0 while some G(4, 4) graphs hold a triangle
    pair = make(["A", "B", "C"], [("A", "B", 1), ("B", "A", 1), ("B", "C", 1), ("C", "C", 1)])
    assert connectome_stats(pair)["reciprocity"] == pytest.approx(2 / 3)  # the autapse is left out


def test_largest_component_only_and_empty_graphs():
    two_parts = make(["A", "B", "C", "D", "E"], [("A", "B", 1), ("B", "C", 1)], [("D", "E", 1)])
    stats = connectome_stats(two_parts)
    assert stats["path_length"] == pytest.approx((1 + 2 + 1 + 1 + 2 + 1) / 6)  # path A-B-C
    lonely = connectome_stats(make(["A", "B"], []))
    assert math.isnan(lonely["path_length"]) and math.isnan(lonely["reciprocity"])
    assert math.isnan(lonely["excitatory_edge_fraction"]) and lonely["clustering"] == 0


def test_clustering_and_path_length_agree_with_networkx():
    graph = nx.gnm_random_graph(150, 600, seed=2, directed=True)
    stats = connectome_stats(from_graph(graph))
    undirected = nx.Graph(graph.to_undirected())
    giant = undirected.subgraph(max(nx.connected_components(undirected), key=len))
    assert stats["clustering"] == pytest.approx(nx.average_clustering(undirected))
    assert stats["path_length"] == pytest.approx(nx.average_shortest_path_length(giant))
    assert stats["reciprocity"] == pytest.approx(nx.overall_reciprocity(graph))


def test_small_world_sigma_separates_lattice_like_from_random():
    small_world = from_graph(nx.watts_strogatz_graph(300, 10, 0.05, seed=1))  # each edge one way
    random = from_graph(nx.gnm_random_graph(300, 1500, seed=1, directed=True))
    assert connectome_stats(small_world)["small_world_sigma"] > 3
    assert connectome_stats(random)["small_world_sigma"] == pytest.approx(1, abs=0.3)


def test_seeded_and_sampled_path_length():
    graph = from_graph(nx.gnm_random_graph(200, 900, seed=3, directed=True))
    pd.testing.assert_series_equal(connectome_stats(graph, seed=4), connectome_stats(graph, seed=4))
    matrix = graph.adjacency("combined").matrix
    matrix = ((matrix + matrix.T) > 0).astype(int)
    exact = mean_path_length(matrix)
    from neuroworm.connectome import statistics

    limit, sources = statistics.EXACT_PATH_LIMIT, statistics.SAMPLED_SOURCES
    statistics.EXACT_PATH_LIMIT, statistics.SAMPLED_SOURCES = 50, 60
    try:
        estimate = mean_path_length(matrix, seed=0)
    finally:
        statistics.EXACT_PATH_LIMIT, statistics.SAMPLED_SOURCES = limit, sources
    assert estimate == pytest.approx(exact, rel=0.05) and estimate != exact
    assert average_clustering(matrix[:0, :0]) != average_clustering(matrix[:0, :0])  # nan when empty


def test_bundled_cook2019_if_present():
    if "cook2019_hermaphrodite" not in set(list_connectomes().index):
        pytest.skip("connectome_data/cook2019_hermaphrodite is not built yet")
    stats = load_connectome("cook2019_hermaphrodite").stats()
    assert stats["neurons"] >= 300 and 0 < stats["density"] < 0.1
    assert stats["small_world_sigma"] > 1  # Watts & Strogatz (1998): the worm is a small world
    assert np.isclose(
        stats["excitatory_edge_fraction"] + stats["inhibitory_edge_fraction"] + stats["unknown_sign_edge_fraction"], 1
    )
