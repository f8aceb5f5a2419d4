"""Closed-loop evaluation: Brian2 against the reference, batching, failures, errors, seeds, pickling."""

import pickle

import numpy as np
import pytest

from neuroworm.control import ClosedLoopEvaluator, RolloutRecord, environment_seeds, evaluate
from neuroworm.errors import ConfigError, GenomeError, NeuroWormError, TaskError
from neuroworm.evolve import parallel
from neuroworm.genome import GenomeLayout

pytest.importorskip("mujoco")
pytestmark = pytest.mark.mujoco

EPISODE_STEPS = 60


def lively_genomes(layout, n, seed):
    """Random genomes with a strong encoder, so that motor neurons and muscles spike."""
    genomes = layout.random(n, seed=seed, weight_noise=0.3)
    genomes[:, layout.slices["encoder"]] *= 10.0
    genomes[:, layout.slices["decoder"]] *= 3.0
    return genomes


def make_evaluator(circuit, task="Swimmer-v5", backend="reference", episode_steps=EPISODE_STEPS, K=4, **options):
    return ClosedLoopEvaluator(circuit, "alif", task, backend=backend, episode_steps=episode_steps,
                               neural_steps_per_env_step=K, seed=0, **options)


def assert_same_records(record, expected):
    for name in ("observations", "actions", "rewards", "head_position", "joint_angles", "spikes", "returns",
                 "failed"):
        np.testing.assert_array_equal(getattr(record, name), getattr(expected, name), err_msg=name)
    assert record.spike_cells == expected.spike_cells
    assert record.joint_names == expected.joint_names


# ------------------------------------------------------------------ Brian2 against the reference
@pytest.mark.parametrize(("task", "codegen"), [("Swimmer-v5", "numpy"), ("Swimmer-v5", "cython"),
                                               ("neuroworm/Swimmer6-v0", "cython"), ("HalfCheetah-v5", "cython")])
def test_brian2_closed_loop_equals_reference(circuit, task, codegen):
    """Same genomes and seeds: identical returns, actions, bodies and spikes, at P = 3."""
    reference = make_evaluator(circuit, task)
    brian = make_evaluator(circuit, task, backend="brian2", codegen=codegen)
    genomes = lively_genomes(reference.layout, 3, seed=1)
    seeds = [3, 4, 5]
    expected_returns, expected = reference.rollout(genomes, seeds=seeds, record=True)
    returns, record = brian.rollout(genomes, seeds=seeds, record=True)
    assert expected.spikes.mean() > 0.01, "the genomes should make the recorded cells spike"
    assert np.ptp(expected.actions) > 0.1, "the actions should vary"
    np.testing.assert_array_equal(returns, expected_returns)
    assert_same_records(record, expected)


def test_brian2_reuses_its_network_across_calls(circuit):
    """The second call (state reset, t back to 0) equals the first and the reference; P change rebuilds."""
    brian = make_evaluator(circuit, backend="brian2", episode_steps=30)
    reference = make_evaluator(circuit, episode_steps=30)
    genomes = lively_genomes(brian.layout, 3, seed=2)
    first = brian(genomes)
    network = brian._network
    np.testing.assert_array_equal(brian(genomes), first)
    assert brian._network is network
    np.testing.assert_array_equal(first, reference(genomes))
    np.testing.assert_array_equal(brian(genomes[:2]), first[:2])
    assert brian.n_individuals == 2


def test_rollout_alignment_actions_come_from_the_previous_window(circuit):
    """Action e is decoded from the spikes of neural steps e·K .. e·K+K-1 (the window after observation e)."""
    evaluator = make_evaluator(circuit, episode_steps=10, K=3)
    genomes = lively_genomes(evaluator.layout, 2, seed=3)
    _, record = evaluator.rollout(genomes, record=list(circuit.outputs))
    controller = evaluator.controller
    controller.load(genomes)
    counts = record.spikes.reshape(10, 3, 2, len(circuit.outputs)).sum(axis=1)
    for e in range(10):
        np.testing.assert_array_equal(controller.decode(counts[e]), record.actions[e])


