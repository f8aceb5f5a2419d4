"""ElegansNet reproductions: the items run end to end at a tiny scale; the building blocks and leak checks."""

import json
import pickle

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.papers.reproduce import reproduce
from neuroworm.pipelines import elegansnet_runs
from neuroworm.pipelines.elegansnet_runs import (
    clustering_accuracy,
    control_graph,
    duplicate_count,
    equal_parameter_mlp,
    load_task,
    settings_for,
    worm_neurons,
)

TINY = {"channels": 2, "max_epochs": 1, "patience": 1, "train_per_class": 8, "validation_per_class": 2,
        "test_per_class": 4, "large_train_per_class": 8, "rewiring_fractions": (0.0, 1.0)}


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(elegansnet_runs.SCALE_SETTINGS, "small", {**elegansnet_runs.SCALE_SETTINGS["small"], **TINY})


def test_table1_runs_and_reports_leak_checks(tiny, tmp_path):
    document = reproduce("bardozzo2023", "table1", scale="small", seed=0, out=tmp_path)
    assert {p.name for p in tmp_path.iterdir()} >= {"table1.csv", "table1.png", "table1.json"}
    assert json.loads((tmp_path / "table1.json").read_text())["ours"] == document["ours"]
    ours = document["details"]  # the seed's own record
    assert ours["train_images"] == 80 and ours["leak_checks"]["test_images_identical_to_a_training_image"] == 0
    assert ours["networks"]["model"] == ["ElegansNet", "MLP (equal parameters)", "ElegansNet, permuted training labels"]
    worm, mlp = ours["networks"]["parameters"][:2]
    assert abs(worm - mlp) <= 784 + 10 + 1  # one hidden unit's worth
    assert document["paper_value"]["cifar10_top1"]["ElegansNet M1"] == 99.99
    verdicts = {claim["text"][:20]: claim["verdict"] for claim in document["claims"]}
    assert set(verdicts.values()) <= {"not tested at this scale", "not tested (no data)"}


@pytest.mark.slow
@pytest.mark.parametrize("item", ["fig2", "fig2pooled", "rewiring", "table2"])
def test_other_items_run_end_to_end(tiny, tmp_path, item):
    document = reproduce("bardozzo2023", item, scale="small", seed=0, seeds=2, out=tmp_path)
    assert (tmp_path / f"{item}.png").stat().st_size > 0
    assert document["deviations"] and document["selection"] and document["test_data"]
    if item == "fig2":
        details = document["details"]
        assert set(details["connections"]) == {"ElegansNet", "Watts-Strogatz", "Erdos-Renyi", "Barabasi-Albert"}
        assert set(details["connections"].values()) == {3098}  # every control matched after layering
        k = TINY["channels"]  # the graph's share: edge blocks and unit biases over every parameter
        assert details["graph_parameter_share"] == pytest.approx((3098 * k * k + 302 * k) / details["parameters"])
    if item == "fig2pooled":  # 49 inputs: the graph holds most of the parameters
        k = TINY["channels"]
        assert document["details"]["parameters"] == 49 * 83 * k + 3098 * k * k + 302 * k + 128 * k * 10 + 10
        assert document["details"]["graph_parameter_share"] > 0.5 and "pooled to 7x7" in document["claims"][0]["text"]


