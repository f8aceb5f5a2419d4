"""Fig. 5 (limitations of priors) at toy size: splits kept apart, runs resumed, results shaped as promised."""

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.papers import priors

TOY = {"ga_generations": 2, "ga_population": 4, "elites": 1, "heldout_every": 1,
       "train_per_class": 3, "validation_per_class": 2, "test_per_class": 2, "image_steps": 5}


def test_mnist_splits_are_disjoint_and_stratified():
    sizes = dict(priors.SCALE_SIZES["small"], train_per_class=4, validation_per_class=3, test_per_class=5)
    splits = priors.mnist_splits(sizes, seed=3)
    counts = {name: np.bincount(splits[name][1], minlength=10) for name in ("train", "validation", "test")}
    assert (counts["train"] == 4).all() and (counts["validation"] == 3).all() and (counts["test"] == 5).all()
    rows = {name: {images.tobytes() for images in splits[name][0]} for name in ("train", "validation", "test")}
    assert not rows["train"] & rows["validation"] and not rows["train"] & rows["test"]
    assert not rows["validation"] & rows["test"]
    assert "held-out" in splits["test_set"]


def test_mlp_has_the_circuits_neuron_count():
    from neuroworm import load_connectome, locomotion_circuit

    circuit = locomotion_circuit(load_connectome("cook2019_hermaphrodite"))
    networks = priors.networks_of(circuit, seed=0)
    mlp, model = networks["mlp"]
    assert model == "relu" and mlp.n_neurons == circuit.n_neurons == 143
    assert mlp.n_chemical == len(circuit.inputs) * len(circuit.outputs)


def test_fig5_mnist_toy_run_resumes_to_the_same_numbers(tmp_path):
    first = priors.fig5(scale="small", seed=0, work=tmp_path, tasks=("mnist",), networks=("connectome_relu", "mlp"),
                        **TOY)
    assert set(first.samples) == {f"mnist_{name}{suffix}" for name in ("connectome_relu", "mlp")
                                  for suffix in ("", "_early_share", "_late_share")}
    assert all(0.0 <= value <= 1.0 for value in first.samples.values())
    assert set(first.table["network"]) == {"connectome_relu", "mlp"}
    assert (tmp_path / "mlp_mnist_seed0" / "ga_checkpoint").exists()
    again = priors.fig5(scale="small", seed=0, work=tmp_path, tasks=("mnist",), networks=("connectome_relu", "mlp"),
                        **TOY)   # finds the checkpoints: resumes a finished run
    assert again.samples == first.samples
    assert "the hall-of-fame best by training cross-entropy" in first.selection


def test_fig5_runs_one_task_when_asked_and_declares_every_claim(tmp_path):
    one = priors.fig5(scale="small", seed=0, work=tmp_path, task="mnist", networks="connectome_relu,mlp", **TOY)
    assert {name.split("_")[0] for name in one.samples} == {"mnist"}
    assert all(claim.text.startswith("mnist") for claim in one.claims)  # the runner refuses claims without samples
    assert not any("alif" in claim.text for claim in one.claims)
    with pytest.raises(ConfigError, match="task"):
        priors.fig5(scale="small", task="Swimmer-v5")


def test_plateau_statistics_read_where_a_curve_made_its_gain():
    import pandas as pd

    generations = np.arange(0, 21, 5)  # validations at 0, 5, 10, 15, 20
    early = pd.DataFrame({"generation": generations, "heldout_mean": [0.0, 9.0, 10.0, 10.0, 10.0]})
    late = pd.DataFrame({"generation": generations, "heldout_mean": [0.0, 1.0, 2.0, 4.0, 10.0]})
    flat = pd.DataFrame({"generation": generations, "heldout_mean": [3.0, 2.0, 3.0, 2.0, 2.0]})
    # quarters of generations 0-20: {0}, {5}, {10}, {15, 20}; gain = mean of the last quarter - first point
    assert priors.plateau_statistics(early) == {"early_share": 0.9, "late_share": 0.0, "gain": 10.0}
    late_stats = priors.plateau_statistics(late)
    assert late_stats["gain"] == 7.0
    assert late_stats["early_share"] == pytest.approx(1 / 7) and late_stats["late_share"] == pytest.approx(5 / 7)
    noisy = pd.DataFrame({"generation": generations, "heldout_mean": [0.0, 5.0, 8.0, 12.0, 10.0]})  # still rising
    assert priors.plateau_statistics(noisy)["late_share"] > 0.2  # one low last point does not make it flat
    assert priors.plateau_statistics(flat)["early_share"] == 1.0  # no gain: flat from the start


