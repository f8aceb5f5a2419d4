"""Readers of users' connectome files: formats, conventions and every kind of bad input."""

import gzip

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroworm import Connectome, ConnectomeError, ConnectomeFileError, NeuroWormError
from neuroworm.connectome import (
    FLYWIRE_NEUROTRANSMITTERS,
    from_networkx,
    read_edge_list,
    read_flywire_codex,
    read_neuprint,
)

EDGES = """pre,post,weight,kind,sign
ASHL,AVAL,12,chemical,+1
AVAL,AVAR,3,electrical,
AVAR,AVAL,5,electrical,
ASHL,AVAL,2,chemical,excitatory
AVAL,ASHL,1,chemical,-1
AVAL,AVBL,4,gap junction,
"""

CODEX = """pre_root_id,post_root_id,neuropil,syn_count,nt_type
720575940000000001,720575940000000002,AL_L,5,GABA
720575940000000001,720575940000000002,AL_R,3,ACH
720575940000000001,720575940000000003,AL_R,1,ACH
720575940000000002,720575940000000001,MB_CA_L,4,GLUT
720575940000000003,720575940000000001,MB_CA_L,2,DA
"""

NEUPRINT_NEURONS = "bodyId,type,instance\n10,KC,KC_R\n11,MBON01,MBON01_R\n12,,\n"
NEUPRINT_CONNECTIONS = "bodyId_pre,bodyId_post,weight\n10,11,7\n11,10,2\n12,10,1\n10,11,1\n"


def write(folder, name, text, compress=False):
    path = folder / name
    data = text.encode("utf-8") if isinstance(text, str) else text
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def assert_file_error(excinfo, path, row=None, column=None):
    error = excinfo.value
    assert error.path == str(path)
    assert error.row == row
    assert error.column == column
    assert str(path) in str(error)


# ------------------------------------------------------------------ edge lists
def test_edge_list_kinds_signs_duplicates_and_gap_junction_directions(tmp_path):
    worm = read_edge_list(write(tmp_path, "worm.csv", EDGES))
    assert isinstance(worm, Connectome) and worm.name == "worm"
    assert list(worm.neurons.index) == ["ASHL", "AVAL", "AVAR", "AVBL"]
    assert (worm.neurons["cell_class"] == "other").all()
    chemical = worm.chemical.set_index(["pre", "post"])
    assert chemical.loc[("ASHL", "AVAL"), "weight"] == 14  # duplicated pair summed
    assert chemical.loc[("ASHL", "AVAL"), "sign"] == 1
    assert chemical.loc[("AVAL", "ASHL"), "sign"] == -1
    electrical = worm.electrical.set_index(["a", "b"])["weight"]
    assert electrical[("AVAL", "AVAR")] == 4  # both directions listed: mean of 3 and 5
    assert electrical[("AVAL", "AVBL")] == 4  # one direction: kept
    assert worm.neurons.loc["ASHL", "sign"] == 1 and worm.neurons.loc["AVAL", "sign"] == -1
    assert worm.neurons.loc["AVAR", "sign"] == 0


def test_gzip_tsv_and_sniffed_delimiter_give_the_same_connectome(tmp_path):
    plain = read_edge_list(write(tmp_path, "worm.csv", EDGES))
    tsv = EDGES.replace(",", "\t")
    for path in (
        write(tmp_path, "worm.csv.gz", EDGES, compress=True),
        write(tmp_path, "worm.tsv", tsv),
        write(tmp_path, "worm.txt", tsv),  # no telling extension: sniffed from the header
        write(tmp_path, "worm.tsv.gz", tsv, compress=True),
    ):
        other = read_edge_list(path)
        pd.testing.assert_frame_equal(other.chemical, plain.chemical)
        pd.testing.assert_frame_equal(other.electrical, plain.electrical)


def test_custom_columns_without_weight_or_kind(tmp_path):
    path = write(tmp_path, "edges.csv", "source;target\nA;B\nB;C\nA;B\n")
    connectome = read_edge_list(path, pre="source", post="target", name="toy")
    assert connectome.name == "toy"
    assert connectome.chemical["weight"].tolist() == [2.0, 1.0]
    assert len(connectome.electrical) == 0 and "sign" not in connectome.chemical


