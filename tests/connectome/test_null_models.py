"""Null models: each preserves exactly what its name promises, and is seeded."""

import numpy as np
import pandas as pd
import pytest

from neuroworm import ConfigError, Connectome
from neuroworm.connectome import (
    barabasi_albert_like,
    degree_preserving_rewire,
    erdos_renyi_like,
    statistics_matched,
    watts_strogatz_like,
)
from neuroworm.connectome.statistics import _symmetric_binary, average_clustering

ALL_MODELS = [
    statistics_matched,
    lambda c, seed: degree_preserving_rewire(c, 0.5, seed=seed),
    erdos_renyi_like,
    watts_strogatz_like,
    barabasi_albert_like,
]


def random_connectome(cells=80, edges=480, gap_junctions=40, seed=0, per_edge_sign=False):
    rng = np.random.default_rng(seed)
    names = [f"N{i:03d}" for i in range(cells)]
    neurons = pd.DataFrame(
        {
            "cell_class": rng.choice(["sensory", "inter", "motor"], size=cells),
            "neurotransmitter": None,
            "sign": rng.choice([1, 1, 1, -1, 0], size=cells),
        },
        index=pd.Index(names, name="name"),
    )
    off_diagonal = np.flatnonzero(~np.eye(cells, dtype=bool))
    codes = rng.choice(off_diagonal, size=edges, replace=False)
    chemical = pd.DataFrame(
        {"pre": [names[c // cells] for c in codes], "post": [names[c % cells] for c in codes],
         "weight": rng.integers(1, 20, size=edges).astype(float)}
    )
    if per_edge_sign:
        chemical["sign"] = rng.choice([1, -1, 0], size=edges)
    i, j = np.triu_indices(cells, k=1)
    pick = rng.choice(len(i), size=gap_junctions, replace=False)
    electrical = pd.DataFrame({"a": [names[k] for k in i[pick]], "b": [names[k] for k in j[pick]],
                               "weight": rng.integers(1, 5, size=gap_junctions).astype(float)})
    return Connectome(neurons, chemical, electrical, {"citation": "random"}, "random")


@pytest.fixture
def worm():
    return random_connectome()


def edge_set(connectome):
    return set(zip(connectome.chemical["pre"], connectome.chemical["post"], strict=True))


def degrees(connectome):
    out = connectome.chemical.groupby("pre").size().reindex(connectome.names, fill_value=0)
    into = connectome.chemical.groupby("post").size().reindex(connectome.names, fill_value=0)
    return out.to_numpy(), into.to_numpy()


def sign_counts(connectome):
    signs = connectome.edge_signs()
    return {s: int((signs == s).sum()) for s in (1, -1, 0)}


@pytest.mark.parametrize("model", ALL_MODELS)
def test_every_model_keeps_the_neuron_table_and_is_seeded(worm, model):
    first, second, other = model(worm, seed=3), model(worm, seed=3), model(worm, seed=4)
    pd.testing.assert_frame_equal(first.neurons, worm.neurons)
    pd.testing.assert_frame_equal(first.chemical, second.chemical)
    pd.testing.assert_frame_equal(first.electrical, second.electrical)
    assert edge_set(first) != edge_set(other)
    assert first.metadata["null_model"]["seed"] == 3 and first.metadata["citation"] == "random"
    generator = np.random.default_rng(3)
    assert isinstance(model(worm, seed=generator), Connectome)


@pytest.mark.parametrize("per_edge_sign", [False, True])
def test_statistics_matched_preserves_counts_signs_and_weights(per_edge_sign):
    worm = random_connectome(per_edge_sign=per_edge_sign)
    control = statistics_matched(worm, seed=1)
    assert len(control.chemical) == len(worm.chemical)
    assert sign_counts(control) == sign_counts(worm)
    assert sorted(control.chemical["weight"]) == sorted(worm.chemical["weight"])
    for sign in (1, -1, 0):
        assert sorted(control.chemical["weight"][control.edge_signs() == sign]) == sorted(
            worm.chemical["weight"][worm.edge_signs() == sign]
        )
    assert not (control.chemical["pre"] == control.chemical["post"]).any()
    assert not control.chemical.duplicated(["pre", "post"]).any()
    assert len(control.electrical) == len(worm.electrical)
    assert sorted(control.electrical["weight"]) == sorted(worm.electrical["weight"])
    assert (control.electrical["a"] < control.electrical["b"]).all()
    assert len(edge_set(control) & edge_set(worm)) < 0.2 * len(worm.chemical)  # the wiring is new
    if not per_edge_sign:  # Dale's law: an edge's sign is its presynaptic cell's
        assert "sign" not in control.chemical


def test_degree_preserving_rewire_keeps_every_degree_and_out_strength(worm):
    for fraction in (0.25, 1.0):
        rewired = degree_preserving_rewire(worm, fraction, seed=2)
        for mine, theirs in zip(degrees(rewired), degrees(worm), strict=True):
            assert np.array_equal(mine, theirs)
        strength = worm.chemical.groupby("pre")["weight"].sum()
        assert rewired.chemical.groupby("pre")["weight"].sum().equals(strength)
        assert sign_counts(rewired) == sign_counts(worm)
        assert not (rewired.chemical["pre"] == rewired.chemical["post"]).any()
        pd.testing.assert_frame_equal(rewired.electrical, worm.electrical)


def test_rewiring_fraction_sets_how_many_edges_move(worm):
    same = degree_preserving_rewire(worm, 0, seed=5)
    pd.testing.assert_frame_equal(same.chemical, worm.chemical)
    m = len(worm.chemical)
    moved = {}
    for fraction in (0.1, 0.5, 1.0):
        rewired = degree_preserving_rewire(worm, fraction, seed=5)
        changed = (rewired.chemical["post"] != worm.chemical["post"]).sum()
        moved[fraction] = changed
        assert changed == 2 * rewired.metadata["null_model"]["swaps"]
        assert changed <= round(fraction * m / 2) * 2
    assert moved[0.1] < moved[0.5] < moved[1.0]
    assert moved[0.5] == 2 * round(0.5 * m / 2)
    assert moved[1.0] >= 0.9 * m


@pytest.mark.parametrize("fraction", [-0.1, 1.5, "half", None])
def test_rewiring_fraction_must_be_in_unit_interval(worm, fraction):
    with pytest.raises(ConfigError, match="fraction"):
        degree_preserving_rewire(worm, fraction)


def test_erdos_renyi_like_keeps_edge_count_and_weights(worm):
    control = erdos_renyi_like(worm, seed=0)
    assert len(control.chemical) == len(worm.chemical)
    assert sorted(control.chemical["weight"]) == sorted(worm.chemical["weight"])
    assert len(control.electrical) == len(worm.electrical)
    assert not (control.chemical["pre"] == control.chemical["post"]).any()


def test_watts_strogatz_like_mean_degree_and_lattice_clustering(worm):
    n, m = len(worm.neurons), len(worm.chemical)
    control = watts_strogatz_like(worm, seed=0)
    k = control.metadata["null_model"]["k"]
    assert k == 2 * round(m / n) and abs(len(control.chemical) - m) <= n / 2
    lattice = watts_strogatz_like(worm, seed=0, rewiring_probability=0.0)
    undirected = _symmetric_binary(lattice.adjacency("chemical").matrix)
    # a ring lattice's clustering is 3 (k - 2) / (4 (k - 1)) (Watts & Strogatz 1998)
    assert average_clustering(undirected) == pytest.approx(3 * (k - 2) / (4 * (k - 1)))
    assert average_clustering(_symmetric_binary(control.adjacency("chemical").matrix)) < average_clustering(undirected)
    assert np.all(np.asarray(undirected.sum(axis=1)).ravel() == k)


def test_barabasi_albert_like_mean_degree_and_hubs():
    worm = random_connectome(cells=300, edges=1500, seed=4)
    control = barabasi_albert_like(worm, seed=0)
    assert len(control.chemical) == len(worm.chemical)
    dense = random_connectome(cells=60, edges=900, seed=5)  # 15 edges per cell
    assert len(barabasi_albert_like(dense, seed=1).chemical) == 900
    sparse = random_connectome(cells=60, edges=70, seed=5)
    assert len(barabasi_albert_like(sparse, seed=1).chemical) == 70
    total_degree = control.chemical["pre"].value_counts().add(control.chemical["post"].value_counts(), fill_value=0)
    random_degree = worm.chemical["pre"].value_counts().add(worm.chemical["post"].value_counts(), fill_value=0)
    assert total_degree.max() > 2 * random_degree.max()  # preferential attachment grows hubs


def test_tiny_connectomes():
    worm = random_connectome(cells=4, edges=5, gap_junctions=2, seed=1)
    for model in ALL_MODELS:
        assert isinstance(model(worm, seed=0), Connectome)
    full = random_connectome(cells=5, edges=20, gap_junctions=10, seed=2)  # complete digraph
    assert edge_set(statistics_matched(full, seed=0)) == edge_set(full)


def test_cook2019_statistics_network_if_present():
    from neuroworm.connectome import list_connectomes, load_connectome

    if "cook2019_hermaphrodite" not in set(list_connectomes().index):
        pytest.skip("connectome_data/cook2019_hermaphrodite is not built yet")
    worm = load_connectome("cook2019_hermaphrodite")
    control = statistics_matched(worm, seed=0)
    assert sign_counts(control) == sign_counts(worm)
    assert sorted(control.chemical["weight"]) == sorted(worm.chemical["weight"])
    rewired = degree_preserving_rewire(worm, 1.0, seed=0)
    for mine, theirs in zip(degrees(rewired), degrees(worm), strict=True):
        assert np.array_equal(mine, theirs)


def test_watts_strogatz_like_is_networkx_graph_relabelled(worm):
    """The undirected skeleton is networkx's Watts-Strogatz graph on the ring order drawn first."""
    import networkx as nx

    from neuroworm.seeding import make_rng

    control = watts_strogatz_like(worm, seed=5, rewiring_probability=0.3)
    n, k = len(worm.neurons), control.metadata["null_model"]["k"]
    rng = make_rng(5)
    ring = rng.permutation(n)
    expected = nx.watts_strogatz_graph(n, k, 0.3, seed=rng)
    names = list(worm.neurons.index)
    position = {names[ring[i]]: i for i in range(n)}
    got = {frozenset((position[a], position[b])) for a, b in zip(control.chemical["pre"], control.chemical["post"])}
    assert got == {frozenset(edge) for edge in expected.edges()}
