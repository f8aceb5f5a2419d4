"""Bertens & Lee (2019) reproductions: items run end to end, evolution resumes, ES improves an ENU."""

import json
from pathlib import Path

import numpy as np
import pytest

from neuroworm.control.enu_tmaze import TMazeEvaluation
from neuroworm.errors import ConfigError
from neuroworm.openloop.enu_mimic import MimicEvaluation
from neuroworm.papers import bertens2019
from neuroworm.papers.reproduce import Reproduction, assemble
from neuroworm.papers.verdict import Threshold, claim_to_dict

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
    if item == "iaf":  # two generations from a unit-gain start: not chaotic, float32 and float64 spike alike
        assert result.samples["float32_float64_spike_f1"] == 1.0
        assert result.samples["spike_f1_float64"] == result.samples["spike_f1"]


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


def _curve_documents(values_of, generations, seeds=3):
    return [{"ours": {"curve": {"generation": list(range(int(generations[-1]) + 1)),
                                "validation_generation": generations.tolist(),
                                "validation_mean": values_of(seed).tolist()}}} for seed in range(seeds)]


def test_learning_trend_reads_a_falling_error_towards_a_lower_target():
    generations = np.arange(9, 400, 10)
    rng = np.random.default_rng(1)
    documents = _curve_documents(lambda seed: 0.01 - 1e-5 * generations + rng.normal(0, 1e-4, generations.size),
                                 generations)
    falling = bertens2019.learning_trend(documents, 0.002, direction="decreasing")
    assert falling["slope_ci95_per_1000"][1] < 0 and falling["p"] < 1e-6
    assert 750 < falling["generations"] == falling["point_generations"] < 850  # 0.01 - 1e-5 g = 0.002 at g = 800
    assert falling["optimistic_generations"] < falling["point_generations"]  # the interval's steepest fall
    # read as a score to raise, the same curve points away from a higher target: no budget at all
    away = bertens2019.learning_trend(documents, 0.02)
    assert away["generations"] is None and away["point_generations"] is None
    assert away["optimistic_generations"] is None
    assert bertens2019.learning_trend(documents, 0.05, direction="decreasing")["point_generations"] == 0.0


def test_learning_trend_since_leaves_out_an_early_transient():
    generations = np.arange(29, 600, 30)
    rng = np.random.default_rng(2)

    def values(seed):  # a fall over the first 150 generations, then flat noise
        return np.where(generations < 150, 0.08, 0.003) + rng.normal(0, 2e-4, generations.size)

    documents = _curve_documents(values, generations)
    whole = bertens2019.learning_trend(documents, 0.0, direction="decreasing")
    late = bertens2019.learning_trend(documents, 0.0, direction="decreasing", since=0.5)
    assert whole["generations"] is not None and whole["slope_ci95_per_1000"][1] < 0  # the transient reads as a fall
    assert late["points"] == 30 and late["first_generation"] == 329 and late["last_generation"] == 599
    assert late["slope_ci95_per_1000"][0] < 0 < late["slope_ci95_per_1000"][1] and late["generations"] is None
    with pytest.raises(ConfigError, match="since"):
        bertens2019.learning_trend(documents, 0.0, since=1.0)
    with pytest.raises(ConfigError, match="direction"):
        bertens2019.learning_trend(documents, 0.0, direction="down")


def _stdp_seed(seed, generations, values):
    claims = [Threshold("window r >= 0.8", sample="window_r", target=0.8)]
    return {"paper": "bertens2019", "item": "stdp", "scale": "medium", "seed": seed, "seconds": 1.0,
            "wall_seconds": 1.0, "command": f"neuroworm reproduce bertens2019 stdp --scale medium --seed {seed}",
            "paper_value": {}, "samples": {"window_r": 0.1 * seed, "mse_constant_weight": 0.002},
            "claims": [claim_to_dict(claim) for claim in claims], "deviations": ["ours"], "test_data": "test",
            "selection": "none", "notes": "Scale medium.",
            "ours": {"population": 256, "delta_t": [-5, 5], "modulated": [True, False], "weight_change": [0.1, 0.0],
                     "curve": {"generation": list(range(600)), "train_mean": [0.0] * 600,
                               "validation_generation": generations.tolist(), "validation_mean": values.tolist()}}}


def test_the_pooled_stdp_document_carries_the_trend_and_the_budget_it_implies(tmp_path):
    generations = np.arange(29, 600, 30)
    (tmp_path / "seeds").mkdir()
    for seed in range(3):  # MSE 0.01 - 1e-5 g, exactly: the constant weight's 0.002 at generation 800, 0 at 1,000
        document = _stdp_seed(seed, generations, 0.01 - 1e-5 * generations)
        (tmp_path / "seeds" / f"stdp.seed{seed}.json").write_text(json.dumps(document))
    pooled = assemble(tmp_path, "bertens2019", "stdp", scale="medium")
    constant, perfect = pooled["learning_trend"].values()
    assert constant["target"] == 0.002 and constant["points"] == 30 and constant["first_generation"] == 329
    assert constant["point_generations"] == pytest.approx(800) and perfect["point_generations"] == pytest.approx(1000)
    assert constant["slope_per_1000"] == pytest.approx(-0.01)
    assert pooled["notes"].startswith("Scale medium. Learning trend of the centre's mean squared error")
    assert "(0.002) is reached at the fitted slope: generation ~800;" in pooled["notes"]
    assert "(0) is reached at the fitted slope: generation ~1,000;" in pooled["notes"]
    assert "an approach to the targets is shown" in pooled["notes"]
    assert pooled["ours"]["window_r"]["per_seed"] == {"0": 0.0, "1": 0.1, "2": 0.2}  # the samples pool as before
    assert json.loads((tmp_path / "stdp.json").read_text())["learning_trend"] == pooled["learning_trend"]
    assert (tmp_path / "stdp.png").exists()


def test_an_assemble_hook_cannot_overwrite_a_pooled_field(tmp_path, monkeypatch):
    generations = np.arange(29, 600, 30)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "stdp.seed0.json").write_text(json.dumps(_stdp_seed(0, generations, 0 * generations + 0.01)))
    table, figure, _ = bertens2019.stdp_assemble([_stdp_seed(0, generations, 0 * generations + 0.01)])
    monkeypatch.setattr(bertens2019, "stdp_assemble", lambda documents: (table, figure, {"verdict": "reproduced"}))
    with pytest.raises(ConfigError, match="verdict"):
        assemble(tmp_path, "bertens2019", "stdp", scale="medium")


@pytest.mark.parametrize("item", ["iaf", "stdp", "tmaze"])
def test_the_committed_pooled_trend_is_the_one_its_seed_files_give(item):
    folder = Path(__file__).resolve().parents[2] / "reproductions" / "bertens2019" / item
    if not (folder / f"{item}.json").exists():
        pytest.skip("no committed medium result")
    pooled = json.loads((folder / f"{item}.json").read_text())
    documents = [json.loads(path.read_text()) for path in sorted((folder / "seeds").glob(f"{item}.seed*.json"))]
    _, _, extra = getattr(bertens2019, f"{item}_assemble")(documents)
    assert pooled["learning_trend"] == json.loads(json.dumps(extra["learning_trend"]))
    assert pooled["notes"].endswith(extra["notes"])