def test_pool_images_averages_blocks():
    from neuroworm.pipelines.elegansnet_runs import pool_images

    images = np.arange(2 * 16, dtype=np.float32).reshape(2, 16)  # two 4 x 4 images
    pooled = pool_images(images, 2)
    assert pooled.shape == (2, 4) and pooled.dtype == np.float32
    np.testing.assert_allclose(pooled[0], [(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4,
                                           (10 + 11 + 14 + 15) / 4])
    with pytest.raises(ConfigError, match="multiple of 3"):
        pool_images(images, 3)
    task = load_task("mnist", train_per_class=3, validation_per_class=1, test_per_class=2, seed=0, pool=4)
    assert task.input_size == 49 and task.validation_images.shape == (10, 49)


def test_training_stops_on_validation_and_keeps_the_best(monkeypatch):
    """The stopping rule: patience epochs without a better validation score, best-validated parameters kept."""
    from neuroworm.nn import evaluate, mlp

    task = load_task("mnist", train_per_class=20, validation_per_class=10, test_per_class=10, seed=0)
    assert len(task.validation_labels) == 100 and len(task.train_labels) == 200
    train_rows = {row.tobytes() for row in task.train_images}
    assert not any(row.tobytes() in train_rows for row in task.validation_images)
    settings = settings_for("small", max_epochs=6, patience=2, learning_rate=0.05)
    network = mlp([784, 32, 10], dtype="float32", seed=0)
    curve, result = elegansnet_runs.train(network, task, settings, seed=1)
    accuracy = curve["validation_accuracy"].to_numpy()
    assert result["best_epoch"] == int(np.argmax(accuracy))  # first best
    assert result["epochs"] == min(6, max(result["best_epoch"] + 2, result["epochs"]))
    assert evaluate(network, task.validation_images, task.validation_labels)[1] == pytest.approx(accuracy.max())
    assert result["test_accuracy"] == pytest.approx(evaluate(network, task.test_images, task.test_labels)[1])


def test_fashion_mnist_is_a_named_dataset(tmp_path, monkeypatch):
    """Read from Debian's dataset-fashion-mnist where installed; a missing folder names the apt package."""
    from neuroworm.errors import DatasetFileError
    from neuroworm.pipelines.elegansnet_runs import fashion_mnist_folder

    monkeypatch.delenv("NEUROWORM_FASHION_MNIST", raising=False)
    with pytest.raises(DatasetFileError, match="apt-get install dataset-fashion-mnist"):
        fashion_mnist_folder(tmp_path)
    try:
        fashion_mnist_folder()
    except DatasetFileError:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    task = load_task("fashion-mnist", train_per_class=5, validation_per_class=2, test_per_class=None, seed=0)
    assert task.name == "fashion-mnist" and len(task.test_labels) == 10_000  # the official test set, whole
    assert len(task.train_labels) == 50 and len(task.validation_labels) == 20
    assert "Fashion-MNIST" in task.test_set and duplicate_count(task.train_images, task.test_images) == 0


def test_items_reject_bad_options(tiny, tmp_path):
    with pytest.raises(ConfigError, match="dataset must be one of"):
        load_task("imagenet")
    with pytest.raises(ConfigError, match="cifar10.*needs data"):
        reproduce("bardozzo2023", "table1", scale="small", out=tmp_path, dataset="cifar10")
    with pytest.raises(ConfigError, match="table2 is MNIST"):
        reproduce("bardozzo2023", "table2", scale="small", out=tmp_path, dataset="cifar10", data=str(tmp_path))


def test_cifar10_task_draws_stratified_subsets_from_a_folder(tmp_path):
    rng = np.random.default_rng(0)
    for name, count in (("data_batch_1", 40), ("test_batch", 30)):
        batch = {b"data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
                 b"labels": (np.arange(count) % 10).tolist()}
        (tmp_path / name).write_bytes(pickle.dumps(batch, protocol=2))
    task = load_task("cifar10", tmp_path, train_per_class=3, test_per_class=2, seed=0)
    assert task.train_images.shape == (30, 3072) and task.test_images.shape == (20, 3072)
    assert np.bincount(task.train_labels).tolist() == [3] * 10 and np.bincount(task.test_labels).tolist() == [2] * 10
    assert "official test_batch" in task.test_set


def test_worm_neurons_and_controls_keep_the_cells():
    neurons = worm_neurons()
    assert len(neurons.neurons) == 302
    for family in ("Watts-Strogatz", "Erdos-Renyi", "Barabasi-Albert"):
        graph = control_graph(neurons, family, seed=1)
        assert list(graph.neurons.index) == list(neurons.neurons.index)
        assert abs(len(graph.chemical) - len(neurons.chemical)) / len(neurons.chemical) < 0.05  # same mean degree
    with pytest.raises(ConfigError, match="unknown random-graph family"):
        control_graph(neurons, "Kleinberg")


def test_leak_check_helpers():
    train = np.arange(12, dtype=np.float32).reshape(4, 3)
    test = np.vstack([train[2], train[2] + 0.5, train[0]])
    assert duplicate_count(train, test) == 2
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 30)
    blobs = rng.normal(0, 0.1, (90, 2)) + np.array([[0, 0], [5, 0], [0, 5]])[labels]
    assert clustering_accuracy(blobs, labels, clusters=3, seed=0) == 1.0
    assert clustering_accuracy(blobs, (labels + 1) % 3, clusters=3, seed=0) == 1.0  # cluster names do not matter
    assert equal_parameter_mlp(10_000, 20, 5, seed=0).parameter_count == pytest.approx(10_000, abs=26)


def test_settings_reject_unknown_keys_and_scales():
    assert settings_for("medium")["graphs_per_family"] == 1  # per seed: ten seeds give the paper's 30 graphs
    with pytest.raises(ConfigError, match="unknown ElegansNet setting"):
        settings_for("small", layers=3)
    with pytest.raises(ConfigError, match="scale"):
        settings_for("huge")


def test_readme_example_runs(tmp_path, monkeypatch):
    """The ElegansNet example of docs/papers/bardozzo2023.md, with fewer digits and one epoch (the only substitutions)."""
    import re
    import runpy
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "papers" / "bardozzo2023.md").read_text()
    start = text.index("## ElegansNet: the connectome as a trained tensor network")
    source = re.compile(r"```python\n(.*?)```", re.DOTALL).search(text, start).group(1)
    source = source.replace("train_per_class=200, validation_per_class=20, test_per_class=100",
                            "train_per_class=5, validation_per_class=2, test_per_class=3")
    source = source.replace("epochs=5", "epochs=1")
    script = tmp_path / "example.py"
    script.write_text(source + "\nassert net.parameter_breakdown == {'encoder': 260288, 'connectome': 50776, "
                               "'decoder': 5130, 'total': 316194}\nassert len(history.epoch) == 2\n")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(script))


@pytest.mark.slow
def test_table1_on_a_cifar10_folder(tiny, tmp_path):
    rng = np.random.default_rng(1)
    data = tmp_path / "cifar-10-batches-py"
    data.mkdir()
    for name, count in (("data_batch_1", 100), ("test_batch", 50)):
        batch = {b"data": rng.integers(0, 256, (count, 3072), dtype=np.uint8),
                 b"labels": (np.arange(count) % 10).tolist()}
        (data / name).write_bytes(pickle.dumps(batch, protocol=2))
    document = reproduce("bardozzo2023", "table1", scale="small", out=tmp_path / "out", dataset="cifar10",
                         data=str(tmp_path))
    assert document["details"]["dataset"] == "cifar10" and document["details"]["train_images"] == 80
    assert document["details"]["networks"]["parameters"][0] > 3072 * 83 * 2  # the encoder reads 3072 values
    assert document["ours"]["cifar10_top1"]["n"] == 1  # the value claim has data here