# ------------------------------------------------------------------ batching
@pytest.mark.parametrize("backend", ["reference", "brian2"])
def test_batched_equals_one_at_a_time(circuit, backend):
    evaluator = make_evaluator(circuit, backend=backend, episode_steps=40)
    genomes = lively_genomes(evaluator.layout, 3, seed=4)
    seeds = [10, 11, 12]
    together = evaluator(genomes, seeds=seeds)
    alone = [evaluator(genomes[k:k + 1], seeds=[seeds[k]])[0] for k in range(3)]
    np.testing.assert_array_equal(together, alone)


# ------------------------------------------------------------------ errors before the episode
def test_unknown_environment_id(circuit):
    with pytest.raises(TaskError, match="NoSuchEnv-v0"):
        make_evaluator(circuit, "NoSuchEnv-v0")
    with pytest.raises(TaskError, match="unknown environment id"):
        evaluate(circuit, "alif", np.zeros(10), "NoSuchEnv-v0")


def test_discrete_action_space_is_a_task_error(circuit):
    with pytest.raises(TaskError, match="Box action space"):
        make_evaluator(circuit, "CartPole-v1")


def test_layout_that_does_not_fit_the_environment(circuit):
    wrong_encoder = GenomeLayout(circuit, "alif", n_observations=14, n_actions=2)
    with pytest.raises(TaskError, match="encoder reads 14 observations, but Swimmer-v5 gives 8"):
        make_evaluator(circuit, layout=wrong_encoder)
    wrong_decoder = GenomeLayout(circuit, "alif", n_observations=8, n_actions=5)
    with pytest.raises(TaskError, match="decoder gives 5 actions, but the action space has 2"):
        make_evaluator(circuit, layout=wrong_decoder)


@pytest.mark.parametrize("backend", ["reference", "brian2"])
def test_bad_genomes_fail_before_anything_is_built(circuit, backend):
    evaluator = make_evaluator(circuit, backend=backend)
    genomes = evaluator.layout.random(2, seed=0)
    with pytest.raises(GenomeError, match="length"):
        evaluator(genomes[:, :-1])
    bad = genomes.copy()
    bad[1, evaluator.layout.slices["encoder"].start + 3] = np.nan
    with pytest.raises(GenomeError, match=r"individual 1, .*encoder\[3\]"):
        evaluator(bad)
    assert evaluator.n_individuals == 0, "nothing should have been built"


def test_bad_arguments_are_config_errors(circuit):
    with pytest.raises(ConfigError, match="backend"):
        make_evaluator(circuit, backend="nest")
    with pytest.raises(ConfigError, match="episode_steps"):
        make_evaluator(circuit, episode_steps=0)
    with pytest.raises(ConfigError, match="neural_steps_per_env_step"):
        make_evaluator(circuit, K=0)
    evaluator = make_evaluator(circuit)
    with pytest.raises(ConfigError, match="2 seeds for 3"):
        evaluator(evaluator.layout.random(3, seed=0), seeds=[1, 2])
    with pytest.raises(NeuroWormError, match="NOTACELL"):
        evaluator.rollout(evaluator.layout.random(1, seed=0), record=["NOTACELL"])


# ------------------------------------------------------------------ failures
@pytest.mark.parametrize("backend", ["reference", "brian2"])
def test_diverged_individual_gets_the_worst_return_and_others_are_unchanged(circuit, backend):
    evaluator = make_evaluator(circuit, backend=backend, episode_steps=30)
    genomes = lively_genomes(evaluator.layout, 3, seed=5)
    healthy = evaluator(genomes, seeds=[1, 2, 3])
    assert np.isfinite(healthy).all()
    genomes[1, evaluator.layout.slices["chemical_log_weight"]] = 800.0  # exp(800) = inf
    returns = evaluator(genomes, seeds=[1, 2, 3])
    assert returns[1] == -np.inf
    np.testing.assert_array_equal(returns[[0, 2]], healthy[[0, 2]])
    assert evaluator._network.failed.tolist() == [False, True, False]
    # the next generation revives everyone
    genomes[1] = lively_genomes(evaluator.layout, 3, seed=5)[1]
    np.testing.assert_array_equal(evaluator(genomes, seeds=[1, 2, 3]), healthy)


