"""ES pre-training → GA fine-tuning: weight sharing, honest multi-episode fitness, held-out seeds, worm files."""

import json

import numpy as np
import pandas as pd
import pytest

from neuroworm.errors import ConfigError
from neuroworm.pipelines.pretraining import (
    TEST_SEED_BASE,
    TRAINING_SEED_LIMIT,
    VALIDATION_SEED_BASE,
    HeldoutReturns,
    MultiEpisodeFitness,
    PretrainSettings,
    ValidatedBest,
    episode_seeds,
    finetune,
    heldout_seeds,
    load_worm,
    pretrain,
    pretraining_layout,
    save_worm,
    shared_expansion,
)


class _SeedEcho:
    """A fake evaluator: return = genome[0] + reset seed / 1e9, so seeds and batching can be checked."""

    def __init__(self):
        self.calls = []

    def __call__(self, genomes, seeds):
        self.calls.append((np.array(genomes), list(seeds)))
        return np.asarray(genomes)[:, 0] + np.asarray(seeds, dtype=float) / 1e9


def test_shared_expansion_ties_each_dale_sign_to_one_value(circuit):
    layout = pretraining_layout(circuit, "alif", n_observations=8, n_actions=2)
    expansion = shared_expansion(layout)
    n_free = layout.n_observations * len(circuit.inputs) + len(circuit.outputs) * layout.n_actions
    # free: encoder and decoder; shared: exc, inh, gap junctions, 3 constants x (inputs, outputs[, others])
    roles = 2 + int(circuit.n_neurons > len(set(circuit.inputs) | set(circuit.outputs)))
    assert expansion.search_size == n_free + 3 + 3 * roles
    search = np.arange(expansion.search_size, dtype=float)
    genome = expansion(search)
    decoded = layout.decode(genome)
    sign = circuit.chemical_sign
    assert np.unique(decoded["chemical_log_weight"][sign > 0]).size == 1
    assert np.unique(decoded["chemical_log_weight"][sign < 0]).size == 1
    assert decoded["chemical_log_weight"][sign > 0][0] != decoded["chemical_log_weight"][sign < 0][0]
    assert np.unique(decoded["electrical_log_conductance"]).size == 1
    threshold = decoded["v_threshold"]
    assert np.unique(threshold[circuit.input_index]).size == 1
    assert np.unique(threshold[circuit.output_index]).size == 1
    # encoder and decoder entries stay free, in gene order
    np.testing.assert_array_equal(np.concatenate([decoded["encoder"].ravel(), decoded["decoder"].ravel()]),
                                  np.arange(n_free, dtype=float))
    # the paper's initialisation survives reduce -> expand exactly
    initial = layout.random(1, seed=3)[0]
    np.testing.assert_array_equal(expansion(expansion.reduce(initial)), initial)


def test_shared_expansion_groups_follow_the_paper(circuit):
    layout = pretraining_layout(circuit, "alif", n_observations=8, n_actions=2)
    expansion = shared_expansion(layout)
    groups = expansion.search_groups(layout.mutation_groups())
    assert set(groups) == {"encoder_decoder", "connectome"}
    assert groups["connectome"].size == expansion.search_size - groups["encoder_decoder"].size


def test_episode_seeds_are_reproducible_distinct_and_below_the_heldout_seeds():
    seeds = episode_seeds(12345, 64)
    np.testing.assert_array_equal(seeds, episode_seeds(12345, 64))
    assert np.unique(seeds).size == 64
    assert seeds.min() >= 0 and seeds.max() < TRAINING_SEED_LIMIT
    assert not np.array_equal(episode_seeds(1, 4), episode_seeds(2, 4))
    validation, test = heldout_seeds(16, "validation"), heldout_seeds(16, "test")
    assert min(validation) == VALIDATION_SEED_BASE and min(test) == TEST_SEED_BASE
    assert not set(validation) & set(test)
    with pytest.raises(ConfigError, match="validation"):
        heldout_seeds(3, "train")


