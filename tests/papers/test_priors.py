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
