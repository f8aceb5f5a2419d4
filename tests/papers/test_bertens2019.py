"""Bertens & Lee (2019) reproductions: items run end to end, evolution resumes, ES improves an ENU."""

import numpy as np
import pytest

from neuroworm.control.enu_tmaze import TMazeEvaluation
from neuroworm.openloop.enu_mimic import MimicEvaluation
from neuroworm.papers import bertens2019
from neuroworm.papers.reproduce import Reproduction

TINY = {"population": 8, "environments": 2, "generations": 2, "memory_size": 4, "channels": 4}


@pytest.mark.parametrize("item", ["iaf", "stdp", "tmaze"])
def test_items_run_at_a_tiny_scale(item, tmp_path):
    result = getattr(bertens2019, item)(scale="small", seed=0, out=tmp_path, heldout_mazes=2, agent_mazes=8,
                                        **TINY)
    assert isinstance(result, Reproduction)
    assert len(result.table) == TINY["generations"] and result.notes and result.deviations and result.test_data
    assert result.ours["generations"] == 2 and result.ours["measured_seconds_per_generation"] > 0
    assert result.claims and all(np.isfinite(value) for value in result.samples.values())
    named = {getattr(claim, key) for claim in result.claims for key in ("sample", "greater", "lesser")
             if hasattr(claim, key)}
    assert named <= set(result.samples)
    assert len(result.ours["curve"]["validation_mean"]) >= 1  # the learning curve on validation episodes
    assert not (tmp_path / "checkpoints").exists()  # a finished run removes its checkpoint


def test_the_paper_es_settings_are_the_medium_default():
    for item, scales in bertens2019.SETTINGS.items():
        medium = scales["medium"]
        assert medium["sigma"] == 0.01 and medium["learning_rate"] in (1.0, 0.01), item
        assert item in bertens2019.LEARNING_RATE_TRIALS
        assert medium["memory_size"] == 32 and medium["channels"] == 16, item


def test_evolution_resumes_to_the_uninterrupted_result(tmp_path):
    evaluation = MimicEvaluation("iaf", n_environments=2, steps=30, memory_size=4, n_outputs=2)
    initial = evaluation.shape.initial_genome(seed=0)
    whole, _ = bertens2019.evolve_enu(evaluation, initial, population=8, generations=4, seed=3)
    checkpoint = tmp_path / "checkpoint.npz"
    bertens2019.evolve_enu(evaluation, initial, population=8, generations=2, seed=3, checkpoint=checkpoint)
    resumed, _ = bertens2019.evolve_enu(evaluation, initial, population=8, generations=4, seed=3,
                                        checkpoint=checkpoint)
    np.testing.assert_array_equal(resumed.strategy.center, whole.strategy.center)
    np.testing.assert_array_equal(resumed.logbook_frame()["mean"], whole.logbook_frame()["mean"])


def test_all_offspring_meet_the_same_mazes_and_evaluation_is_seeded():
    evaluation = TMazeEvaluation(n_environments=2, actions_per_episode=10, memory_size=4, n_channels=4)
    genome = evaluation.initial_genome(seed=1)
    twice = evaluation(np.stack([genome, genome]), seeds=[5, 6])
    assert twice[0] == twice[1]
    np.testing.assert_array_equal(evaluation(genome[None], seeds=[5]), twice[:1])


@pytest.mark.slow
def test_evolution_improves_the_iaf_mimic_on_heldout_episodes():
    evaluation = MimicEvaluation("iaf", n_environments=8, steps=100)
    initial = evaluation.shape.initial_genome(seed=np.random.SeedSequence([0, 2]))
    result, _ = bertens2019.evolve_enu(evaluation, initial, population=64, generations=60, seed=0,
                                       learning_rate=0.1)
    evaluation.n_environments = 32
    heldout = evaluation.per_episode(np.stack([initial, result.strategy.center_genome]), seed=12345)
    assert heldout[1].mean() > heldout[0].mean() + 2 * heldout[0].std() / np.sqrt(heldout.shape[1])


def test_learning_trend_finds_a_rise_and_the_budget_it_implies_and_none_for_a_flat_curve():
    rng = np.random.default_rng(0)
    generations = np.arange(0, 200, 10)

    def documents(slope):
        return [{"ours": {"curve": {"validation_generation": generations.tolist(),
                                    "validation_mean": (0.1 + slope * generations
                                                        + rng.normal(0, 0.01, generations.size)).tolist()}}}
                for _ in range(3)]

    rising = bertens2019.learning_trend(documents(0.002), target=2.1)
    assert rising["points"] == 60 and rising["p"] < 1e-6
    assert rising["slope_ci95_per_1000"][0] < 2.0 < rising["slope_ci95_per_1000"][1]
    assert 900 < rising["generations"] < 1100 and rising["optimistic_generations"] <= rising["generations"]
    flat = bertens2019.learning_trend(documents(0.0), target=2.1)
    assert flat["generations"] is None and flat["p"] > 0.001
    assert bertens2019.learning_trend(documents(0.0)[:0], target=1.0)["slope_per_1000"] is None
