"""Tests of the evolution strategies and the run loop (neuroworm.evolve)."""

import pickle

import numpy as np
import pytest
from deap import algorithms
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroworm.errors import CheckpointError, ConfigError
from neuroworm.evolve import (
    CMAES,
    EliteGA,
    GenomeGroups,
    Individual,
    OpenAIES,
    SharedWeights,
    centered_ranks,
    make_toolbox,
    rank_power_weights,
    run,
)
from neuroworm.evolve.objectives import Noisy, ShiftedQuadratic, sphere


def evaluate_population(population, objective):
    """Assign fitness by hand, as a user driving a strategy without run() would."""
    genomes = np.stack(population)
    for individual, value in zip(population, objective(genomes), strict=True):
        individual.fitness.values = (float(value),)


def logbook_rows(result):
    return [dict(row) for row in result.logbook]


# --- analytical: convergence to known optima ---------------------------------------------


@pytest.mark.parametrize(
    "optimizer, shaping, learning_rate, decay",
    [
        ("adam", "centered_rank", 0.02, 0.99),  # Salimans et al. 2017
        ("sgd", "centered_rank", 0.005, 0.995),  # its gradient grows as 1/sigma: smaller steps
        ("sgd", "rank_power", 0.02, 0.99),  # Bertens & Lee 2019: rank^5 and momentum 0.9
    ],
)
def test_openai_es_converges_to_quadratic_optimum(optimizer, shaping, learning_rate, decay):
    optimum = np.linspace(-1.0, 1.0, 10)
    objective = ShiftedQuadratic(optimum, scales=np.linspace(0.5, 2.0, 10))
    es = OpenAIES(
        np.zeros(10), population_size=40, sigma=0.1, learning_rate=learning_rate, sigma_decay=decay,
        learning_rate_decay=decay, optimizer=optimizer, shaping=shaping,
    )
    result = run(es, objective, generations=300, seed=3, progress=False)
    assert np.max(np.abs(result.strategy.center - optimum)) < 0.02
    assert result.best_fitness > -1e-3


def test_cma_es_reaches_sphere_optimum_below_1e_minus_8():
    cma = CMAES(np.full(6, 2.0), sigma=0.5)
    result = run(cma, sphere, generations=250, seed=11, progress=False)
    assert -result.best_fitness < 1e-8
    assert result.logbook[-1]["sigma"] < 1e-3


def test_cma_es_draws_only_from_its_generator():
    np.random.seed(0)
    global_state = np.random.get_state()[1].copy()
    first = CMAES(np.zeros(4), sigma=1.0, seed=5).generate(Individual)
    np.random.seed(123)  # changing the global state must not change the samples
    second = CMAES(np.zeros(4), sigma=1.0, seed=5).generate(Individual)
    np.testing.assert_array_equal(np.stack(first), np.stack(second))
    np.random.seed(0)
    CMAES(np.zeros(4), sigma=1.0, seed=5).generate(Individual)
    np.testing.assert_array_equal(np.random.get_state()[1], global_state)


# --- elite GA ----------------------------------------------------------------------------


def test_elite_ga_best_never_decreases_when_elites_keep_their_fitness():
    ga = EliteGA(np.full(8, 3.0), population_size=40, n_elites=4, mutation_rate=0.3,
                 mutation_decay=0.99, reevaluate_elites=False)
    result = run(ga, sphere, generations=40, seed=2, progress=False)
    population_best = np.array([row["max"] for row in result.logbook])
    assert np.all(np.diff(population_best) >= 0)
    assert population_best[-1] > population_best[0]
    # elites with a valid fitness are not evaluated again
    assert [row["nevals"] for row in result.logbook][1:] == [36] * 39


def test_elite_ga_keeps_elites_unchanged_and_children_come_from_elites():
    ga = EliteGA(np.zeros((2, 5)), population_size=12, n_elites=3, mutation_rate=0.01, seed=0)
    population = ga.generate(Individual)
    evaluate_population(population, ShiftedQuadratic(np.ones(5)))
    ga.update(population)
    elites = ga.parents.copy()
    children = ga.generate(Individual)
    np.testing.assert_array_equal(np.stack(children[:3]), elites)
    distance = np.abs(np.stack(children[3:])[:, None, :] - elites[None]).max(axis=2)
    assert np.all(distance.min(axis=1) < 0.1)  # every child is a small mutation of an elite


