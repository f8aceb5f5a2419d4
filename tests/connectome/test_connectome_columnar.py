"""The columnar FlyWire reader gives the strict reader's connectome, and the strict reader's errors."""

import gzip

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyarrow")

from neuroworm.connectome import readers
from neuroworm.connectome import strict as strict_readers_module
from neuroworm.connectome.columnar import read_flywire_codex_columnar
from neuroworm.errors import ConnectomeFileError

HEADER = "pre_root_id,post_root_id,neuropil,syn_count,nt_type\n"


def random_codex(path, seed, rows=600, cells=40):
    rng = np.random.default_rng(seed)
    ids = 720575940_000_000_000 + rng.choice(10**9, size=cells, replace=False)
    frame = pd.DataFrame({
        "pre_root_id": rng.choice(ids, rows), "post_root_id": rng.choice(ids, rows),
        "neuropil": rng.choice(["AL_L", "MB_CA_R", "LO_R"], rows),
        "syn_count": rng.integers(0, 12, rows),  # zeros are dropped by both readers
        "nt_type": rng.choice(["ACH", "GABA", "GLUT", "SER", "DA", "OCT", "", "nan", "gaba", " NA "], rows),
    })
    frame.to_csv(path, index=False)
    return frame, ids


def no_fallback(monkeypatch):
    """Make the strict readers unreachable from the columnar ones (the typed path must do the work)."""
    def refuse(*args, **kwargs):
        raise AssertionError("the columnar reader fell back to the strict one")

    names = ("read_flywire_codex_strict", "read_edge_list_strict")
    strict = {name: getattr(strict_readers_module, name) for name in names}
    for name in strict:
        monkeypatch.setattr(strict_readers_module, name, refuse)
    return strict


def assert_same_connectome(left, right):
    pd.testing.assert_frame_equal(left.neurons, right.neurons)
    pd.testing.assert_frame_equal(left.chemical, right.chemical)
    pd.testing.assert_frame_equal(left.electrical, right.electrical)
    assert left.metadata == right.metadata and left.name == right.name


@pytest.mark.parametrize("seed", range(4))
def test_columnar_equals_strict_on_random_files(tmp_path, monkeypatch, seed):
    path = tmp_path / "connections.csv"
    random_codex(path, seed)
    strict = no_fallback(monkeypatch)
    assert_same_connectome(read_flywire_codex_columnar(path), strict["read_flywire_codex_strict"](path))


def test_columnar_equals_strict_with_a_neuron_table_and_gzip(tmp_path, monkeypatch):
    path = tmp_path / "connections.csv.gz"
    _, ids = random_codex(tmp_path / "plain.csv", 7)
    path.write_bytes(gzip.compress((tmp_path / "plain.csv").read_bytes()))
    cells = tmp_path / "classification.csv"
    pd.DataFrame({"root_id": ids[::-1], "super_class": ["central", "sensory", "motor", "optic"] * 10,
                  "flow": "intrinsic"}).to_csv(cells, index=False)
    strict = no_fallback(monkeypatch)
    assert_same_connectome(read_flywire_codex_columnar(path, neurons=cells),
                           strict["read_flywire_codex_strict"](path, neurons=cells))


@pytest.mark.parametrize(
    "row, message, column",
    [
        ("7.2e17,720575940000000002,AL_L,3,ACH", "not an integer", "pre_root_id"),
        ("720575940000000001,720575940000000002,AL_L,2.5,ACH", "whole number", "syn_count"),
        ("720575940000000001,720575940000000002,AL_L,,ACH", "missing weight", "syn_count"),
        ("720575940000000001,720575940000000002,AL_L,-3,ACH", "negative", "syn_count"),
        ("720575940000000001,720575940000000002,AL_L,3,GLU", "unknown nt_type", "nt_type"),
        ("720575940000000001,720575940000000002,AL_L,3", "field", None),
    ],
)
def test_columnar_errors_name_the_line_like_the_strict_reader(tmp_path, row, message, column):
    path = tmp_path / "connections.csv"
    path.write_text(HEADER + "720575940000000001,720575940000000003,AL_L,5,ACH\n" + row + "\n")
    with pytest.raises(ConnectomeFileError, match=message) as error:
        read_flywire_codex_columnar(path)
    assert error.value.row == 3 and error.value.column == column


