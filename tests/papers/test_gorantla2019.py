"""Gorantla et al. reproductions: Theorem 2 on a small instance, allele spread, training helpers."""

import numpy as np
import pytest

from neuroworm.backends.nne import NNENetwork
from neuroworm.papers.gorantla2019 import (
    _carve_validation,
    _trend_to_target,
    allele_spread,
    table2,
    theorem2_run,
)
from neuroworm.pipelines.nne_training import NNEFitness, SampledAccuracy, train_readout
from neuroworm.tasks.mnist import split_mnist


def test_theorem2_nne_aligns_the_mean_network_with_the_target_under_weak_selection():
    cosines, epsilon = theorem2_run(30, m=3, d=1.0, population_size=500, generations=150, seed=1)
    assert cosines[-1] > 0.9
    assert cosines[-1] > cosines[0]
    assert epsilon < 0.5  # 1/(2U) with U the first generation's largest loss, U > 1 here


def test_validation_is_carved_per_class_and_disjoint():
    labels = np.repeat(np.arange(4), 25)
    mask = _carve_validation(labels, 5, seed=0)
    assert np.array_equal(np.bincount(labels[mask]), [5, 5, 5, 5])
    assert np.array_equal(mask, _carve_validation(labels, 5, seed=0))
    with pytest.raises(Exception, match="validation_per_class"):
        _carve_validation(labels, 25, seed=0)


def test_trend_to_target_is_the_line_through_the_second_half():
    generations = np.arange(1, 11) * 10
    assert _trend_to_target(generations, 20 + 0.5 * generations, 90)[0] == pytest.approx(140)
    assert _trend_to_target(generations, 50 - 0.1 * generations, 90)[0] == float("inf")


def test_table2_reports_validations_choice_not_the_best_test_number():
    result = table2(scale="small", seed=0, hidden=(40,), epochs=2, select_epochs=2, readings=("signed", "text"),
                    output_firing=("winner",), scopes=("example",), epsilon0s=(0.75,), epsilon1s=(0.1, 1.0),
                    inits=("kaiming",), adam_rates=(1e-2,), signsgd_rates=(1e-3,), record_every=1)
    table = result.table
    grid = table[(table.stage == "selection") & (table.model == "DNN")]
    best = grid.loc[grid.validation_accuracy.idxmax()]
    final = table[(table.stage == "final") & (table.model == "DNN")].iloc[0]
    assert final.variant == best.variant
    assert result.samples["dnn_h40"] == pytest.approx(final.test_accuracy)
    assert {"sgd_h40", "signsgd_h40", "dnn_h40"} == set(result.samples)
    assert result.selection and result.test_data and result.deviations and result.claims


def test_allele_spread_closed_forms():
    distances = np.array([0.0, 0.1, 0.25, 0.5])
    uniform = np.linspace(0, 1, 100001)
    np.testing.assert_allclose(allele_spread(uniform, distances), 1 - 2 * distances, atol=1e-4)
    fixed = np.array([0.0, 1.0, 0.0, 1.0])
    np.testing.assert_array_equal(allele_spread(fixed, distances), [0, 0, 0, 0])


def test_nne_fitness_minibatch_is_seeded_and_shared_by_the_generation():
    split = split_mnist(train_per_class=20, test_per_class=5, digits=range(5), seed=0)
    network = NNENetwork(n_genes=100, n_hidden=20, n_outputs=5, seed=0)
    fitness = NNEFitness(network, split.train_images, split.train_labels, minibatch=30)
    genomes = np.random.default_rng(0).integers(0, 2, (4, 100))
    seeds = np.array([7, 8, 9, 10])
    first = fitness(genomes, seeds)
    np.testing.assert_array_equal(first, fitness(genomes, seeds))
    # every genotype of the call saw the same digits: duplicating a genotype duplicates its fitness
    twice = fitness(np.vstack([genomes[:1], genomes[:1]]), seeds[:2])
    assert twice[0] == pytest.approx(twice[1], rel=1e-6) and twice[0] == pytest.approx(first[0], rel=1e-6)
    full = NNEFitness(network, split.train_images, split.train_labels)
    np.testing.assert_allclose(full(genomes), network.fitness(genomes, split.train_images, split.train_labels))


@pytest.mark.parametrize("optimizer", ["signsgd", "adam"])
def test_readout_training_beats_chance_on_random_features(optimizer):
    split = split_mnist(train_per_class=50, test_per_class=30, seed=0)
    weights = np.random.default_rng(0).uniform(-0.1, 0.1, (784, 200)).astype(np.float32)
    train, test = np.maximum(split.train_images @ weights, 0), np.maximum(split.test_images @ weights, 0)
    accuracy = train_readout(train, split.train_labels, test, split.test_labels, optimizer=optimizer,
                             learning_rate=1e-2 if optimizer == "adam" else 1e-3, epochs=10, seed=0)
    assert accuracy > 0.5