def test_fig5_refuses_unknown_settings():
    with pytest.raises(ConfigError, match="unknown options"):
        priors.fig5(generations=3)
    with pytest.raises(ConfigError, match="unknown tasks or networks"):
        priors.fig5(tasks=("Swimmer-v5",))
    with pytest.raises(ConfigError, match="scale"):
        priors.fig5(scale="huge")


@pytest.mark.slow
def test_fig5_all_networks_both_tasks_toy(tmp_path, monkeypatch):
    from neuroworm.papers import schmidgall2023
    from neuroworm.papers.reproduce import reproduce

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(priors.SCALE_SIZES, "medium", dict(priors.SCALE_SIZES["medium"], episode_steps=50,
                                                           heldout_episodes=2, test_episodes=2, **TOY))
    reproduce("schmidgall2023", "fig5", scale="medium", seed=1, seeds=2, out=tmp_path / "out")
    import json

    written = json.loads((tmp_path / "out" / "fig5.json").read_text())
    assert written["seeds"] == [1, 2]
    for task in ("halfcheetah", "mnist"):
        for network in priors.NETWORKS:
            assert len(written["ours"][f"{task}_{network}"]["per_seed"]) == 2
    assert all(claim["verdict"] != "not tested at this scale" for claim in written["claims"])
    assert (tmp_path / "out" / "fig5.png").exists() and (tmp_path / "out" / "fig5.csv").exists()
    documents = [json.loads(path.read_text()) for path in sorted((tmp_path / "out" / "seeds").glob("fig5.seed*.json"))]
    table, figure = schmidgall2023.fig5_assemble(documents)
    assert len(table) == 2 * 2 * len(priors.NETWORKS) and len(figure.axes) == 2


def test_activity_measures_tell_silent_from_saturated_from_informative():
    silent = priors.activity_measures(np.zeros((6, 3)))
    assert silent["active_digits"] == 0.0 and silent["saturated"] == 0.0
    alike = priors.activity_measures(np.tile([2.0, 5.0, 1.0], (6, 1)))       # the same outputs for every digit
    assert alike["active_digits"] == 1.0 and alike["spread"] == pytest.approx(0.0) and alike["saturated"] == 1.0
    scaled = priors.activity_measures(np.outer(np.arange(1.0, 7.0), [2.0, 5.0, 1.0]))  # same pattern, sizes vary
    assert scaled["direction_spread"] == pytest.approx(0.0, abs=1e-12) and scaled["spread"] > 0.3
    assert scaled["saturated"] == 0.0                                          # a centred read-out tells them apart
    half = np.array([[0, 0], [1, 3], [0, 0], [3, 1]], dtype=float)            # two digits reach nothing
    measured = priors.activity_measures(half)
    assert measured["active_digits"] == 0.5 and measured["saturated"] == 0.0
    assert measured["spread"] == pytest.approx(np.sqrt(half.var(axis=0).mean() / np.mean(half ** 2)))
    # mean pattern (1, 1): the active digits lie sqrt(2) off it, of norms sqrt(10): direction spread sqrt(4 / 20)
    assert measured["direction_spread"] == pytest.approx(np.sqrt(4 / 20))
    assert measured["rms"] == pytest.approx(np.sqrt(20 / 8))
    assert np.isnan(priors.activity_measures(np.array([[np.inf, 1.0]]))["spread"])


def _inhibitory_toy():
    from neuroworm.papers.architectures import two_layer_mlp

    return two_layer_mlp(4, 5, 0.5, excitatory=0.0, seed=0)                # every synapse inhibitory


def test_a_circuit_driven_through_inhibitory_cells_is_silent_without_a_resting_drive():
    from neuroworm.openloop import OpenLoopEvaluator

    split = priors.mnist_splits(dict(TOY, train_per_class=8), seed=0)
    images, labels = split["train"]
    circuit = _inhibitory_toy()
    quiet = OpenLoopEvaluator(circuit, "relu", images, labels, n_classes=10, steps=4)
    genome = quiet.layout.random(1, seed=0)[0]
    for shift in (-2.0, 0.0, 2.0):                                              # no weight scale helps
        rates = quiet.output_rates(priors.shift_log_weights(quiet.layout, genome, shift), images)[0]
        assert priors.activity_measures(rates)["active_digits"] == 0.0
    driven = OpenLoopEvaluator(circuit, "relu", images, labels, n_classes=10, steps=4,
                               backend=priors.tonic_backend(), backend_options={"tonic": 0.5})
    rates = driven.output_rates(genome, images)[0]
    measured = priors.activity_measures(rates)
    assert measured["active_digits"] == 1.0 and measured["spread"] > priors.SATURATED_SPREAD
    # tonic 0 is the dense backend exactly; the update is homogeneous in (input gain, drive)
    plain = OpenLoopEvaluator(circuit, "relu", images, labels, n_classes=10, steps=4, backend=priors.tonic_backend())
    np.testing.assert_array_equal(plain.output_rates(genome, images), quiet.output_rates(genome, images))
    doubled = OpenLoopEvaluator(circuit, "relu", images, labels, n_classes=10, steps=4, input_gain=2.0,
                                backend=priors.tonic_backend(), backend_options={"tonic": 1.0})
    np.testing.assert_allclose(doubled.output_rates(genome, images)[0], 2 * rates, rtol=1e-12)


