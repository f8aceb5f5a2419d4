"""Fig. 5 (limitations of priors) at toy size: splits kept apart, runs resumed, results shaped as promised."""

import numpy as np
import pytest

from neuroworm.errors import ConfigError
from neuroworm.papers import priors

TOY = {"ga_generations": 2, "ga_population": 4, "elites": 1, "seeds": 1, "heldout_every": 1,
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
    first = priors.fig5(scale="small", seed=0, out=tmp_path, tasks=("mnist",), networks=("connectome_relu", "mlp"),
                        **TOY)
    runs = first.ours["by_task"]["mnist"]
    assert set(runs) == {"connectome_relu", "mlp"}
    for summary in runs.values():
        assert 0.0 <= summary["test"]["mean"] <= 1.0
    assert set(first.table["network"]) == {"connectome_relu", "mlp"}
    assert (tmp_path / "mlp_mnist_seed0" / "ga_checkpoint").exists()
    again = priors.fig5(scale="small", seed=0, out=tmp_path, tasks=("mnist",), networks=("connectome_relu", "mlp"),
                        **TOY)   # finds the checkpoints: resumes a finished run
    assert again.ours["by_task"] == first.ours["by_task"]
    assert "Selection on the training digits" in first.notes


def test_fig5_refuses_unknown_settings():
    with pytest.raises(ConfigError, match="unknown options"):
        priors.fig5(generations=3)
    with pytest.raises(ConfigError, match="unknown tasks or networks"):
        priors.fig5(tasks=("Swimmer-v5",))
    with pytest.raises(ConfigError, match="scale"):
        priors.fig5(scale="huge")


@pytest.mark.slow
def test_fig5_all_networks_both_tasks_toy(tmp_path):
    from neuroworm.papers.reproduce import write_reproduction

    result = priors.fig5(scale="small", seed=1, out=tmp_path, episode_steps=50, heldout_episodes=2, test_episodes=2,
                         **TOY)
    assert set(result.ours["by_task"]) == {"HalfCheetah-v5", "mnist"}
    assert set(result.ours["by_task"]["HalfCheetah-v5"]) == set(priors.NETWORKS)
    write_reproduction(result, tmp_path, "fig5", scale="small", seed=1, seconds=0.0, command="test")
    assert (tmp_path / "fig5.png").exists() and (tmp_path / "fig5.csv").exists()
