"""One data model for the synapse endpoints: ``pre`` and ``post`` are categoricals over the cells, however made.

Every way of making a connectome (the constructor from text or from another
connectome's categoricals, sub-connectomes, null models, the DAG, the file
readers strict and columnar, NetworkX, the bundled loaders) gives
``chemical["pre"]`` and ``chemical["post"]`` the dtype
:func:`~neuroworm.connectome.model.endpoint_dtype` of its own neuron table,
so that codes are positions in ``names``; the values still read as the
cells' names, and the gap-junction columns stay text.
"""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from neuroworm import ConnectomeError, load_connectome
from neuroworm.connectome import (
    Connectome,
    degree_preserving_rewire,
    endpoint_dtype,
    erdos_renyi_like,
    from_networkx,
    layered_dag,
    read_edge_list,
    read_flywire_codex,
    statistics_matched,
)
from neuroworm.connectome.columnar import read_edge_list_columnar, read_flywire_codex_columnar


def assert_endpoint_model(connectome):
    dtype = endpoint_dtype(connectome.neurons.index)
    names = np.asarray(connectome.names, dtype=object)
    for column in ("pre", "post"):
        values = connectome.chemical[column]
        assert values.dtype == dtype, (connectome.name, column, values.dtype)
        assert list(values.cat.categories) == list(names)
        # codes are positions in names: the names read back are the cells'
        positions = values.cat.codes.to_numpy()
        assert (positions >= 0).all()
        assert names[positions].tolist() == [str(v) for v in values.astype(object)]
    for column in ("a", "b"):
        assert not isinstance(connectome.electrical[column].dtype, pd.CategoricalDtype)


def small():
    neurons = pd.DataFrame({"cell_class": ["sensory", "inter", "motor", "muscle"], "neurotransmitter": None,
                            "sign": [1, -1, 1, 0]}, index=pd.Index(["S", "I", "M", "W"], name="name"))
    chemical = pd.DataFrame({"pre": ["S", "I", "M", "S", "I"], "post": ["I", "M", "W", "M", "S"],
                             "weight": [1.0, 2.0, 3.0, 4.0, 5.0]})
    electrical = pd.DataFrame({"a": ["I"], "b": ["S"], "weight": [1.0]})
    return Connectome(neurons, chemical, electrical, {}, "small")


def test_every_way_of_making_a_connectome_gives_categorical_endpoints(tmp_path):
    worm = load_connectome("cook2019_hermaphrodite")
    made = [small(), worm, worm.subset(list(worm.names)[::-1][:200]), worm.by_class("motor"),
            statistics_matched(worm, seed=1), degree_preserving_rewire(worm, 0.2, seed=1),
            erdos_renyi_like(worm, seed=1), layered_dag(worm).connectome, from_networkx(worm.to_networkx())]
    edges = tmp_path / "edges.csv"
    edges.write_text("pre,post,weight\nB,A,1\nA,C,2\nB,A,3\nC,C,1\n")
    codex = tmp_path / "connections.csv"
    codex.write_text("pre_root_id,post_root_id,neuropil,syn_count,nt_type\n"
                     "720575940000000002,720575940000000001,AL_L,5,ACH\n720575940000000001,720575940000000003,AL_R,2,GABA\n")
    made += [read_edge_list(edges), read_edge_list_columnar(edges), read_flywire_codex(codex),
             read_flywire_codex_columnar(codex)]
    for connectome in made:
        assert_endpoint_model(connectome)
    assert read_edge_list(edges).chemical["pre"].tolist() == ["B", "A", "C"]


def test_the_constructor_recodes_categoricals_of_other_categories_to_its_own_cells():
    worm = small()
    # the categories are the big connectome's four cells; the new neuron table has two, in another order
    kept = worm.chemical[worm.chemical["pre"].isin(["I", "M"]) & worm.chemical["post"].isin(["I", "M"])]
    neurons = worm.neurons.loc[["M", "I"]]
    sub = Connectome(neurons, kept.reset_index(drop=True), worm.electrical.iloc[:0], {}, "sub")
    assert_endpoint_model(sub)
    assert sub.chemical["pre"].cat.codes.tolist() == [1] and sub.chemical["post"].cat.codes.tolist() == [0]
    with pytest.raises(ConnectomeError, match=r"chemical row 0, column 'post': 'W' is not a cell"):
        Connectome(neurons, worm.chemical[worm.chemical["pre"] == "M"].reset_index(drop=True),
                   worm.electrical.iloc[:0], {}, "bad")


def test_categorical_endpoints_give_the_same_views_as_text():
    worm = small()
    text = worm.chemical.astype({"pre": object, "post": object})
    assert list(text.itertuples(index=False)) == list(worm.chemical.itertuples(index=False))
    assert all(type(value) is str for value in worm.chemical["pre"])
    assert worm.edge_signs().tolist() == [1, -1, 1, 1, -1]
    matrix, names = worm.adjacency("signed", order=["W", "M", "I", "S"])
    assert matrix[names.index("I"), names.index("M")] == -2.0 and matrix[names.index("M"), names.index("W")] == 3.0
    graph = worm.to_networkx()
    assert isinstance(graph, nx.MultiDiGraph)
    assert sorted(graph.edges(keys=True)) == sorted(
        [(p, q, "chemical") for p, q in zip(text["pre"], text["post"], strict=True)]
        + [("I", "S", "electrical"), ("S", "I", "electrical")])
    # pandas 3 groups categoricals by the observed cells only, as text
    assert worm.chemical.groupby("pre")["weight"].sum().to_dict() == {"S": 5.0, "I": 7.0, "M": 3.0}
    # duplicates are found on codes, with the same message as on text
    twice = pd.concat([worm.chemical, worm.chemical.iloc[[1]]], ignore_index=True)
    with pytest.raises(ConnectomeError, match=r"chemical row 5: synapse 'I' -> 'M' appears twice"):
        Connectome(worm.neurons, twice, worm.electrical, {}, "twice")


def test_a_cell_without_a_name_is_refused():
    worm = small()
    neurons = worm.neurons.copy()
    neurons.index = pd.Index(["S", np.nan, "M", "W"], dtype=object)
    with pytest.raises(ConnectomeError, match="neurons row 1: a cell without a name"):
        Connectome(neurons, worm.chemical.iloc[:0], worm.electrical.iloc[:0], {}, "nameless")