def test_zero_weight_rows_are_dropped_and_conflicting_signs_tie_to_zero(tmp_path):
    path = write(tmp_path, "e.csv", "pre,post,weight,sign\nA,B,0,1\nA,C,2,1\nA,C,2,-1\nB,C,1,inhibitory\n")
    connectome = read_edge_list(path)
    assert connectome.chemical[["pre", "post"]].values.tolist() == [["A", "C"], ["B", "C"]]
    assert connectome.chemical["sign"].tolist() == [0, -1]
    assert connectome.neurons.loc["A", "sign"] == 0 and connectome.neurons.loc["B", "sign"] == -1


def test_neuron_table_gives_classes_and_signs(tmp_path):
    table = write(
        tmp_path, "neurons.csv",
        "name,cell_class,neurotransmitter,sign,cell_type\nASHL,sensory,ACh,1,ASH\nAVAL,inter,Glu,,AVA\n"
        "AVAR,interneuron,Glu,0,AVA\nAVBL,inter,,,AVB\nDA01,motor,ACh,excitatory,DA\n",
    )
    worm = read_edge_list(write(tmp_path, "worm.csv", EDGES), neurons=table)
    assert list(worm.neurons.index) == ["ASHL", "AVAL", "AVAR", "AVBL", "DA01"]  # table order, unconnected kept
    assert worm.neurons["cell_class"].tolist() == ["sensory", "inter", "inter", "inter", "motor"]
    assert worm.neurons["sign"].tolist() == [1, 0, 0, 0, 1]
    assert worm.neurons.loc["AVAL", "cell_type"] == "AVA"
    assert pd.isna(worm.neurons.loc["AVBL", "neurotransmitter"])


def test_edges_naming_cells_absent_from_the_neuron_table(tmp_path):
    table = write(tmp_path, "neurons.csv", "name,cell_class\nASHL,sensory\nAVAL,inter\n")
    edges = write(tmp_path, "worm.csv", EDGES)
    with pytest.raises(ConnectomeFileError, match="'AVAR' is not in the neuron table") as excinfo:
        read_edge_list(edges, neurons=table)
    assert_file_error(excinfo, edges, row=3, column="post")


# ------------------------------------------------------------------- FlyWire
def test_flywire_codex_sums_neuropils_and_signs_by_majority(tmp_path):
    fly = read_flywire_codex(write(tmp_path, "connections.csv.gz", CODEX, compress=True))
    assert fly.name == "connections"
    one, two, three = "720575940000000001", "720575940000000002", "720575940000000003"
    chemical = fly.chemical.set_index(["pre", "post"])["weight"]
    assert chemical[(one, two)] == 8 and len(fly.chemical) == 4
    assert fly.neurons.loc[one, "neurotransmitter"] == "GABA"  # 5 GABA against 4 ACh synapses
    assert fly.neurons["sign"].to_dict() == {one: -1, two: -1, three: 0}  # GLUT is inhibitory; DA unsigned
    assert fly.metadata["weight_unit"] == "synapses"
    assert FLYWIRE_NEUROTRANSMITTERS["GLUT"] == ("glutamate", -1)


def test_flywire_classification_table_and_unknown_nt(tmp_path):
    table = write(
        tmp_path, "classification.csv",
        "root_id,flow,super_class,class\n720575940000000001,afferent,sensory,olfactory\n"
        "720575940000000002,intrinsic,central,LN\n720575940000000003,efferent,motor,\n",
    )
    fly = read_flywire_codex(write(tmp_path, "connections.csv", CODEX), neurons=table)
    assert fly.neurons["cell_class"].tolist() == ["sensory", "inter", "motor"]
    bad = write(tmp_path, "bad.csv", CODEX.replace("DA\n", "DOPE\n"))
    with pytest.raises(ConnectomeFileError, match="unknown nt_type 'DOPE'") as excinfo:
        read_flywire_codex(bad)
    assert_file_error(excinfo, bad, row=6, column="nt_type")