def test_overflowing_decoder_saturates_at_the_action_bounds(circuit):
    """Decoder weights near the float limit overflow to ±inf, which tanh maps onto the bounds: no failure."""
    evaluator = make_evaluator(circuit, episode_steps=20)
    genomes = lively_genomes(evaluator.layout, 2, seed=6)
    healthy = evaluator(genomes)
    decoder = evaluator.layout.slices["decoder"]
    genomes[0, decoder] = 1e308
    returns, record = evaluator.rollout(genomes, record=True)
    assert np.isfinite(returns).all()
    assert set(np.unique(record.actions[:, 0])) <= {0.0, 1.0}
    assert record.actions[:, 0].max() == 1.0
    assert returns[1] == healthy[1]


@pytest.mark.parametrize("backend", ["reference", "brian2"])
def test_terminated_episodes_stop_accumulating_reward(circuit, backend):
    """InvertedPendulum (reward 1 per step until the pole falls) through gymnasium's SyncVectorEnv."""
    evaluator = ClosedLoopEvaluator(circuit, "alif", "InvertedPendulum-v5", backend=backend, episode_steps=150,
                                    neural_steps_per_env_step=2, seed=0)
    genomes = lively_genomes(evaluator.layout, 3, seed=7)
    returns, record = evaluator.rollout(genomes, record=True)
    for k in range(3):
        rewards = record.rewards[:, k]
        first_zero = np.flatnonzero(rewards == 0.0)
        alive_steps = first_zero[0] if len(first_zero) else len(rewards)
        assert returns[k] == alive_steps
    assert record.n_env_steps < 150, "every pole falls: the episode stops early"
    np.testing.assert_array_equal(evaluator(genomes), returns)  # after an early stop, the next run is aligned


# ------------------------------------------------------------------ seeds, records, pickling
def test_seeded_random_genomes_on_swimmer_are_reproducible(circuit):
    layout = make_evaluator(circuit).layout
    genomes = layout.random(4, seed=8)
    first = evaluate(circuit, "alif", genomes, "Swimmer-v5", backend="brian2", episode_steps=50, seed=0)
    again = evaluate(circuit, "alif", genomes, "Swimmer-v5", backend="brian2", episode_steps=50, seed=0)
    other = evaluate(circuit, "alif", genomes, "Swimmer-v5", backend="brian2", episode_steps=50, seed=1)
    assert first.shape == (4,) and np.isfinite(first).all()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_environment_seeds():
    assert environment_seeds([5, 6], 2) == [5, 6]
    shared = environment_seeds(0, 3)
    assert shared == environment_seeds(0, 3) and len(set(shared)) == 1
    assert environment_seeds(np.random.default_rng(0), 2) == shared[:2]


def test_record_contents(circuit):
    evaluator = make_evaluator(circuit, "neuroworm/Swimmer6-v0", episode_steps=25, K=3)
    genomes = lively_genomes(evaluator.layout, 2, seed=9)
    returns, record = evaluator.rollout(genomes, record=True)
    assert isinstance(record, RolloutRecord)
    assert record.n_env_steps == 25
    assert record.observations.shape == (26, 2, 14)
    assert record.actions.shape == (25, 2, 5) and np.abs(record.actions).max() <= 1.0
    assert record.head_position.shape == (26, 2, 2)
    assert record.joint_angles.shape == (26, 2, 5) and len(record.joint_names) == 5
    assert record.spikes.shape == (75, 2, len(circuit.inputs) + len(circuit.outputs))
    assert record.spike_cells == tuple(circuit.inputs) + tuple(circuit.outputs)
    np.testing.assert_array_equal(record.returns, returns)
    np.testing.assert_allclose(record.rewards.sum(axis=0), returns, rtol=1e-12)
    np.testing.assert_allclose(record.time[1], 0.04)
    # the observation holds the actuated joint angles (after the head angle)
    np.testing.assert_array_equal(record.observations[:, :, 1:6], record.joint_angles)