def test_multi_episode_fitness_is_the_mean_of_one_batched_call():
    evaluator = _SeedEcho()
    fitness = MultiEpisodeFitness(evaluator, episodes=3)
    genomes = np.array([[1.0, 0.0], [2.0, 0.0]])
    values = fitness(genomes, seeds=[7, 8])
    assert len(evaluator.calls) == 1  # P·m bodies, one call
    batch, reset = evaluator.calls[0]
    assert batch.shape == (6, 2)
    np.testing.assert_array_equal(batch[:3, 0], 1.0)
    expected = [1.0 + episode_seeds(7, 3).mean() / 1e9, 2.0 + episode_seeds(8, 3).mean() / 1e9]
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-12)
    assert reset[:3] == episode_seeds(7, 3).tolist()
    with pytest.raises(ConfigError, match="episodes"):
        MultiEpisodeFitness(evaluator, episodes=0)


class _Rewards:
    """A fake evaluator whose episodes have given per-step rewards (steps x bodies) and returns."""

    def __init__(self, rewards, returns):
        self.rewards = np.asarray(rewards, dtype=float)
        self.returns = np.asarray(returns, dtype=float)

    def rollout(self, genomes, seeds, record):
        from types import SimpleNamespace

        return self.returns, SimpleNamespace(rewards=self.rewards)


def test_windowed_fitness_takes_the_worst_window_after_the_transient():
    # body 0 swims steadily, body 1 curls once (one big step), body 2 diverged
    rewards = np.array([[5.0, 0.0, 1.0]] + [[1.0, 0.0, 1.0]] * 6)
    rewards[4, 1] = 12.0
    evaluator = _Rewards(rewards, [11.0, 12.0, -np.inf])
    fitness = MultiEpisodeFitness(evaluator, episodes=1, transient_steps=1, windows=3)
    values = fitness._returns(np.zeros((3, 2)), [0, 1, 2])
    np.testing.assert_array_equal(values, [6.0, 0.0, -np.inf])   # 3 x min(2, 2, 2); 3 x min(0, 12, 0)
    plain = MultiEpisodeFitness(evaluator, episodes=1, transient_steps=1, windows=1)
    np.testing.assert_array_equal(plain._returns(np.zeros((3, 2)), [0, 1, 2]), [6.0, 12.0, -np.inf])
    with pytest.raises(ConfigError, match="windows"):
        MultiEpisodeFitness(evaluator, episodes=1, windows=0)


class _Swimming:
    """A fake evaluator: body 0 keeps a 0.5 Hz wave; body 1's slows from 0.6 to 0.35 Hz; body 2 slows, backwards."""

    def rollout(self, genomes, seeds, record):
        from types import SimpleNamespace

        steps = 1000
        t = np.arange(steps + 1) * 0.04
        slowing = 2 * np.pi * np.cumsum(np.linspace(0.6, 0.35, steps + 1)) * 0.04
        phases = [2 * np.pi * 0.5 * t, slowing, slowing]
        angles = np.stack([np.stack([0.5 * np.cos(phase - 0.8 * j) for j in range(3)], axis=1) for phase in phases],
                          axis=1)
        rewards = np.tile([0.1, 0.1, -0.1], (steps, 1))
        return rewards.sum(axis=0), SimpleNamespace(rewards=rewards, joint_angles=angles, env_dt=0.04,
                                                    joint_names=("a", "b", "c"))

    def __call__(self, genomes, seeds):
        return self.rollout(genomes, seeds, None)[0]


def test_steady_fitness_costs_a_gait_that_slows_whichever_way_the_body_swims():
    plain = MultiEpisodeFitness(_Swimming(), episodes=1)._returns(np.zeros((3, 2)), [0, 1, 2])
    steady = MultiEpisodeFitness(_Swimming(), episodes=1, steady=0.8)._returns(np.zeros((3, 2)), [0, 1, 2])
    np.testing.assert_allclose(plain, [100.0, 100.0, -100.0])
    assert steady[0] == pytest.approx(100.0)  # a steady wave keeps its return
    assert 60.0 < steady[1] < 95.0  # a wave at about 2/3 of its first frequency: about (2/3) / 0.8 of the return
    assert steady[2] == pytest.approx(-100.0 - (100.0 - steady[1]))  # backwards: the same loss, not a gain
    with pytest.raises(ConfigError, match="steady"):
        MultiEpisodeFitness(_Swimming(), episodes=1, steady=1.5)