# ------------------------------------------------------------------ neuPrint
def test_neuprint_export(tmp_path):
    hemibrain = read_neuprint(
        write(tmp_path, "traced-neurons.csv", NEUPRINT_NEURONS),
        write(tmp_path, "traced-total-connections.csv", NEUPRINT_CONNECTIONS),
        name="hemibrain",
    )
    assert list(hemibrain.neurons.index) == ["10", "11", "12"]
    assert hemibrain.neurons["cell_type"].tolist()[:2] == ["KC", "MBON01"]
    assert hemibrain.chemical.set_index(["pre", "post"])["weight"][("10", "11")] == 8
    assert (hemibrain.neurons["sign"] == 0).all()


def test_neuprint_unknown_body(tmp_path):
    neurons = write(tmp_path, "traced-neurons.csv", NEUPRINT_NEURONS)
    connections = write(tmp_path, "c.csv", NEUPRINT_CONNECTIONS + "10,99,3\n")
    with pytest.raises(ConnectomeFileError, match="'99' is not in the neuron table") as excinfo:
        read_neuprint(neurons, connections)
    assert_file_error(excinfo, connections, row=6, column="bodyId_post")


# ------------------------------------------------------------------- NetworkX
def test_networkx_round_trip(tmp_path):
    worm = read_edge_list(write(tmp_path, "worm.csv", EDGES))
    again = from_networkx(worm.to_networkx())
    assert again.name == worm.name
    pd.testing.assert_frame_equal(again.chemical, worm.chemical)
    pd.testing.assert_frame_equal(again.electrical, worm.electrical)
    assert again.neurons["sign"].tolist() == worm.neurons["sign"].tolist()


def test_networkx_plain_graphs():
    directed = nx.DiGraph()
    directed.add_node(1, cell_class="sensory", sign=1)
    directed.add_edge(1, 2, weight=3)
    directed.add_edge(2, 3, kind="electrical", weight=2)
    connectome = from_networkx(directed, name="toy")
    assert connectome.chemical.values.tolist() == [["1", "2", 3.0]]
    assert connectome.electrical.values.tolist() == [["2", "3", 2.0]]
    assert connectome.neurons["cell_class"].tolist() == ["sensory", "other", "other"]
    undirected = from_networkx(nx.path_graph(3))  # chemical both ways, weight 1
    assert sorted(map(tuple, undirected.chemical[["pre", "post"]].values)) == [("0", "1"), ("1", "0"), ("1", "2"), ("2", "1")]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda g: g.add_edge("a", "b", weight=-1), "non-negative"),
        (lambda g: g.add_edge("a", "b", weight="heavy"), "non-negative"),
        (lambda g: g.add_edge("a", "b", kind="telepathic"), "unknown kind"),
        (lambda g: g.add_edge("a", "b", sign="maybe"), "unknown sign"),
        (lambda g: g.add_node("a", cell_class="glia"), "unknown cell_class"),
        (lambda g: g.add_nodes_from([1, "1"]), "same name"),
    ],
)
def test_networkx_bad_attributes(mutate, message):
    graph = nx.DiGraph()
    mutate(graph)
    with pytest.raises(ConnectomeError, match=message):
        from_networkx(graph)


def test_networkx_not_a_graph():
    with pytest.raises(ConnectomeError, match="networkx graph"):
        from_networkx({"a": ["b"]})


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("content", "row", "column", "message"),
    [
        ("", None, None, "empty"),
        ("\n  \n", None, None, "empty"),
        (",,\n ,\n", None, None, "empty"),
        ("pre,post,weight\n", None, None, "no data rows"),
        ("source,target,weight\nA,B,1\n", 1, None, r"missing column\(s\) \['pre', 'post'\]; found \['source'"),
        ("pre,post,weight\nA,B,1\nA,C,heavy\n", 3, "weight", "got 'heavy'"),
        ("pre,post,weight\nA,B,-2\n", 2, "weight", "must not be negative"),
        ("pre,post,weight\nA,B,1\n\nA,C,nan\n", 4, "weight", "got 'nan'"),
        ("pre,post,weight\nA,B,inf\n", 2, "weight", "finite"),
        ("pre,post,weight\nA,B,\n", 2, "weight", "missing weight"),
        ("pre,post,weight\nA,,1\n", 2, "post", "missing cell name"),
        ("pre,post,weight\nA,B,1,7\n", 2, None, "has 4 field"),
        ("pre,post,weight\nA,B\n", 2, None, "has 2 field"),
        ("pre,post,weight,kind\nA,B,1,chemical\nA,C,1,telepathic\n", 3, "kind", "unknown synapse kind"),
        ("pre,post,weight,sign\nA,B,1,2\n", 2, "sign", "unknown sign '2'"),
        ("pre,pre,weight\nA,B,1\n", 1, None, "appears twice"),
        ("pre,post,weight\nA,B,0\n", None, None, "no synapse"),
    ],
)
def test_edge_list_errors_name_file_line_and_column(tmp_path, content, row, column, message):
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(ConnectomeFileError, match=message) as excinfo:
        read_edge_list(path)
    assert_file_error(excinfo, path, row, column)


