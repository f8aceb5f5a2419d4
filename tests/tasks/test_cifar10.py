"""CIFAR-10 python batches: read through a restricted unpickler, malformed and malicious files refused."""

import os
import pickle

import numpy as np
import pytest

from neuroworm.errors import DatasetFileError
from neuroworm.tasks.cifar10 import load_cifar10, read_batch


def write_batch(path, count, seed, protocol=2, overrides=None):
    rng = np.random.default_rng(seed)
    batch = {b"batch_label": b"testing batch 1 of 1", b"labels": rng.integers(0, 10, count).tolist(),
             b"data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
             b"filenames": [f"img_{i}.png".encode() for i in range(count)]}
    batch.update(overrides or {})
    path.write_bytes(pickle.dumps(batch, protocol=protocol))
    return batch


@pytest.mark.parametrize("protocol", [2, 4])
def test_reads_a_batch_in_cifar_format(tmp_path, protocol):
    batch = write_batch(tmp_path / "data_batch_1", 7, 0, protocol)
    images, labels = read_batch(tmp_path / "data_batch_1")
    np.testing.assert_array_equal(images, batch[b"data"])
    np.testing.assert_array_equal(labels, batch[b"labels"])


def test_load_folder_splits_train_and_test(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    first = write_batch(folder / "data_batch_1", 5, 1)
    second = write_batch(folder / "data_batch_2", 4, 2)
    test = write_batch(folder / "test_batch", 3, 3)
    data = load_cifar10(tmp_path)  # the parent folder works too
    assert data.train_images.shape == (9, 3072) and data.test_images.shape == (3, 3072)
    assert data.train_images.dtype == np.float32 and data.train_images.max() <= 1.0
    np.testing.assert_array_equal(data.train_labels, first[b"labels"] + second[b"labels"])
    np.testing.assert_allclose(data.test_images * 255, test[b"data"], atol=1e-4)
    assert [os.path.basename(f) for f in data.files] == ["data_batch_1", "data_batch_2", "test_batch"]


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_refuses_any_other_class(tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Exploit()}, protocol=2))
    with pytest.raises(DatasetFileError, match=r"data_batch_1: refusing to unpickle (posix|nt)\.system"):
        read_batch(path)


def test_malformed_batches_are_named(tmp_path):
    path = tmp_path / "data_batch_1"
    write_batch(path, 3, 0, overrides={b"data": np.zeros((3, 100), np.uint8)})
    with pytest.raises(DatasetFileError, match="data_batch_1: key 'data' must be a uint8 array"):
        read_batch(path)
    write_batch(path, 3, 0, overrides={b"labels": [0, 1]})
    with pytest.raises(DatasetFileError, match="2 entries for 3 images"):
        read_batch(path)
    write_batch(path, 3, 0, overrides={b"labels": [0, 1, 10]})
    with pytest.raises(DatasetFileError, match="0-9"):
        read_batch(path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(DatasetFileError, match="not a readable CIFAR-10"):
        read_batch(path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetFileError, match="no data_batch"):
        load_cifar10(tmp_path / "empty")
    write_batch(path, 3, 0)
    with pytest.raises(DatasetFileError, match="test_batch: no such file"):
        load_cifar10(tmp_path)  # data_batch_1 exists, test_batch does not