def test_elite_ga_mutation_rates_per_group_with_decay_and_frozen_genes():
    groups = {"encoder_decoder": slice(0, 50), "connectome": slice(50, 150)}  # genes 150.. are frozen
    ga = EliteGA(np.zeros(160), population_size=401, n_elites=1, groups=groups,
                 mutation_rate={"encoder_decoder": 0.01, "connectome": 0.02}, mutation_decay=0.5, seed=1)
    ga.generation = 2  # rates decayed twice: 0.0025 and 0.005
    offsets = np.stack(ga.generate(Individual)[1:])
    assert np.std(offsets[:, :50]) == pytest.approx(0.0025, rel=0.05)
    assert np.std(offsets[:, 50:150]) == pytest.approx(0.005, rel=0.05)
    assert np.all(offsets[:, 150:] == 0)
    assert ga.log_values() == {"mutation_rate_encoder_decoder": 0.0025, "mutation_rate_connectome": 0.005}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rate=st.floats(0.01, 3.0))
def test_mutation_never_flips_a_dale_sign(seed, rate):
    rng = np.random.default_rng(seed)
    signs = rng.choice([-1.0, 1.0], size=30)  # Dale's law: one sign per presynaptic neuron's synapses
    log_weights = rng.normal(size=30)
    ga = EliteGA(log_weights, population_size=50, n_elites=1, mutation_rate=rate, seed=seed)
    for _ in range(3):
        population = ga.generate(Individual)
        weights = signs * np.exp(np.stack(population))
        assert np.all(np.sign(weights) == signs)
        evaluate_population(population, sphere)
        ga.update(population)


def test_failed_evaluations_rank_worst_and_are_counted():
    def evaluate(genomes):
        fitness = sphere(genomes)
        fitness[genomes[:, 0] > 0] = np.nan  # half the children "crash"
        return fitness

    ga = EliteGA(np.zeros(3), population_size=20, n_elites=2, mutation_rate=0.5)
    result = run(ga, evaluate, generations=5, seed=4, progress=False)
    assert all(row["failed"] > 0 for row in result.logbook)
    assert np.isfinite(result.best_fitness)
    assert np.all(result.strategy.parents[:, 0] <= 0)
    assert np.all(np.isfinite([row["mean"] for row in result.logbook]))


def test_genome_groups_reject_overlaps_and_out_of_range_indices():
    with pytest.raises(ConfigError, match="overlaps"):
        GenomeGroups(10, {"a": slice(0, 5), "b": [4, 5]})
    with pytest.raises(ConfigError, match="outside"):
        GenomeGroups(10, {"a": [3, 10]})
    with pytest.raises(ConfigError, match="missing"):
        GenomeGroups(10, {"a": slice(0, 5), "b": slice(5, 10)}).scalars({"a": 0.1}, "mutation_rate")


# --- OpenAI-ES details -------------------------------------------------------------------


def test_fitness_shaping_matches_the_papers():
    fitness = np.array([3.0, np.nan, 10.0, -1.0, 5.0])
    np.testing.assert_allclose(centered_ranks(fitness), [0.0, -0.5, 0.5, -0.25, 0.25])
    weights = rank_power_weights(fitness, power=5)
    rank = np.array([2, 0, 4, 1, 3]) / 4
    np.testing.assert_allclose(weights, rank**5 / np.sum(rank**5))
    large = rank_power_weights(np.arange(10_000.0))
    assert 0.7 < large[-2000:].sum() < 0.8  # "the top 20 % account for ~80 %" (Bertens & Lee 2019)


def test_openai_es_antithetic_offspring_mirror_the_center():
    es = OpenAIES(np.full(4, 0.5), population_size=6, sigma=0.2, seed=0)
    genomes = np.stack(es.generate(Individual))
    np.testing.assert_allclose(genomes[:3] + genomes[3:], 1.0)


