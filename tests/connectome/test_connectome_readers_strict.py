"""Readers refuse what would silently corrupt a connectome: control characters, float root ids, fractional
synapse counts, edgeless graphs, overflowing sums and decompression bombs."""

import gzip

import networkx as nx
import pytest

from neuroworm.connectome.networkx_io import from_networkx
from neuroworm.connectome.readers import read_edge_list, read_flywire_codex, read_neuprint
from neuroworm.errors import ConnectomeError, ConnectomeFileError

CODEX_HEADER = "pre_root_id,post_root_id,neuropil,syn_count,nt_type\n"


def write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["AV\x00AL", "AVA\x1bL", "A\x7fB", "AV\x9bAL"])
def test_cell_names_with_control_characters_are_refused(tmp_path, name):
    path = write(tmp_path / "edges.csv", f"pre,post,weight\nAVAR,AVAL,1\nASHL,{name},2\n")
    with pytest.raises(ConnectomeFileError, match="control character") as error:
        read_edge_list(path)
    assert error.value.row == 3 and error.value.column == "post"


def test_tabs_and_spaces_around_names_are_still_stripped(tmp_path):
    path = write(tmp_path / "edges.csv", "pre,post,weight\n AVAR\t,AVAL,1\n")
    assert list(read_edge_list(path).chemical["pre"]) == ["AVAR"]


@pytest.mark.parametrize(
    "root_id, column",
    [("7.2e17", "pre_root_id"), ("720575940000000000.0", "pre_root_id"), ("-5", "pre_root_id"), ("abc", "pre_root_id")],
)
def test_flywire_root_ids_must_be_integers(tmp_path, root_id, column):
    path = write(tmp_path / "connections.csv",
                 CODEX_HEADER + "720575940000000001,720575940000000002,AL_L,5,ACH\n"
                 f"{root_id},720575940000000002,AL_R,3,ACH\n")
    with pytest.raises(ConnectomeFileError, match="not an integer") as error:
        read_flywire_codex(path)
    assert error.value.row == 3 and error.value.column == column


def test_flywire_syn_count_must_be_whole(tmp_path):
    path = write(tmp_path / "connections.csv",
                 CODEX_HEADER + "720575940000000001,720575940000000002,AL_L,5,ACH\n"
                 "720575940000000001,720575940000000002,AL_R,2.5,ACH\n")
    with pytest.raises(ConnectomeFileError, match="whole number") as error:
        read_flywire_codex(path)
    assert error.value.row == 3 and error.value.column == "syn_count"


def test_flywire_whole_counts_written_as_floats_are_accepted(tmp_path):
    path = write(tmp_path / "connections.csv",
                 CODEX_HEADER + "720575940000000001,720575940000000002,AL_L,5.0,ACH\n"
                 "720575940000000001,720575940000000002,AL_R,2,ACH\n")
    assert read_flywire_codex(path).chemical["weight"].tolist() == [7.0]


def test_from_networkx_refuses_a_graph_without_edges():
    graph = nx.DiGraph()
    graph.add_nodes_from(["AVAL", "AVAR"])
    with pytest.raises(ConnectomeError, match="no edge"):
        from_networkx(graph)


def test_an_overflowing_sum_of_duplicates_names_the_file_line(tmp_path):
    path = write(tmp_path / "edges.csv", "pre,post,weight\nA,B,1\nA,C,1.5e308\nB,C,1\nA,C,1.5e308\n")
    with pytest.raises(ConnectomeFileError, match=r"'A' -> 'C' sum to more than a float") as error:
        read_edge_list(path)
    assert error.value.row == 3 and "chemical row" not in str(error.value)


def test_neuprint_overflow_names_the_connections_file(tmp_path):
    neurons = write(tmp_path / "traced-neurons.csv", "bodyId,type,instance\n1,a,a\n2,b,b\n")
    connections = write(tmp_path / "traced-total-connections.csv",
                        "bodyId_pre,bodyId_post,weight\n1,2,1e308\n1,2,1e308\n")
    with pytest.raises(ConnectomeFileError, match="sum to more than a float") as error:
        read_neuprint(neurons, connections)
    assert error.value.path == str(connections) and error.value.row == 2


def test_a_decompression_bomb_is_refused_with_a_way_to_raise_the_limit(tmp_path):
    path = tmp_path / "edges.csv.gz"
    body = b"pre,post,weight\n" + b"A,B,1\n" * 50_000  # 300 kB of text from a few kB
    path.write_bytes(gzip.compress(body))
    assert path.stat().st_size < 5_000
    with pytest.raises(ConnectomeFileError, match="expands to more than 100,000 bytes.*max_bytes"):
        read_edge_list(path, max_bytes=100_000)
    assert read_edge_list(path, max_bytes=400_000).chemical["weight"].tolist() == [50_000]


def test_multi_member_gzip_is_read_whole(tmp_path):
    path = tmp_path / "edges.csv.gz"
    path.write_bytes(gzip.compress(b"pre,post,weight\nA,B,1\n") + gzip.compress(b"B,C,2\n"))
    assert len(read_edge_list(path).chemical) == 2