def test_columnar_refuses_a_decompression_bomb(tmp_path):
    path = tmp_path / "connections.csv.gz"
    path.write_bytes(gzip.compress((HEADER + "720575940000000001,720575940000000003,AL_L,5,ACH\n" * 50_000).encode()))
    with pytest.raises(ConnectomeFileError, match="expands to more than 10,000 bytes.*max_bytes"):
        read_flywire_codex_columnar(path, max_bytes=10_000)
    assert read_flywire_codex_columnar(path, max_bytes=10**8).chemical["weight"].tolist() == [250_000.0]


def test_large_files_go_through_the_columnar_reader(tmp_path, monkeypatch):
    path = tmp_path / "connections.csv"
    random_codex(path, 3)
    calls = []
    from neuroworm.connectome import columnar

    original = columnar.read_flywire_codex_columnar
    monkeypatch.setattr(columnar, "read_flywire_codex_columnar", lambda *a, **k: calls.append(a) or original(*a, **k))
    monkeypatch.setattr(readers, "COLUMNAR_MIN_BYTES", 0)
    big = readers.read_flywire_codex(path)
    monkeypatch.setattr(readers, "COLUMNAR_MIN_BYTES", 10**12)
    small = readers.read_flywire_codex(path)
    assert len(calls) == 1
    assert_same_connectome(big, small)


def random_edge_list(path, seed, separator=",", rows=500):
    rng = np.random.default_rng(seed)
    names = np.array(["AVAL", "AVAR", " ASHL", "ASHL ", "DB1", "VD 2", "muscle-1", "é-cell", "X"])
    frame = pd.DataFrame({"pre": rng.choice(names, rows), "post": rng.choice(names, rows),
                          "weight": np.round(rng.exponential(2.0, rows) * (rng.random(rows) > 0.1), 3)})
    text = frame.to_csv(index=False, sep=separator)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)


@pytest.mark.parametrize("suffix, separator", [(".csv", ","), (".tsv", "\t"), (".csv.gz", ","), (".txt", ";")])
@pytest.mark.parametrize("seed", range(2))
def test_columnar_edge_list_equals_strict(tmp_path, monkeypatch, suffix, separator, seed):
    from neuroworm.connectome.columnar import read_edge_list_columnar

    path = tmp_path / f"edges{suffix}"
    random_edge_list(path, seed, separator)
    strict = no_fallback(monkeypatch)
    assert_same_connectome(read_edge_list_columnar(path), strict["read_edge_list_strict"](path))


@pytest.mark.parametrize(
    "text, message",
    [
        ("pre,post,weight\nA,B,1\nA,,2\n", "missing cell name"),
        ("pre,post,weight\nA,B,1\nA,B\x00C,2\n", "control character"),
        ("pre,post,weight\nA,B,1\nA,C,nan\n", "non-negative finite"),
        ("pre,post,weight\nA,B,1\nA,C,-1\n", "negative"),
        ("pre,post,weight\nA,B,1\nA,C,1.5e308\nA,C,1.5e308\n", "sum to more than a float"),
        ("pre,post,weight\nA,B,1\nA,C,2,3\n", "field"),
    ],
)
def test_columnar_edge_list_errors_come_from_the_strict_reader(tmp_path, text, message):
    from neuroworm.connectome.columnar import read_edge_list_columnar

    path = tmp_path / "edges.csv"
    path.write_text(text)
    with pytest.raises(ConnectomeFileError, match=message) as error:
        read_edge_list_columnar(path)
    assert error.value.row == 3