def test_openai_es_shared_weights_search_a_small_space_but_evaluate_full_genomes():
    genome_size = 12
    expansion = SharedWeights(genome_size, {"excitatory": [4, 5, 6, 7], "inhibitory": [8, 9, 10, 11]})
    groups = expansion.search_groups({"encoder_decoder": slice(0, 4), "connectome": slice(4, 12)})
    assert [list(indices) for indices in groups.values()] == [[0, 1, 2, 3], [4, 5]]
    seen = []

    def evaluate(genomes):
        seen.append(genomes.shape)
        assert np.all(genomes[:, 4:8] == genomes[:, [4]]) and np.all(genomes[:, 8:] == genomes[:, [8]])
        return ShiftedQuadratic(np.r_[np.zeros(4), np.full(4, 1.0), np.full(4, -1.0)])(genomes)

    es = OpenAIES(np.zeros(expansion.search_size), population_size=20, groups=groups,
                  sigma={"encoder_decoder": 0.1, "connectome": 0.1}, learning_rate=0.05, expand=expansion)
    result = run(es, evaluate, generations=100, seed=0, progress=False)
    assert seen[0] == (20, genome_size)
    np.testing.assert_allclose(result.strategy.center[4:], [1.0, -1.0], atol=0.05)
    assert result.best.shape == (genome_size,)
    np.testing.assert_allclose(expansion.reduce(result.strategy.center_genome), result.strategy.center)


def test_openai_es_accepts_an_expansion_matrix():
    matrix = np.kron(np.eye(2), np.ones((3, 1)))  # 2 search values -> 6 genes
    es = OpenAIES(np.zeros(2), population_size=4, expand=matrix, seed=0)
    genomes = np.stack(es.generate(Individual))
    assert genomes.shape == (4, 6)
    np.testing.assert_array_equal(genomes[:, :3], genomes[:, [0, 0, 0]])


# --- reproducibility ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_strategy",
    [
        lambda: EliteGA(np.ones(6), population_size=16, n_elites=2, mutation_rate=0.2),
        lambda: OpenAIES(np.ones(6), population_size=16),
        lambda: CMAES(np.ones(6), sigma=0.3),
    ],
    ids=["elite_ga", "openai_es", "cma_es"],
)
def test_same_seed_gives_the_same_logbook_bit_for_bit(make_strategy):
    first = run(make_strategy(), sphere, generations=8, seed=42, progress=False)
    second = run(make_strategy(), sphere, generations=8, seed=42, progress=False)
    other = run(make_strategy(), sphere, generations=8, seed=43, progress=False)
    assert logbook_rows(first) == logbook_rows(second)
    np.testing.assert_array_equal(first.best, second.best)
    assert logbook_rows(first) != logbook_rows(other)


def test_run_neither_uses_nor_changes_global_random_state():
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    strategy = EliteGA(np.ones(4), population_size=10, n_elites=2)
    run(strategy, sphere, generations=3, seed=1, progress=False)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    assert strategy.generation == 0  # the strategy passed in is left untouched


def test_noisy_evaluation_seeds_make_runs_reproducible_and_batch_independent():
    objective = Noisy(sphere, noise=0.5)
    runs = [
        run(EliteGA(np.ones(4), population_size=12, n_elites=2), objective, 4, seed=9, progress=False,
            batch_size=batch_size)
        for batch_size in (None, 5, None)
    ]
    assert logbook_rows(runs[0]) == logbook_rows(runs[1]) == logbook_rows(runs[2])


def test_common_seeds_give_a_whole_generation_one_fresh_seed_and_resume(tmp_path):
    calls = []

    def evaluate(genomes, seeds):
        calls.append(list(seeds))
        return -np.sum(np.asarray(genomes) ** 2, axis=1) + np.asarray(seeds, dtype=float) / 2**63

    def strategy():
        return OpenAIES(np.ones(3), population_size=6, learning_rate=0.05)

    whole = run(strategy(), evaluate, 4, seed=3, progress=False, common_seeds=True)
    assert len(calls) == 4 and all(len(call) == 6 and len(set(call)) == 1 for call in calls)
    assert len({call[0] for call in calls}) == 4  # a fresh seed every generation
    calls.clear()
    run(strategy(), evaluate, 1, seed=3, progress=False)
    assert len(set(calls[0])) == 6  # the default: one seed per individual

    checkpoint = tmp_path / "run.ckpt"
    run(strategy(), evaluate, 2, seed=3, progress=False, common_seeds=True, checkpoint=checkpoint,
        logbook_csv=tmp_path / "log.csv")
    assert len((tmp_path / "log.csv").read_text().splitlines()) == 3  # header + a row per finished generation
    resumed = run(strategy(), evaluate, 4, seed=3, progress=False, common_seeds=True, checkpoint=checkpoint,
                  resume=True)
    assert logbook_rows(resumed) == logbook_rows(whole)
    with pytest.raises(CheckpointError, match="common_seeds"):
        run(strategy(), evaluate, 5, seed=3, progress=False, checkpoint=checkpoint, resume=True)


