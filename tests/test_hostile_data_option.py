"""``reproduce ... --data DIR`` for the open-loop items, on a real (tiny) folder of MNIST IDX files (issue 24).

The folder is written here from the embedded digits in the IDX format
(gzipped, as distributed): 30 training and 20 official-test digits of each
class. Before the fix both items raised ``AttributeError`` on every folder,
valid IDX files included: the folder string reached ``split_mnist`` as if it
were loaded data.
"""

import gzip
import json

import numpy as np
import pytest

from neuroworm.cli import main
from neuroworm.tasks.mnist import load_mnist, split_mnist


def _write_idx(path, array):
    header = b"\x00\x00\x08" + bytes([array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


@pytest.fixture(scope="module")
def idx_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist")
    embedded = load_mnist()
    images = np.rint(embedded.images * 255).astype(np.uint8).reshape(-1, 28, 28)
    labels = embedded.labels
    train = np.concatenate([np.flatnonzero(labels == digit)[:30] for digit in range(10)])
    test = np.concatenate([np.flatnonzero(labels == digit)[30:80] for digit in range(10)])
    _write_idx(folder / "train-images-idx3-ubyte.gz", images[train])
    _write_idx(folder / "train-labels-idx1-ubyte.gz", labels[train])
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", images[test])
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels[test])
    return folder


def test_split_mnist_reads_a_folder(idx_folder):
    split = split_mnist(str(idx_folder), train_per_class=5, test_per_class=10, seed=0)
    assert split.train_images.shape == (50, 784) and split.test_images.shape == (100, 784)
    assert "official" in split.test_set


def test_fig5_runs_on_an_idx_folder(idx_folder, tmp_path, capsys):
    out = tmp_path / "fig5"
    assert main(["reproduce", "schmidgall2023", "fig5", "--task", "mnist", "--networks", "mlp",
                 "--data", str(idx_folder), "--out", str(out)]) == 0
    document = json.loads((out / "fig5.json").read_text())
    assert "official" in document["test_data"]
    assert 0 <= document["ours"]["mnist_mlp"]["mean"] <= 1


def test_vision_reads_an_idx_folder(idx_folder, tmp_path):
    from neuroworm.papers.beyond import vision

    result = vision(scale="small", seed=0, out=tmp_path, circuits=("optic_lobe",), data=str(idx_folder),
                    ga_generations=1, ga_population=4, elites=1, heldout_every=1, train_per_class=5,
                    validation_per_class=5, test_per_class=10)
    assert "official MNIST test set" in result.notes


@pytest.mark.slow
def test_vision_runs_on_an_idx_folder_from_the_command_line(idx_folder, tmp_path):
    out = tmp_path / "vision"
    assert main(["reproduce", "beyond", "vision", "--data", str(idx_folder), "--out", str(out)]) == 0
    assert "official MNIST test set" in json.loads((out / "vision.json").read_text())["notes"]


def test_a_data_folder_without_idx_files_is_one_line(tmp_path, capsys):
    assert main(["reproduce", "schmidgall2023", "fig5", "--task", "mnist", "--data", str(tmp_path),
                 "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "not found: expected one of" in error and error.count("\n") == 1