def test_heldout_returns_evaluate_one_genome_on_every_seed():
    evaluator = _SeedEcho()
    returns = HeldoutReturns(evaluator, heldout_seeds(4, "test"))(np.array([5.0, 1.0]))
    np.testing.assert_allclose(returns, 5.0 + np.array(heldout_seeds(4, "test")) / 1e9)


def test_finetune_settings_are_checked():
    with pytest.raises(ConfigError, match="finetune_sigma"):
        PretrainSettings.from_paper(finetune_sigma=0.0)
    with pytest.raises(ConfigError, match="finetune_epochs"):
        PretrainSettings.from_paper(finetune_epochs=-1)
    assert PretrainSettings.from_paper().finetune_epochs == 0  # off unless asked for


def test_settings_come_from_the_experiment_file_and_are_checked():
    settings = PretrainSettings.from_paper()
    assert settings.es_population == 200
    assert settings.es_sigma == {"encoder_decoder": 0.1, "connectome": 0.1}
    assert settings.ga_elites == 8 and settings.test_episodes == 16
    with pytest.raises(ConfigError, match="es_population"):
        PretrainSettings.from_paper(es_population=3)
    with pytest.raises(ConfigError, match="unknown pre-training setting"):
        PretrainSettings.from_paper(populaton=3)


def test_worm_file_round_trip_and_mismatch(tmp_path):
    pytest.importorskip("mujoco")
    from neuroworm import load_connectome, locomotion_circuit

    settings = PretrainSettings.from_paper()
    circuit = locomotion_circuit(load_connectome(settings.connectome))
    layout = pretraining_layout(circuit, "alif", 8, 2)
    genome = layout.random(1, seed=0)[0]
    path = save_worm(tmp_path / "worm.npz", genome, settings, layout, test_returns=np.array([1.0, 2.0]))
    loaded, loaded_settings, _circuit, loaded_layout = load_worm(path)
    np.testing.assert_array_equal(loaded, genome)
    assert loaded_settings == settings and loaded_layout.size == layout.size
    with np.load(path) as data:
        assert json.loads(str(data["layout"]))["per_neuron"] == ["v_threshold", "beta", "input_scale"]
    np.savez(tmp_path / "bad.npz", genome=genome[:-1], settings=json.dumps({}), layout="{}")
    with pytest.raises(ConfigError, match="bad.npz"):
        load_worm(tmp_path / "bad.npz")


@pytest.mark.slow
@pytest.mark.mujoco
def test_pretrain_chains_es_and_ga_and_resumes(tmp_path):
    tiny = {"es_population": 4, "es_epochs": 2, "es_episode_steps": 10, "es_transient_steps": 2, "episode_steps": 15,
            "ga_population": 3,
            "ga_elites": 1, "ga_generations": 2, "validation_episodes": 2, "test_episodes": 3, "heldout_every": 1}
    settings = PretrainSettings.from_paper(**tiny)
    settings.ga_episode_steps = 10
    first = pretrain(settings, tmp_path / "run")
    assert len(first["test_returns"]) == 3
    es_log = pd.read_csv(tmp_path / "run" / "es" / "logbook.csv")
    assert len(es_log) == 2 and es_log["heldout_mean"].notna().all()
    with np.load(tmp_path / "run" / "es" / "best.npz") as best:  # the GA starts from the best-validated ES mean
        assert best["validation_returns"].mean() == pytest.approx(es_log["heldout_mean"].max())
        np.testing.assert_array_equal(best["genome"], np.load(tmp_path / "run" / "es" / "worm.npz")["genome"])
    with pytest.raises(ConfigError, match="resume"):
        pretrain(settings, tmp_path / "run")
    settings.ga_generations = 3  # extend the finished run: only the GA stage continues
    again = pretrain(settings, tmp_path / "run", resume=True)
    assert len((tmp_path / "run" / "ga" / "logbook.csv").read_text().splitlines()) == 4
    again_log = pd.read_csv(tmp_path / "run" / "es" / "logbook.csv")
    pd.testing.assert_frame_equal(again_log[es_log.columns], es_log)
    assert again["test_seeds"] == heldout_seeds(3, "test")
    ga_worm = np.load(tmp_path / "run" / "ga" / "worm.npz")["genome"]
    settings.finetune_epochs = 2  # a third stage on every gene: ES and GA stay as they were
    tuned = pretrain(settings, tmp_path / "run", resume=True)
    assert len(pd.read_csv(tmp_path / "run" / "finetune" / "logbook.csv")) == 2
    np.testing.assert_array_equal(np.load(tmp_path / "run" / "ga" / "worm.npz")["genome"], ga_worm)
    final = np.load(tuned["worm"])["genome"]
    np.testing.assert_array_equal(final, np.load(tmp_path / "run" / "finetune" / "worm.npz")["genome"])
    assert not np.array_equal(final, ga_worm)
    saved = json.loads((tmp_path / "run" / "settings.json").read_text())
    del saved["finetune_sigma"]  # a run saved before the setting existed resumes with its default
    (tmp_path / "run" / "settings.json").write_text(json.dumps(saved))
    pretrain(settings, tmp_path / "run", resume=True)
    changed = PretrainSettings.from_paper(**{**tiny, "seed": 5})
    with pytest.raises(ConfigError, match="different settings"):
        pretrain(changed, tmp_path / "run", resume=True)