def test_choose_scaling_picks_a_fair_scale_for_the_silent_toy_and_sizes_its_outputs():
    split = priors.mnist_splits(dict(TOY, train_per_class=10), seed=0)
    images, labels = split["train"]
    chosen = priors.choose_scaling(_inhibitory_toy(), images, labels, seed=0, steps=4)
    assert chosen["paper_activity"]["active_digits"] == 0.0 and chosen["paper_readout_accuracy"] <= 0.2
    assert chosen["fair"] and chosen["tonic_ratio"] > 0 and chosen["activity"]["active_digits"] == 1.0
    assert chosen["activity"]["spread"] >= priors.SATURATED_SPREAD
    assert len(chosen["grid"]) == len(priors.SCALE_GRID["log_weight_shift"]) * len(priors.SCALE_GRID["tonic_ratio"])
    assert chosen["readout_accuracy"] == max(row["readout_accuracy"] for row in chosen["grid"]
                                             if row["active_digits"] == 1.0 and row["saturated"] == 0.0)
    assert chosen["tonic"] == pytest.approx(chosen["input_gain"] * chosen["tonic_ratio"])
    # the gain brings the outputs' variation across the training digits to 1
    from neuroworm.openloop import OpenLoopEvaluator

    evaluator = OpenLoopEvaluator(_inhibitory_toy(), "relu", images, labels, n_classes=10, steps=4,
                                  input_gain=chosen["input_gain"], backend=priors.tonic_backend(),
                                  backend_options={"tonic": chosen["tonic"]})
    from neuroworm.seeding import make_rng

    genomes = evaluator.layout.random(2, seed=make_rng([0, 7]).spawn(2)[1])
    rates = evaluator.output_rates(priors.shift_log_weights(evaluator.layout, genomes, chosen["log_weight_shift"]),
                                   images)
    assert np.sqrt(np.mean(rates.var(axis=1))) == pytest.approx(1.0)     # the part a centred decoder reads
    with pytest.raises(ConfigError, match="validation_share"):
        priors.choose_scaling(_inhibitory_toy(), images, labels, validation_share=1.0)


def test_readout_accuracy_reads_separable_outputs_and_not_constant_ones():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 6)
    separable = np.eye(10)[labels] + 0.01 * rng.random((60, 10))
    assert priors.readout_accuracy(separable[::2], labels[::2], separable[1::2], labels[1::2]) == 1.0
    constant = np.ones((60, 10))
    assert priors.readout_accuracy(constant[::2], labels[::2], constant[1::2], labels[1::2]) <= 0.2
    assert np.isnan(priors.readout_accuracy(constant, labels, np.full((60, 10), np.nan), labels))


def test_the_centred_evaluator_scores_outputs_minus_its_offset():
    split = priors.mnist_splits(dict(TOY, train_per_class=3), seed=0)
    images, labels = split["train"]
    circuit = _inhibitory_toy()
    centred = priors.CentredEvaluator(circuit, "relu", images, labels, n_classes=10, steps=4,
                                      backend=priors.tonic_backend(), backend_options={"tonic": 0.5})
    genome = centred.layout.random(1, seed=1)[0]
    rates = centred.output_rates(genome, images)[0]
    decoder = centred.layout.decode(genome)["decoder"]
    np.testing.assert_allclose(centred.scores(genome, images)[0], rates @ decoder)        # offset 0: plain
    centred.offset = rates.mean(axis=0)
    np.testing.assert_allclose(centred.scores(genome, images)[0], (rates - rates.mean(axis=0)) @ decoder)
    np.testing.assert_array_equal(centred.output_rates(genome, images)[0], rates)          # rates stay uncentred
    with pytest.raises(ConfigError, match="offset"):
        priors.CentredEvaluator(circuit, "relu", images, labels, n_classes=10, offset=[0.0])