# --- DEAP integration --------------------------------------------------------------------


def test_individual_pickles_with_its_fitness():
    individual = Individual([1.0, 2.0])
    individual.fitness.values = (5.0,)
    copy = pickle.loads(pickle.dumps(individual))
    assert isinstance(copy, Individual) and copy.fitness.values == (5.0,)
    np.testing.assert_array_equal(copy, individual)
    assert not (individual * 2).fitness.valid  # derived arrays have no fitness


def test_toolbox_drives_deaps_own_generate_update_loop():
    from deap import tools

    strategy = CMAES(np.full(3, 1.0), sigma=0.5, seed=0)
    toolbox = make_toolbox(strategy, sphere)
    hall_of_fame = tools.HallOfFame(1, similar=np.array_equal)
    _, logbook = algorithms.eaGenerateUpdate(toolbox, ngen=30, halloffame=hall_of_fame, verbose=False)
    assert len(logbook) == 30
    assert hall_of_fame[0].fitness.values[0] > -1e-3
    mutated = toolbox.mutate(np.zeros((2, 3)), 0.1)
    assert mutated.shape == (2, 3) and np.any(mutated != 0)


def test_evaluate_returning_the_wrong_shape_is_a_config_error():
    with pytest.raises(ConfigError, match="expected"):
        run(EliteGA(np.ones(3), population_size=4, n_elites=1), lambda genomes: np.zeros(2), 1, seed=0,
            progress=False)


# --- observability -----------------------------------------------------------------------


def test_progress_bar_shows_best_and_mean(capsys):
    run(EliteGA(np.ones(3), population_size=6, n_elites=1), sphere, generations=3, seed=0, progress=True)
    error = capsys.readouterr().err
    assert "EliteGA" in error and "best=" in error and "mean=" in error and "3/3" in error
    run(EliteGA(np.ones(3), population_size=6, n_elites=1), sphere, generations=3, seed=0, progress=False)
    assert capsys.readouterr().err == ""


def test_logbook_frame_csv_and_fitness_plot(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neuroworm.plot import fitness

    result = run(OpenAIES(np.ones(4), population_size=8), sphere, generations=5, seed=0, progress=False)
    frame = result.logbook_frame()
    assert list(frame.columns[:8]) == ["gen", "nevals", "failed", "best", "mean", "std", "min", "max"]
    assert {"sigma", "learning_rate"} <= set(frame.columns)
    result.to_csv(tmp_path / "logbook.csv")
    assert (tmp_path / "logbook.csv").read_text().startswith("gen,nevals,failed,best")
    for source in (result, frame, result.logbook):
        ax = fitness(source)
        assert [line.get_label() for line in ax.get_lines()] == ["mean", "best"]
        np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), frame["best"])
        plt.close(ax.figure)


class _RisingScores:
    """Each call scores every genome 1.0 higher than the call before: re-evaluated elites improve."""

    def __init__(self):
        self.calls = 0

    def __call__(self, genomes):
        self.calls += 1
        return sphere(genomes) + self.calls


def test_best_so_far_never_falls_below_a_generation_maximum_with_reevaluated_elites():
    # An elite that scores higher when re-evaluated must update the hall of fame and the best-so-far.
    strategy = EliteGA(np.zeros((1, 5)), population_size=12, n_elites=3, mutation_rate=0.01, reevaluate_elites=True,
                       seed=0)
    result = run(strategy, _RisingScores(), generations=6, seed=3, progress=False)
    frame = result.logbook_frame()
    assert (frame["best"] >= frame["max"]).all()
    assert result.best_fitness == frame["max"].max()