def _tiny_worm(path, **overrides):
    """A worm file with tiny episodes, built like pretrain's (random genome of the pre-training layout)."""
    from neuroworm import load_connectome, locomotion_circuit

    settings = PretrainSettings.from_paper(**{"episode_steps": 15, "ga_episode_steps": 15, "validation_episodes": 2,
                                              "test_episodes": 3, "heldout_every": 1, **overrides})
    circuit = locomotion_circuit(load_connectome(settings.connectome))
    layout = pretraining_layout(circuit, "alif", 8, 2)
    return save_worm(path, layout.random(1, seed=0)[0], settings, layout), settings, layout


def test_validated_best_keeps_the_best_genome_and_ties_keep_the_earlier(tmp_path):
    pytest.importorskip("mujoco")
    _, settings, layout = _tiny_worm(tmp_path / "start.npz")
    evaluator = _SeedEcho()  # return = genome[0] + seed / 1e9
    path = tmp_path / "best.npz"
    best = ValidatedBest(HeldoutReturns(evaluator, [0, 0]), path,
                         lambda where, genome, **arrays: save_worm(where, genome, settings, layout, **arrays))
    genome = np.zeros(layout.size)
    for first, expected in ((1.0, 1.0), (3.0, 3.0), (2.0, 3.0)):
        genome[0] = first
        np.testing.assert_allclose(best(genome), [first, first])
        assert load_worm(path)[0][0] == expected and best.best_mean == expected
    genome[0], genome[1] = 3.0, 7.0  # a tie: the file keeps the earlier genome
    best(genome)
    assert load_worm(path)[0][1] != 7.0
    assert ValidatedBest(best.heldout, path, best.write).best_mean == 3.0  # a resumed run reads it back


def test_common_seeds_setting_is_checked():
    assert PretrainSettings.from_paper().common_seeds is False
    with pytest.raises(ConfigError, match="common_seeds"):
        PretrainSettings.from_paper(common_seeds="yes")


@pytest.mark.mujoco
def test_finetune_hands_back_the_last_centre_and_resumes(tmp_path):
    worm, settings, _layout = _tiny_worm(tmp_path / "start.npz")
    options = {"population": 4, "episodes": 1, "seed": 2}
    whole = finetune(worm, tmp_path / "whole", 3, **options)
    log = pd.read_csv(tmp_path / "whole" / "finetune" / "logbook.csv")
    assert len(log) == 3 and log["heldout_mean"].notna().all()
    kept = np.load(whole["worm"])
    assert kept["validation_returns"].shape == (2,)
    assert whole["validation_mean"] == pytest.approx(log["heldout_mean"].iloc[-1])  # the last centre's
    assert not np.array_equal(kept["genome"], load_worm(worm)[0])
    assert len(whole["test_returns"]) == 3 and whole["test_seeds"] == heldout_seeds(3, "test")
    record = json.loads(str(kept["finetuned_from"]))
    assert record["epochs"] == 3 and record["common_seeds"] is True and record["population"] == 4
    assert record["start_validation_mean"] == whole["start_validation_mean"]
    assert load_worm(whole["worm"])[1] == settings  # the evaluation settings are the starting worm's

    finetune(worm, tmp_path / "split", 2, **options)
    resumed = finetune(worm, tmp_path / "split", 3, resume=True, **options)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "split" / "finetune" / "logbook.csv"), log)
    assert resumed["test_returns"] == whole["test_returns"]
    np.testing.assert_array_equal(np.load(resumed["worm"])["genome"], np.load(whole["worm"])["genome"])
    with pytest.raises(ConfigError, match="resume"):
        finetune(worm, tmp_path / "split", 3, **options)
    with pytest.raises(ConfigError, match="population"):
        finetune(worm, tmp_path / "split", 3, resume=True, **{**options, "population": 6})
    other, _, _ = _tiny_worm(tmp_path / "other.npz", seed=9)
    with pytest.raises(ConfigError, match="worm_sha256"):
        finetune(other, tmp_path / "split", 3, resume=True, **options)
    with pytest.raises(ConfigError, match="even"):
        finetune(worm, tmp_path / "odd", 3, population=5)