@pytest.mark.slow
@pytest.mark.parametrize(
    ("item", "options"),
    [
        ("table1", {"generations": 2, "population_size": 8, "sgd_epochs": 1, "samples": 2, "record_every": 1,
                    "signsgd_iterations": 5, "n_genes": 200, "n_hidden": 20}),
        ("table2", {"hidden": (50,), "epochs": 1, "select_epochs": 1, "readings": ("signed",), "epsilon1s": (1.0,)}),
        ("theorem2", {"genes": (20, 40), "generations": 5, "population_size": 20}),
        ("genes", {"genes": (100, 200), "generations": 2, "population_size": 8, "n_hidden": 20, "samples": 2}),
        ("alleles", {"checkpoints": (1, 3), "n_genes": 100, "n_hidden": 10, "population_size": 8}),
    ],
)
def test_every_item_writes_csv_png_json(item, options, tmp_path, monkeypatch):
    import json

    from neuroworm.papers import gorantla2019
    from neuroworm.papers.reproduce import write_seed

    monkeypatch.delenv("NEUROWORM_MNIST", raising=False)
    result = getattr(gorantla2019, item)(scale="small", seed=0, out=tmp_path, **options)
    document = write_seed(result, tmp_path, "gorantla2019", item, scale="small", seed=0, seconds=1.0, command="test")
    assert {"paper", "ours", "scale", "seed", "seconds", "command", "notes", "samples", "claims"} <= set(document)
    assert (tmp_path / "seeds" / f"{item}.seed0.png").stat().st_size > 0 and len(result.table) > 0
    assert json.loads((tmp_path / "seeds" / f"{item}.seed0.json").read_text())["ours"]


def test_sampled_accuracy_is_deterministic_and_follows_p():
    split = split_mnist(train_per_class=5, test_per_class=5, digits=range(5), seed=0)
    network = NNENetwork(n_genes=60, n_hidden=10, n_outputs=5, seed=0)
    heldout = SampledAccuracy(network, split.test_images, split.test_labels, samples=3, seed=4)
    p = np.random.default_rng(1).random(60)
    first = heldout(p)
    assert first.shape == (3,)
    np.testing.assert_array_equal(first, heldout(p))
    ones = heldout(np.ones(60))  # p = 1 draws the all-ones genotype three times
    assert np.all(ones == ones[0])


def test_pooled_figures_draw_every_seed():
    from neuroworm.papers.gorantla2019 import table1_assemble, table2_assemble, theorem2_assemble

    curve = {"generation": [10, 20], "validation_accuracy": [20.0, 22.0], "mean_delta": [0.1], "selection": [0.1]}
    table1_documents = [{"ours": {"curves": {"0-4": curve, "0-9": curve}},
                         "samples": {"nne_04": 20.0 + seed, "sgd_09": 90.0}} for seed in range(3)]
    table2_documents = [{"ours": {"curves": {"DNN h=1000": [[10, 70.0], [20, 75.0]], "SGD h=100000": [[2, 90.0]]}},
                         "samples": {"dnn_h1000": 75.0 + seed}} for seed in range(2)]
    theorem2_documents = [{"ours": {"curves": {"25": [[1, 0.1], [2, 0.5]]}}, "samples": {}}]
    for assemble, documents, lines in ((table1_assemble, table1_documents, 6), (table2_assemble, table2_documents, 4),
                                       (theorem2_assemble, theorem2_documents, 1)):
        table, figure = assemble(documents)
        assert table is None
        drawn = sum(len([line for line in axis.get_lines() if len(line.get_xdata()) > 1]) for axis in figure.axes)
        assert drawn >= lines


def test_evolve_nne_gives_the_same_run_on_a_process_pool():
    from neuroworm.papers.gorantla2019 import _dask_map
    from neuroworm.pipelines.nne_training import evolve_nne

    split = split_mnist(train_per_class=10, test_per_class=5, digits=range(5), seed=0)
    runs = [evolve_nne(split, n_genes=60, n_hidden=8, population_size=12, generations=2, seed=3, batch_size=4,
                       map=spread)[1].strategy.frequencies for spread in (None, "process")]
    np.testing.assert_array_equal(*runs)
    options = {"dask": "tcp://10.0.0.1:8786", "generations": 3}
    assert _dask_map(options) == {"map": "tcp://10.0.0.1:8786", "batch_size": 100} and options == {"generations": 3}
    assert _dask_map({"dask": "local"})["map"] == "dask" and _dask_map({}) == {}
