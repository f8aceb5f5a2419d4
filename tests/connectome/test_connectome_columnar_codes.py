"""The columnar readers work on integer cell codes end to end and still give the strict readers' connectome.

Equivalence on generated files that exercise every branch of the code path
(several parse chunks with their own dictionaries, block-wise steps, repeated
pairs few or many, rows of weight 0, weights that are and are not whole
numbers, root ids written with leading zeros), and structure: the edge
tables are not validated again from Python objects, their endpoint columns
are categoricals over the cells, and the memory NumPy and Python allocate
per row stays that of integer codes and float weights.
"""

import tracemalloc

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyarrow")

from neuroworm.connectome import columnar, model
from neuroworm.connectome import strict as strict_readers_module
from neuroworm.connectome.model import Connectome
from neuroworm.errors import ConnectomeFileError

HEADER = "pre_root_id,post_root_id,neuropil,syn_count,nt_type\n"


def strict_readers(monkeypatch):
    """The strict readers, made unreachable from the columnar ones (the typed path must do the work)."""
    names = ("read_flywire_codex_strict", "read_edge_list_strict")
    strict = {name: getattr(strict_readers_module, name) for name in names}

    def refuse(*args, **kwargs):
        raise AssertionError("the columnar reader fell back to the strict one")

    for name in strict:
        monkeypatch.setattr(strict_readers_module, name, refuse)
    return strict


def small_blocks(monkeypatch):
    """Parse in many chunks (each with its own dictionaries) and run every block-wise step over many blocks."""
    monkeypatch.setattr(columnar, "_PARSE_BLOCK_BYTES", 2048)
    monkeypatch.setattr(columnar, "_ROWS_PER_BLOCK", 37)


def assert_same_connectome(left, right):
    pd.testing.assert_frame_equal(left.neurons, right.neurons)
    pd.testing.assert_frame_equal(left.chemical, right.chemical)
    pd.testing.assert_frame_equal(left.electrical, right.electrical)
    assert left.metadata == right.metadata and left.name == right.name


def edge_list(path, seed, rows, cells, whole, zero_fraction=0.1):
    rng = np.random.default_rng(seed)
    names = np.array([f" c{number}" if number % 7 == 0 else f"c{number}" for number in range(cells)])
    weights = rng.integers(1, 9, rows).astype(float) if whole else np.round(rng.exponential(2.0, rows), 3) + 0.001
    weights[rng.random(rows) < zero_fraction] = 0
    pd.DataFrame({"pre": rng.choice(names, rows), "post": rng.choice(names, rows), "weight": weights}).to_csv(
        path, index=False
    )


@pytest.mark.parametrize("whole", [True, False], ids=["whole weights", "fractional weights"])
@pytest.mark.parametrize("cells", [12, 400], ids=["most pairs repeated", "few pairs repeated"])
def test_edge_list_codes_equal_strict_over_many_chunks_and_blocks(tmp_path, monkeypatch, whole, cells):
    path = tmp_path / "edges.csv"
    edge_list(path, cells, rows=3000, cells=cells, whole=whole)
    strict = strict_readers(monkeypatch)
    small_blocks(monkeypatch)
    fast = columnar.read_edge_list_columnar(path)
    slow = strict["read_edge_list_strict"](path)
    assert_same_connectome(fast, slow)
    assert len(fast.chemical) < 3000  # the file did repeat pairs and drop zero rows


def test_edge_list_without_repeated_pairs_keeps_the_rows_as_they_are(tmp_path, monkeypatch):
    path = tmp_path / "edges.tsv"
    pairs = [(f"n{i}", f"n{(i * 7 + 3) % 500}") for i in range(500)]
    path.write_text("pre\tpost\tweight\n" + "".join(f"{a}\t{b}\t{i % 5 + 0.5}\n" for i, (a, b) in enumerate(pairs)))
    strict = strict_readers(monkeypatch)
    small_blocks(monkeypatch)
    fast = columnar.read_edge_list_columnar(path)
    assert_same_connectome(fast, strict["read_edge_list_strict"](path))
    assert list(zip(fast.chemical["pre"], fast.chemical["post"], strict=True)) == pairs


def test_fractional_weights_are_summed_like_the_strict_reader_bit_for_bit(tmp_path, monkeypatch):
    # 0.1 + 0.2 + 0.3 rounds differently in a plain and in a compensated sum: the fast path must use the latter
    path = tmp_path / "edges.csv"
    path.write_text("pre,post,weight\n" + "A,B,0.1\nA,B,0.2\nA,B,0.3\nB,A,1e-17\nB,A,1\nB,A,-0\n" * 3)
    strict = strict_readers(monkeypatch)
    fast, slow = columnar.read_edge_list_columnar(path), strict["read_edge_list_strict"](path)
    assert_same_connectome(fast, slow)
    assert fast.chemical["weight"].to_numpy().tobytes() == slow.chemical["weight"].to_numpy().tobytes()