@pytest.mark.mujoco
def test_finetune_on_a_steadiness_aware_score_records_it(tmp_path):
    options = {"population": 4, "episodes": 1, "seed": 2}
    worm, _, _ = _tiny_worm(tmp_path / "start.npz", episode_steps=200)  # long enough for four quarters of gait
    plain = finetune(worm, tmp_path / "plain", 2, **options)
    steady = finetune(worm, tmp_path / "steady", 2, steady=0.8, **options)
    assert json.loads(str(np.load(steady["worm"])["finetuned_from"]))["steady"] == 0.8
    assert "steady" not in json.loads(str(np.load(plain["worm"])["finetuned_from"]))  # old run folders still resume
    assert not np.array_equal(np.load(steady["worm"])["genome"], np.load(plain["worm"])["genome"])  # another score
    with pytest.raises(ConfigError, match="steady"):
        finetune(worm, tmp_path / "steady2", 2, steady=2.0, **options)


class _RiseThenFall:
    """A fake validation: its k-th call scores ``peak - |k - rise|`` (rises ``rise`` calls, then falls)."""

    def __init__(self, rise=2, peak=10.0):
        self.calls, self.rise, self.peak = 0, rise, peak

    def __call__(self, genome):
        score = self.peak - abs(self.calls - self.rise)
        self.calls += 1
        return np.array([score, score])


def _quadratic_es():
    from neuroworm.evolve import OpenAIES

    return OpenAIES(np.zeros(3), population_size=6, sigma=0.1, learning_rate=0.05, seed=0)


def _quadratic(genomes):
    return -np.sum((np.asarray(genomes) - 1.0) ** 2, axis=1)


def test_run_until_validation_stops_on_a_falling_curve_and_equals_one_run(tmp_path):
    from neuroworm.evolve import run
    from neuroworm.pipelines.pretraining import run_until_validation_stops

    result, stop = run_until_validation_stops(_quadratic_es(), _quadratic, 40, validation=_RiseThenFall(),
                                              checkpoint=tmp_path / "es", heldout_every=2, patience=2, seed=3,
                                              progress=False)
    # validations after generations 2, 4, 6, 8, 10 score 8, 9, 10, 9, 8: the best (generation index 5) is two
    # validations old after generation 10, so the run stops there, far short of 40
    assert stop == {"generations": 10, "validation_stalled": True, "best_generation": 5, "best_validation": 10.0}
    assert len(result.logbook) == 10
    straight = run(_quadratic_es(), _quadratic, 10, seed=3, progress=False, heldout=_RiseThenFall(), heldout_every=2)
    pd.testing.assert_frame_equal(result.logbook_frame(), straight.logbook_frame())


def test_run_until_validation_stops_runs_everything_without_patience_and_checks_its_arguments(tmp_path):
    from neuroworm.pipelines.pretraining import run_until_validation_stops

    result, stop = run_until_validation_stops(_quadratic_es(), _quadratic, 12, validation=_RiseThenFall(),
                                              checkpoint=tmp_path / "es", heldout_every=2, progress=False)
    assert stop["generations"] == 12 and len(result.logbook) == 12 and stop["best_generation"] == 5
    with pytest.raises(ConfigError, match="patience"):
        run_until_validation_stops(_quadratic_es(), _quadratic, 12, validation=_RiseThenFall(),
                                   checkpoint=tmp_path / "other", heldout_every=2, patience=0)