def test_missing_file_folder_corrupt_gzip_and_bad_encoding(tmp_path):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(ConnectomeFileError, match="no such file"):
        read_edge_list(missing)
    with pytest.raises(ConnectomeFileError, match="folder"):
        read_flywire_codex(tmp_path)
    truncated = write(tmp_path, "cut.csv.gz", gzip.compress(EDGES.encode())[:-12])
    with pytest.raises(ConnectomeFileError, match="gzip"):
        read_edge_list(truncated)
    not_gzip = write(tmp_path, "plain.csv.gz", EDGES)
    with pytest.raises(ConnectomeFileError, match="gzip"):
        read_edge_list(not_gzip)
    latin = write(tmp_path, "latin.csv", "pre,post,weight\nA,B,1\nCaf\xe9,B,1\n".encode("latin-1"))
    with pytest.raises(ConnectomeFileError, match="UTF-8") as excinfo:
        read_edge_list(latin)
    assert excinfo.value.row == 3
    with pytest.raises(ConnectomeError, match="file path"):
        read_edge_list(42)


def test_bad_neuron_tables(tmp_path):
    edges = write(tmp_path, "worm.csv", EDGES)
    duplicated = write(tmp_path, "dup.csv", "name,cell_class\nASHL,sensory\nASHL,inter\n")
    with pytest.raises(ConnectomeFileError, match="listed twice") as excinfo:
        read_edge_list(edges, neurons=duplicated)
    assert_file_error(excinfo, duplicated, row=3, column="name")
    bad_class = write(tmp_path, "class.csv", "name,cell_class\nASHL,glia\n")
    with pytest.raises(ConnectomeFileError, match="unknown cell class 'glia'") as excinfo:
        read_edge_list(edges, neurons=bad_class)
    assert_file_error(excinfo, bad_class, row=2, column="cell_class")
    with pytest.raises(ConnectomeFileError, match="missing column"):
        read_edge_list(edges, neurons=write(tmp_path, "noname.csv", "cell,cell_class\nA,inter\n"))


def test_explicit_columns_must_exist(tmp_path):
    edges = write(tmp_path, "worm.csv", EDGES)
    for keywords in ({"weight": "count"}, {"kind": "synapse_type"}, {"sign": "polarity"}):
        with pytest.raises(ConnectomeFileError, match="missing column"):
            read_edge_list(edges, **keywords)


def test_flywire_and_neuprint_missing_columns(tmp_path):
    path = write(tmp_path, "connections.csv", "pre_root_id,post_root_id,syn_count\n1,2,3\n")
    with pytest.raises(ConnectomeFileError, match=r"\['nt_type'\]; found") as excinfo:
        read_flywire_codex(path)
    assert excinfo.value.row == 1
    neurons = write(tmp_path, "traced-neurons.csv", NEUPRINT_NEURONS)
    with pytest.raises(ConnectomeFileError, match="bodyId_pre"):
        read_neuprint(neurons, write(tmp_path, "c.csv", "pre,post,weight\n10,11,1\n"))


# ------------------------------------------------- property tests: never a traceback
_FIELD = st.text(alphabet=st.sampled_from(list("AB01-.e,;\t\"' x\n\r\xe9")), max_size=6)
_WEIGHT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 10**30).map(str),
    st.text(max_size=5),
    st.sampled_from(["", "nan", "NaN", "-0", "1e999", "0x10", "1_000", " 3 ", "∞"]),
)


def _row(fields):
    return ",".join(fields) + "\n"