@pytest.mark.parametrize("seed", range(2))
def test_flywire_codes_equal_strict_over_many_chunks_and_blocks(tmp_path, monkeypatch, seed):
    rng = np.random.default_rng(seed)
    ids = [f"{720575940_000_000_000 + number}" for number in rng.choice(10**9, 60, replace=False)]
    ids[0], ids[1] = "0" + ids[0], " " + ids[1]  # written with a leading zero and a space: names as written, stripped
    rows = 2500
    pd.DataFrame({
        "pre_root_id": rng.choice(ids, rows), "post_root_id": rng.choice(ids, rows),
        "neuropil": rng.choice(["AL_L", "MB_CA_R"], rows), "syn_count": rng.integers(0, 12, rows),
        "nt_type": rng.choice(["ACH", "GABA", "GLUT", "SER", "", "nan"], rows),
    }).to_csv(tmp_path / "connections.csv", index=False)
    strict = strict_readers(monkeypatch)
    small_blocks(monkeypatch)
    fast = columnar.read_flywire_codex_columnar(tmp_path / "connections.csv")
    slow = strict["read_flywire_codex_strict"](tmp_path / "connections.csv")
    assert_same_connectome(fast, slow)
    assert ids[0] in fast.neurons.index  # "0720...": the name as written, not the number it parses to


def test_a_root_id_with_a_sign_goes_to_the_strict_reader(tmp_path):
    path = tmp_path / "connections.csv"
    path.write_text(HEADER + "720575940000000001,720575940000000003,AL_L,5,ACH\n+720575940000000001,1,AL_L,2,ACH\n")
    with pytest.raises(ConnectomeFileError, match="not an integer") as error:
        columnar.read_flywire_codex_columnar(path)
    assert error.value.row == 3 and error.value.column == "pre_root_id"


@pytest.mark.parametrize("reader", ["edge list", "flywire"])
def test_the_edge_tables_are_not_validated_again_and_their_endpoints_are_cell_codes(tmp_path, monkeypatch, reader):
    if reader == "edge list":
        path = tmp_path / "edges.csv"
        edge_list(path, 5, rows=2000, cells=300, whole=True)
        read = columnar.read_edge_list_columnar
    else:
        path = tmp_path / "connections.csv"
        path.write_text(HEADER + "".join(f"72057594000000{i % 97:04d},72057594000000{i % 89:04d},AL_L,{i % 5},ACH\n"
                                         for i in range(2000)))
        read = columnar.read_flywire_codex_columnar

    def no_validation(*args, **kwargs):
        raise AssertionError("the edge tables were validated again")

    with monkeypatch.context() as patch:
        patch.setattr(model, "_validated", no_validation)
        fast = read(path)
    for column in ("pre", "post"):  # the connectome's data model: categoricals over the cells in table order
        assert fast.chemical[column].dtype == model.endpoint_dtype(fast.neurons.index)
        assert list(fast.chemical[column].cat.categories) == list(fast.neurons.index)
    assert fast.chemical["weight"].dtype == np.float64
    # what the validation would have checked holds: the validated connectome is the same
    assert_same_connectome(fast, Connectome(fast.neurons, fast.chemical, fast.electrical, fast.metadata, fast.name))


def test_edge_list_numpy_and_python_memory_per_row_is_that_of_codes_not_objects(tmp_path):
    # tracemalloc sees NumPy's and Python's allocations, not pyarrow's: int32 codes, float64 weights and one int64
    # key per row come to about 30 bytes; object columns of names with the validation's copies and hashes, as the
    # reader built before, came to 137 bytes per row on this file
    rows = 100_000
    path = tmp_path / "edges.csv"
    rng = np.random.default_rng(0)
    names = np.array([f"cell{number}" for number in range(3000)])
    pd.DataFrame({"pre": names[rng.integers(0, 3000, rows)], "post": names[rng.integers(0, 3000, rows)],
                  "weight": rng.integers(1, 9, rows)}).to_csv(path, index=False)
    columnar.read_edge_list_columnar(path)  # imports and caches out of the measurement
    tracemalloc.start()
    try:
        connectome = columnar.read_edge_list_columnar(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(connectome.chemical) > 0.99 * rows
    assert peak / rows < 64, f"{peak / rows:.0f} bytes per row"
