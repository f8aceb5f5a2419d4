"""The Connectome data model: validation, views, matrices and graphs."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from neuroworm import Circuit, Connectome, ConnectomeError


@pytest.fixture
def tiny():
    neurons = pd.DataFrame(
        {
            "cell_class": ["sensory", "inter", "motor", "motor", "muscle"],
            "neurotransmitter": ["ACh", "Glu", "ACh", "GABA", None],
            "sign": [1, 0, 1, -1, 0],
        },
        index=pd.Index(["S", "I", "M1", "M2", "MU"], name="name"),
    )
    chemical = pd.DataFrame(
        {"pre": ["S", "I", "M1", "M2", "M2", "I"], "post": ["I", "M1", "MU", "MU", "M1", "S"], "weight": [3, 2, 5, 4, 1, 1]}
    )
    electrical = pd.DataFrame({"a": ["M1", "I"], "b": ["M2", "S"], "weight": [2, 1]})
    return Connectome(neurons, chemical, electrical, {"citation": "toy"}, "tiny")


def test_edge_signs_follow_presynaptic_cell_and_unknown_choice(tiny):
    assert tiny.edge_signs().tolist() == [1, 0, 1, -1, -1, 0]
    assert tiny.edge_signs(unknown=1).tolist() == [1, 1, 1, -1, -1, 1]


def test_per_edge_sign_overrides_cell_sign(tiny):
    chemical = tiny.chemical.assign(sign=[0, -1, 0, 0, 0, 0])
    other = Connectome(tiny.neurons, chemical, tiny.electrical, name="signed")
    assert other.edge_signs(unknown=1).tolist() == [1, -1, 1, -1, -1, 1]


def test_adjacency_kinds(tiny):
    chemical, names = tiny.adjacency("chemical")
    assert names == ("S", "I", "M1", "M2", "MU")
    dense = chemical.toarray()
    assert dense[0, 1] == 3 and dense[3, 2] == 1 and dense.sum() == 16
    electrical = tiny.adjacency("electrical").matrix.toarray()
    assert np.array_equal(electrical, electrical.T) and electrical[2, 3] == 2 and electrical.sum() == 6
    signed = tiny.adjacency("signed").matrix.toarray()
    assert signed[3, 4] == -4 and signed[1, 2] == 0  # the unknown-sign synapse vanishes
    combined = tiny.adjacency("combined").matrix.toarray()
    assert combined[1, 0] == 2  # chemical I->S (1) + gap junction I--S (1)


def test_adjacency_custom_order(tiny):
    matrix, names = tiny.adjacency("chemical", order=["MU", "M2"])
    assert names == ("MU", "M2") and matrix.toarray().tolist() == [[0, 0], [4, 0]]


def test_subset_and_by_class(tiny):
    motor = tiny.by_class("motor", "muscle")
    assert list(motor.neurons.index) == ["M1", "M2", "MU"]
    assert len(motor.chemical) == 3 and len(motor.electrical) == 1
    with pytest.raises(ConnectomeError, match="unknown cells"):
        tiny.subset(["S", "nope"])
    with pytest.raises(ConnectomeError, match="cell classes"):
        tiny.by_class("glia")


def test_to_networkx_keeps_both_synapse_kinds(tiny):
    graph = tiny.to_networkx()
    assert isinstance(graph, nx.MultiDiGraph)
    assert graph.number_of_nodes() == 5
    assert graph.number_of_edges() == 6 + 2 * 2
    assert graph.edges["M2", "MU", "chemical"]["sign"] == -1
    assert graph.edges["M2", "M1", "electrical"]["weight"] == 2
    assert graph.nodes["M2"]["neurotransmitter"] == "GABA"


@pytest.mark.parametrize(
    "table, change, message",
    [
        ("chemical", lambda t: t.drop(columns="weight"), "lacks column"),
        ("chemical", lambda t: t.assign(weight=[3, 2, -5, 4, 1, 1]), "row 2, column 'weight'"),
        ("chemical", lambda t: t.assign(weight=[3, 2, "x", 4, 1, 1]), "positive finite"),
        ("chemical", lambda t: t.assign(post=["I", "M1", "ghost", "MU", "M1", "S"]), "'ghost' is not a cell"),
        ("chemical", lambda t: pd.concat([t, t.iloc[:1]]), "appears twice"),
        ("electrical", lambda t: pd.concat([t, pd.DataFrame({"a": ["M2"], "b": ["M1"], "weight": [1]})]), "stored twice"),
        ("neurons", lambda t: t.assign(cell_class=["sensory", "inter", "motor", "glia", "muscle"]), "cell_class"),
        ("neurons", lambda t: t.assign(sign=[1, 0, 2, -1, 0]), "column 'sign'"),
        ("neurons", lambda t: t.iloc[:0], "empty"),
    ],
)
def test_invalid_tables_name_the_table_row_and_column(tiny, table, change, message):
    tables = {"neurons": tiny.neurons, "chemical": tiny.chemical, "electrical": tiny.electrical}
    tables[table] = change(tables[table])
    with pytest.raises(ConnectomeError, match=message):
        Connectome(tables["neurons"], tables["chemical"], tables["electrical"], name="bad")


def test_circuit_index_arrays(tiny):
    circuit = Circuit(tiny, inputs=["S"], outputs=["MU"], unknown_sign=-1)
    assert circuit.n_neurons == 5
    assert circuit.input_index.tolist() == [0] and circuit.output_index.tolist() == [4]
    assert circuit.chemical_pre.tolist() == [0, 1, 2, 3, 3, 1]
    assert circuit.chemical_post.tolist() == [1, 2, 4, 4, 2, 0]
    assert circuit.chemical_sign.tolist() == [1, -1, 1, -1, -1, -1]
    assert set(circuit.chemical_sign.tolist()) <= {-1, 1}
    assert circuit.electrical_a.tolist() == [2, 1] and circuit.electrical_b.tolist() == [3, 0]


def test_circuit_rejects_unknown_io_cells(tiny):
    with pytest.raises(ConnectomeError, match="output cells"):
        Circuit(tiny, inputs=["S"], outputs=["nowhere"])
    with pytest.raises(ConnectomeError, match="unknown_sign"):
        Circuit(tiny, inputs=["S"], outputs=["MU"], unknown_sign=0)