def _assert_only_neuroworm_errors(read):
    try:
        result = read()
    except NeuroWormError:
        return
    assert isinstance(result, Connectome)


@st.composite
def _malformed_text(draw, header):
    columns = list(header)
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))
    if draw(st.booleans()):
        columns = columns[: draw(st.integers(0, len(columns)))]
    lines = [_row(columns)]
    for _ in range(draw(st.integers(0, 5))):
        fields = [draw(_WEIGHT) if "weight" in c or "count" in c else draw(_FIELD) for c in columns]
        if draw(st.booleans()):
            fields = fields[: draw(st.integers(0, len(fields)))]
        lines.append(_row(fields))
    text = "".join(lines)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text.encode("utf-8", errors="surrogatepass")


_GARBAGE = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=60).map(lambda b: b"\x1f\x8b" + b),
    st.binary(max_size=200).map(gzip.compress),
)

_PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_PROPERTY
@given(data=st.one_of(_GARBAGE, _malformed_text(["pre", "post", "weight", "kind", "sign"])),
       compress=st.booleans(), suffix=st.sampled_from([".csv", ".tsv", ".txt"]))
def test_edge_list_never_leaks_a_foreign_exception(tmp_path, data, compress, suffix):
    path = write(tmp_path, "fuzz" + suffix + (".gz" if compress else ""), data, compress=compress)
    _assert_only_neuroworm_errors(lambda: read_edge_list(path))


@_PROPERTY
@given(data=st.one_of(_GARBAGE, _malformed_text(["pre_root_id", "post_root_id", "neuropil", "syn_count", "nt_type"])),
       compress=st.booleans())
def test_flywire_never_leaks_a_foreign_exception(tmp_path, data, compress):
    path = write(tmp_path, "connections.csv" + (".gz" if compress else ""), data, compress=compress)
    _assert_only_neuroworm_errors(lambda: read_flywire_codex(path))


@_PROPERTY
@given(neurons=st.one_of(_GARBAGE, _malformed_text(["bodyId", "type", "instance"]),
                         st.just(NEUPRINT_NEURONS.encode())),
       connections=st.one_of(_GARBAGE, _malformed_text(["bodyId_pre", "bodyId_post", "weight"])))
def test_neuprint_never_leaks_a_foreign_exception(tmp_path, neurons, connections):
    neurons_path = write(tmp_path, "traced-neurons.csv", neurons)
    connections_path = write(tmp_path, "traced-total-connections.csv", connections)
    _assert_only_neuroworm_errors(lambda: read_neuprint(neurons_path, connections_path))


@_PROPERTY
@given(table=st.one_of(_GARBAGE, _malformed_text(["name", "cell_class", "neurotransmitter", "sign"])))
def test_neuron_table_never_leaks_a_foreign_exception(tmp_path, table):
    edges = write(tmp_path, "edges.csv", "pre,post,weight\nA,B,1\n")
    neurons = write(tmp_path, "neurons.csv", table)
    _assert_only_neuroworm_errors(lambda: read_edge_list(edges, neurons=neurons))


@settings(max_examples=30, deadline=None)
@given(edges=st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcd"),
                                st.one_of(st.floats(allow_nan=True), st.text(max_size=3), st.none()),
                                st.sampled_from(["chemical", "electrical", "other", None]),
                                st.one_of(st.integers(-3, 3), st.text(max_size=2), st.none())), max_size=8),
       directed=st.booleans())
def test_from_networkx_never_leaks_a_foreign_exception(edges, directed):
    graph = nx.MultiDiGraph() if directed else nx.Graph()
    graph.add_node("a")
    for u, v, weight, kind, sign in edges:
        attributes = {k: x for k, x in (("weight", weight), ("kind", kind), ("sign", sign)) if x is not None}
        graph.add_edge(u, v, **attributes)
    _assert_only_neuroworm_errors(lambda: from_networkx(graph))


def test_readers_accept_numpy_like_weights(tmp_path):
    path = write(tmp_path, "e.csv", "pre,post,weight\nA,B,1e2\nB,A, 2.5 \nA,C,3\n")
    assert np.allclose(read_edge_list(path).chemical["weight"], [100, 2.5, 3])