def test_evaluator_pickles_without_its_simulation_and_gives_the_same_returns(circuit):
    evaluator = make_evaluator(circuit, backend="brian2", episode_steps=30)
    genomes = lively_genomes(evaluator.layout, 2, seed=10)
    before = evaluator(genomes, seeds=[7, 8])
    payload = pickle.dumps(evaluator)
    assert len(payload) < 2_000_000
    # A fresh copy (what a worker receives) starts without a simulation ...
    clone = pickle.loads(payload)
    assert clone._network is None and clone._envs is None
    np.testing.assert_array_equal(clone(genomes, seeds=[7, 8]), before)
    # ... and the parallel map lets a worker keep the one it built for the next batch of the same run.
    batch = pickle.dumps(parallel.EvaluateBatch(evaluator, True, token="run-1"))
    built = dict(parallel._BUILT_IN_THIS_PROCESS)
    parallel._BUILT_IN_THIS_PROCESS.clear()
    first = pickle.loads(batch)
    np.testing.assert_array_equal(first((genomes, [7, 8])), before)
    again = pickle.loads(batch)
    assert again.evaluate is first.evaluate and again.evaluate._network is first.evaluate._network
    np.testing.assert_array_equal(again((genomes[::-1], [8, 7])), before[::-1])
    parallel._BUILT_IN_THIS_PROCESS.clear()
    parallel._BUILT_IN_THIS_PROCESS.update(built)


def test_plots_of_a_rollout(circuit):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neuroworm import plot

    evaluator = make_evaluator(circuit, episode_steps=20)
    _, record = evaluator.rollout(lively_genomes(evaluator.layout, 2, seed=11), record=True)
    figure, axes = plt.subplots(1, 3)
    assert plot.swim_trajectory(record, ax=axes[0]) is axes[0]
    assert plot.joint_angles(record, ax=axes[1], individual=1) is axes[1]
    assert plot.rollout_raster(record, circuit, ax=axes[2]) is axes[2]
    assert len(axes[2].collections) == 1
    assert len(axes[0].lines) == 4
    plt.close(figure)


def test_a_process_pool_gives_the_in_process_logbook(circuit):
    """Splitting each generation over two worker processes (the fast configuration) changes no result."""
    import pandas as pd

    from neuroworm.evolve import EliteGA, run

    evaluator = make_evaluator(circuit, backend="brian2", episode_steps=20)
    strategy = EliteGA(lively_genomes(evaluator.layout, 4, seed=2), population_size=4, n_elites=1,
                       groups=evaluator.layout.mutation_groups(), mutation_rate=0.05, seed=0)
    serial = run(strategy, evaluator, 2, seed=5, progress=False)
    parallel = run(strategy, evaluator, 2, seed=5, progress=False, map="process", workers=2, batch_size=2)
    pd.testing.assert_frame_equal(serial.logbook_frame(), parallel.logbook_frame())
    assert serial.logbook_frame()["max"].iloc[0] != 0.0


def test_a_genome_matrix_is_validated_at_the_boundaries_only(circuit, monkeypatch):
    """Once by the evaluator's entry and once by the backend's set_genomes, not once per decoding step."""
    evaluator = make_evaluator(circuit, episode_steps=3)
    genomes = lively_genomes(evaluator.layout, 2, seed=0)
    evaluator(genomes)  # builds the network
    calls = []
    original = type(evaluator.layout).validate
    monkeypatch.setattr(type(evaluator.layout), "validate",
                        lambda self, g: calls.append(1) or original(self, g))
    evaluator(genomes)
    assert len(calls) == 2
