"""The evolution loop as DEAP's generate -> evaluate -> update, with checkpoints, held-out scores, CSV and progress as hooks."""

import copy
import math

import numpy as np
import pandas as pd

from neuroworm.evolve import EliteGA, OpenAIES, make_toolbox, run
from neuroworm.evolve.driver import HeldoutScoring, Hook, RunState, generation
from neuroworm.evolve.objectives import Noisy, sphere


def small_ga():
    return EliteGA(np.ones(8), population_size=16, n_elites=2, mutation_rate=0.2, mutation_decay=0.99)


def test_a_loop_written_by_hand_with_generation_equals_run():
    """The loop of run() is nothing but generation() repeated: the same seed gives the same logbook."""
    evaluate = Noisy(sphere, 0.1)
    state = RunState.fresh(copy.deepcopy(small_ga()), 5, hall_of_fame_size=1)
    toolbox = make_toolbox(state.strategy, evaluate)

    def seeds(state, n_new):
        return state.evaluation_rng.integers(0, 2**63 - 1, size=n_new, dtype=np.int64)

    while state.completed < 6:
        generation(state, toolbox, seeds=seeds)
    expected = run(small_ga(), evaluate, 6, seed=5, progress=False)
    assert [dict(row) for row in state.logbook] == [dict(row) for row in expected.logbook]
    np.testing.assert_array_equal(state.result().best, expected.best)


class Recorder(Hook):
    """A user's hook: a logbook column of its own, and a list of what it was told."""

    def __init__(self):
        self.seen, self.closed = [], False

    def columns(self, state):
        return {"population_spread": float(np.std([ind[0] for ind in state.population]))}

    def after_generation(self, state, record):
        self.seen.append((state.completed, record["gen"]))

    def close(self):
        self.closed = True


def test_a_hook_adds_a_logbook_column_and_is_told_about_every_generation():
    recorder = Recorder()
    result = run(small_ga(), sphere, 4, seed=1, progress=False, hooks=[recorder])
    frame = result.logbook_frame()
    assert "population_spread" in frame.columns and frame["population_spread"].gt(0).all()
    assert recorder.seen == [(1, 0), (2, 1), (3, 2), (4, 3)] and recorder.closed
    # the hook's column is extra: the other columns equal a run without it
    plain = run(small_ga(), sphere, 4, seed=1, progress=False).logbook_frame()
    pd.testing.assert_frame_equal(frame.drop(columns="population_spread"), plain)


def test_heldout_scoring_scores_the_es_mean_on_its_schedule_and_after_the_last_generation():
    scored = []

    def heldout(genome):
        scored.append(np.array(genome))
        return np.array([1.0, 3.0])

    es = OpenAIES(np.ones(6), population_size=8)
    result = run(es, sphere, 7, seed=2, progress=False, heldout=heldout, heldout_every=3)
    frame = result.logbook_frame()
    scored_rows = [int(gen) for gen, mean in zip(frame["gen"], frame["heldout_mean"], strict=True)
                   if not math.isnan(mean)]
    assert scored_rows == [2, 5, 6]  # every 3rd generation and the last
    assert frame["heldout_mean"].dropna().eq(2.0).all() and frame["heldout_std"].dropna().eq(1.0).all()
    np.testing.assert_array_equal(scored[-1], result.strategy.center_genome)  # the ES's product is its mean


def test_heldout_scoring_falls_back_to_the_hall_of_fame_for_a_ga():
    state = RunState.fresh(copy.deepcopy(small_ga()), 0, hall_of_fame_size=1)
    toolbox = make_toolbox(state.strategy, sphere)
    generation(state, toolbox)
    hook = HeldoutScoring(lambda genome: np.array([sphere(genome[None, :])[0]]), every=1, generations=3)
    columns = hook.columns(state)
    assert columns["heldout_mean"] == state.hall_of_fame[0].fitness.values[0] and columns["heldout_std"] == 0.0
